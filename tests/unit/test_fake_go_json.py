"""Request bodies read as Go's encoding/json reads them: keys matched to the API's structs
without regard to case, unknown keys dropped, the daemon's own case in what it answers."""

from __future__ import annotations

from fake_fixtures import fake_engine_fixtures
from raw_api import post_json, service_spec_as_kept

from fakedocker.state.go_json import SERVICE_SPEC, go_fields, service_spec_for

IMAGE = "fakedocker-test/busybox:1.36"
engine, api, client = fake_engine_fixtures({IMAGE: {"Cmd": ["sh"]}}, swarm=True)


# the pure decoding -------------------------------------------------------------------------

def test_keys_match_fields_case_insensitively_and_unknown_ones_go():
    body = {"name": "web", "taskTEMPLATE": {"containerspec": {"image": IMAGE, "tty": True,
                                                               "NoSuchField": 1}},
            "updateconfig": {"order": "start-first", "parallelism": 2}, "bogus": {"x": 1}}
    assert go_fields(body, SERVICE_SPEC) == {
        "Name": "web",
        "TaskTemplate": {"ContainerSpec": {"Image": IMAGE, "TTY": True}},
        "UpdateConfig": {"Order": "start-first", "Parallelism": 2},
    }


def test_string_maps_keep_their_keys_and_lists_of_structs_are_decoded_each():
    body = {"labels": {"MiXeD": "v"}, "TaskTemplate": {"ContainerSpec": {
        "Image": IMAGE, "labels": {"Key": "V"}, "sysctls": {"net.ipv4.ip_forward": "1"},
        "mounts": [{"type": "volume", "source": "v", "target": "/d",
                    "volumeoptions": {"driverconfig": {"name": "local", "options": {"Type": "x"}}}}],
    }}, "EndpointSpec": {"ports": [{"targetport": 80, "publishmode": "host"}]}}
    out = go_fields(body, SERVICE_SPEC)
    assert out["Labels"] == {"MiXeD": "v"}
    cs = out["TaskTemplate"]["ContainerSpec"]
    assert cs["Labels"] == {"Key": "V"}
    assert cs["Sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert cs["Mounts"] == [{"Type": "volume", "Source": "v", "Target": "/d", "VolumeOptions": {
        "DriverConfig": {"Name": "local", "Options": {"Type": "x"}}}}]
    assert out["EndpointSpec"] == {"Ports": [{"TargetPort": 80, "PublishMode": "host"}]}


def test_a_later_key_overwrites_an_earlier_one_and_empty_structs_drop_what_they_lack():
    body = {"Mode": {"global": {"anything": 1}}, "Name": "a", "name": "b"}
    assert go_fields(body, SERVICE_SPEC) == {"Mode": {"Global": {}}, "Name": "b"}


# through the API ---------------------------------------------------------------------------

def test_service_spec_is_stored_and_echoed_in_the_daemons_case(api):
    created = post_json(api, "/services/create", {
        "name": "web", "labels": {"k": "v"},
        "tasktemplate": {"containerspec": {"image": IMAGE, "command": ["sleep", "300"],
                                           "unknownfield": "x"},
                         "restartpolicy": {"condition": "none"}},
        "mode": {"replicated": {"replicas": 2}},
        "updateconfig": {"order": "start-first", "failureaction": "rollback"},
        "rollbackconfig": {"Order": "stop-first"},
    })
    spec = api.inspect_service(created["ID"])["Spec"]
    assert spec == service_spec_as_kept(
        "web", {"k": "v"}, {"Image": IMAGE, "Command": ["sleep", "300"]}, replicas=2,
        update={"FailureAction": "rollback", "Order": "start-first"}, rollback={"Order": "stop-first"})
    # the tasks run the decoded spec: two replicas, as the lower-case "replicas" asked
    assert len(api.tasks(filters={"service": created["ID"]})) == 2
    version = api.inspect_service(created["ID"])["Version"]["Index"]
    api._result(api._post_json(api._url("/services/{0}/update", created["ID"]), params={"version": version},
                               data={**spec, "updateconfig": {"ORDER": "stop-first"}}), json=True)
    # "UpdateConfig" comes first in the body, "updateconfig" after it: the later one wins
    assert api.inspect_service(created["ID"])["Spec"]["UpdateConfig"]["Order"] == "stop-first"


def test_service_update_reads_lower_case_keys(api):
    created = post_json(api, "/services/create", {"Name": "web", "TaskTemplate": {
        "ContainerSpec": {"Image": IMAGE}}})
    spec = api.inspect_service(created["ID"])["Spec"]
    version = api.inspect_service(created["ID"])["Version"]["Index"]
    body = {k: v for k, v in spec.items() if k != "Mode"}
    body["mode"] = {"replicated": {"replicas": 3}}
    body["updateconfig"] = {"order": "start-first"}
    api._result(api._post_json(api._url("/services/{0}/update", created["ID"]), data=body,
                               params={"version": version}), json=True)
    spec = api.inspect_service(created["ID"])["Spec"]
    assert spec["Mode"] == {"Replicated": {"Replicas": 3}}
    assert spec["UpdateConfig"] == {"Parallelism": 0, "FailureAction": "pause",
                                    "MaxFailureRatio": 0, "Order": "start-first"}


def test_swarm_and_node_specs_read_lower_case_keys(api):
    version = api.inspect_swarm()["Version"]["Index"]
    api._raise_for_status(api._post_json(api._url("/swarm/update"), params={"version": version}, data={
        "orchestration": {"taskhistoryretentionlimit": 7}, "labels": {"Team": "a"}, "junk": 1}))
    spec = api.inspect_swarm()["Spec"]
    assert spec["Orchestration"] == {"TaskHistoryRetentionLimit": 7}
    assert spec["Labels"] == {"Team": "a"}
    assert "junk" not in spec
    node = api.nodes()[0]
    api._raise_for_status(api._post_json(
        api._url("/nodes/{0}/update", node["ID"]), params={"version": node["Version"]["Index"]},
        data={"labels": {"Zone": "a"}, "role": "manager", "availability": "drain"}))
    assert api.inspect_node(node["ID"])["Spec"] == {"Labels": {"Zone": "a"}, "Role": "manager",
                                                    "Availability": "drain"}


def test_network_and_volume_create_read_lower_case_keys(api):
    net = post_json(api, "/networks/create", {"name": "fdnet", "driver": "overlay", "attachable": True,
                                          "labels": {"L": "1"}, "ipam": {"config": [{"subnet": "10.77.0.0/24"}]}})
    info = api.inspect_network(net["Id"])
    assert (info["Name"], info["Driver"], info["Attachable"], info["Labels"]) == ("fdnet", "overlay", True, {"L": "1"})
    assert info["IPAM"]["Config"][0]["Subnet"] == "10.77.0.0/24"
    vol = post_json(api, "/volumes/create", {"name": "fdvol", "driver": "local", "labels": {"L": "1"},
                                         "driveropts": {"type": "tmpfs", "device": "tmpfs"}})
    assert (vol["Name"], vol["Labels"], vol["Options"]) == ("fdvol", {"L": "1"}, {"type": "tmpfs", "device": "tmpfs"})


def test_fields_added_after_1_41_are_read_only_by_an_engine_that_claims_them():
    body = {"TaskTemplate": {"ContainerSpec": {"Image": IMAGE, "privileges": {"nonewprivileges": True},
                                               "Mounts": [{"Type": "volume", "Target": "/d",
                                                           "VolumeOptions": {"subpath": "x"}}]}}}
    old = go_fields(body, service_spec_for("1.41"))["TaskTemplate"]["ContainerSpec"]
    new = go_fields(body, service_spec_for("1.46"))["TaskTemplate"]["ContainerSpec"]
    assert (old["Privileges"], old["Mounts"][0]["VolumeOptions"]) == ({}, {})
    assert (new["Privileges"], new["Mounts"][0]["VolumeOptions"]) == ({"NoNewPrivileges": True}, {"Subpath": "x"})
