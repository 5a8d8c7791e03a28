"""Volumes and networks, fake vs real (the real daemon runs in swarm mode: see provision.sh)."""

import pytest
from conftest import BUSYBOX
from normalize import error_of, normalize, subset

SLEEP = ["sh", "-c", "sleep 1000"]
TMPFS_OPTS = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


def test_volume_lifecycle(api, names, daemon):
    name = names("vol")
    created = api.create_volume(name, driver="local", driver_opts=TMPFS_OPTS,
                                labels={"k": "v", **names.label})
    expected = {
        "CreatedAt": "<time>", "Driver": "local", "Labels": {"k": "v", "fdtest": "fdtest-X"},
        "Mountpoint": "/var/lib/docker/volumes/fdtest-X-vol/_data", "Name": "fdtest-X-vol",
        "Options": TMPFS_OPTS, "Scope": "local",
    }
    assert names.norm(created) == expected
    assert names.norm(api.inspect_volume(name)) == expected
    # Creating an existing volume again returns it unchanged (no error, labels not updated).
    assert names.norm(api.create_volume(name, labels={"k": "other"})) == expected
    listed = api.volumes(filters={"name": name})
    assert names.norm(listed) == {"Volumes": [expected], "Warnings": None}
    assert api.volumes(filters={"name": names("nothing")}) == {"Volumes": [], "Warnings": None}

    # In use by a container, even one never started.
    container = api.create_container(BUSYBOX, command=SLEEP, name=names("c"),
                                     host_config=api.create_host_config(binds=[f"{name}:/data"]))
    assert error_of(api.remove_volume, name) == (
        "APIError", 409, f"remove {name}: volume is in use - [<id>]",
    )
    api.start(container)
    assert error_of(api.remove_volume, name) == (
        "APIError", 409, f"remove {name}: volume is in use - [<id>]",
    )
    api.remove_container(container, force=True)
    assert api.remove_volume(name) is None
    missing = daemon.says(f"get {name}: no such volume", f"volume {name} not found")
    assert error_of(api.remove_volume, name) == ("NotFound", 404, missing)
    assert error_of(api.inspect_volume, name) == ("NotFound", 404, missing)


def test_anonymous_volume_name(api, names):
    created = api.create_volume(labels=names.label)
    assert normalize(created["Name"]) == "<id>"
    api.remove_volume(created["Name"])


def test_default_networks_exist(api):
    listed = {n["Name"]: (n["Driver"], n["Scope"]) for n in api.networks()}
    assert listed["bridge"] == ("bridge", "local")
    assert listed["host"] == ("host", "local")
    assert listed["none"] == ("null", "local")
    assert sorted(n["Name"] for n in api.networks(names=["host"])) == ["host"]


def test_network_lifecycle(api, names, daemon):
    net, cname = names("net"), names("c")
    created = api.create_network(net, driver="bridge", labels={"nk": "nv", **names.label},
                                 attachable=True)
    assert normalize(created) == {"Id": "<id>", "Warning": ""}
    info = names.norm(api.inspect_network(net))
    assert info == {
        "Name": "fdtest-X-net", "Id": "<id>", "Created": "<time>", "Scope": "local",
        "Driver": "bridge", "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None,
                 "Config": [{"Subnet": "<ip>", "Gateway": "<ip>"}]},
        "Internal": False, "Attachable": True, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {}, "Options": {},
        "Labels": {"nk": "nv", "fdtest": "fdtest-X"},
    }
    assert api.inspect_network(created["Id"])["Name"] == net
    assert [n["Name"] for n in api.networks(names=[net])] == [net]
    assert error_of(api.create_network, net, driver="bridge", check_duplicate=True) == (
        "APIError", 409, f"network with name {net} already exists",
    )

    container = api.create_container(BUSYBOX, command=SLEEP, name=cname)
    assert api.connect_container_to_network(container, net, aliases=["alias1", "alias2"]) is None
    endpoint = names.norm(api.inspect_container(container)["NetworkSettings"]["Networks"])
    assert sorted(endpoint) == ["bridge", "fdtest-X-net"]
    # Before start: addresses are empty; 20.10's alias list already ends with the short id,
    # 26 keeps the aliases asked for and lists the names the network's DNS answers to
    if daemon.at_least(26):
        aliases = ["alias1", "alias2"]
        assert endpoint["fdtest-X-net"]["DNSNames"] == ["fdtest-X-c", "alias1", "alias2", "<short-id>"]
        assert endpoint["bridge"]["DNSNames"] is None
    else:
        aliases = ["<short-id>", "alias1", "alias2"]
        assert "DNSNames" not in endpoint["fdtest-X-net"]
    assert subset(endpoint["fdtest-X-net"], ["Aliases", "IPAddress", "NetworkID", "IPAMConfig",
                                             "Links", "DriverOpts"]) == {
        "Aliases": aliases, "IPAddress": "", "NetworkID": "",
        "IPAMConfig": None, "Links": None, "DriverOpts": None,
    }
    assert api.inspect_container(container)["NetworkSettings"]["Networks"][net]["Aliases"] == [
        "alias1", "alias2", *([] if daemon.at_least(26) else [container["Id"][:12]]),
    ]

    api.start(container)
    endpoint = names.norm(api.inspect_container(container)["NetworkSettings"]["Networks"])
    assert subset(endpoint["fdtest-X-net"], ["Aliases", "IPAddress", "NetworkID", "EndpointID",
                                             "Gateway", "MacAddress", "GlobalIPv6Address"]) == {
        "Aliases": aliases, "IPAddress": "<ip>", "NetworkID": "<id>",
        "EndpointID": "<id>", "Gateway": "<ip>", "MacAddress": "<mac>", "GlobalIPv6Address": "",
    }
    assert names.norm(api.inspect_network(net)["Containers"]) == {
        "<id>": {"Name": "fdtest-X-c", "EndpointID": "<id>", "MacAddress": "<mac>",
                 "IPv4Address": "<ip>", "IPv6Address": ""},
    }
    assert error_of(api.connect_container_to_network, container, net) == (
        "APIError", 403, f"endpoint with name {cname} already exists in network {net}",
    )
    assert error_of(api.remove_network, net) == (
        "APIError", 403,
        f"error while removing network: network {net} id <id> has active endpoints",
    )
    assert api.disconnect_container_from_network(container, net) is None
    assert list(api.inspect_container(container)["NetworkSettings"]["Networks"]) == ["bridge"]
    assert error_of(api.disconnect_container_from_network, container, net) == (
        "APIError", 500, f"container <id> is not connected to network {net}",
    )
    assert api.remove_network(net) is None
    assert error_of(api.remove_network, net) == ("NotFound", 404, f"network {net} not found")
    assert error_of(api.inspect_network, net) == ("NotFound", 404, f"network {net} not found")
    api.kill(container)


def test_connect_to_missing_network(api, names):
    # In swarm mode an unknown network name is looked up in the cluster too: 500, not 404.
    net = names("nonet")
    failure = (f"Could not attach to network {net}: rpc error: code = NotFound "
               f"desc = network {net} not found")
    running = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    api.start(running)
    assert error_of(api.connect_container_to_network, running, net) == ("APIError", 500, failure)

    # A created container accepts any network name; the failure comes at start.
    created = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    assert api.connect_container_to_network(created, net) is None
    assert sorted(api.inspect_container(created)["NetworkSettings"]["Networks"]) == sorted(
        ["bridge", net])
    assert error_of(api.start, created) == ("APIError", 500, failure)
    state = api.inspect_container(created)["State"]
    assert subset(state, ["Status", "Running", "ExitCode", "Error", "Pid"]) == {
        "Status": "created", "Running": False, "ExitCode": 128, "Error": failure, "Pid": 0,
    }


def test_duplicate_network_name_without_check(api, names, daemon):
    # API 1.41 with CheckDuplicate unset (docker-py's default): a second network of that name;
    # 26 checks whatever the request says
    net = names("net")
    first = api.create_network(net, driver="bridge")
    if daemon.at_least(26):
        assert error_of(api.create_network, net, driver="bridge") == (
            "APIError", 409, f"network with name {net} already exists")
        api.remove_network(first["Id"])
        return
    second = api.create_network(net, driver="bridge")
    assert second["Id"] != first["Id"]
    assert normalize(second) == {
        "Id": "<id>", "Warning": f"Network with name {net} (id : <id>) already exists",
    }
    assert second["Warning"] == f"Network with name {net} (id : {first['Id']}) already exists"
    assert sorted(n["Id"] for n in api.networks(names=[net])) == sorted([first["Id"],
                                                                          second["Id"]])
    for created in (first, second):
        api.remove_network(created["Id"])


def test_remove_network_of_stopped_container(api, names):
    # Only running endpoints block removal; a stopped container keeps a stale entry.
    net = names("net")
    api.create_network(net, driver="bridge")
    container = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    api.connect_container_to_network(container, net)
    assert api.remove_network(net) is None
    assert sorted(api.inspect_container(container)["NetworkSettings"]["Networks"]) == sorted(
        ["bridge", net])


def test_mount_fields_match_case_insensitively(api, names):
    """A mount written by hand ({"type": ..., "driver_config": {"name": ...}} through docker-py's
    Mount) is decoded like Go decodes JSON: field names case-insensitively; inspect shows the
    canonical names, and the volume is made with the driver's options."""
    vol = names("vol")
    mount = {"type": "volume", "source": vol, "target": "/data",
             "VolumeOptions": {"driverconfig": {"name": "local", "options": TMPFS_OPTS}, "labels": names.label}}
    container = api.create_container(BUSYBOX, command=SLEEP, name=names("c"),
                                     host_config=api.create_host_config(mounts=[mount]))
    info = api.inspect_container(container)
    assert names.norm(info["HostConfig"]["Mounts"]) == [{
        "Type": "volume", "Source": "fdtest-X-vol", "Target": "/data",
        "VolumeOptions": {"Labels": {"fdtest": "fdtest-X"}, "DriverConfig": {"Name": "local", "Options": TMPFS_OPTS}},
    }]
    volume = api.inspect_volume(vol)
    assert (volume["Driver"], volume["Options"], volume["Labels"]) == ("local", TMPFS_OPTS, names.label)
    api.remove_container(container, force=True)


@pytest.mark.host_daemon_only("binds a directory of the host, which a node's engine does not see "
                               "(its /tmp is a mount of its own)")
def test_a_slave_bind_needs_a_shared_or_slave_host_mount(api, names, tmp_path):
    """This machine's / is a private mount (no systemd): a slave or shared bind is created but
    refused at start, the container left created with exit code 128 and the reason."""
    source = str(tmp_path)
    for propagation, problem in (("rslave", "a shared or slave mount"), ("rshared", "a shared mount")):
        host_config = api.create_host_config(binds={source: {"bind": "/mnt", "mode": "rw", "propagation": propagation}})
        container = api.create_container(BUSYBOX, command=["true"], name=names(propagation), host_config=host_config)
        info = api.inspect_container(container)
        assert info["HostConfig"]["Binds"] == [f"{source}:/mnt:rw,{propagation}"]
        assert [(m["Mode"], m["RW"], m["Propagation"]) for m in info["Mounts"]] == [(f"rw,{propagation}", True, propagation)]
        message = f"path {source} is mounted on / but it is not {problem}"
        assert error_of(api.start, container) == ("APIError", 500, message)
        state = api.inspect_container(container)["State"]
        assert (state["Status"], state["ExitCode"], state["Error"]) == ("created", 128, message)
        api.remove_container(container, force=True)
    private = api.create_container(BUSYBOX, command=["true"], name=names("private"),
                                   host_config=api.create_host_config(binds={source: {"bind": "/mnt", "propagation": "private"}}))
    api.start(private)
    assert api.wait(private)["StatusCode"] == 0
    api.remove_container(private, force=True)
