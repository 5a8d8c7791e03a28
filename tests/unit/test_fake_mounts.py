"""Mounts checked as the daemon checks them (containers, services, their tasks) and volume
drivers other than ``local`` (fake plugins a test declares)."""

from __future__ import annotations

import docker
import pytest
from docker import types
from fake_fixtures import fake_engine_fixtures

from fakedocker.state.mounts import (
    container_mount_error,
    service_mount_type,
    task_mount_error,
    volume_plugins_of,
)

IMAGE = "fakedocker-test/busybox:1.36"
engine, api, client = fake_engine_fixtures({IMAGE: {"Cmd": ["sh"]}}, swarm=True)
NO_PLUGIN = 'create {0}: error looking up volume plugin nosuchdriver: plugin "nosuchdriver" not found'


def _error(fn, *args, **kwargs):
    with pytest.raises(docker.errors.APIError) as info:
        fn(*args, **kwargs)
    return info.value.response.status_code, info.value.explanation


def _create(api, mounts, name="c1", **host):
    body = {"Image": IMAGE, "Cmd": ["true"], "HostConfig": {"Mounts": mounts, **host}}
    return api._result(api._post_json(api._url("/containers/create"), data=body, params={"name": name}), True)


def _service(api, mounts, name="svc"):
    body = {"Name": name, "TaskTemplate": {"ContainerSpec": {"Image": IMAGE, "Command": ["sleep", "300"],
                                                             "Mounts": mounts},
                                           "RestartPolicy": {"Condition": "none"}}}
    return api._result(api._post_json(api._url("/services/create"), data=body), True)["ID"]


def _status(api, service_id):
    (task,) = api.tasks(filters={"service": service_id})
    return task["Status"]["State"], task["DesiredState"], task["Status"]["Message"], task["Status"].get("Err")


# the pure checks ---------------------------------------------------------------------------

@pytest.mark.parametrize(("mount", "message"), [
    ({"Type": "volume", "Source": "v"}, 'invalid mount config for type "volume": field Target must not be empty'),
    ({"Type": "volume", "Source": "v", "Target": "/"},
     "invalid mount config for type \"volume\": invalid specification: destination can't be '/'"),
    ({"Type": "volume", "Source": "v", "Target": "data"},
     "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute"),
    ({"Type": "bind", "Target": "/d"}, 'invalid mount config for type "bind": field Source must not be empty'),
    ({"Type": "bind", "Source": "vol", "Target": "/d"},
     "invalid mount config for type \"bind\": invalid mount path: 'vol' mount path must be absolute"),
    ({"Type": "bind", "Source": "/tmp", "Target": "/d", "VolumeOptions": {}},
     'invalid mount config for type "bind": field VolumeOptions must not be specified'),
    ({"Type": "bind", "Source": "/tmp", "Target": "/d", "BindOptions": {"Propagation": "weird"}},
     'invalid mount config for type "bind": invalid propagation mode: weird'),
    ({"Type": "volume", "Source": "v", "Target": "/d", "BindOptions": {}},
     'invalid mount config for type "volume": field BindOptions must not be specified'),
    ({"Type": "volume", "Target": "/d", "ReadOnly": True},
     'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'),
    ({"Type": "tmpfs", "Source": "x", "Target": "/d"},
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    ({"Target": "/d"}, 'invalid mount config for type "": mount type unknown'),
    ({"Type": "volume", "Source": "v", "Target": "/d"}, None),
    ({"Type": "bind", "Source": "/srv", "Target": "/d", "BindOptions": {"Propagation": "rslave"}}, None),
])
def test_container_mount_checks(mount, message):
    assert container_mount_error(mount) == message


def test_task_mount_checks_and_types_and_plugins():
    assert task_mount_error([{"Type": "bind", "Source": "vol", "Target": "/d"}]) == (
        "invalid bind mount source, must be an absolute path: vol")
    assert task_mount_error([{"Type": "volume", "Source": "v", "Target": "d"}]) == (
        "invalid mount target, must be an absolute path: d")
    assert task_mount_error([{"Type": "volume", "Source": "/abs", "Target": "/d"}]) == (
        "invalid volume mount source, must not be an absolute path: /abs")
    assert task_mount_error([{"Type": "tmpfs", "Source": "x", "Target": "/d"}]) == (
        "invalid tmpfs source, source must be empty")
    assert task_mount_error([{"Type": "volume", "Source": "v", "Target": "/d"}]) is None
    assert [service_mount_type({"Type": t}) for t in ("", "VOLUME", "tmpfs", "nope")] == [
        "bind", "volume", "tmpfs", None]
    assert volume_plugins_of([
        {"Type": "volume", "VolumeOptions": {"DriverConfig": {"Name": "local"}}},
        {"Type": "volume", "VolumeOptions": {"DriverConfig": {"Name": "sshfs"}}},
        {"Type": "bind", "VolumeOptions": {"DriverConfig": {"Name": "other"}}},
    ]) == ["sshfs"]


# containers --------------------------------------------------------------------------------

def test_container_create_refuses_bad_mounts_before_anything_else(api, engine):
    relative = [{"Type": "bind", "Source": "vol", "Target": "/data"}]
    assert _error(_create, api, relative) == (
        400, "invalid mount config for type \"bind\": invalid mount path: 'vol' mount path must be absolute")
    assert _error(_create, api, [{"type": "volume", "target": "/d", "bindoptions": {}}]) == (
        400, 'invalid mount config for type "volume": field BindOptions must not be specified')
    assert _error(_create, api, [{"Type": "volume", "Source": "vol1", "Target": "/data"},
                                 {"Type": "tmpfs", "Target": "/data"}]) == (400, "Duplicate mount point: /data")
    assert _error(_create, api, [], Binds=["vol2:/data", "/srv:/data"]) == (400, "Duplicate mount point: /data")
    assert api.containers(all=True) == []
    # the volumes of the mounts before a duplicate are made, as the daemon makes them
    assert list(engine.volumes.by_name) == ["vol1", "vol2"]


def test_a_named_bind_volume_uses_the_host_configs_volume_driver(api, engine):
    assert _error(_create, api, [], Binds=["vb:/data"], VolumeDriver="nosuchdriver") == (
        404, NO_PLUGIN.format("vb"))
    engine.add_volume_driver("fakeplug")
    _create(api, [], Binds=["vb:/data"], VolumeDriver="fakeplug")
    assert api.inspect_volume("vb")["Driver"] == "fakeplug"


# volume drivers ----------------------------------------------------------------------------

def test_declared_volume_drivers(api, engine):
    assert _error(api.create_volume, "v1", driver="fakeplug") == (404, NO_PLUGIN.format("v1").replace(
        "nosuchdriver", "fakeplug"))
    driver = engine.add_volume_driver("fakeplug", scope="global")
    vol = api.create_volume("v1", driver="fakeplug", driver_opts={"anything": "goes"})
    assert (vol["Driver"], vol["Scope"], vol["Options"]) == ("fakeplug", "global", {"anything": "goes"})
    assert vol["Mountpoint"] == f"{driver.mount_root}/v1"
    assert api.create_volume("v1", driver="fakeplug")["Options"] == {"anything": "goes"}
    assert _error(api.create_volume, "v1", driver="local") == (
        501, "fakedocker does not model a volume create of existing volume v1 with another driver")
    assert api.info()["Plugins"]["Volume"] == ["local", "fakeplug"]
    plugins = api.inspect_node(api.nodes()[0]["ID"])["Description"]["Engine"]["Plugins"]
    assert [p["Name"] for p in plugins if p["Type"] == "Volume"] == ["local", "fakeplug"]


# services and their tasks ------------------------------------------------------------------

def test_a_relative_bind_source_in_a_service_is_refused_by_the_executor(api, engine):
    sid = _service(api, [{"Type": "bind", "Source": "vol", "Target": "/data"}])
    assert _status(api, sid) == ("rejected", "shutdown", "resolving controller failed",
                                 "invalid bind mount source, must be an absolute path: vol")
    assert engine.volumes.by_name == {}
    sid = _service(api, [{"Type": "volume", "Source": "v", "Target": "/d", "BindOptions": {}}], name="svc2")
    assert _status(api, sid) == ("rejected", "shutdown", "preparing",
                                 'invalid mount config for type "volume": field BindOptions must not be specified')


def test_service_mount_types_are_swarmkits(api):
    assert _error(_service, api, [{"Type": "nope", "Target": "/d"}]) == (400, 'invalid MountType: "nope"')
    sid = _service(api, [{"Source": "vol", "Target": "/d"}, {"Type": "TMPFS", "Target": "/t"}])
    mounts = api.inspect_service(sid)["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert [m["Type"] for m in mounts] == ["bind", "tmpfs"]  # no type: swarmkit's zero value


def test_a_task_needing_a_missing_volume_plugin_stays_pending(api, engine):
    mount = types.Mount("/data", "pv", driver_config=types.DriverConfig("fakeplug"))
    template = types.TaskTemplate(types.ContainerSpec(IMAGE, ["sleep", "300"], mounts=[mount]))
    sid = api.create_service(template, name="svc")["ID"]
    assert _status(api, sid) == ("pending", "running", "pending task scheduling",
                                 "no suitable node (missing plugin on 1 node)")
    engine.add_volume_driver("fakeplug")  # the node reports the plugin: the task is placed
    assert _status(api, sid)[:3] == ("running", "running", "started")
    assert api.inspect_volume("pv")["Driver"] == "fakeplug"
