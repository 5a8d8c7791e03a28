"""Swarm and volume answers docker-py's own integration tests found differing, fake vs real:
service logs, the swarm's address pools and unlock key, request keys in any case, mounts
and volume drivers."""

import json
import re

import docker
from conftest import BUSYBOX
from normalize import error_of
from raw_api import post_json, service_spec_as_kept

SCRIPT = ["sh", "-c", "echo hello; echo err >&2; echo two; sleep 1000"]
NO_PLUGIN = 'create {0}: error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found'


def _service(api, name, mounts=None, command=SCRIPT, labels=None, tty=False):
    body = {"Name": name, "Labels": labels or {},
            "TaskTemplate": {"ContainerSpec": {"Image": BUSYBOX, "Command": command, "Mounts": mounts or [],
                                               "TTY": tty},
                             "RestartPolicy": {"Condition": "none"}}}
    return post_json(api, "/services/create", body)["ID"]


def _task(api, poll, service_id, done):
    tasks = poll(lambda: api.tasks(filters={"service": service_id}), lambda ts: ts and done(ts[0]))
    return tasks[0]


# 5: service logs ---------------------------------------------------------------------------

def test_service_logs(api, names, poll):
    sid = _service(api, names("logs"), labels=names.label)
    task = _task(api, poll, sid, lambda t: t["Status"]["State"] == "running")
    # the lines reach the log broker a moment after the task runs
    lines = poll(lambda: list(api.service_logs(sid, stdout=True, stderr=True)), lambda ls: len(ls) == 3)
    assert sorted(lines) == [b"err\n", b"hello\n", b"two\n"]
    assert list(api.service_logs(sid, stdout=True)) == [b"hello\n", b"two\n"]
    assert list(api.service_logs(sid, stderr=True)) == [b"err\n"]
    # tail takes each task's last lines of both streams, then the streams asked for (stdout
    # and stderr are copied apart, so which line is last varies on the real daemon)
    last = list(api.service_logs(sid, stdout=True, stderr=True, tail=1))
    assert last in ([b"two\n"], [b"err\n"])
    assert list(api.service_logs(sid, stdout=True, tail=1)) == ([b"two\n"] if last == [b"two\n"] else [])
    assert list(api.service_logs(sid, stdout=True, tail=0)) == []
    context = (f"com.docker.swarm.node.id={task['NodeID']},com.docker.swarm.service.id={sid},"
               f"com.docker.swarm.task.id={task['ID']} ").encode()
    assert list(api.service_logs(sid, stdout=True, details=True)) == [context + b"hello\n", context + b"two\n"]
    stamped = list(api.service_logs(sid, stdout=True, details=True, timestamps=True))
    assert [re.sub(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", b"<time> ", line) for line in stamped] == [
        b"<time> " + context + b"hello\n", b"<time> " + context + b"two\n"]
    # the raw body: multiplexed frames
    raw = api._get(api._url("/services/{0}/logs", sid), params={"stdout": 1}, stream=True)
    assert raw.raw.read() == b"\x01\x00\x00\x00\x00\x00\x00\x06hello\n\x01\x00\x00\x00\x00\x00\x00\x04two\n"
    assert error_of(lambda: list(api.service_logs(sid))) == (
        "APIError", 500, "Bad parameters: you must choose at least one stream")
    missing = names("missing")
    assert error_of(lambda: list(api.service_logs(missing, stdout=True))) == (
        "NotFound", 404, f"service {missing} not found")


def test_service_logs_of_a_terminal(api, names, poll):
    """A task with a terminal: one stream of CRLF lines, sent unframed."""
    sid = _service(api, names("tty"), labels=names.label, tty=True)
    _task(api, poll, sid, lambda t: t["Status"]["State"] == "running")
    lines = poll(lambda: b"".join(api.service_logs(sid, stdout=True, stderr=True)),
                 lambda out: out.count(b"\n") == 3)
    assert lines == b"hello\r\nerr\r\ntwo\r\n"


# 6: the swarm's defaults -------------------------------------------------------------------

def test_swarm_address_pools_and_unlock_key(api, backend):
    # the machine's swarm was made by `docker swarm init --advertise-addr 127.0.0.1`: no pool
    # stored, so inspect shows null. A dockerd restarted since then (the swarm outlives the
    # daemon, e.g. across a reboot) loads the cluster with swarmkit's default filled in; the
    # fake has no restart, so only the real daemon can be in that second state.
    swarm = api.inspect_swarm()
    cluster = api.info()["Swarm"]["Cluster"]
    allowed = [None, ["10.0.0.0/8"]] if backend == "real" else [None]
    assert swarm["DefaultAddrPool"] in allowed
    assert cluster["DefaultAddrPool"] == swarm["DefaultAddrPool"]
    assert (swarm["SubnetSize"], swarm["DataPathPort"]) == (24, 4789)
    assert (cluster["SubnetSize"], cluster["DataPathPort"]) == (24, 4789)
    assert swarm["Spec"]["EncryptionConfig"] == {"AutoLockManagers": False}
    assert api.get_unlock_key() == {"UnlockKey": ""}
    assert error_of(api.unlock_swarm, "SWMKEY-1-" + "A" * 43) == ("APIError", 409, "swarm is not locked")


# 7: keys in any case -----------------------------------------------------------------------

def test_request_keys_are_read_in_any_case(api, names, poll):
    name = names("case")
    sid = post_json(api, "/services/create", {
        "name": name, "labels": {"Kk": "v", **names.label},
        "tasktemplate": {"containerspec": {"image": BUSYBOX, "command": ["sleep", "300"], "tty": True,
                                           "unknownfield": "x"},
                         "restartpolicy": {"condition": "none"}},
        "mode": {"replicated": {"replicas": 0}},
        "updateconfig": {"order": "start-first"},
        "rollbackconfig": {"ORDER": "stop-first", "parallelism": 2},
        "bogus": {"x": 1},
    })["ID"]
    assert names.norm(api.inspect_service(sid)["Spec"]) == service_spec_as_kept(
        "fdtest-X-case", {"Kk": "v", "fdtest": "fdtest-X"},
        {"Image": BUSYBOX, "Command": ["sleep", "300"], "TTY": True}, replicas=0,
        update={"Order": "start-first"}, rollback={"Parallelism": 2, "Order": "stop-first"})
    net = post_json(api, "/networks/create", {"name": names("net"), "driver": "overlay", "attachable": True,
                                          "labels": {"L": "1"}, "ipam": {"config": [{"subnet": "10.231.7.0/24"}]}})
    # the swarm's allocator fills in a new overlay network a moment after create answers (until
    # then inspect shows no driver and no IPAM config): wait for it
    info = poll(lambda: api.inspect_network(net["Id"]), lambda i: i["Driver"])
    assert (info["Driver"], info["Attachable"], info["Labels"], info["IPAM"]["Config"]) == (
        "overlay", True, {"L": "1"}, [{"Subnet": "10.231.7.0/24", "Gateway": "10.231.7.1"}])
    vol = post_json(api, "/volumes/create", {"name": names("vol"), "driver": "local", "labels": {"L": "1"},
                                         "driveropts": {"type": "tmpfs", "device": "tmpfs"}})
    assert (vol["Driver"], vol["Labels"], vol["Options"]) == ("local", {"L": "1"}, {"type": "tmpfs", "device": "tmpfs"})


# 12: mounts and volume drivers -------------------------------------------------------------

def test_service_mounts_the_executor_refuses(api, names, poll):
    # rejected, and shutdown as the orchestrator's answer to it (it comes a moment later)
    rejected = lambda t: t["Status"]["State"] == "rejected" and t["DesiredState"] == "shutdown"  # noqa: E731
    sid = _service(api, names("bindrel"), [{"Type": "bind", "Source": names("vol"), "Target": "/data"}])
    task = _task(api, poll, sid, rejected)
    assert (task["DesiredState"], task["Status"]["Message"], names.norm(task["Status"]["Err"])) == (
        "shutdown", "resolving controller failed",
        "invalid bind mount source, must be an absolute path: fdtest-X-vol")
    sid = _service(api, names("abs"), [{"Type": "volume", "Source": "/abs", "Target": "/data"}])
    task = _task(api, poll, sid, rejected)
    assert (task["Status"]["Message"], task["Status"]["Err"]) == (
        "resolving controller failed", "invalid volume mount source, must not be an absolute path: /abs")
    sid = _service(api, names("bindopts"), [{"Type": "volume", "Source": names("vol2"), "Target": "/data",
                                              "BindOptions": {"Propagation": "rprivate"}}])
    task = _task(api, poll, sid, rejected)
    assert (task["Status"]["Message"], task["Status"]["Err"]) == (
        "preparing", 'invalid mount config for type "volume": field BindOptions must not be specified')
    volumes = api.volumes(filters={"name": names.prefix})["Volumes"] or []
    assert [v["Name"] for v in volumes] == []


def test_service_mount_types_and_missing_volume_plugin(api, names, poll):
    body = {"Name": names("badtype"), "TaskTemplate": {"ContainerSpec": {
        "Image": BUSYBOX, "Mounts": [{"Type": "nope", "Target": "/data"}]}}}
    assert error_of(post_json, api, "/services/create", body) == ("APIError", 400, 'invalid MountType: "nope"')
    sid = _service(api, names("notype"), [{"Source": "/tmp", "Target": "/data"}], command=["sleep", "300"])
    mounts = api.inspect_service(sid)["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert mounts == [{"Type": "bind", "Source": "/tmp", "Target": "/data"}]
    mount = docker.types.Mount("/data", names("pv"), driver_config=docker.types.DriverConfig("nosuchdriver"))
    template = docker.types.TaskTemplate(docker.types.ContainerSpec(BUSYBOX, ["sleep", "300"], mounts=[mount]))
    sid = api.create_service(template, name=names("plugin"), labels=names.label)["ID"]
    task = _task(api, poll, sid, lambda t: t["Status"].get("Err"))
    assert (task["Status"]["State"], task["DesiredState"], task["Status"]["Message"], task["Status"]["Err"]) == (
        "pending", "running", "pending task scheduling", "no suitable node (missing plugin on 1 node)")


def test_container_mounts_and_volume_drivers(api, names, daemon):
    def create(mounts, **host):
        body = {"Image": BUSYBOX, "Cmd": ["true"], "HostConfig": {"Mounts": mounts, **host}}
        return post_json(api, "/containers/create", body, name=names("c"))

    vol = names("vol")
    cases = [
        ([{"Type": "bind", "Source": vol, "Target": "/data"}],
         f"invalid mount config for type \"bind\": invalid mount path: '{vol}' mount path must be absolute"),
        ([{"Type": "volume", "Source": vol, "Target": "data"}],
         "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute"),
        ([{"Type": "volume", "Source": vol}], 'invalid mount config for type "volume": field Target must not be empty'),
        ([{"Type": "tmpfs", "Source": "x", "Target": "/data"}],
         'invalid mount config for type "tmpfs": field Source must not be specified'),
        ([{"Type": "bind", "Source": "/tmp", "Target": "/data", "VolumeOptions": {}}],
         daemon.says('invalid mount config for type "bind": field VolumeOptions must not be specified',
                     'VolumeOptions must not be specified on mount type "bind"')),
        ([{"Type": "volume", "Target": "/data", "ReadOnly": True}],
         'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'),
        ([{"Type": "nope", "Target": "/data"}], 'invalid mount config for type "nope": mount type unknown'),
        ([{"Type": "volume", "Source": vol, "Target": "/data"}, {"Type": "tmpfs", "Target": "/data"}],
         "Duplicate mount point: /data"),
    ]
    for mounts, message in cases:
        assert error_of(create, mounts) == ("APIError", 400, message), json.dumps(mounts)
    assert error_of(create, [], Binds=[f"{vol}:/data"], VolumeDriver="nosuchdriver") == (
        "NotFound", 404, NO_PLUGIN.format(vol))
    plugin_mount = {"Type": "volume", "Source": vol, "Target": "/data",
                    "VolumeOptions": {"DriverConfig": {"Name": "nosuchdriver"}}}
    assert error_of(create, [plugin_mount]) == ("NotFound", 404, NO_PLUGIN.format(vol))
    assert error_of(api.create_volume, vol, driver="nosuchdriver") == ("NotFound", 404, NO_PLUGIN.format(vol))
    # only the duplicate mount point came that far: its first mount's volume was made
    assert [v["Name"] for v in api.volumes(filters={"name": names.prefix})["Volumes"] or []] == [vol]
    assert api.containers(all=True, filters={"name": names.prefix}) == []
