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
from normalize import error_of, normalize, sort_unordered, subset

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


def test_service_reaches_running(api, names, poll):
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
    assert normalize(created) == {"ID": "<swarm-id>"}
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
    tasks = poll(lambda: api.tasks(filters={"service": created["ID"]}),
                 lambda ts: ts and ts[0]["Status"]["State"] in TERMINAL_FAILURES)
    task = tasks[0]
    assert task["DesiredState"] == "shutdown"
    assert normalize(subset(task["Status"], ["State", "Message", "Err", "ContainerStatus"])) == {
        "State": "rejected", "Message": "preparing", "Err": f"No such image: {image}",
        "ContainerStatus": {"ContainerID": "", "PID": 0, "ExitCode": 0},
    }
    assert api.remove_service(created["ID"]) is True


def test_ping_and_version(api):
    assert api.ping() is True
    version = api.version()
    assert version["ApiVersion"] == "1.41"
    assert version["MinAPIVersion"] == "1.12"
    assert version["Os"] == "linux" and version["Arch"] == "amd64"


def test_container_events(api, names):
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
    assert [e["Action"] for e in events] == [
        "create", "start", "kill", "kill", "die", "stop", "destroy",
    ]
    attributes = {"fdtest": "fdtest-X", "image": BUSYBOX, "name": "fdtest-X-ev"}
    extra = [{}, {}, {"signal": "15"}, {"signal": "9"}, {"exitCode": "137"}, {}, {}]
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
