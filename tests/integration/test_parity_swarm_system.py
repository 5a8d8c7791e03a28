"""Swarm services and system calls (ping, version, events), fake vs real."""

import random
import time

from conftest import BUSYBOX
from docker.types import (
    ContainerSpec,
    EndpointSpec,
    Placement,
    Resources,
    RestartPolicy,
    TaskTemplate,
)
from normalize import drop_ipv6_bindings, error_of, normalize, sort_unordered, subset

TERMINAL_FAILURES = {"rejected", "failed"}


def unique(items):
    return sort_unordered([dict(t) for t in {tuple(sorted(i.items())) for i in items}])


def test_swarm_is_active(api):
    swarm = api.info()["Swarm"]
    assert swarm["LocalNodeState"] == "active"
    assert swarm["ControlAvailable"] is True
    nodes = api.nodes()
    assert len(nodes) >= 1
    assert normalize(subset(nodes[0]["Spec"], ["Role", "Availability"])) == {
        "Role": "manager", "Availability": "active",
    }
    assert nodes[0]["Status"]["State"] == "ready"


def test_service_reaches_running(api, names, poll, daemon):
    name = names("svc")
    port = random.randint(20000, 30000)
    template = TaskTemplate(
        ContainerSpec(BUSYBOX, ["sleep", "1000"], env={"A": "1"}, labels={"cl": "cv"}),
        resources=Resources(cpu_limit=500_000_000, mem_limit=64 * 1024 * 1024,
                            cpu_reservation=100_000_000, mem_reservation=16 * 1024 * 1024),
        placement=Placement(constraints=["node.role == manager"]),
    )
    endpoint = EndpointSpec(mode="vip", ports={port: (8888, "tcp", "host")})
    created = api.create_service(template, name=name, labels={"sl": "sv", **names.label},
                                 endpoint_spec=endpoint)
    assert normalize(created) == {"ID": "<swarm-id>", **({"Warnings": None} if daemon.at_least(26) else {})}
    info = api.inspect_service(created["ID"])
    assert api.inspect_service(name)["ID"] == created["ID"]
    published = {"Protocol": "tcp", "TargetPort": 8888, "PublishedPort": port,
                 "PublishMode": "host"}
    spec = names.norm(info["Spec"])
    assert spec == {
        "Name": "fdtest-X-svc",
        "Labels": {"sl": "sv", "fdtest": "fdtest-X"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": BUSYBOX, "Labels": {"cl": "cv"},
                              "Command": ["sleep", "1000"], "Env": ["A=1"],
                              "Isolation": "default"},
            "Resources": {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 67108864},
                          "Reservations": {"NanoCPUs": 100_000_000, "MemoryBytes": 16777216}},
            "Placement": {"Constraints": ["node.role == manager"]},
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip", "Ports": [published]},
    }
    # The allocator fills Endpoint asynchronously: right after create it can be {"Spec": {}}.
    info = poll(lambda: api.inspect_service(created["ID"]),
                lambda svc: svc["Endpoint"].get("Ports"))
    assert info["Endpoint"] == {"Spec": {"Mode": "vip", "Ports": [published]},
                                "Ports": [published]}
    assert normalize(subset(info, ["ID", "Version", "CreatedAt", "UpdatedAt"]))["CreatedAt"] == (
        "<time>")

    tasks = poll(lambda: api.tasks(filters={"service": created["ID"]}),
                 lambda ts: ts and ts[0]["Status"]["State"] == "running")
    assert len(tasks) == 1
    task = tasks[0]
    assert task["ServiceID"] == created["ID"]
    assert normalize(subset(task, ["ServiceID", "Slot", "NodeID", "DesiredState", "Labels"])) == {
        "ServiceID": "<swarm-id>", "Slot": 1, "NodeID": "<swarm-id>",
        "DesiredState": "running", "Labels": {},
    }
    status = normalize(task["Status"])
    assert subset(status, ["State", "Message", "ContainerStatus", "Timestamp"]) == {
        "State": "running", "Message": "started", "Timestamp": "<time>",
        "ContainerStatus": {"ContainerID": "<id>", "PID": "<pid>", "ExitCode": 0},
    }
    # A host-mode port shows in the task's PortStatus (twice on IPv6-enabled hosts).
    assert unique(task["Status"]["PortStatus"]["Ports"]) == [published]
    assert task["Spec"]["ContainerSpec"]["Command"] == ["sleep", "1000"]

    assert error_of(api.create_service, template, name=name) == (
        "APIError", 409,
        "rpc error: code = AlreadyExists desc = name conflicts with an existing object: "
        f"service {name} already exists",
    )
    assert api.remove_service(created["ID"]) is True
    assert error_of(api.inspect_service, created["ID"]) == (
        "NotFound", 404, f"service {created['ID']} not found",
    )
    assert error_of(api.remove_service, name) == ("NotFound", 404, f"service {name} not found")


def test_service_with_missing_image(api, names, poll):
    image = f"fakedocker-test/{names.prefix}-missing:1"
    template = TaskTemplate(ContainerSpec(image, ["sleep", "1000"]),
                            restart_policy=RestartPolicy(condition="none"))
    created = api.create_service(template, name=names("svc"), labels=names.label)
    # the task reads rejected a moment before the manager sets its desired state to shutdown
    # (seen on Docker 26 under load): wait for both
    tasks = poll(lambda: api.tasks(filters={"service": created["ID"]}),
                 lambda ts: ts and ts[0]["Status"]["State"] in TERMINAL_FAILURES
                 and ts[0]["DesiredState"] == "shutdown")
    task = tasks[0]
    assert normalize(subset(task["Status"], ["State", "Message", "Err", "ContainerStatus"])) == {
        "State": "rejected", "Message": "preparing", "Err": f"No such image: {image}",
        "ContainerStatus": {"ContainerID": "", "PID": 0, "ExitCode": 0},
    }
    assert api.remove_service(created["ID"]) is True


def test_a_constraint_the_node_fails_keeps_the_task_pending(api, names, poll):
    template = TaskTemplate(ContainerSpec(BUSYBOX, ["sleep", "1000"]),
                            restart_policy=RestartPolicy(condition="none"),
                            placement=Placement(constraints=[f"node.labels.{names.prefix} == yes"]))
    created = api.create_service(template, name=names("svc"), labels=names.label)
    [task] = poll(lambda: api.tasks(filters={"service": created["ID"]}),
                  lambda ts: ts and ts[0]["Status"].get("Err"))
    assert (task["DesiredState"], task["Status"]["State"]) == ("running", "pending")
    assert task["Status"]["Err"] == "no suitable node (scheduling constraints not satisfied on 1 node)"
    assert "NodeID" not in task
    assert api.remove_service(created["ID"]) is True


def test_a_constraint_without_an_operator_is_refused(api, names):
    template = TaskTemplate(ContainerSpec(BUSYBOX, ["sleep", "1000"]),
                            placement=Placement(constraints=["node.role"]))
    assert error_of(api.create_service, template, name=names("svc"), labels=names.label) == (
        "APIError", 500, "rpc error: code = Unknown desc = constraint expected one operator from ==, !=")


def test_service_names_the_daemon_refuses(api, names):
    """A name that is no DNS label is refused first, then one of more than 63 characters."""
    template = TaskTemplate(ContainerSpec(BUSYBOX, ["sleep", "1000"]))
    stem = names("n")
    too_long = stem + "x" * (64 - len(stem))
    assert error_of(api.create_service, template, name=too_long, labels=names.label) == (
        "APIError", 400, "rpc error: code = InvalidArgument desc = name must be 63 characters or fewer")
    for bad in (stem + ".x", too_long + "x" * 6 + ".x"):
        assert error_of(api.create_service, template, name=bad, labels=names.label) == (
            "APIError", 400, "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component")
    exactly = stem + "y" * (63 - len(stem))
    assert error_of(api.create_service, template, name=exactly, labels=names.label) is None


def test_task_runs_a_container(api, names, poll, daemon):
    """A running task is a container on the node: its name, labels and config come from the
    task; killing it fails the task; removing the service removes it."""
    name = names("svc")
    net = names("net")
    net_id = api.create_network(net, driver="overlay", attachable=True, labels=names.label)["Id"]
    port = random.randint(20000, 30000)
    template = TaskTemplate(
        ContainerSpec(BUSYBOX, ["sleep", "1000"], env={"A": "1"}, labels={"cl": "cv"},
                      user="nobody", workdir="/tmp"),
        restart_policy=RestartPolicy(condition="none"), networks=[net],
    )
    endpoint = EndpointSpec(ports={port: (8888, "tcp", "host")})
    service_id = api.create_service(template, name=name, labels=names.label,
                                    endpoint_spec=endpoint)["ID"]
    [task] = poll(lambda: api.tasks(filters={"service": service_id}),
                  lambda ts: ts and ts[0]["Status"]["State"] == "running")
    cid = task["Status"]["ContainerStatus"]["ContainerID"]
    container = api.inspect_container(cid)
    assert container["Name"] == f"/{name}.1.{task['ID']}"
    assert task["Status"]["ContainerStatus"]["PID"] == container["State"]["Pid"]
    assert container["Config"]["Labels"] == {
        "cl": "cv",
        "com.docker.swarm.node.id": task["NodeID"],
        "com.docker.swarm.service.id": service_id,
        "com.docker.swarm.service.name": name,
        "com.docker.swarm.task": "",
        "com.docker.swarm.task.id": task["ID"],
        "com.docker.swarm.task.name": f"{name}.1.{task['ID']}",
    }
    config = container["Config"]
    assert subset(config, ["Env", "Entrypoint", "Cmd", "User", "WorkingDir", "ExposedPorts",
                           "Image"]) == {
        "Env": ["A=1"], "Entrypoint": ["sleep", "1000"], "Cmd": None, "User": "nobody",
        "WorkingDir": "/tmp", "ExposedPorts": {"8888/tcp": {}}, "Image": BUSYBOX,
    }
    assert (container["Path"], container["Args"]) == ("sleep", ["1000"])
    assert config["Hostname"] == cid[:12]
    assert subset(container["HostConfig"], ["NetworkMode", "PortBindings", "Isolation",
                                            "Ulimits"]) == {
        "NetworkMode": daemon.says("default", "bridge"),
        "PortBindings": {"8888/tcp": [{"HostIp": "", "HostPort": str(port)}]},
        "Isolation": "default", "Ulimits": [],
    }
    published = unique(task["Status"]["PortStatus"]["Ports"])
    assert published == [{"Protocol": "tcp", "TargetPort": 8888, "PublishedPort": port,
                          "PublishMode": "host"}]
    bound = container["NetworkSettings"]["Ports"]["8888/tcp"]
    assert drop_ipv6_bindings(bound) == [{"HostIp": "0.0.0.0", "HostPort": str(port)}]
    # on the overlay network only, with the task's address and no gateway
    [attachment] = task["NetworksAttachments"]
    address = attachment["Addresses"][0]
    assert list(container["NetworkSettings"]["Networks"]) == [net]
    endpoint_settings = container["NetworkSettings"]["Networks"][net]
    assert subset(endpoint_settings, ["IPAMConfig", "Aliases", "NetworkID", "Gateway",
                                      "IPAddress", "IPPrefixLen"]) == {
        # 20.10's executor gives the task its short id as an alias; 26's no alias
        "IPAMConfig": {"IPv4Address": address.split("/")[0]}, "Aliases": None if daemon.at_least(26) else [cid[:12]],
        "NetworkID": net_id, "Gateway": "", "IPAddress": address.split("/")[0],
        "IPPrefixLen": 24,
    }
    assert container["NetworkSettings"]["IPAddress"] == ""
    [listed] = api.containers(filters={"label": f"com.docker.swarm.service.id={service_id}"})
    assert names.norm(subset(listed, ["Id", "Names", "Command", "State", "HostConfig"])) == {
        "Id": "<id>", "Names": [f"/fdtest-X-svc.1.{task['ID']}"], "Command": "sleep 1000",
        "State": "running", "HostConfig": {"NetworkMode": daemon.says("default", "bridge")},
    }

    api.kill(cid)
    # the orchestrator sets DesiredState shutdown a moment after the agent reported the end (a
    # first look may show the task failed with desired running): wait for both
    [task] = poll(lambda: api.tasks(filters={"service": service_id}),
                  lambda ts: ts and ts[0]["Status"]["State"] != "running" and ts[0]["DesiredState"] == "shutdown")
    assert subset(task["Status"], ["State", "Message", "Err", "ContainerStatus", "PortStatus"]) == {
        "State": "failed", "Message": "started", "Err": "task: non-zero exit (137)",
        "ContainerStatus": {"ContainerID": cid, "PID": 0, "ExitCode": 137}, "PortStatus": {},
    }
    state = api.inspect_container(cid)["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 137)

    assert api.remove_service(service_id) is True
    poll(lambda: api.containers(all=True, filters={"label": f"com.docker.swarm.service.id={service_id}"}),
         lambda cs: cs == [])
    assert error_of(api.inspect_container, cid) == ("NotFound", 404, "No such container: <id>")
    # the network can go once the swarm has dropped the task (a moment later on the daemon)
    poll(lambda: error_of(api.remove_network, net_id), lambda err: err is None or err[1] == 404)


def test_ping_and_version(api, daemon):
    assert api.ping() is True
    version = api.version()
    assert (version["ApiVersion"], version["MinAPIVersion"]) == (
        ("1.45", "1.24") if daemon.at_least(26) else ("1.41", "1.12"))
    assert version["Os"] == "linux" and version["Arch"] == "amd64"


def test_container_events(api, names, daemon):
    since = int(time.time()) - 1
    name = names("ev")
    container = api.create_container(BUSYBOX, command=["sh", "-c", "sleep 1000"], name=name,
                                     labels=names.label)
    api.start(container)
    api.stop(container, timeout=1)
    api.remove_container(container)
    until = int(time.time()) + 1
    events = list(api.events(since=since, until=until, decode=True,
                             filters={"type": "container", "label": f"fdtest={names.prefix}"}))
    # 26 reports the stop before the exit's die
    stopped = ["stop", "die"] if daemon.at_least(26) else ["die", "stop"]
    assert [e["Action"] for e in events] == ["create", "start", "kill", "kill", *stopped, "destroy"]
    if daemon.at_least(26):  # 26 tells how long the process ran, in whole seconds
        for event in events:
            if event["Action"] == "die":
                assert event["Actor"]["Attributes"].pop("execDuration").isdigit()
    attributes = {"fdtest": "fdtest-X", "image": BUSYBOX, "name": "fdtest-X-ev"}
    extra = [{}, {}, {"signal": "15"}, {"signal": "9"},
             *({"stop": {}, "die": {"exitCode": "137"}}[action] for action in stopped), {}]
    assert names.norm(events) == [
        {
            "status": action, "id": "<id>", "from": BUSYBOX, "Type": "container",
            "Action": action,
            "Actor": {"ID": "<id>", "Attributes": {**attributes, **more}},
            "scope": "local", "time": "<unix-time>", "timeNano": "<unix-time>",
        }
        for action, more in zip([e["Action"] for e in events], extra, strict=True)
    ]
    assert {e["id"] for e in events} == {container["Id"]}
