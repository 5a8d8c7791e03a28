"""fakedocker volumes: the store and the /volumes routes, through docker-py.

Expected values were taken from a real Docker 20.10.24 daemon (API 1.41).
"""

from __future__ import annotations

import re

import docker
import pytest
from fake_fixtures import NAME_PATTERNS, calls_counted, fake_engine_fixtures, fresh_api
from hypothesis import given, settings
from hypothesis import strategies as st

from fakedocker.routing import DaemonError

HEX64 = re.compile(r"^[0-9a-f]{64}$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


engine, api, client = fake_engine_fixtures({"busybox:1.36": {"Cmd": ["sh"]}})


def volume_events(engine, action=None):
    return [
        e for e in engine.events
        if e["Type"] == "volume" and (action is None or e["Action"] == action)
    ]


def api_error(excinfo):
    return excinfo.value.response.status_code, excinfo.value.explanation


def make_container(api, name, binds=None, start=False):
    cid = api.create_container(
        "busybox:1.36", "sleep 100", name=name,
        host_config=api.create_host_config(binds=binds or []),
    )["Id"]
    if start:
        api.start(cid)
    return cid


# create / inspect -------------------------------------------------------------------------


def test_create_named_volume_has_the_daemons_shape(api):
    vol = api.create_volume("data")
    assert vol == {
        "CreatedAt": vol["CreatedAt"],
        "Driver": "local",
        "Labels": None,
        "Mountpoint": "/var/lib/docker/volumes/data/_data",
        "Name": "data",
        "Options": None,
        "Scope": "local",
    }
    assert CREATED_AT.match(vol["CreatedAt"])
    assert api.inspect_volume("data") == vol


def test_create_with_labels_and_options(api):
    vol = api.create_volume(
        "tmp", driver="local", labels={"x": "1", "y": ""},
        driver_opts={"type": "tmpfs", "device": "tmpfs", "o": "size=1m"},
    )
    assert vol["Labels"] == {"x": "1", "y": ""}
    assert vol["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


def test_create_without_name_generates_a_64_hex_name(api):
    vol = api.create_volume()
    assert HEX64.match(vol["Name"])
    assert vol["Mountpoint"] == f"/var/lib/docker/volumes/{vol['Name']}/_data"


def test_create_existing_returns_it_unchanged_and_emits_create_again(engine, api):
    first = api.create_volume("data")
    again = api.create_volume("data", labels={"a": "b"}, driver_opts={"bogus": "1"})
    assert again == first
    creates = volume_events(engine, "create")
    assert [e["Actor"] for e in creates] == [
        {"ID": "data", "Attributes": {"driver": "local"}},
        {"ID": "data", "Attributes": {"driver": "local"}},
    ]
    assert creates[0]["scope"] == "local"


@pytest.mark.parametrize(
    ("name", "kwargs", "status", "message"),
    [
        ("a", {}, 400,
         "create a: volume name is too short, names should be at least two alphanumeric characters"),
        ("a/b", {}, 400,
         'create a/b: "a/b" includes invalid characters for a local volume name, only '
         '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
         "use absolute path"),
        ("-ab", {}, 400,
         'create -ab: "-ab" includes invalid characters for a local volume name, only '
         '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
         "use absolute path"),
        ("v1", {"driver": "foo"}, 404,
         'create v1: error looking up volume plugin foo: plugin "foo" not found'),
        ("v1", {"driver_opts": {"bogus": "1"}}, 400, 'create v1: invalid option: "bogus"'),
        ("v1", {"driver_opts": {"type": "tmpfs"}}, 400,
         'create v1: missing required option: "device"'),
        ("v1", {"driver_opts": {"o": "size=1m"}}, 400,
         'create v1: missing required option: "device"'),
        ("v1", {"driver_opts": {"device": "tmpfs"}}, 400,
         'create v1: missing required option: "type"'),
        ("v1", {"driver_opts": {"size": "1m"}}, 400,
         "create v1: quota size requested but no quota support"),
    ],
)
def test_create_errors(api, name, kwargs, status, message):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_volume(name, **kwargs)
    assert api_error(excinfo) == (status, message)


def test_create_existing_with_another_driver_is_a_plugin_error(api):
    api.create_volume("data")
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.create_volume("data", driver="foo")
    assert excinfo.value.explanation == (
        'create data: error looking up volume plugin foo: plugin "foo" not found'
    )


def test_inspect_missing_volume_is_404(api):
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.inspect_volume("nope")
    assert excinfo.value.explanation == "get nope: no such volume"


# list -------------------------------------------------------------------------------------


def names(result):
    return [v["Name"] for v in result["Volumes"]]


def test_list_answers_volumes_and_null_warnings(api):
    assert api.volumes() == {"Volumes": [], "Warnings": None}
    api.create_volume("v1")
    result = api.volumes()
    assert result["Warnings"] is None
    assert result["Volumes"] == [api.inspect_volume("v1")]


def test_list_name_filter_is_a_regex_search(api):
    for n in ("fd-q1", "fd-q2", "other"):
        api.create_volume(n)
    assert names(api.volumes(filters={"name": "d-q"})) == ["fd-q1", "fd-q2"]
    assert names(api.volumes(filters={"name": "^fd-q[1]$"})) == ["fd-q1"]
    assert names(api.volumes(filters={"name": ["q1", "oth"]})) == ["fd-q1", "other"]
    assert names(api.volumes(filters={"name": "zzz"})) == []


def test_list_label_filter_needs_every_label(api):
    api.create_volume("a1", labels={"x": "1", "y": ""})
    api.create_volume("a2", labels={"x": "2"})
    api.create_volume("a3")
    assert names(api.volumes(filters={"label": "x"})) == ["a1", "a2"]
    assert names(api.volumes(filters={"label": "x=1"})) == ["a1"]
    assert names(api.volumes(filters={"label": ["x=1", "y"]})) == ["a1"]
    assert names(api.volumes(filters={"label": ["x", "zz"]})) == []


def test_list_driver_filter_is_exact(api):
    api.create_volume("a1")
    assert names(api.volumes(filters={"driver": "local"})) == ["a1"]
    assert names(api.volumes(filters={"driver": "loc"})) == []


def test_list_dangling_filter(api):
    api.create_volume("used")
    api.create_volume("free")
    make_container(api, "c1", binds=["used:/data"])
    assert names(api.volumes(filters={"dangling": "true"})) == ["free"]
    assert names(api.volumes(filters={"dangling": "1"})) == ["free"]
    assert names(api.volumes(filters={"dangling": "false"})) == ["used"]
    assert names(api.volumes(filters={"dangling": "0"})) == ["used"]


def test_list_filter_errors(api):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.volumes(filters={"bogus": "x"})
    assert api_error(excinfo) == (400, "Invalid filter 'bogus'")
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.volumes(filters={"dangling": "maybe"})
    assert api_error(excinfo) == (400, "Invalid filter 'dangling=[maybe]'")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_.-]{1,8}", fullmatch=True), unique=True, max_size=6), NAME_PATTERNS)
def test_name_filter_matches_a_regex_search_of_each_name(vol_names, pattern):
    with fresh_api() as api:
        for n in vol_names:
            api.create_volume(n)
        listed = names(api.volumes(filters={"name": pattern}))
        assert listed == [n for n in vol_names if re.search(pattern, n)]


# remove -----------------------------------------------------------------------------------


def test_remove_volume_emits_destroy(engine, api):
    api.create_volume("data", labels={"a": "b"})
    api.remove_volume("data")
    with pytest.raises(docker.errors.NotFound):
        api.inspect_volume("data")
    destroy = volume_events(engine, "destroy")
    assert [e["Actor"] for e in destroy] == [{"ID": "data", "Attributes": {"driver": "local"}}]


@pytest.mark.parametrize("force", [False, True])
def test_remove_missing_volume_is_404_even_forced(api, force):
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.remove_volume("nope", force=force)
    assert excinfo.value.explanation == "get nope: no such volume"


@pytest.mark.parametrize("start", [False, True])
@pytest.mark.parametrize("force", [False, True])
def test_remove_volume_in_use_is_409(api, start, force):
    api.create_volume("data")
    cid = make_container(api, "c1", binds=["data:/data"], start=start)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.remove_volume("data", force=force)
    assert api_error(excinfo) == (409, f"remove data: volume is in use - [{cid}]")


def test_remove_volume_after_its_container_is_removed(api):
    api.create_volume("data")
    cid = make_container(api, "c1", binds=["data:/data"])
    api.remove_container(cid)
    api.remove_volume("data")
    assert names(api.volumes()) == []


# prune ------------------------------------------------------------------------------------


def test_prune_removes_unused_volumes_only(engine, api):
    api.create_volume("used")
    api.create_volume("free1")
    api.create_volume("free2")
    make_container(api, "c1", binds=["used:/data"])
    result = api.prune_volumes()
    assert result == {"VolumesDeleted": ["free1", "free2"], "SpaceReclaimed": 0}
    assert names(api.volumes()) == ["used"]
    prune = volume_events(engine, "prune")
    assert [e["Actor"] for e in prune] == [{"ID": "", "Attributes": {"reclaimed": "0"}}]


def test_prune_label_filters(api):
    api.create_volume("keep", labels={"k": "v"})
    api.create_volume("other", labels={"k": "w"})
    api.create_volume("bare")
    assert api.prune_volumes(filters={"label": "nolabel"}) == {
        "VolumesDeleted": [], "SpaceReclaimed": 0,
    }
    assert api.prune_volumes(filters={"label": "k=w"})["VolumesDeleted"] == ["other"]
    assert api.prune_volumes(filters={"label!": "k"})["VolumesDeleted"] == ["bare"]
    assert names(api.volumes()) == ["keep"]


@pytest.mark.parametrize("key", ["dangling", "name"])
def test_prune_rejects_other_filters(api, key):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.prune_volumes(filters={key: "true"})
    assert api_error(excinfo) == (400, f"Invalid filter '{key}'")


# the store interface used by containers ---------------------------------------------------


def test_store_ensure_creates_once_and_emits_create_each_time(engine):
    store = engine.volumes
    vol = store.ensure("auto")
    assert store.ensure("auto", labels={"ignored": "1"}) is vol
    assert vol.labels is None
    assert len(volume_events(engine, "create")) == 2


def test_store_create_anonymous_get_and_users(engine, api):
    store = engine.volumes
    vol = store.create_anonymous()
    assert HEX64.match(vol.name)
    assert store.get(vol.name) is vol
    assert store.users(vol.name) == []
    with pytest.raises(DaemonError) as excinfo:
        store.get("missing")
    assert (excinfo.value.status, excinfo.value.message) == (404, "get missing: no such volume")
    cid = make_container(api, "c1", binds=[f"{vol.name}:/data"])
    assert store.users(vol.name) == [cid]


def test_store_mount_and_unmount_events(engine):
    engine.volumes.ensure("data")
    engine.volumes.mount("data", "c" * 64, "/data", rw=False)
    engine.volumes.unmount("data", "c" * 64)
    mount, unmount = volume_events(engine, "mount"), volume_events(engine, "unmount")
    assert mount[0]["Actor"] == {"ID": "data", "Attributes": {
        "container": "c" * 64, "destination": "/data", "driver": "local", "propagation": "",
        "read/write": "false",
    }}
    assert unmount[0]["Actor"] == {"ID": "data", "Attributes": {
        "container": "c" * 64, "driver": "local",
    }}


def test_container_binds_create_named_volumes(engine, api):
    make_container(api, "c1", binds=["auto:/auto"])
    vol = api.inspect_volume("auto")
    assert vol["Driver"] == "local"
    assert vol["Labels"] is None


def test_volumes_operations_are_counted(engine, api):
    calls = [("create_volume", "v1"), ("inspect_volume", "v1"), ("volumes",), ("remove_volume", "v1"),
             ("prune_volumes",)]
    assert calls_counted(engine, api, calls) == {method: 1 for method, *_ in calls}


# high-level models --------------------------------------------------------------------------


def test_models_create_get_list_remove(client):
    vol = client.volumes.create("data", labels={"team": "a"})
    assert isinstance(vol, docker.models.volumes.Volume)
    assert vol.id == vol.name == "data"
    assert client.volumes.get("data").attrs == vol.attrs
    assert [v.name for v in client.volumes.list()] == ["data"]
    assert [v.name for v in client.volumes.list(filters={"label": "team=b"})] == []
    vol.remove()
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("data")
    assert client.volumes.list() == []


def test_models_prune(client):
    client.volumes.create("a1")
    assert client.volumes.prune() == {"VolumesDeleted": ["a1"], "SpaceReclaimed": 0}
