"""fakedocker containers: create/inspect, lifecycle, list filters, rename/remove, volumes,
events, wait, update — through a genuine docker.APIClient and DockerClient."""

from __future__ import annotations

import re
import threading

import docker
import pytest
from docker.types import Mount
from fake_fixtures import fake_engine_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakedocker
from fakedocker.runtime import IdleRuntime

IMAGE_CONFIG = {
    "Cmd": ["sh"],
    "Env": ["PATH=/usr/bin:/bin", "SHARED=image"],
    "Labels": {"from.image": "yes", "shared": "image"},
    "Volumes": {"/image-vol": {}},
    "WorkingDir": "/srv",
    "ExposedPorts": {"8888/tcp": {}},
}


engine, api, client = fake_engine_fixtures(
    {"busybox:1.36": IMAGE_CONFIG, "plain:1": {"Cmd": ["sleep", "1000"]}}
)


def actions(engine, cid=None):
    return [ev["Action"] for ev in engine.events
            if ev["Type"] == "container" and (cid is None or ev["Actor"]["ID"] == cid)]


# create / inspect -----------------------------------------------------------------------------


def test_create_merges_image_config_and_echoes_host_config(api):
    hc = api.create_host_config(mem_limit="64m", restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
                                cpu_quota=50000, port_bindings={8888: ("127.0.0.1",)})
    c = api.create_container("busybox:1.36", command=["sh", "-c", "sleep 300"], name="c1",
                             environment={"SHARED": "container", "X": "1"},
                             labels={"shared": "container", "mine": "1"}, user="1000",
                             stop_signal="SIGINT", stop_timeout=3, host_config=hc, tty=True)
    assert set(c) == {"Id", "Warnings"} and len(c["Id"]) == 64
    info = api.inspect_container("c1")
    assert info["Id"] == c["Id"]
    assert info["Name"] == "/c1"
    assert info["Path"] == "sh" and info["Args"] == ["-c", "sleep 300"]
    cfg = info["Config"]
    assert cfg["Hostname"] == c["Id"][:12]
    # the daemon's merge(): the user's entries first, then the image's it did not override
    assert cfg["Env"] == ["SHARED=container", "X=1", "PATH=/usr/bin:/bin"]
    assert cfg["Labels"] == {"from.image": "yes", "shared": "container", "mine": "1"}
    assert cfg["WorkingDir"] == "/srv" and cfg["User"] == "1000"
    assert cfg["StopSignal"] == "SIGINT" and cfg["StopTimeout"] == 3
    assert cfg["Tty"] is True and cfg["Image"] == "busybox:1.36"
    assert cfg["ExposedPorts"] == {"8888/tcp": {}}
    host = info["HostConfig"]
    assert host["Memory"] == 64 * 1024 * 1024 and host["CpuQuota"] == 50000
    assert host["MemorySwap"] == 2 * host["Memory"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["PortBindings"] == {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    assert host["NetworkMode"] == "default"
    assert host["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert host["NanoCpus"] == 0 and host["CpuShares"] == 0 and host["MemoryReservation"] == 0
    state = info["State"]
    assert state["Status"] == "created" and state["Running"] is False
    assert state["StartedAt"] == "0001-01-01T00:00:00Z" and state["Pid"] == 0
    assert info["Image"].startswith("sha256:")
    assert info["NetworkSettings"]["Ports"] == {}
    assert "bridge" in info["NetworkSettings"]["Networks"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", info["Created"])


def test_defaults_for_a_bare_create(api):
    c = api.create_container("plain:1")
    info = api.inspect_container(c)
    assert info["Path"] == "sleep" and info["Args"] == ["1000"]
    assert info["HostConfig"]["RestartPolicy"] == {"Name": "", "MaximumRetryCount": 0}
    assert info["HostConfig"]["MemorySwap"] == 0
    assert info["HostConfig"]["Memory"] == 0
    assert re.fullmatch(r"/[a-z]+_[a-z]+\d*", info["Name"])
    assert info["ExecIDs"] is None


def test_entrypoint_without_command_drops_image_cmd(api):
    c = api.create_container("busybox:1.36", entrypoint=["/bin/echo"])
    info = api.inspect_container(c)
    assert info["Path"] == "/bin/echo" and info["Args"] == []
    c = api.create_container("busybox:1.36", entrypoint=["/bin/echo"], command=["a", "b"])
    assert api.inspect_container(c)["Args"] == ["a", "b"]


def test_image_env_is_kept_when_the_user_gives_none(api):
    c = api.create_container("busybox:1.36")
    assert api.inspect_container(c)["Config"]["Env"] == ["PATH=/usr/bin:/bin", "SHARED=image"]


def test_nano_cpus_conflicts_with_cpu_period_and_quota(api):
    for extra, what in (({"cpu_period": 100000}, "CPU Period"), ({"cpu_quota": 50000}, "CPU Quota")):
        with pytest.raises(docker.errors.APIError) as err:
            api.create_container("busybox:1.36", host_config=api.create_host_config(nano_cpus=500000000, **extra))
        assert err.value.status_code == 400
        assert err.value.explanation == f"Conflicting options: Nano CPUs and {what} cannot both be set"


def test_missing_image_is_404(api):
    with pytest.raises(docker.errors.ImageNotFound) as err:
        api.create_container("nope:1", name="x1")
    assert err.value.explanation == "No such image: nope:1"


def test_duplicate_name_is_409_with_daemon_text(api):
    c = api.create_container("busybox:1.36", name="dup")
    with pytest.raises(docker.errors.APIError) as err:
        api.create_container("busybox:1.36", name="dup")
    assert err.value.status_code == 409
    assert err.value.explanation == (
        f'Conflict. The container name "/dup" is already in use by container "{c["Id"]}". '
        "You have to remove (or rename) that container to be able to reuse that name.")


NAME_RE = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(name=st.one_of(
    st.from_regex(r"\A[a-zA-Z0-9][a-zA-Z0-9_.-]{1,20}\Z"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#%&\x00"), min_size=1, max_size=12),
))
def test_name_validation_matches_the_daemon_pattern(name):
    with fakedocker.FakeEngine() as engine:
        engine.add_image("busybox:1.36")
        api = engine.api_client()
        if NAME_RE.fullmatch(name):
            c = api.create_container("busybox:1.36", command="true", name=name)
            assert api.inspect_container(c)["Name"] == "/" + name.lstrip("/")
        else:
            with pytest.raises(docker.errors.APIError) as err:
                api.create_container("busybox:1.36", command="true", name=name)
            assert err.value.status_code == 400
            assert "Invalid container name" in err.value.explanation


def test_lookup_by_name_and_id_prefix(api):
    c = api.create_container("busybox:1.36", name="findme")
    assert api.inspect_container(c["Id"][:10])["Id"] == c["Id"]
    assert api.inspect_container("findme")["Id"] == c["Id"]
    with pytest.raises(docker.errors.NotFound) as err:
        api.inspect_container("missing")
    assert err.value.explanation == "No such container: missing"


# lifecycle --------------------------------------------------------------------------------------


def test_start_stop_cycle_states_and_events(engine, api):
    c = api.create_container("busybox:1.36", name="life", labels={"k": "v"})
    assert api.start(c) is None
    info = api.inspect_container(c)
    assert info["State"]["Status"] == "running" and info["State"]["Pid"] > 0
    assert info["State"]["StartedAt"] != "0001-01-01T00:00:00Z"
    assert info["LogPath"].endswith("-json.log")
    api.start(c)  # already running: the daemon's 304, no error
    api.stop(c)
    info = api.inspect_container(c)
    assert info["State"]["Status"] == "exited" and info["State"]["ExitCode"] == 0
    assert info["State"]["FinishedAt"] != "0001-01-01T00:00:00Z"
    api.stop(c)  # not running: 304
    api.remove_container(c)
    assert actions(engine, c["Id"]) == ["create", "start", "kill", "die", "stop", "destroy"]
    attrs = [ev["Actor"]["Attributes"] for ev in engine.events if ev["Actor"]["ID"] == c["Id"]]
    assert attrs[0] == {"k": "v", "from.image": "yes", "shared": "image", "image": "busybox:1.36",
                        "name": "life"}
    assert attrs[2]["signal"] == "15" and attrs[3]["exitCode"] == "0"


def test_start_and_stop_answer_304(engine, api):
    c = api.create_container("busybox:1.36")
    resp = api._post(api._url("/containers/{0}/stop", c["Id"]))
    assert resp.status_code == 304
    api.start(c)
    resp = api._post(api._url("/containers/{0}/start", c["Id"]))
    assert resp.status_code == 304


def test_kill_signals_and_errors(engine, api):
    c = api.create_container("busybox:1.36", name="kk")
    with pytest.raises(docker.errors.APIError) as err:
        api.kill(c)
    assert err.value.status_code == 409
    assert err.value.explanation == (
        f"Cannot kill container: {c['Id']}: Container {c['Id']} is not running")
    api.start(c)
    with pytest.raises(docker.errors.APIError) as err:
        api.kill(c, "NOPE")
    assert err.value.status_code == 400 and err.value.explanation == "Invalid signal: NOPE"
    api.kill(c, "SIGUSR1")  # not terminating for an idle container
    assert api.inspect_container(c)["State"]["Running"] is True
    api.kill(c)
    state = api.inspect_container(c)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    kills = [ev["Actor"]["Attributes"]["signal"] for ev in engine.events if ev["Action"] == "kill"]
    assert kills == ["10", "9"]
    with pytest.raises(docker.errors.NotFound) as err:
        api.kill("ghost")
    assert err.value.explanation == "Cannot kill container: ghost: No such container: ghost"


def test_pause_unpause(engine, api):
    c = api.create_container("busybox:1.36")
    with pytest.raises(docker.errors.APIError) as err:
        api.pause(c)
    assert err.value.status_code == 409 and "is not running" in err.value.explanation
    api.start(c)
    api.pause(c)
    state = api.inspect_container(c)["State"]
    assert state["Status"] == "paused" and state["Paused"] and state["Running"]
    with pytest.raises(docker.errors.APIError) as err:
        api.pause(c)
    assert err.value.explanation == f"Container {c['Id']} is already paused"
    api.unpause(c)
    with pytest.raises(docker.errors.APIError) as err:
        api.unpause(c)
    assert err.value.status_code == 500
    assert err.value.explanation == f"Container {c['Id']} is not paused"
    assert actions(engine, c["Id"])[-2:] == ["pause", "unpause"]


def test_stop_a_paused_container(engine, api):
    c = api.create_container("busybox:1.36")
    api.start(c)
    api.pause(c)
    api.stop(c, timeout=0)
    state = api.inspect_container(c)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    assert actions(engine, c["Id"])[-5:] == ["kill", "kill", "unpause", "die", "stop"]


def test_restart(engine, api):
    c = api.create_container("busybox:1.36")
    api.restart(c)  # not running: just starts
    assert api.inspect_container(c)["State"]["Running"]
    first = api.inspect_container(c)["State"]["Pid"]
    api.restart(c, timeout=1)
    state = api.inspect_container(c)["State"]
    assert state["Running"] and state["Pid"] != first
    assert actions(engine, c["Id"])[-6:] == ["restart", "kill", "die", "stop", "start", "restart"]


def test_remove(engine, api):
    c = api.create_container("busybox:1.36", name="rm-me")
    api.start(c)
    with pytest.raises(docker.errors.APIError) as err:
        api.remove_container(c)
    assert err.value.status_code == 409
    assert err.value.explanation == (
        f"You cannot remove a running container {c['Id']}. Stop the container before "
        "attempting removal or force remove")
    api.remove_container(c, force=True)
    assert actions(engine, c["Id"])[-3:] == ["kill", "die", "destroy"]
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(c)
    # the name is free again
    api.create_container("busybox:1.36", name="rm-me")


def test_rename(engine, api):
    a = api.create_container("busybox:1.36", name="a1")
    api.create_container("busybox:1.36", name="b1")
    with pytest.raises(docker.errors.APIError) as err:
        api.rename(a, "b1")
    assert err.value.status_code == 409
    assert err.value.explanation.startswith('Error when allocating new name: Conflict. The container name "/b1"')
    with pytest.raises(docker.errors.APIError) as err:
        api.rename(a, "bad name!")
    assert err.value.status_code == 400
    assert err.value.explanation == ("Error when allocating new name: Invalid container name "
                                     "(/bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    api.rename(a, "a2")
    assert api.inspect_container("a2")["Id"] == a["Id"]
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container("a1")
    ev = [e for e in engine.events if e["Action"] == "rename"][0]
    assert ev["Actor"]["Attributes"]["oldName"] == "/a1" and ev["Actor"]["Attributes"]["name"] == "a2"


def test_crash_and_oom(engine, api):
    c = api.create_container("busybox:1.36")
    api.start(c)
    engine.crash(c["Id"], 3)
    state = api.inspect_container(c)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 3 and not state["OOMKilled"]
    api.start(c)
    engine.oom_kill(c["Id"])
    state = api.inspect_container(c)["State"]
    assert state["OOMKilled"] and state["ExitCode"] == 137
    assert actions(engine, c["Id"])[-2:] == ["oom", "die"]


# wait ---------------------------------------------------------------------------------------------


def test_wait_returns_at_once_when_not_running(api):
    c = api.create_container("busybox:1.36")
    assert api.wait(c) == {"Error": None, "StatusCode": 0}


def test_wait_blocks_until_exit(engine, api):
    c = api.create_container("busybox:1.36")
    api.start(c)
    result = {}
    t = threading.Thread(target=lambda: result.update(api.wait(c)))
    t.start()
    # the waiter must not hold the engine: other calls go through meanwhile
    assert api.inspect_container(c)["State"]["Running"]
    engine.crash(c["Id"], 42)
    t.join(10)
    assert result == {"Error": None, "StatusCode": 42}


def test_wait_next_exit_and_removed(engine, api):
    c = api.create_container("busybox:1.36")
    api.start(c)
    api.stop(c)
    results = []
    t1 = threading.Thread(target=lambda: results.append(("next", api.wait(c, condition="next-exit"))))
    t2 = threading.Thread(target=lambda: results.append(("removed", api.wait(c, condition="removed"))))
    t1.start()
    t2.start()
    with engine.lock:  # both waiters registered before the state changes
        engine.containers.changed.wait_for(lambda: False, timeout=0)
    api.start(c)
    engine.crash(c["Id"], 5)
    t1.join(10)
    api.remove_container(c)
    t2.join(10)
    assert ("next", {"Error": None, "StatusCode": 5}) in results
    assert ("removed", {"Error": None, "StatusCode": 5}) in results


# listing ------------------------------------------------------------------------------------------


def test_containers_list_and_filters(engine, api):
    a = api.create_container("busybox:1.36", name="web-a", labels={"app": "web", "tier": "front"})
    b = api.create_container("busybox:1.36", name="web-b", labels={"app": "web"})
    c = api.create_container("plain:1", name="db", labels={"app": "db"})
    api.start(a)
    api.start(c)
    engine.crash("db", 2)

    def names(**kw):
        return sorted(x["Names"][0] for x in api.containers(**kw))

    assert names() == ["/web-a"]
    assert names(all=True) == ["/db", "/web-a", "/web-b"]
    assert names(all=True, filters={"name": "web"}) == ["/web-a", "/web-b"]
    assert names(all=True, filters={"name": "^/web-a$"}) == ["/web-a"]
    assert names(all=True, filters={"label": "app=web"}) == ["/web-a", "/web-b"]
    assert names(all=True, filters={"label": ["app=web", "tier"]}) == ["/web-a"]
    assert names(all=True, filters={"label": "app"}) == ["/db", "/web-a", "/web-b"]
    assert names(filters={"status": "exited"}) == ["/db"]
    assert names(filters={"status": "created"}) == ["/web-b"]
    assert names(all=True, filters={"exited": 2}) == ["/db"]
    assert names(all=True, filters={"exited": 0}) == []
    assert names(all=True, filters={"id": b["Id"][:8]}) == ["/web-b"]
    assert names(all=True, filters={"ancestor": "plain:1"}) == ["/db"]
    assert names(all=True, filters={"ancestor": engine.images.get("busybox:1.36").id}) == ["/web-a", "/web-b"]
    assert names(all=True, filters={"network": "bridge"}) == ["/db", "/web-a", "/web-b"]
    assert names(all=True, filters={"before": "db"}) == ["/web-a", "/web-b"]
    assert names(all=True, filters={"since": "web-a"}) == ["/db", "/web-b"]
    assert len(api.containers(all=True, limit=1)) == 1
    assert api.containers(quiet=True) == [{"Id": a["Id"]}]
    with pytest.raises(docker.errors.APIError) as err:
        api.containers(filters={"status": "bogus"})
    assert err.value.status_code == 400 and err.value.explanation == "Invalid filter 'status=bogus'"
    with pytest.raises(docker.errors.APIError) as err:
        api.containers(filters={"bogus": "x"})
    assert err.value.explanation == "Invalid filter 'bogus'"


def test_list_entry_shape(engine, api):
    c = api.create_container("busybox:1.36", command=["sh", "-c", "sleep 300"], name="shape",
                             ports=[8888, (9999, "udp")],
                             host_config=api.create_host_config(port_bindings={8888: None}))
    api.start(c)
    entry = api.containers(filters={"name": "shape"})[0]
    assert entry["Command"] == "sh -c 'sleep 300'"
    assert entry["State"] == "running" and entry["Status"].startswith("Up ")
    assert entry["HostConfig"] == {"NetworkMode": "default"}
    assert entry["Image"] == "busybox:1.36" and entry["ImageID"].startswith("sha256:")
    ports = sorted(entry["Ports"], key=lambda p: (p["PrivatePort"], p.get("IP", "")))
    host_port = ports[0]["PublicPort"]
    assert ports == [
        {"IP": "0.0.0.0", "PrivatePort": 8888, "PublicPort": host_port, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 8888, "PublicPort": host_port, "Type": "tcp"},
        {"PrivatePort": 9999, "Type": "udp"},
    ]
    api.stop(c, timeout=0)  # sh as PID 1 ignores TERM: killed
    entry = api.containers(all=True, filters={"name": "shape"})[0]
    assert entry["Ports"] == [] and re.match(r"Exited \(137\) .* ago", entry["Status"])


# volumes ------------------------------------------------------------------------------------------


def test_binds_mounts_and_anonymous_volumes(engine, api):
    hc = api.create_host_config(
        binds=["named:/data:ro", "/tmp:/hosttmp"],
        mounts=[Mount("/m", "mounted"), Mount("/n", "/srv", type="bind", read_only=True)],
    )
    c = api.create_container("busybox:1.36", host_config=hc, volumes=["/anon"])
    mounts = {m["Destination"]: m for m in api.inspect_container(c)["Mounts"]}
    assert mounts["/data"] == {"Type": "volume", "Name": "named",
                               "Source": "/var/lib/docker/volumes/named/_data",
                               "Destination": "/data", "Driver": "local", "Mode": "ro", "RW": False,
                               "Propagation": ""}
    assert mounts["/hosttmp"] == {"Type": "bind", "Source": "/tmp", "Destination": "/hosttmp",
                                  "Mode": "", "RW": True, "Propagation": "rprivate"}
    assert mounts["/m"]["Name"] == "mounted" and mounts["/m"]["RW"] is True
    assert mounts["/n"]["Type"] == "bind" and mounts["/n"]["RW"] is False
    anon = {mounts["/anon"]["Name"], mounts["/image-vol"]["Name"]}
    assert all(re.fullmatch(r"[0-9a-f]{64}", n) for n in anon)
    volumes = {v["Name"] for v in api.volumes()["Volumes"]}
    assert {"named", "mounted"} | anon <= volumes
    assert api.inspect_container(c)["HostConfig"]["Binds"] == ["named:/data:ro", "/tmp:/hosttmp"]
    api.remove_container(c, v=True)
    volumes = {v["Name"] for v in api.volumes()["Volumes"]}
    assert {"named", "mounted"} <= volumes and not anon & volumes


def test_remove_without_v_keeps_anonymous_volumes(api):
    c = api.create_container("busybox:1.36")
    name = api.inspect_container(c)["Mounts"][0]["Name"]
    api.remove_container(c)
    assert name in {v["Name"] for v in api.volumes()["Volumes"]}


# networks -----------------------------------------------------------------------------------------


def test_network_modes(api):
    c = api.create_container("busybox:1.36", ports=[8888],
                             host_config=api.create_host_config(network_mode="host", publish_all_ports=True))
    api.start(c)
    ns = api.inspect_container(c)["NetworkSettings"]
    assert ns["Ports"] == {} and ns["IPAddress"] == "" and list(ns["Networks"]) == ["host"]
    assert api.port(c, 8888) is None
    d = api.create_container("busybox:1.36", host_config=api.create_host_config(network_mode="none"))
    api.start(d)
    ns = api.inspect_container(d)["NetworkSettings"]
    assert ns["Ports"] == {} and list(ns["Networks"]) == ["none"]


# update / top / stats -----------------------------------------------------------------------------


def test_update_top_stats(engine, api):
    c = api.create_container("busybox:1.36")
    assert api.update_container(c, mem_limit="128m", cpu_quota=20000) == {"Warnings": None}
    host = api.inspect_container(c)["HostConfig"]
    assert host["Memory"] == 128 * 1024 * 1024 and host["CpuQuota"] == 20000
    assert actions(engine, c["Id"])[-1] == "update"
    with pytest.raises(docker.errors.APIError) as err:
        api.top(c)
    assert err.value.status_code == 409
    api.start(c)
    top = api.top(c)
    assert top["Titles"][1] == "PID" and len(top["Processes"]) == 1
    stats = api.stats(c, stream=False)
    assert stats["id"] == c["Id"] and stats["memory_stats"]["limit"] == 128 * 1024 * 1024
    stream = api.stats(c, decode=True)
    first = next(stream)
    assert first["name"] == "/" + api.inspect_container(c)["Name"].lstrip("/")
    stream.close()


def test_prune_containers(api):
    a = api.create_container("busybox:1.36")
    b = api.create_container("busybox:1.36")
    api.start(b)
    result = api.prune_containers()
    assert result["ContainersDeleted"] == [a["Id"]]
    assert [x["Id"] for x in api.containers(all=True)] == [b["Id"]]


# concurrency --------------------------------------------------------------------------------------


def test_a_slow_stop_does_not_block_other_containers(engine, api):
    engine.set_runtime("slow", IdleRuntime(exit_on_sigterm=False))
    slow = api.create_container("busybox:1.36", name="slow")
    fast = api.create_container("busybox:1.36", name="fast")
    api.start(slow)
    done = threading.Event()
    t = threading.Thread(target=lambda: (api.stop(slow, timeout=300), done.set()))
    t.start()
    with engine.lock:
        engine.events_changed.wait_for(
            lambda: any(ev["Action"] == "kill" and ev["Actor"]["ID"] == slow["Id"] for ev in engine.events),
            timeout=10)
    # meanwhile, the whole cycle works on another container
    api.start(fast)
    assert api.inspect_container(fast)["State"]["Running"]
    api.stop(fast)
    api.remove_container(fast)
    assert not done.is_set()
    engine.crash("slow", 143)
    t.join(10)
    assert done.is_set()
    assert api.inspect_container(slow)["State"]["ExitCode"] == 143


def test_stop_timeout_zero_kills_an_unresponsive_container_at_once(engine, api):
    engine.set_runtime("busybox:1.36", IdleRuntime(exit_on_sigterm=False))
    c = api.create_container("busybox:1.36")
    api.start(c)
    api.stop(c, timeout=0)
    assert api.inspect_container(c)["State"]["ExitCode"] == 137
    assert [ev["Actor"]["Attributes"].get("signal") for ev in engine.events
            if ev["Action"] == "kill"] == ["15", "9"]


# high-level client ----------------------------------------------------------------------------------


def test_docker_client_run_get_list(engine):
    client = engine.docker_client()
    ct = client.containers.run("busybox:1.36", "sleep 100", detach=True, name="hl",
                               labels={"x": "y"}, environment={"A": "B"})
    ct.reload()
    assert ct.status == "running" and ct.name == "hl" and ct.labels["x"] == "y"
    assert [c.name for c in client.containers.list()] == ["hl"]
    assert client.containers.get("hl").id == ct.id
    ct.stop(timeout=0)
    ct.reload()
    assert ct.status == "exited"
    assert ct.wait() == {"Error": None, "StatusCode": 137}
    ct.remove()
    assert client.containers.list(all=True) == []


def test_run_with_auto_remove_and_callable_runtime(engine):
    from fakedocker.runtime import CallableRuntime

    def job(ctx):
        ctx.log("hello from " + ctx.name + "\n")
        return 0

    engine.set_runtime("plain", CallableRuntime(job))
    client = engine.docker_client()
    out = client.containers.run("plain:1", name="job1")
    assert out == b"hello from job1\n"


def test_auto_remove_removes_an_exited_container_but_not_a_restarted_one(engine, api):
    rm = api.create_host_config(auto_remove=True)
    exits = api.create_container("busybox:1.36", ["sh", "-c", "exit 3"], volumes=["/scratch"], host_config=rm)
    volume = api.inspect_container(exits)["Mounts"][0]["Name"]
    api.start(exits)
    # still there a moment after its exit (the daemon cleans up first): its logs can be read
    assert api.wait(exits)["StatusCode"] == 3
    assert api.wait(exits, condition="removed")["StatusCode"] == 3
    assert actions(engine, exits["Id"]) == ["create", "start", "die", "destroy"]
    assert api.volumes()["Volumes"] is None or volume not in {v["Name"] for v in api.volumes()["Volumes"]}

    kept = api.create_container("busybox:1.36", ["sh", "-c", "sleep 1000"], host_config=rm)
    api.start(kept)
    api.restart(kept, timeout=0)  # the daemon suspends AutoRemove while it restarts
    assert api.inspect_container(kept)["State"]["Running"] is True
    api.stop(kept, timeout=0)
    api.wait(kept, condition="removed")
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(kept)
    assert actions(engine, kept["Id"])[-3:] == ["die", "stop", "destroy"]


# the default runtime ---------------------------------------------------------------------------


def test_default_runtime_stops_like_a_real_pid_1(engine, api):
    sleeper = api.create_container("busybox:1.36", command=["sh", "-c", "sleep 1000"])
    trapper = api.create_container("busybox:1.36",
                                   command=["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 0.1; done'])
    server = api.create_container("busybox:1.36", command=["httpd", "-f"])
    for c in (sleeper, trapper, server):
        api.start(c)
    api.stop(sleeper, timeout=0)
    assert api.wait(sleeper) == {"Error": None, "StatusCode": 137}
    assert actions(engine, sleeper["Id"])[-4:] == ["kill", "kill", "die", "stop"]
    api.stop(trapper, timeout=300)  # exits at once: no wait
    assert api.wait(trapper) == {"Error": None, "StatusCode": 0}
    assert actions(engine, trapper["Id"])[-3:] == ["kill", "die", "stop"]
    api.stop(server, timeout=300)
    assert api.wait(server)["StatusCode"] == 0


def test_default_runtime_runs_trivial_scripts(engine, api):
    c = api.create_container("busybox:1.36", command=["sh", "-c", "echo hello; echo err >&2; exit 3"])
    api.start(c)
    assert api.wait(c) == {"Error": None, "StatusCode": 3}
    assert api.logs(c, stderr=False) == b"hello\n" and api.logs(c, stdout=False) == b"err\n"
    assert actions(engine, c["Id"]) == ["create", "start", "die"]
    client = engine.docker_client()
    assert client.containers.run("busybox:1.36", "echo hi there", remove=True) == b"hi there\n"
    with pytest.raises(docker.errors.ContainerError):
        client.containers.run("busybox:1.36", ["sh", "-c", "false"])


def test_a_short_lived_program_the_fake_cannot_run_is_said_at_once(engine, api, caplog):
    """`id -g` would print and exit at once; the fake does not know what, so waiting on it,
    attaching to it or reading its logs answers 501 naming it and how to give it a behaviour
    (logged once), instead of a wait that never ends."""
    c = api.create_container("busybox:1.36", ["id", "-g"], name="ids")
    api.start(c)
    for call, args in ((api.wait, ()), (api.logs, ()), (api.attach, ())):
        with pytest.raises(docker.errors.APIError) as caught:
            call(c, *args)
        assert caught.value.status_code == 501
        assert caught.value.explanation.startswith("fakedocker cannot run `id -g` (container ids)")
        assert "engine.set_runtime" in caught.value.explanation
    assert sum("cannot run `id -g`" in r.getMessage() for r in caught_records(caplog)) == 1
    # stopped, it has an answer again (the stop's), as has everything the fake runs
    api.stop(c, timeout=0)
    assert api.wait(c)["StatusCode"] == 0
    readers = api.create_container("busybox:1.36", ["cat"], stdin_open=True)
    server = api.create_container("busybox:1.36", ["httpd", "-f"])
    for running in (readers, server):
        api.start(running)
        assert api.logs(running) == b""
    engine.set_runtime("busybox:1.36", fakedocker.runtime.CallableRuntime(lambda ctx: ctx.log("1000\n") or 0))
    given = api.create_container("busybox:1.36", ["id", "-g"])
    api.start(given)
    assert api.wait(given)["StatusCode"] == 0 and api.logs(given) == b"1000\n"


def caught_records(caplog):
    return [r for r in caplog.records if r.name == "fakedocker"]
