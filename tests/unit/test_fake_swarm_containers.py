"""Swarm tasks run real (fake) containers on the node, as on a Docker 20.10 swarm node.

What the daemon shows is in tests/integration/REAL_DAEMON_NOTES.md ("Task containers").
"""

from __future__ import annotations

import functools
import sys
import urllib.request

from docker import types
from fake_fixtures import fake_engine_fixtures, new_engine

from fakedocker.runtime import HostProcessRuntime

IMAGE = "fakedocker-test/busybox:1.36"
TRAP = ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 0.1; done']  # exits 0 on TERM
NO_RESTART = types.RestartPolicy(condition="none")


IMAGES = {IMAGE: {"Cmd": ["sh"], "Env": None}}  # as the test image: no Env
_engine = functools.partial(new_engine, IMAGES, swarm=True)
engine, api, client = fake_engine_fixtures(IMAGES, swarm=True)


def _service(api, name="web", command=("sleep", "1000"), restart=None, ports=None, networks=None,
             mode=None, **spec):
    template = types.TaskTemplate(types.ContainerSpec(IMAGE, list(command), **spec),
                                  restart_policy=restart, networks=networks)
    endpoint = types.EndpointSpec(ports=ports) if ports else None
    return api.create_service(template, name=name, endpoint_spec=endpoint, mode=mode)["ID"]


def _tasks(api, sid):
    return sorted(api.tasks(filters={"service": sid}),
                  key=lambda t: (t.get("Slot") or 0, t["Version"]["Index"]))


def _running(api, sid):
    [task] = [t for t in _tasks(api, sid) if t["Status"]["State"] == "running"]
    return task


def _swarm_labels(task, service_name="web"):
    name = f"{service_name}.{task['Slot']}.{task['ID']}"
    return {
        "com.docker.swarm.node.id": task["NodeID"],
        "com.docker.swarm.service.id": task["ServiceID"],
        "com.docker.swarm.service.name": service_name,
        "com.docker.swarm.task": "",
        "com.docker.swarm.task.id": task["ID"],
        "com.docker.swarm.task.name": name,
    }


def _events(engine, cid):
    return [(e["Action"], {k: v for k, v in e["Actor"]["Attributes"].items()
                           if k in ("signal", "exitCode")})
            for e in engine.events if e["Type"] == "container" and e["Actor"]["ID"] == cid]


def _wait(engine, predicate, timeout=10.0):
    """Bounded wait for something a runtime thread reports (container changes notify)."""
    with engine.lock:
        assert engine.containers.changed.wait_for(predicate, timeout=timeout), "timed out"


# the container ---------------------------------------------------------------------------------


def test_running_task_has_its_container(engine, api):
    engine.containers.probe_host_ports = False
    sid = _service(api, env={"A": "1"}, labels={"cl": "cv"}, user="nobody", workdir="/tmp",
                   ports={18080: (8888, "tcp", "host")})
    task = _running(api, sid)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    c = api.inspect_container(cid)
    assert c["Name"] == f"/web.1.{task['ID']}"
    assert c["State"]["Status"] == "running"
    assert task["Status"]["ContainerStatus"] == {"ContainerID": c["Id"], "PID": c["State"]["Pid"],
                                                 "ExitCode": 0}
    assert c["Config"]["Labels"] == {"cl": "cv", **_swarm_labels(task)}
    assert c["Config"]["Env"] == ["A=1"]
    # Command becomes the entrypoint, Args the command
    assert (c["Config"]["Entrypoint"], c["Config"]["Cmd"]) == (["sleep", "1000"], None)
    assert (c["Path"], c["Args"]) == ("sleep", ["1000"])
    assert (c["Config"]["User"], c["Config"]["WorkingDir"]) == ("nobody", "/tmp")
    assert c["Config"]["Hostname"] == cid[:12]
    assert c["Config"]["ExposedPorts"] == {"8888/tcp": {}}
    assert c["HostConfig"]["PortBindings"] == {"8888/tcp": [{"HostIp": "", "HostPort": "18080"}]}
    assert c["HostConfig"]["NetworkMode"] == "default"
    assert (c["HostConfig"]["Isolation"], c["HostConfig"]["Ulimits"]) == ("default", [])
    assert c["NetworkSettings"]["Ports"] == {"8888/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"},
                                                          {"HostIp": "::", "HostPort": "18080"}]}
    # the task reports the port the container holds, once per binding
    assert task["Status"]["PortStatus"] == {"Ports": [
        {"Protocol": "tcp", "TargetPort": 8888, "PublishedPort": 18080, "PublishMode": "host"}] * 2}
    [listed] = api.containers(filters={"label": "com.docker.swarm.service.name=web"})
    assert (listed["Id"], listed["Names"], listed["State"]) == (cid, [f"/web.1.{task['ID']}"], "running")
    assert listed["Command"] == "sleep 1000"
    assert [a for a, _ in _events(engine, cid)] == ["create", "start"]


def test_args_only_keep_the_image_entrypoint_and_args_follow_a_command(engine, api):
    sid = _service(api, command=TRAP, args=["x"])
    c = api.inspect_container(_running(api, sid)["Status"]["ContainerStatus"]["ContainerID"])
    assert (c["Config"]["Entrypoint"], c["Config"]["Cmd"]) == (TRAP, ["x"])
    template = types.TaskTemplate(types.ContainerSpec(IMAGE, args=["sleep", "1000"]))
    other = api.create_service(template, name="other")["ID"]
    c = api.inspect_container(_running(api, other)["Status"]["ContainerStatus"]["ContainerID"])
    assert (c["Config"]["Entrypoint"], c["Config"]["Cmd"]) == (None, ["sleep", "1000"])


def test_mounts_hostname_and_limits_come_from_the_spec(engine, api):
    sid = _service(api, hostname="hh", mounts=[types.Mount("/data", "vol1")])
    c = api.inspect_container(_running(api, sid)["Status"]["ContainerStatus"]["ContainerID"])
    assert c["Config"]["Hostname"] == "hh"
    assert c["HostConfig"]["Mounts"] == [{"Type": "volume", "Source": "vol1", "Target": "/data"}]
    assert c["Mounts"] == [{"Type": "volume", "Name": "vol1",
                            "Source": "/var/lib/docker/volumes/vol1/_data", "Destination": "/data",
                            "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""}]
    assert c["HostConfig"]["PortBindings"] == {}
    assert "ExposedPorts" not in c["Config"] or c["Config"]["ExposedPorts"] is None
    template = types.TaskTemplate(types.ContainerSpec(IMAGE, ["sleep", "1000"]),
                                  resources=types.Resources(cpu_limit=500_000_000,
                                                            mem_limit=64 * 1024 * 1024))
    limited = api.create_service(template, name="limited")["ID"]
    c = api.inspect_container(_running(api, limited)["Status"]["ContainerStatus"]["ContainerID"])
    assert (c["HostConfig"]["NanoCpus"], c["HostConfig"]["Memory"]) == (500_000_000, 64 * 1024 * 1024)


def test_task_without_networks_runs_on_the_bridge(engine, api):
    sid = _service(api)
    c = api.inspect_container(_running(api, sid)["Status"]["ContainerStatus"]["ContainerID"])
    assert list(c["NetworkSettings"]["Networks"]) == ["bridge"]
    assert c["NetworkSettings"]["IPAddress"] == "172.17.0.2"


def test_task_container_on_an_overlay_network_uses_the_task_address(engine, api):
    net = api.create_network("appnet", driver="overlay", attachable=True)["Id"]
    sid = _service(api, networks=["appnet"], restart=NO_RESTART)
    task = _running(api, sid)
    [attachment] = task["NetworksAttachments"]
    address = attachment["Addresses"][0].split("/")[0]
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    c = api.inspect_container(cid)
    assert c["HostConfig"]["NetworkMode"] == "default"
    endpoint = c["NetworkSettings"]["Networks"]["appnet"]
    assert list(c["NetworkSettings"]["Networks"]) == ["appnet"]  # no bridge
    assert {k: endpoint[k] for k in ("IPAMConfig", "Aliases", "NetworkID", "Gateway", "IPAddress",
                                     "IPPrefixLen", "MacAddress")} == {
        "IPAMConfig": {"IPv4Address": address}, "Aliases": [cid[:12]], "NetworkID": net,
        "Gateway": "", "IPAddress": address, "IPPrefixLen": 24,
        "MacAddress": "02:42:" + ":".join(f"{int(b):02x}" for b in address.split(".")),
    }
    assert c["NetworkSettings"]["IPAddress"] == ""  # the top level shows the bridge: none
    assert list(api.inspect_network("appnet")["Containers"]) == [cid]
    # another task gets another address; the container's exit keeps the task's address taken
    api.kill(cid)
    endpoint = api.inspect_container(cid)["NetworkSettings"]["Networks"]["appnet"]
    assert (endpoint["IPAMConfig"], endpoint["IPAddress"]) == ({"IPv4Address": address}, "")
    other = _service(api, name="other", networks=["appnet"])
    other_address = _running(api, other)["NetworksAttachments"][0]["Addresses"][0]
    assert other_address.split("/")[0] != address


def test_ingress_ports_attach_the_container_to_ingress_only(engine, api):
    sid = _service(api, ports={0: 8888}, hostname="hh")
    task = _running(api, sid)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    c = api.inspect_container(cid)
    [ingress] = c["NetworkSettings"]["Networks"].values()
    assert list(c["NetworkSettings"]["Networks"]) == ["ingress"]
    assert ingress["Aliases"] == [cid[:12], "hh"]
    assert ingress["IPAddress"] + "/24" == task["NetworksAttachments"][0]["Addresses"][0]
    assert c["HostConfig"]["PortBindings"] == {} and c["NetworkSettings"]["Ports"] == {}


def test_a_task_rejected_for_its_image_has_no_container(engine, api):
    template = types.TaskTemplate(types.ContainerSpec("fakedocker-test/missing:1", ["sleep", "1"]),
                                  restart_policy=NO_RESTART)
    sid = api.create_service(template, name="web")["ID"]
    [task] = _tasks(api, sid)
    assert task["Status"]["State"] == "rejected"
    assert task["Status"]["ContainerStatus"] == {"ContainerID": "", "PID": 0, "ExitCode": 0}
    assert api.containers(all=True) == []


def test_manual_mode_creates_at_starting_and_starts_at_running():
    with _engine(transitions="manual") as engine:
        api = engine.api_client()
        sid = _service(api)
        for _ in range(4):  # pending, assigned, accepted, preparing
            engine.step()
        assert api.containers(all=True) == []
        engine.step()
        [task] = _tasks(api, sid)
        assert task["Status"]["State"] == "starting"
        cid = task["Status"]["ContainerStatus"]["ContainerID"]
        assert api.inspect_container(cid)["State"]["Status"] == "created"
        engine.step()
        assert _tasks(api, sid)[0]["Status"]["State"] == "running"
        assert api.inspect_container(cid)["State"]["Status"] == "running"


# the container ends: the task ends -----------------------------------------------------------------


def test_crash_fails_the_task_and_the_restart_policy_replaces_it(engine, api):
    sid = _service(api)
    first = _running(api, sid)
    cid = first["Status"]["ContainerStatus"]["ContainerID"]
    engine.crash(cid, 3)
    failed = api.inspect_task(first["ID"])
    assert (failed["Status"]["State"], failed["Status"]["Message"], failed["Status"]["Err"]) == (
        "failed", "started", "task: non-zero exit (3)")
    assert failed["Status"]["ContainerStatus"] == {"ContainerID": cid, "PID": 0, "ExitCode": 3}
    assert (failed["Status"]["PortStatus"], failed["DesiredState"]) == ({}, "shutdown")
    replacement = _running(api, sid)
    new_cid = replacement["Status"]["ContainerStatus"]["ContainerID"]
    assert new_cid != cid
    # the failed task's container stays (exited) while the task is in the history
    states = {c["Id"]: c["State"] for c in api.containers(all=True)}
    assert states == {cid: "exited", new_cid: "running"}
    assert api.inspect_container(new_cid)["Name"] == f"/web.1.{replacement['ID']}"


def test_docker_kill_and_stop_end_the_task_as_the_daemon_does(engine, api):
    sid = _service(api, restart=NO_RESTART)
    task = _running(api, sid)
    api.kill(task["Status"]["ContainerStatus"]["ContainerID"])
    status = api.inspect_task(task["ID"])["Status"]
    assert (status["State"], status["Err"], status["ContainerStatus"]["ExitCode"]) == (
        "failed", "task: non-zero exit (137)", 137)

    # a process that exits 0 on SIGTERM: docker stop completes the task
    trap = _service(api, name="trap", command=TRAP)
    task = _running(api, trap)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    api.stop(cid)
    done = api.inspect_task(task["ID"])
    assert (done["Status"]["State"], done["Status"]["Message"], done["DesiredState"]) == (
        "complete", "finished", "shutdown")
    assert "Err" not in done["Status"]
    assert done["Status"]["ContainerStatus"] == {"ContainerID": cid, "PID": 0, "ExitCode": 0}
    # the container's stop events come before the replacement's
    assert [a for a, _ in _events(engine, cid)] == ["create", "start", "kill", "die", "stop"]
    assert _running(api, trap)["ID"] != task["ID"]  # restart policy "any"


def test_container_exiting_at_start_fails_the_task(engine, api):
    sid = _service(api, command=["sh", "-c", "echo bye; exit 3"], restart=NO_RESTART)
    [task] = _tasks(api, sid)
    assert (task["Status"]["State"], task["Status"]["Err"]) == ("failed", "task: non-zero exit (3)")
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    assert api.logs(cid) == b"bye\n"


def test_fail_task_makes_the_container_exit(engine, api):
    sid = _service(api)
    task = _running(api, sid)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    assert engine.swarm.fail_task("web", "boom", exit_code=2) == task["ID"]
    assert api.inspect_container(cid)["State"]["ExitCode"] == 2
    assert api.inspect_task(task["ID"])["Status"]["Err"] == "boom"
    assert _running(api, sid)["ID"] != task["ID"]


def test_history_pruning_removes_old_task_containers(engine, api):
    _service(api, restart=types.RestartPolicy(condition="any", max_attempts=10))
    for _ in range(7):
        engine.swarm.fail_task("web")
    tasks = api.tasks()
    assert len(tasks) == 5
    containers = {c["Id"] for c in api.containers(all=True)}
    assert containers == {t["Status"]["ContainerStatus"]["ContainerID"] for t in tasks}


# the service goes away: its containers go -----------------------------------------------------------


def test_remove_service_stops_and_removes_its_containers(engine, api):
    sid = _service(api, command=TRAP)
    first = _running(api, sid)
    old = first["Status"]["ContainerStatus"]["ContainerID"]
    engine.crash(old, 1)
    cid = _running(api, sid)["Status"]["ContainerStatus"]["ContainerID"]
    assert api.remove_service(sid) is True
    assert api.tasks() == []
    assert api.containers(all=True) == []
    assert _events(engine, old)[-1] == ("destroy", {})
    assert _events(engine, cid)[2:] == [("kill", {"signal": "15"}), ("die", {"exitCode": "0"}),
                                        ("stop", {}), ("destroy", {})]


def test_remove_service_waits_the_stop_grace_period_then_kills(engine, api):
    # sleep as PID 1 ignores SIGTERM: the daemon SIGKILLs it after StopGracePeriod
    sid = _service(api, stop_grace_period=200_000_000)
    cid = _running(api, sid)["Status"]["ContainerStatus"]["ContainerID"]
    api.remove_service(sid)
    # the task stays while its container stops: running, desired remove, exit code -1
    [task] = api.tasks()
    assert (task["Status"]["State"], task["DesiredState"], task["Status"]["ContainerStatus"]["ExitCode"]) == (
        "running", "remove", -1)
    _wait(engine, lambda: cid not in engine.containers.by_id)
    assert api.tasks() == []
    assert _events(engine, cid)[2:] == [
        ("kill", {"signal": "15"}), ("kill", {"signal": "9"}), ("die", {"exitCode": "137"}),
        ("stop", {}), ("destroy", {})]
    assert api.containers(all=True) == []


def test_scale_down_removes_the_container_of_the_dropped_slot(engine, api):
    sid = _service(api, command=TRAP, mode=types.ServiceMode("replicated", replicas=2))
    assert len(api.containers()) == 2
    service = api.inspect_service(sid)
    api.update_service(sid, service["Version"]["Index"], mode=types.ServiceMode("replicated", replicas=1),
                       task_template=service["Spec"]["TaskTemplate"], name="web")
    [c] = api.containers(all=True)
    assert c["Names"][0].startswith("/web.1.")


def test_rolling_update_with_a_fixed_host_port(engine, api):
    engine.containers.probe_host_ports = False
    sid = _service(api, ports={18080: (80, "tcp", "host")})
    old = _running(api, sid)
    service = api.inspect_service(sid)
    template = service["Spec"]["TaskTemplate"]
    template["ContainerSpec"]["Env"] = ["V=2"]
    api.update_service(sid, service["Version"]["Index"], task_template=template, name="web",
                       endpoint_spec=service["Spec"]["EndpointSpec"])
    new = _running(api, sid)
    assert new["ID"] != old["ID"]
    assert api.inspect_task(old["ID"])["Status"]["State"] == "shutdown"
    c = api.inspect_container(new["Status"]["ContainerStatus"]["ContainerID"])
    assert c["Config"]["Env"] == ["V=2"]
    assert c["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == "18080"
    assert api.inspect_container(old["Status"]["ContainerStatus"]["ContainerID"])["State"]["Running"] is False


# a real process behind the published port -------------------------------------------------------------


def test_host_process_serves_http_at_the_task_published_port(engine, api):
    seen = {}

    def command(ctx):
        [(_, port), *_] = ctx.ports["8888/tcp"]
        seen["port"] = port
        return [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"]

    engine.set_runtime(lambda c: c.labels.get("com.docker.swarm.service.name") == "web",
                       HostProcessRuntime(command=command))
    sid = _service(api, restart=NO_RESTART, ports={0: (8888, "tcp", "host")})  # an ephemeral port
    task = _running(api, sid)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    published = {p["PublishedPort"] for p in task["Status"]["PortStatus"]["Ports"]}
    c = engine.containers.get(cid)
    assert published == {seen["port"]}
    assert {b["HostPort"] for b in api.inspect_container(cid)["NetworkSettings"]["Ports"]["8888/tcp"]} == {
        str(seen["port"])}
    assert task["Status"]["ContainerStatus"]["PID"] == c.pid  # the host process
    _wait(engine, lambda: any(b"Serving HTTP" in line for _, _, line in c.logs))
    with urllib.request.urlopen(f"http://127.0.0.1:{seen['port']}/", timeout=5) as response:
        assert response.status == 200
    engine.crash(cid, 3)
    status = api.inspect_task(task["ID"])["Status"]
    assert (status["State"], status["Err"], status["PortStatus"]) == (
        "failed", "task: non-zero exit (3)", {})


def test_host_process_ending_by_itself_fails_the_task(engine, api):
    engine.set_runtime(lambda c: c.labels.get("com.docker.swarm.service.name") == "web",
                       HostProcessRuntime(command=[sys.executable, "-c", "import sys; sys.exit(5)"]))
    sid = _service(api, restart=NO_RESTART)
    [task] = _tasks(api, sid)
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    _wait(engine, lambda: not engine.containers.by_id[cid].running)
    status = api.inspect_task(task["ID"])["Status"]
    assert (status["State"], status["Err"], status["ContainerStatus"]["ExitCode"]) == (
        "failed", "task: non-zero exit (5)", 5)
