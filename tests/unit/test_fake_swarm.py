"""Swarm mode on the fake: the swarm, the local node, services and tasks, through docker-py."""

from __future__ import annotations

import functools
import re

import docker
import pytest
from docker import types
from fake_fixtures import fake_engine_fixtures, new_engine

from fakedocker.state.swarm import UNBOUNDED_ATTEMPTS

IMAGE = "fakedocker-test/busybox:1.36"
SWARM_ID = re.compile(r"^[0-9a-z]{25}$")
NOT_MANAGER = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
    "to connect this node to swarm and try again."
)
STATES = ["new", "pending", "assigned", "accepted", "preparing", "starting", "running"]
MESSAGES = ["created", "pending task scheduling", "scheduler assigned task to node",
            "accepted", "preparing", "starting", "started"]


class FakeClock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


#: exits 0 on SIGTERM, so a stop ends it at once (``sleep`` as PID 1 ignores SIGTERM)
TRAP = ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 0.1; done']

IMAGES = {IMAGE: {"Cmd": ["sh"]}}
_engine = functools.partial(new_engine, IMAGES)
engine, api, client = fake_engine_fixtures(IMAGES)


@pytest.fixture
def swarm(engine, api):
    api.init_swarm(advertise_addr="127.0.0.1")
    return api


def _tt(image=IMAGE, **kwargs):
    restart = kwargs.pop("restart_policy", None)
    return types.TaskTemplate(
        container_spec=types.ContainerSpec(image, command=["sleep", "300"], **kwargs),
        restart_policy=restart,
    )


def _tasks(api, service):
    return sorted(api.tasks(filters={"service": service}), key=lambda t: (t.get("Slot") or 0, t["Version"]["Index"]))


def _error(fn, *args, **kwargs):
    with pytest.raises(docker.errors.APIError) as info:
        fn(*args, **kwargs)
    return info.value.response.status_code, info.value.explanation


# the swarm ---------------------------------------------------------------------------------


def test_inactive_swarm(api):
    assert api.info()["Swarm"] == {
        "NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": False,
        "Error": "", "RemoteManagers": None,
    }
    assert _error(api.inspect_swarm) == (503, NOT_MANAGER)
    assert _error(api.services) == (503, NOT_MANAGER)
    assert _error(api.tasks) == (503, NOT_MANAGER)
    assert _error(api.nodes) == (503, NOT_MANAGER)
    assert _error(api.create_service, _tt(), name="web") == (503, NOT_MANAGER)
    assert _error(api.inspect_node, "x") == (503, NOT_MANAGER)
    status, message = _error(api.leave_swarm)
    assert (status, message) == (503, "This node is not part of a swarm")
    assert api.leave_swarm(force=True) is True  # docker-py swallows the 503 when forced


def test_init_swarm_and_info(engine, api):
    node_id = api.init_swarm(advertise_addr="127.0.0.1")
    assert SWARM_ID.match(node_id)
    info = api.info()["Swarm"]
    assert info["LocalNodeState"] == "active"
    assert info["NodeID"] == node_id
    assert info["NodeAddr"] == "127.0.0.1"
    assert info["ControlAvailable"] is True
    assert info["RemoteManagers"] == [{"NodeID": node_id, "Addr": "127.0.0.1:2377"}]
    assert info["Nodes"] == 1 and info["Managers"] == 1
    cluster = info["Cluster"]
    assert SWARM_ID.match(cluster["ID"])
    assert cluster["Spec"]["Name"] == "default"
    assert cluster["Spec"]["Orchestration"] == {"TaskHistoryRetentionLimit": 5}
    assert cluster["DataPathPort"] == 4789 and cluster["SubnetSize"] == 24
    assert cluster["DefaultAddrPool"] == ["10.0.0.0/8"]  # docker-py sends no pool: swarmkit's

    inspected = api.inspect_swarm()
    assert inspected["ID"] == cluster["ID"]
    assert inspected["JoinTokens"]["Worker"].startswith("SWMTKN-1-")
    assert inspected["JoinTokens"]["Manager"] != inspected["JoinTokens"]["Worker"]
    assert set(inspected) >= {"ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "TLSInfo",
                              "RootRotationInProgress", "JoinTokens"}


def test_init_twice_and_join_are_refused(swarm):
    already = (
        'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm '
        "and join another one."
    )
    assert _error(swarm.init_swarm, advertise_addr="127.0.0.1") == (503, already)
    assert _error(swarm.join_swarm, ["10.0.0.9:2377"], "SWMTKN-1-x") == (503, already)


def test_join_fails_when_inactive(api):
    status, message = _error(api.join_swarm, ["127.0.0.1:2377"], "SWMTKN-1-x")
    assert status == 503 and message.startswith("Timeout was reached before node joined")
    assert api.info()["Swarm"]["LocalNodeState"] == "inactive"
    assert _error(api.join_swarm, [], "SWMTKN-1-x")[0] == 400


def test_init_with_spec_and_address_pool(engine):
    client = engine.docker_client()
    node_id = client.swarm.init(advertise_addr="127.0.0.1:4567", snapshot_interval=5000,
                                task_history_retention_limit=3, default_addr_pool=["10.20.0.0/16"],
                                subnet_size=26, name="default")
    assert SWARM_ID.match(node_id)
    assert client.swarm.attrs["Spec"]["Raft"]["SnapshotInterval"] == 5000
    assert client.swarm.attrs["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"] == 3
    assert client.swarm.attrs["DefaultAddrPool"] == ["10.20.0.0/16"]
    assert client.swarm.attrs["SubnetSize"] == 26
    assert client.info()["Swarm"]["RemoteManagers"][0]["Addr"] == "127.0.0.1:4567"


def test_update_swarm_checks_version_and_rotates_tokens(swarm):
    before = swarm.inspect_swarm()
    version = before["Version"]["Index"]
    status, message = _error(swarm.update_swarm, version - 1, swarm_spec=before["Spec"])
    assert (status, message) == (500, "rpc error: code = Unknown desc = update out of sequence")
    spec = dict(before["Spec"], Labels={"team": "a"})
    assert swarm.update_swarm(version, swarm_spec=spec, rotate_worker_token=True) is True
    after = swarm.inspect_swarm()
    assert after["Version"]["Index"] > version
    assert after["Spec"]["Labels"] == {"team": "a"}
    assert after["JoinTokens"]["Worker"] != before["JoinTokens"]["Worker"]
    assert after["JoinTokens"]["Manager"] == before["JoinTokens"]["Manager"]
    assert _error(swarm.update_swarm, version, swarm_spec=spec)[0] == 500  # now stale


def test_leave_needs_force_for_a_manager(swarm):
    swarm.create_service(_tt(), name="web")
    status, message = _error(swarm.leave_swarm)
    assert status == 503
    assert message == (
        "You are attempting to leave the swarm on a node that is participating as a manager. "
        "Removing the last manager erases all current state of the swarm. Use `--force` to "
        "ignore this message. "
    )
    assert swarm.leave_swarm(force=True) is True
    assert swarm.info()["Swarm"]["LocalNodeState"] == "inactive"
    assert _error(swarm.services)[0] == 503
    swarm.init_swarm(advertise_addr="127.0.0.1")
    assert swarm.services() == []
    assert swarm.tasks() == []


def test_high_level_swarm_model(engine):
    client = engine.docker_client()
    assert client.swarm.attrs == {}  # the model swallows the 503 of an inactive node
    client.swarm.init(advertise_addr="127.0.0.1")
    assert client.swarm.id == client.swarm.attrs["ID"]
    assert client.swarm.version == client.swarm.attrs["Version"]["Index"]
    client.swarm.update(snapshot_interval=2000)
    client.swarm.reload()
    assert client.swarm.attrs["Spec"]["Raft"]["SnapshotInterval"] == 2000
    assert client.swarm.leave(force=True) is True


# nodes -------------------------------------------------------------------------------------


def test_nodes_list_inspect_and_filters(engine, swarm):
    node_id = swarm.info()["Swarm"]["NodeID"]
    nodes = swarm.nodes()
    assert len(nodes) == 1
    node = nodes[0]
    assert node["ID"] == node_id
    assert node["Spec"] == {"Labels": {}, "Role": "manager", "Availability": "active"}
    assert node["Status"] == {"State": "ready", "Addr": "127.0.0.1"}
    assert node["ManagerStatus"] == {"Leader": True, "Reachability": "reachable", "Addr": "127.0.0.1:2377"}
    desc = node["Description"]
    assert desc["Resources"]["NanoCPUs"] > 0 and desc["Resources"]["MemoryBytes"] > 0
    assert desc["Engine"]["EngineVersion"] == engine.engine_version
    hostname = desc["Hostname"]

    assert swarm.inspect_node(node_id) == node
    assert swarm.inspect_node(node_id[:6])["ID"] == node_id
    assert swarm.inspect_node(hostname)["ID"] == node_id
    assert _error(swarm.inspect_node, "nopenode") == (404, "node nopenode not found")

    assert [n["ID"] for n in swarm.nodes(filters={"role": "manager"})] == [node_id]
    assert swarm.nodes(filters={"role": "worker"}) == []
    assert [n["ID"] for n in swarm.nodes(filters={"name": hostname[:2]})] == [node_id]
    assert [n["ID"] for n in swarm.nodes(filters={"id": node_id[:4]})] == [node_id]
    assert swarm.nodes(filters={"membership": "pending"}) == []
    assert _error(swarm.nodes, filters={"bogus": "x"}) == (400, "Invalid filter 'bogus'")

    client = engine.docker_client()
    assert [n.id for n in client.nodes.list()] == [node_id]
    assert client.nodes.get(node_id).attrs["Spec"]["Role"] == "manager"


def test_update_node(engine, swarm):
    node = swarm.nodes()[0]
    version = node["Version"]["Index"]
    spec = {"Availability": "drain", "Role": "manager", "Labels": {"zone": "a"}}
    assert _error(swarm.update_node, node["ID"], version + 5, spec) == (
        500, "rpc error: code = Unknown desc = update out of sequence")
    assert swarm.update_node(node["ID"], version, spec) is True
    after = swarm.inspect_node(node["ID"])
    assert after["Spec"] == {"Labels": {"zone": "a"}, "Role": "manager", "Availability": "drain"}
    assert after["Version"]["Index"] > version
    assert [n["ID"] for n in swarm.nodes(filters={"node.label": "zone=a"})] == [node["ID"]]
    status, message = _error(swarm.update_node, node["ID"], after["Version"]["Index"],
                             {"Role": "worker", "Availability": "active"})
    assert status == 500 and "attempting to demote the last manager of the swarm" in message
    events = [e for e in engine.events if e["Type"] == "node"]
    assert events[-1]["Action"] == "update" and events[-1]["scope"] == "swarm"
    assert events[-1]["Actor"]["Attributes"]["availability.new"] == "drain"
    status, message = _error(swarm.remove_node, node["ID"])
    assert status == 500 and "must be demoted to worker before removal" in message


# services ----------------------------------------------------------------------------------


def test_create_service_echoes_the_spec(swarm):
    tt = types.TaskTemplate(
        container_spec=types.ContainerSpec(
            IMAGE, command=["sh", "-c"], args=["sleep 300"], env={"A": "1"},
            mounts=[types.Mount("/data", "vol1"), types.Mount("/tmp/x", None, type="tmpfs")],
            user="root", workdir="/tmp", hostname="h1", labels={"cl": "v"},
        ),
        resources=types.Resources(cpu_limit=500000000, mem_limit=64 * 1024 * 1024,
                                  cpu_reservation=100000000, mem_reservation=16 * 1024 * 1024),
        restart_policy=types.RestartPolicy(condition="on-failure", delay=1000000000, max_attempts=3),
        placement=types.Placement(constraints=["node.role==manager"],
                                  preferences=[("spread", "node.labels.zone")]),
    )
    created = swarm.create_service(tt, name="web", labels={"l": "v"},
                                   mode=types.ServiceMode("replicated", replicas=2))
    assert SWARM_ID.match(created["ID"])
    service = swarm.inspect_service("web")
    assert service["ID"] == created["ID"]
    spec = service["Spec"]
    assert spec["Name"] == "web" and spec["Labels"] == {"l": "v"}
    assert spec["Mode"] == {"Replicated": {"Replicas": 2}}
    template = spec["TaskTemplate"]
    assert template["ContainerSpec"] == {
        "Image": IMAGE,
        "Labels": {"cl": "v"},
        "Command": ["sh", "-c"],
        "Args": ["sleep 300"],
        "Hostname": "h1",
        "Env": ["A=1"],
        "Dir": "/tmp",
        "User": "root",
        "Mounts": [
            {"Type": "volume", "Source": "vol1", "Target": "/data"},
            {"Type": "tmpfs", "Target": "/tmp/x"},
        ],
        "Isolation": "default",
    }
    assert template["Resources"] == {
        "Limits": {"NanoCPUs": 500000000, "MemoryBytes": 67108864},
        "Reservations": {"NanoCPUs": 100000000, "MemoryBytes": 16777216},
    }
    assert template["RestartPolicy"] == {"Condition": "on-failure", "Delay": 1000000000,
                                         "MaxAttempts": 3, "Window": 0}
    assert template["Placement"] == {
        "Constraints": ["node.role==manager"],
        "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
    }
    assert template["ForceUpdate"] == 0 and template["Runtime"] == "container"
    assert service["Endpoint"] == {"Spec": {}}
    assert "EndpointSpec" not in spec
    assert service["CreatedAt"] <= service["UpdatedAt"]
    # tasks carry the template without Runtime
    task = _tasks(swarm, "web")[0]
    assert task["Spec"]["ContainerSpec"] == template["ContainerSpec"]
    assert "Runtime" not in task["Spec"]


def test_create_service_defaults_and_generated_name(swarm):
    swarm.create_service(_tt())
    [service] = swarm.services()
    assert re.match(r"^[a-z]+_[a-z]+$", service["Spec"]["Name"])
    assert service["Spec"]["Labels"] == {}
    assert service["Spec"]["Mode"] == {"Replicated": {"Replicas": 1}}


def test_create_service_errors(swarm):
    swarm.create_service(_tt(), name="web", endpoint_spec=types.EndpointSpec(ports={18095: 80}))
    status, message = _error(swarm.create_service, _tt(), name="web")
    assert (status, message) == (
        409, "rpc error: code = AlreadyExists desc = name conflicts with an existing object: "
             "service web already exists")
    assert _error(swarm.create_service, _tt(), name="bad name") == (
        400, "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component")
    assert _error(swarm.create_service, _tt(), name="n" * 64) == (
        400, "rpc error: code = InvalidArgument desc = name must be 63 characters or fewer")
    # the DNS check comes first, and answers at once on a long name (it once backtracked for ever)
    assert _error(swarm.create_service, _tt(), name="n" * 70 + ".x") == (
        400, "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component")
    web_id = swarm.inspect_service("web")["ID"]
    conflict = (400, "rpc error: code = InvalidArgument desc = port '18095' is already in use by "
                     f"service 'web' ({web_id}) as an ingress port")
    assert _error(swarm.create_service, _tt(), name="other",
                  endpoint_spec=types.EndpointSpec(ports={18095: 81})) == conflict
    assert _error(swarm.create_service, _tt(), name="other",
                  endpoint_spec=types.EndpointSpec(ports={18095: (81, "tcp", "host")})) == conflict
    assert _error(swarm.create_service, _tt(), name="other", networks=["nonet"]) == (
        500, "network nonet not found")
    with pytest.raises(docker.errors.DockerException):
        swarm.create_service({"ContainerSpec": {}}, name="x")  # docker-py checks Image itself


def test_inspect_and_remove_missing_service(swarm):
    assert _error(swarm.inspect_service, "nope") == (404, "service nope not found")
    assert _error(swarm.remove_service, "nope") == (404, "service nope not found")
    assert _error(swarm.update_service, "nope", 1, task_template=_tt(), name="nope") == (
        404, "service nope not found")
    assert _error(swarm.inspect_task, "nopetask") == (404, "task nopetask not found")


def test_service_lookup_by_id_prefix_and_insert_defaults(swarm):
    sid = swarm.create_service(_tt(), name="web")["ID"]
    assert swarm.inspect_service(sid[:5])["ID"] == sid
    spec = swarm.inspect_service(sid, insert_defaults=True)["Spec"]
    assert spec["TaskTemplate"]["RestartPolicy"] == {"Condition": "any", "Delay": 5000000000,
                                                     "MaxAttempts": 0}
    assert spec["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] == 10000000000
    assert spec["UpdateConfig"]["Order"] == "stop-first"
    assert spec["RollbackConfig"]["FailureAction"] == "pause"
    assert "UpdateConfig" not in swarm.inspect_service(sid)["Spec"]


def test_services_filters_and_status(swarm):
    a = swarm.create_service(_tt(), name="web-a", labels={"tier": "front"},
                             mode=types.ServiceMode("replicated", replicas=2))["ID"]
    b = swarm.create_service(_tt(), name="web-b", mode=types.ServiceMode("global"))["ID"]
    c = swarm.create_service(_tt(), name="db", mode={"replicated": {"Replicas": 0}})["ID"]

    def names(**filters):
        return sorted(s["Spec"]["Name"] for s in swarm.services(filters=filters))

    assert names() == ["db", "web-a", "web-b"]
    assert names(name="web") == ["web-a", "web-b"]
    assert names(id=a[:6]) == ["web-a"]
    assert names(label="tier") == ["web-a"]
    assert names(label="tier=front") == ["web-a"]
    assert names(label="tier=back") == []
    assert names(mode="global") == ["web-b"]
    assert names(mode="replicated") == ["db", "web-a"]
    assert names(mode="weird") == []
    assert _error(swarm.services, filters={"bogus": "x"}) == (400, "Invalid filter 'bogus'")
    statuses = {s["ID"]: s["ServiceStatus"] for s in swarm.services(status=True)}
    assert statuses[a] == {"RunningTasks": 2, "DesiredTasks": 2, "CompletedTasks": 0}
    assert statuses[b] == {"RunningTasks": 1, "DesiredTasks": 1, "CompletedTasks": 0}
    assert statuses[c] == {"RunningTasks": 0, "DesiredTasks": 0, "CompletedTasks": 0}
    assert all("ServiceStatus" not in s for s in swarm.services())


def test_update_service_version_rename_and_mode_checks(engine, swarm):
    sid = swarm.create_service(_tt(), name="web", labels={"a": "b"})["ID"]
    version = swarm.inspect_service(sid)["Version"]["Index"]
    stale = (500, "rpc error: code = Unknown desc = update out of sequence")
    assert _error(swarm.update_service, sid, version - 1, task_template=_tt(), name="web") == stale
    assert _error(swarm.update_service, sid, version + 100, task_template=_tt(), name="web") == stale
    # docker-py sends Name null unless told: the daemon reads it as a rename
    assert _error(swarm.update_service, sid, version, task_template=_tt()) == (
        501, "rpc error: code = Unimplemented desc = renaming services is not supported")
    assert _error(swarm.update_service, sid, version, task_template=_tt(), name="web",
                  mode=types.ServiceMode("global")) == (
        501, "rpc error: code = Unimplemented desc = service mode change is not allowed")

    result = swarm.update_service(sid, version, task_template=_tt(), name="web", labels={"a": "c"})
    assert result == {"Warnings": None}
    after = swarm.inspect_service(sid)
    assert after["Version"]["Index"] > version
    assert after["Spec"]["Labels"] == {"a": "c"}
    assert after["PreviousSpec"]["Labels"] == {"a": "b"}
    assert after["UpdatedAt"] >= after["CreatedAt"]
    assert _error(swarm.update_service, sid, version, task_template=_tt(), name="web") == stale
    # a label-only change keeps the tasks
    assert len(_tasks(swarm, sid)) == 1


def test_scale_up_and_down(engine, swarm):
    client = engine.docker_client()
    service = client.services.create(IMAGE, command=["sleep", "300"], name="web")
    [first] = service.tasks()
    assert service.scale(3) == {"Warnings": None}
    # docker-py's scale() sends the spec back with the daemon's defaults inserted, which
    # differs from the tasks' spec: the real daemon then replaces slot 1's task too
    tasks = _tasks(swarm, "web")
    assert [(t["Slot"], t["Status"]["State"], t["DesiredState"]) for t in tasks] == [
        (1, "shutdown", "shutdown"), (1, "running", "running"), (2, "running", "running"),
        (3, "running", "running")]
    assert tasks[0]["ID"] == first["ID"]
    spec = swarm.inspect_service("web")["Spec"]["TaskTemplate"]
    assert spec["Resources"] == {} and spec["Placement"] == {}
    assert spec["ContainerSpec"]["DNSConfig"] == {}
    service.reload()
    service.scale(1)
    running = [t for t in _tasks(swarm, "web") if t["DesiredState"] == "running"]
    assert [(t["Slot"], t["Status"]["State"]) for t in running] == [(1, "running")]
    # sleep ignores SIGTERM as PID 1: the dropped slots' tasks stay running (desired remove,
    # exit code -1) while their containers wait out the grace period, as on the daemon
    dropped = [t for t in _tasks(swarm, "web") if t["DesiredState"] == "remove"]
    assert [(t["Slot"], t["Status"]["State"], t["Status"]["ContainerStatus"]["ExitCode"]) for t in dropped] == [
        (2, "running", -1), (3, "running", -1)]
    updates = [e["Actor"]["Attributes"] for e in engine.events
               if e["Type"] == "service" and e["Action"] == "update"]
    assert {"name": "web", "replicas.old": "1", "replicas.new": "3"} in updates
    assert {"name": "web", "replicas.old": "3", "replicas.new": "1"} in updates


def test_rolling_update_replaces_tasks(engine, swarm):
    engine.add_image("fakedocker-test/web:1")
    sid = swarm.create_service(_tt(), name="web", mode=types.ServiceMode("replicated", replicas=2))["ID"]
    old_ids = {t["ID"] for t in _tasks(swarm, sid)}
    version = swarm.inspect_service(sid)["Version"]["Index"]
    swarm.update_service(sid, version, task_template=_tt("fakedocker-test/web:1"), name="web",
                         mode=types.ServiceMode("replicated", replicas=2))
    tasks = _tasks(swarm, sid)
    new = [t for t in tasks if t["ID"] not in old_ids]
    old = [t for t in tasks if t["ID"] in old_ids]
    assert sorted(t["Slot"] for t in new) == [1, 2]
    assert all(t["Status"]["State"] == "running" and t["DesiredState"] == "running" for t in new)
    assert all(t["Spec"]["ContainerSpec"]["Image"] == "fakedocker-test/web:1" for t in new)
    assert all((t["Status"]["State"], t["DesiredState"], t["Status"]["Message"])
               == ("shutdown", "shutdown", "shutdown") for t in old)
    service = swarm.inspect_service(sid)
    assert service["UpdateStatus"]["State"] == "completed"
    assert service["UpdateStatus"]["Message"] == "update completed"
    assert service["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Image"] == IMAGE
    attrs = [e["Actor"]["Attributes"] for e in engine.events if e["Type"] == "service"]
    assert {"name": "web", "image.old": IMAGE, "image.new": "fakedocker-test/web:1"} in attrs
    assert {"name": "web", "updatestate.new": "updating"} in attrs
    assert {"name": "web", "updatestate.old": "updating", "updatestate.new": "completed"} in attrs


def test_rolling_update_in_manual_mode():
    with _engine(transitions="manual") as engine:
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        sid = api.create_service(_tt(), name="web")["ID"]
        engine.settle()
        [old] = _tasks(api, sid)
        api.update_service(sid, api.inspect_service(sid)["Version"]["Index"],
                           task_template=_tt(env={"X": "1"}), name="web")
        tasks = {t["ID"]: t for t in _tasks(api, sid)}
        assert tasks[old["ID"]]["DesiredState"] == "shutdown"
        assert tasks[old["ID"]]["Status"]["State"] == "running"
        [new_id] = [i for i in tasks if i != old["ID"]]
        assert (tasks[new_id]["Status"]["State"], tasks[new_id]["DesiredState"]) == ("new", "ready")
        assert api.inspect_service(sid)["UpdateStatus"]["State"] == "updating"
        engine.settle()
        tasks = {t["ID"]: t for t in _tasks(api, sid)}
        assert tasks[old["ID"]]["Status"]["State"] == "shutdown"
        assert (tasks[new_id]["Status"]["State"], tasks[new_id]["DesiredState"]) == ("running", "running")
        assert api.inspect_service(sid)["UpdateStatus"]["State"] == "completed"


def test_remove_service_removes_tasks(engine, swarm):
    client = engine.docker_client()
    service = client.services.create(IMAGE, command=TRAP, name="web")
    assert len(service.tasks()) == 1
    assert service.remove() is True
    assert swarm.services() == []
    assert swarm.tasks() == []
    assert _error(swarm.tasks, filters={"service": "web"}) == (404, "service web not found")
    events = [(e["Action"], e["Actor"]["Attributes"], e["scope"]) for e in engine.events
              if e["Type"] == "service"]
    assert events[0] == ("create", {"name": "web"}, "swarm")
    assert events[-1] == ("remove", {"name": "web"}, "swarm")


def test_remove_service_in_manual_mode_shows_shutdown_then_nothing():
    with _engine(transitions="manual") as engine:
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        template = types.TaskTemplate(container_spec=types.ContainerSpec(IMAGE, command=TRAP))
        sid = api.create_service(template, name="web")["ID"]
        engine.settle()
        api.remove_service(sid)
        [task] = api.tasks()
        assert (task["Status"]["State"], task["DesiredState"]) == ("running", "remove")
        engine.step()  # the container is stopped, and ends on SIGTERM
        [task] = api.tasks()
        assert (task["Status"]["State"], task["Status"]["Message"], task["DesiredState"]) == (
            "shutdown", "shutdown", "remove")
        assert (task["Status"]["ContainerStatus"]["PID"], task["Status"]["ContainerStatus"]["ExitCode"]) == (0, 0)
        engine.step()
        assert api.tasks() == []
        assert api.containers(all=True) == []


def test_create_emits_update_when_the_endpoint_is_allocated(engine, swarm):
    swarm.create_service(_tt(), name="plain")
    swarm.create_service(_tt(), name="published", endpoint_spec=types.EndpointSpec(ports={8080: 80}))
    actions = [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in engine.events
               if e["Type"] == "service"]
    assert actions == [("create", "plain"), ("create", "published"), ("update", "published")]


# tasks -------------------------------------------------------------------------------------


def test_replicated_tasks_in_immediate_mode(swarm):
    sid = swarm.create_service(_tt(), name="web", mode=types.ServiceMode("replicated", replicas=3))["ID"]
    node_id = swarm.info()["Swarm"]["NodeID"]
    tasks = _tasks(swarm, sid)
    assert [t["Slot"] for t in tasks] == [1, 2, 3]
    for task in tasks:
        assert SWARM_ID.match(task["ID"])
        assert task["ServiceID"] == sid
        assert task["NodeID"] == node_id
        assert task["DesiredState"] == "running"
        assert task["Labels"] == {}
        status = task["Status"]
        assert (status["State"], status["Message"]) == ("running", "started")
        assert re.match(r"^[0-9a-f]{64}$", status["ContainerStatus"]["ContainerID"])
        assert status["ContainerStatus"]["PID"] > 0 and status["ContainerStatus"]["ExitCode"] == 0
        assert status["PortStatus"] == {}
        assert "Err" not in status
    assert len({t["ID"] for t in tasks}) == 3
    assert swarm.inspect_task(tasks[0]["ID"]) == tasks[0]


def test_task_filters(engine, swarm):
    a = swarm.create_service(_tt(), name="web", labels={"tier": "front"},
                             mode=types.ServiceMode("replicated", replicas=2))["ID"]
    b = swarm.create_service(_tt(), name="db")["ID"]
    node_id = swarm.info()["Swarm"]["NodeID"]
    hostname = swarm.inspect_node(node_id)["Description"]["Hostname"]
    web_tasks = swarm.tasks(filters={"service": "web"})
    assert {t["ServiceID"] for t in web_tasks} == {a} and len(web_tasks) == 2
    assert len(swarm.tasks(filters={"service": a[:5]})) == 2
    assert len(swarm.tasks(filters={"service": b})) == 1
    assert _error(swarm.tasks, filters={"service": "nope"}) == (404, "service nope not found")
    one = web_tasks[0]
    assert [t["ID"] for t in swarm.tasks(filters={"id": one["ID"][:6]})] == [one["ID"]]
    assert len(swarm.tasks(filters={"name": "web"})) == 2
    assert [t["ID"] for t in swarm.tasks(filters={"name": f"web.{one['Slot']}"})] == [one["ID"]]
    assert len(swarm.tasks(filters={"label": "tier=front"})) == 2
    assert len(swarm.tasks(filters={"desired-state": "running"})) == 3
    assert swarm.tasks(filters={"desired-state": "shutdown"}) == []
    assert _error(swarm.tasks, filters={"desired-state": "bogus"}) == (
        500, "Invalid desired-state filter: 'bogus'")
    assert len(swarm.tasks(filters={"node": node_id})) == 3
    assert len(swarm.tasks(filters={"node": hostname})) == 3
    assert _error(swarm.tasks, filters={"node": "self"}) == (404, "node self not found")
    assert _error(swarm.tasks, filters={"bogus": "x"}) == (400, "Invalid filter 'bogus'")
    assert swarm.inspect_task(one["ID"][:8])["ID"] == one["ID"]


def test_task_label_filter_reads_the_labels_the_task_was_made_with(engine, swarm):
    # the daemon matches a task's copy of its service's labels (swarmkit's ServiceAnnotations):
    # a label-only update leaves the task as it is, and a removed service's tasks still match
    none = types.RestartPolicy(condition="none")
    sid = swarm.create_service(_tt(restart_policy=none), name="web", labels={"team": "a"})["ID"]
    [task] = _tasks(swarm, sid)
    service = swarm.inspect_service(sid)
    spec = {**service["Spec"], "Labels": {"team": "a", "extra": "1"}}  # the spec as it is, but the labels
    swarm._raise_for_status(swarm._post_json(swarm._url("/services/{0}/update", sid),
                                             params={"version": service["Version"]["Index"]}, data=spec))
    assert swarm.inspect_service(sid)["Spec"]["Labels"] == {"team": "a", "extra": "1"}
    assert [t["ID"] for t in _tasks(swarm, sid)] == [task["ID"]]  # not replaced
    assert swarm.tasks(filters={"label": "extra=1"}) == []
    assert [t["ID"] for t in swarm.tasks(filters={"label": "team=a"})] == [task["ID"]]
    swarm.remove_service(sid)
    # sleep ignores SIGTERM: the task waits out the grace period, still found by its label
    [left] = swarm.tasks(filters={"label": "team=a"})
    assert (left["ID"], left["Status"]["State"], left["DesiredState"]) == (task["ID"], "running", "remove")
    assert swarm.tasks(filters={"label": "team=a", "desired-state": "running"}) == []
    assert swarm.tasks(filters={"label": "team=a", "desired-state": "shutdown"}) == []


def test_ended_tasks_by_desired_state_and_label(engine, swarm):
    none = types.RestartPolicy(condition="none")
    for name in ("fails", "completes", "runs"):
        swarm.create_service(_tt(restart_policy=none), name=name, labels={"team": "a"})
    failed = swarm.inspect_task(engine.swarm.fail_task("fails", exit_code=3))
    complete = swarm.inspect_task(engine.swarm.fail_task("completes", exit_code=0))
    [running] = swarm.tasks(filters={"service": "runs"})
    assert [(t["Status"]["State"], t["Status"]["Message"], t["Status"].get("Err"), t["DesiredState"],
             t["Status"]["ContainerStatus"]["ExitCode"]) for t in (failed, complete, running)] == [
        ("failed", "started", "task: non-zero exit (3)", "shutdown", 3),
        ("complete", "finished", None, "shutdown", 0),
        ("running", "started", None, "running", 0)]
    ended = swarm.tasks(filters={"desired-state": "shutdown", "label": ["team=a"]})
    assert sorted(t["ID"] for t in ended) == sorted([failed["ID"], complete["ID"]])
    assert [t["ID"] for t in swarm.tasks(filters={"desired-state": "running", "label": ["team=a"]})] == [
        running["ID"]]
    # removed, the ended tasks go a step later (at once here), the running one once it has stopped
    for name in ("fails", "completes"):
        swarm.remove_service(name)
    assert [t["ID"] for t in swarm.tasks(filters={"label": ["team=a"]})] == [running["ID"]]


def test_global_service_has_one_task_without_slot(engine, swarm):
    client = engine.docker_client()
    service = client.services.create(IMAGE, command=["sleep", "300"], name="agent", mode="global")
    [task] = service.tasks()
    node_id = swarm.info()["Swarm"]["NodeID"]
    assert "Slot" not in task
    assert task["NodeID"] == node_id
    assert task["Status"]["State"] == "running"
    assert swarm.tasks(filters={"name": f"agent.{node_id}"})[0]["ID"] == task["ID"]
    assert service.attrs["Spec"]["Mode"] == {"Global": {}}
    with pytest.raises(docker.errors.InvalidArgument):
        service.scale(2)


def test_manual_mode_steps_through_every_state():
    with _engine(transitions="manual") as engine:
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        sid = api.create_service(_tt(), name="web")["ID"]
        seen = []
        for _ in range(len(STATES)):
            [task] = api.tasks(filters={"service": sid})
            seen.append((task["Status"]["State"], task["Status"]["Message"]))
            if task["Status"]["State"] == "new":
                assert "NodeID" not in task and "PortStatus" not in task["Status"]
            if task["Status"]["State"] == "pending":
                assert "NodeID" not in task and task["Status"]["PortStatus"] == {}
            if task["Status"]["State"] == "assigned":
                assert task["NodeID"] == api.info()["Swarm"]["NodeID"]
            if task["Status"]["State"] == "starting":
                assert task["Status"]["ContainerStatus"]["PID"] == 0
            engine.step()
        assert seen == list(zip(STATES, MESSAGES, strict=True))
        [task] = api.tasks(filters={"service": sid})
        assert task["Status"]["State"] == "running"
        assert task["Status"]["ContainerStatus"]["PID"] > 0
        assert engine.step() == 0


def test_timer_mode_follows_the_clock():
    clock = FakeClock()
    with _engine(transitions="timer", clock=clock, step_delay=0.5) as engine:
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        sid = api.create_service(_tt(), name="web")["ID"]
        assert api.tasks(filters={"service": sid})[0]["Status"]["State"] == "new"
        clock.t += 0.5
        assert api.tasks(filters={"service": sid})[0]["Status"]["State"] == "pending"
        clock.t += 1.0
        assert api.tasks(filters={"service": sid})[0]["Status"]["State"] == "accepted"
        clock.t += 10
        task = api.tasks(filters={"service": sid})[0]
        assert task["Status"]["State"] == "running"
        assert task["CreatedAt"] < task["Status"]["Timestamp"]


def test_missing_image_is_rejected_and_retried_up_to_max_attempts(swarm):
    policy = types.RestartPolicy(condition="on-failure", delay=200000000, max_attempts=2)
    sid = swarm.create_service(_tt("nosuchimage:1", restart_policy=policy), name="rej")["ID"]
    tasks = _tasks(swarm, sid)
    assert len(tasks) == 3  # the first attempt and two restarts
    for task in tasks:
        status = task["Status"]
        assert status["State"] == "rejected"
        assert status["Message"] == "preparing"
        assert status["Err"] == "No such image: nosuchimage:1"
        assert status["ContainerStatus"] == {"ContainerID": "", "PID": 0, "ExitCode": 0}
        assert task["DesiredState"] == "shutdown"
        assert task["Slot"] == 1
    assert swarm.services(filters={"id": sid}, status=True)[0]["ServiceStatus"]["RunningTasks"] == 0


def test_missing_image_without_max_attempts_stays_bounded(swarm):
    sid = swarm.create_service(_tt("nosuchimage:1"), name="rej")["ID"]
    tasks = _tasks(swarm, sid)
    assert len(tasks) == UNBOUNDED_ATTEMPTS
    assert {t["Status"]["Err"] for t in tasks} == {"No such image: nosuchimage:1"}


def test_missing_image_with_restart_none_is_not_retried(swarm):
    sid = swarm.create_service(_tt("nosuchimage:1", restart_policy=types.RestartPolicy(condition="none")),
                               name="rej")["ID"]
    [task] = _tasks(swarm, sid)
    assert task["Status"]["State"] == "rejected"


def test_rejection_in_manual_mode_creates_a_ready_replacement():
    with _engine(transitions="manual") as engine:
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        sid = api.create_service(_tt("nosuchimage:1"), name="rej")["ID"]
        for _ in range(4):  # new -> pending -> assigned -> accepted -> preparing
            engine.step()
        [task] = api.tasks(filters={"service": sid})
        assert task["Status"]["State"] == "preparing"
        engine.step()
        first, second = _tasks(api, sid)
        assert (first["Status"]["State"], first["DesiredState"]) == ("rejected", "shutdown")
        assert (second["Status"]["State"], second["DesiredState"]) == ("new", "ready")
        for _ in range(4):
            engine.step()
        second = api.inspect_task(second["ID"])
        assert (second["Status"]["State"], second["DesiredState"]) == ("preparing", "running")


def test_image_only_in_registry_is_pulled_while_preparing():
    with _engine(transitions="manual") as engine:
        engine.registry.push("fakedocker-test/remote:2", config={"Cmd": ["sh"]})
        api = engine.api_client()
        api.init_swarm(advertise_addr="127.0.0.1")
        sid = api.create_service(_tt("fakedocker-test/remote:2"), name="remote")["ID"]
        for _ in range(3):
            engine.step()
        assert engine.images.resolve("fakedocker-test/remote:2") is None
        engine.step()  # preparing
        assert engine.images.resolve("fakedocker-test/remote:2") is not None
        engine.settle()
        [task] = api.tasks(filters={"service": sid})
        assert task["Status"]["State"] == "running"
        assert any(e["Type"] == "image" and e["Action"] == "pull" for e in engine.events)


def test_fail_task_ends_the_running_task_and_restarts(engine, swarm):
    sid = swarm.create_service(_tt(), name="web")["ID"]
    [running] = _tasks(swarm, sid)
    failed_id = engine.swarm.fail_task("web", "task: non-zero exit (3)", exit_code=3)
    assert failed_id == running["ID"]
    failed = swarm.inspect_task(failed_id)
    assert failed["Status"]["State"] == "failed"
    assert failed["Status"]["Message"] == "started"
    assert failed["Status"]["Err"] == "task: non-zero exit (3)"
    assert failed["Status"]["ContainerStatus"] == {
        "ContainerID": running["Status"]["ContainerStatus"]["ContainerID"], "PID": 0, "ExitCode": 3}
    assert failed["DesiredState"] == "shutdown"
    tasks = _tasks(swarm, sid)
    [replacement] = [t for t in tasks if t["ID"] != failed_id]
    assert replacement["Slot"] == 1 and replacement["Status"]["State"] == "running"


def test_fail_task_default_message_and_exit_zero(engine, swarm):
    swarm.create_service(_tt(restart_policy=types.RestartPolicy(condition="on-failure")), name="job")
    done_id = engine.swarm.fail_task("job", exit_code=0)
    done = swarm.inspect_task(done_id)
    assert (done["Status"]["State"], done["Status"]["Message"]) == ("complete", "finished")
    assert len(swarm.tasks(filters={"service": "job"})) == 1  # on-failure: no restart
    swarm.create_service(_tt(), name="web")
    failed = swarm.inspect_task(engine.swarm.fail_task("web"))
    assert failed["Status"]["Err"] == "task: non-zero exit (1)"
    with pytest.raises(LookupError):
        engine.swarm.fail_task("job")


def test_task_history_is_pruned_to_the_retention_limit(engine, swarm):
    policy = types.RestartPolicy(condition="any", max_attempts=10)
    sid = swarm.create_service(_tt(restart_policy=policy), name="web")["ID"]
    failed = [engine.swarm.fail_task("web") for _ in range(7)]
    tasks = _tasks(swarm, sid)
    assert len(tasks) == 5  # TaskHistoryRetentionLimit
    ids = {t["ID"] for t in tasks}
    assert failed[0] not in ids and failed[-1] in ids
    assert [t["Status"]["State"] for t in tasks].count("running") == 1


def test_restart_cap_without_max_attempts(engine, swarm):
    swarm.create_service(_tt(), name="web")
    for _ in range(UNBOUNDED_ATTEMPTS):
        engine.swarm.fail_task("web")
    with pytest.raises(LookupError):
        engine.swarm.fail_task("web")


def test_host_mode_ports_are_allocated(engine, swarm):
    engine.containers.probe_host_ports = False  # ephemeral ports from 32768, busy or not
    spec = types.EndpointSpec(ports={18080: (80, "tcp", "host"), 0: (81, "tcp", "host")})
    sid = swarm.create_service(_tt(), name="web", endpoint_spec=spec)["ID"]
    service = swarm.inspect_service(sid)
    assert service["Spec"]["EndpointSpec"] == {"Mode": "vip", "Ports": [
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 18080, "PublishMode": "host"},
        {"Protocol": "tcp", "TargetPort": 81, "PublishMode": "host"},
    ]}
    assert service["Endpoint"]["Ports"] == service["Spec"]["EndpointSpec"]["Ports"]
    assert "VirtualIPs" not in service["Endpoint"]
    [task] = _tasks(swarm, sid)
    ports = task["Status"]["PortStatus"]["Ports"]
    published = {(p["TargetPort"], p["PublishedPort"]) for p in ports}
    assert published == {(80, 18080), (81, 32768)}
    assert len(ports) == 4  # the daemon lists each binding twice (0.0.0.0 and ::)
    # the ports are the task container's bindings
    container = swarm.inspect_container(task["Status"]["ContainerStatus"]["ContainerID"])
    assert container["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "18080"}], "81/tcp": [{"HostIp": "", "HostPort": ""}]}
    assert {k: {b["HostPort"] for b in v} for k, v in container["NetworkSettings"]["Ports"].items()} == {
        "80/tcp": {"18080"}, "81/tcp": {"32768"}}
    # a second service gets the next ephemeral port
    other = swarm.create_service(_tt(), name="other",
                                 endpoint_spec=types.EndpointSpec(ports={0: (81, "tcp", "host")}))["ID"]
    [task] = _tasks(swarm, other)
    assert task["Status"]["PortStatus"]["Ports"][0]["PublishedPort"] == 32769


def test_fixed_host_port_twice_on_one_node_stays_pending(swarm):
    spec = types.EndpointSpec(ports={18080: (80, "tcp", "host")})
    sid = swarm.create_service(_tt(), name="web", endpoint_spec=spec,
                               mode=types.ServiceMode("replicated", replicas=2))["ID"]
    first, second = _tasks(swarm, sid)
    assert first["Status"]["State"] == "running"
    assert second["Status"]["State"] == "pending"
    assert second["Status"]["Message"] == "pending task scheduling"
    assert second["Status"]["Err"] == "no suitable node (host-mode port already in use on 1 node)"
    assert "NodeID" not in second


def test_ingress_ports_vips_and_attachments(swarm):
    spec = types.EndpointSpec(ports={0: 80, 18090: (90, "udp")})
    sid = swarm.create_service(_tt(), name="web", endpoint_spec=spec)["ID"]
    service = swarm.inspect_service(sid)
    assert service["Spec"]["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"},
        {"Protocol": "udp", "TargetPort": 90, "PublishedPort": 18090, "PublishMode": "ingress"},
    ]
    assert service["Endpoint"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 30000, "PublishMode": "ingress"},
        {"Protocol": "udp", "TargetPort": 90, "PublishedPort": 18090, "PublishMode": "ingress"},
    ]
    [vip] = service["Endpoint"]["VirtualIPs"]
    assert SWARM_ID.match(vip["NetworkID"]) and vip["Addr"] == "10.0.0.3/24"
    [task] = _tasks(swarm, sid)
    [attachment] = task["NetworksAttachments"]
    assert attachment["Network"]["ID"] == vip["NetworkID"]
    assert attachment["Network"]["Spec"]["Name"] == "ingress"
    assert attachment["Network"]["Spec"]["Ingress"] is True
    assert attachment["Network"]["IPAMOptions"]["Configs"] == [{"Subnet": "10.0.0.0/24", "Gateway": "10.0.0.1"}]
    assert attachment["Addresses"] == ["10.0.0.4/24"]
    assert task["Status"]["PortStatus"] == {}
    other = swarm.create_service(_tt(), name="other", endpoint_spec=types.EndpointSpec(ports={0: 81}))["ID"]
    assert swarm.inspect_service(other)["Endpoint"]["Ports"][0]["PublishedPort"] == 30001


def test_user_networks_resolve_to_ids_and_get_addresses(engine, swarm):
    net_id = swarm.create_network("appnet", driver="overlay")["Id"]
    sid = swarm.create_service(_tt(stop_grace_period=0), name="web", networks=["appnet"],
                               mode=types.ServiceMode("replicated", replicas=2))["ID"]
    service = swarm.inspect_service(sid)
    assert service["Spec"]["Networks"] == [{"Target": net_id}]  # names become ids
    subnet = swarm.inspect_network(net_id)["IPAM"]["Config"][0]["Subnet"]
    base = subnet.rsplit(".", 1)[0]
    assert service["Endpoint"]["VirtualIPs"] == [{"NetworkID": net_id, "Addr": f"{base}.2/24"}]
    addresses = []
    for task in _tasks(swarm, sid):
        [attachment] = task["NetworksAttachments"]
        assert attachment["Network"]["ID"] == net_id
        assert attachment["Network"]["Spec"]["Name"] == "appnet"
        assert attachment["Network"]["IPAMOptions"]["Configs"][0]["Subnet"] == subnet
        addresses += attachment["Addresses"]
    assert sorted(addresses) == [f"{base}.3/24", f"{base}.4/24"]
    # by id prefix, in the TaskTemplate
    tt = types.TaskTemplate(container_spec=types.ContainerSpec(IMAGE), networks=[net_id[:6]])
    other = swarm.create_service(tt, name="other")["ID"]
    assert swarm.inspect_service(other)["Spec"]["TaskTemplate"]["Networks"] == [{"Target": net_id}]
    # removing the service gives its addresses (VIP and tasks) back to the network
    pool = engine.networks.get(net_id).pool4()
    in_use = len(pool.allocated)
    swarm.remove_service(sid)
    assert len(pool.allocated) == in_use - 3


def test_ingress_network_lives_with_the_swarm(engine, api):
    assert "ingress" not in [n["Name"] for n in api.networks()]
    api.init_swarm(advertise_addr="127.0.0.1")
    ingress = api.inspect_network("ingress")
    assert ingress["Scope"] == "swarm" and ingress["Driver"] == "overlay"
    assert ingress["Ingress"] is True
    assert SWARM_ID.match(ingress["Id"])
    assert ingress["IPAM"]["Config"] == [{"Subnet": "10.0.0.0/24", "Gateway": "10.0.0.1"}]
    api.leave_swarm(force=True)
    assert "ingress" not in [n["Name"] for n in api.networks()]


def test_high_level_services_api(engine):
    client = engine.docker_client()
    client.swarm.init(advertise_addr="127.0.0.1")
    service = client.services.create(IMAGE, command="sleep 300", name="web", env=["A=1"],
                                     labels={"x": "y"}, mounts=["vol:/data:ro"])
    assert service.name == "web"
    spec = service.attrs["Spec"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Mounts"] == [
        {"Type": "volume", "Source": "vol", "Target": "/data", "ReadOnly": True}]
    assert [s.id for s in client.services.list(filters={"label": "x=y"})] == [service.id]
    [task] = service.tasks(filters={"desired-state": "running"})
    assert task["Status"]["State"] == "running"
    service.update(labels={"x": "z"})
    service.reload()
    assert service.attrs["Spec"]["Labels"] == {"x": "z"}
    assert service.remove() is True
    with pytest.raises(docker.errors.NotFound):
        client.services.get("web")
