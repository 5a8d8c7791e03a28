"""fakedocker ``POST /containers/create``: what it keeps of MacAddress, the log driver, the
endpoint settings and legacy links, and what the docker CLI sends — through docker-py.

Expected values were taken from a real Docker 20.10.24 daemon (API 1.41); the parity
scenarios in tests/integration/test_parity_create.py check the same on both backends.
"""

from __future__ import annotations

import json

import docker
import pytest
from fake_fixtures import fake_engine_fixtures
from raw_api import creator, nets_of, state_of, with_endpoint

from fakedocker.routing import DaemonError
from fakedocker.state.containers.logconfig import resolve_log_config
from fakedocker.state.containers.netconfig import initial_network_keys, parse_link
from fakedocker.state.networks.model import parse_mac

engine, api, client = fake_engine_fixtures({"busybox:1.36": {"Cmd": ["sh"]}})

#: what docker CLI 28.2 sends for ``docker create --name cli busybox:1.36 true`` (API 1.41)
CLI_CREATE_BODY = json.loads("""{"Hostname":"","Domainname":"","User":"","AttachStdin":false,
"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,
"Env":null,"Cmd":["true"],"Image":"busybox:1.36","Volumes":{},"WorkingDir":"",
"Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"",
"LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},
"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"",
"VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"",
"Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"",
"Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,
"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"",
"UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,
"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],
"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,
"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"",
"Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,
"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],
"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,
"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,
"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"",
"EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"",
"GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}""")


def api_error(excinfo):
    return excinfo.value.response.status_code, excinfo.value.explanation


#: a container from a raw create body (``body``) and host config keys
create = creator("busybox:1.36", ["sleep", "100"])


def start_error(api, ref):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.start(ref)
    return api_error(excinfo)


def v6_network(api, name="v6"):
    ipam = docker.types.IPAMConfig(pool_configs=[
        docker.types.IPAMPool(subnet="10.232.0.0/24"),
        docker.types.IPAMPool(subnet="fd00:dead:beef::/64"),
    ])
    return api.create_network(name, enable_ipv6=True, ipam=ipam)["Id"]


# MacAddress ---------------------------------------------------------------------------------


def test_mac_address_is_the_default_bridge_endpoints(api):
    cid = api.create_container("busybox:1.36", "sleep 100", mac_address="02:42:AC:11:00:99")["Id"]
    info = api.inspect_container(cid)
    assert info["Config"]["MacAddress"] == "02:42:AC:11:00:99"  # as given
    assert info["NetworkSettings"]["MacAddress"] == ""
    api.start(cid)
    ns = api.inspect_container(cid)["NetworkSettings"]
    assert ns["MacAddress"] == ns["Networks"]["bridge"]["MacAddress"] == "02:42:ac:11:00:99"
    assert ns["IPAddress"] == "172.17.0.2"  # the address is allocated as usual


def test_mac_address_applies_to_the_network_mode_network_only(api):
    api.create_network("n1")
    cid = create(api, "c1", {"MacAddress": "02-42-ac-11-00-95"}, NetworkMode="n1")
    api.start(cid)
    api.connect_container_to_network(cid, "bridge")
    nets = nets_of(api, cid)
    assert nets["n1"]["MacAddress"] == "02:42:ac:11:00:95"
    assert nets["bridge"]["MacAddress"] == "02:42:ac:11:00:02"  # generated from its address
    api.stop(cid, timeout=0)
    assert {n: ep["MacAddress"] for n, ep in nets_of(api, cid).items()} == {"n1": "", "bridge": ""}
    assert api.inspect_container(cid)["Config"]["MacAddress"] == "02-42-ac-11-00-95"


@pytest.mark.parametrize("mode", ["default", "none"])
def test_a_malformed_mac_address_fails_the_start(api, mode):
    cid = create(api, "c1", {"MacAddress": "zz:42"}, NetworkMode=mode)
    assert start_error(api, cid) == (500, "address zz:42: invalid MAC address")
    assert state_of(api, cid) == ("created", 128, "address zz:42: invalid MAC address")
    assert api.inspect_network("bridge")["Containers"] == {}


@pytest.mark.parametrize("mode", ["host", "container:other"])
def test_mac_address_conflicts_with_shared_network_modes(api, mode):
    create(api, "other")
    with pytest.raises(docker.errors.APIError) as excinfo:
        create(api, "c1", {"MacAddress": "02:42:ac:11:00:94"}, NetworkMode=mode)
    assert api_error(excinfo) == (400, "conflicting options: mac-address and the network mode")


@pytest.mark.parametrize(("text", "parsed"), [
    ("02:42:AC:11:00:99", "02:42:ac:11:00:99"),
    ("02-42-ac-11-00-97", "02:42:ac:11:00:97"),
    ("0242.ac11.0097", "02:42:ac:11:00:97"),
    ("02:42:ac:11:00:96:11:22", "02:42:ac:11:00:96:11:22"),
    ("00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01",
     "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"),
])
def test_parse_mac_takes_what_go_takes(text, parsed):
    assert parse_mac(text) == parsed


@pytest.mark.parametrize("text", ["zz:42", "02:42:ac:11:00", "02:42:ac:11:00:9g",
                                  "02:42-ac:11:00:99", "02:42:ac:11:00:99:00", "0242ac110099"])
def test_parse_mac_refuses_what_go_refuses(text):
    with pytest.raises(DaemonError) as excinfo:
        parse_mac(text)
    assert (excinfo.value.status, excinfo.value.message) == (500, f"address {text}: invalid MAC address")


# log drivers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "shown"), [
    (None, {"Type": "json-file", "Config": {}}),
    ({}, {"Type": "json-file", "Config": {}}),
    ({"Type": "", "Config": None}, {"Type": "json-file", "Config": {}}),
    ({"Type": "", "Config": {"max-size": "1m"}}, {"Type": "json-file", "Config": {"max-size": "1m"}}),
    ({"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}},
     {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}),
    ({"Type": "json-file"}, {"Type": "json-file", "Config": {}}),
    ({"Type": "none", "Config": {"anything": "goes"}}, {"Type": "none", "Config": {"anything": "goes"}}),
    ({"Type": "local", "Config": {"mode": "non-blocking", "max-buffer-size": "1m"}},
     {"Type": "local", "Config": {"mode": "non-blocking", "max-buffer-size": "1m"}}),
])
def test_log_config_as_inspect_shows_it(api, given, shown):
    cid = create(api, "c1", LogConfig=given)
    assert api.inspect_container(cid)["HostConfig"]["LogConfig"] == shown


@pytest.mark.parametrize(("given", "status", "message"), [
    ({"Type": "asdf"}, 400, 'error looking up logging plugin asdf: plugin "asdf" not found'),
    ({"Type": "JSON-FILE"}, 400,
     'error looking up logging plugin JSON-FILE: plugin "JSON-FILE" not found'),
    ({"Type": "json-file", "Config": {"bogus": "1"}}, 400,
     "unknown log opt 'bogus' for json-file log driver"),
    ({"Type": "", "Config": {"bogus": "1"}}, 400, "unknown log opt 'bogus' for json-file log driver"),
    ({"Type": "local", "Config": {"tag": "t"}}, 400, "unknown log opt 'tag' for log driver local"),
    ({"Type": "json-file", "Config": {"mode": "bogus"}}, 400,
     "logger: logging mode not supported: bogus"),
    ({"Type": "json-file", "Config": {"max-buffer-size": "1m"}}, 400,
     "logger: max-buffer-size option is only supported with 'mode=non-blocking'"),
    ({"Type": "json-file", "Config": {"mode": "non-blocking", "max-buffer-size": "zz"}}, 400,
     "error parsing option max-buffer-size: invalid size: 'zz'"),
    ({"Type": "syslog"}, 501, "fakedocker does not model the syslog log driver"),
])
def test_log_config_errors(api, given, status, message):
    with pytest.raises(docker.errors.APIError) as excinfo:
        create(api, "c1", LogConfig=given)
    assert api_error(excinfo) == (status, message)
    assert api.containers(all=True) == []


def test_log_options_are_checked_before_the_name_and_image():
    with pytest.raises(DaemonError) as excinfo:
        resolve_log_config({"Type": "asdf", "Config": {"mode": "bogus"}})
    assert excinfo.value.message == "logger: logging mode not supported: bogus"


def test_a_container_whose_driver_keeps_no_logs_has_none_to_read(engine, api):
    cid = create(api, "c1", LogConfig={"Type": "none", "Config": {}})
    for running in (False, True):
        for kwargs in ({}, {"stream": True, "follow": False}, {"stream": True, "follow": True}):
            with pytest.raises(docker.errors.APIError) as excinfo:
                api.logs(cid, **kwargs)
            assert api_error(excinfo) == (501, "configured logging driver does not support reading")
        if not running:
            api.start(cid)
    assert api.inspect_container(cid)["LogPath"] == ""


def test_the_local_driver_is_read_like_json_file(engine, api):
    local = create(api, "c1", LogConfig={"Type": "local", "Config": {}})
    plain = create(api, "c2")
    api.start(local)
    api.start(plain)
    engine.containers.append_log(local, "hi\n")
    assert api.logs(local) == b"hi\n"
    assert api.inspect_container(local)["LogPath"] == ""  # only json-file writes one
    assert api.inspect_container(plain)["LogPath"].endswith(f"/{plain}/{plain}-json.log")


# endpoint settings --------------------------------------------------------------------------


def test_endpoint_settings_are_kept_and_used_at_start(api):
    net = v6_network(api)
    settings = {"IPAMConfig": {"IPv4Address": "10.232.0.9", "IPv6Address": "fd00:dead:beef::9",
                               "LinkLocalIPs": ["169.254.1.2", "fe80::1:2"]},
                "DriverOpts": {"com.example.x": "1"}}
    cid = create(api, "c1", with_endpoint("v6", settings))
    ep = nets_of(api, cid)["v6"]
    assert (ep["IPAMConfig"], ep["DriverOpts"], ep["NetworkID"]) == (
        settings["IPAMConfig"], settings["DriverOpts"], "")
    api.start(cid)
    ep = nets_of(api, cid)["v6"]
    assert ep["IPAMConfig"] == settings["IPAMConfig"] and ep["DriverOpts"] == settings["DriverOpts"]
    assert (ep["IPAddress"], ep["GlobalIPv6Address"], ep["GlobalIPv6PrefixLen"], ep["IPv6Gateway"]) == (
        "10.232.0.9", "fd00:dead:beef::9", 64, "fd00:dead:beef::1")
    assert ep["Aliases"] == [cid[:12]] and ep["NetworkID"] == net
    member = api.inspect_network(net)["Containers"][cid]
    assert (member["IPv4Address"], member["IPv6Address"]) == ("10.232.0.9/24", "fd00:dead:beef::9/64")


def test_empty_endpoint_settings_are_kept_empty(api):
    api.create_network("n1", ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet="10.231.0.0/24")]))
    cid = create(api, "c1", with_endpoint("n1", {
        "IPAMConfig": {"IPv4Address": "", "IPv6Address": "", "LinkLocalIPs": []}, "DriverOpts": {}}))
    api.start(cid)
    ep = nets_of(api, cid)["n1"]
    assert (ep["IPAMConfig"], ep["DriverOpts"], ep["IPAddress"]) == ({}, {}, "10.231.0.2")


@pytest.mark.parametrize(("network", "settings", "message"), [
    ("plain", {"IPAMConfig": {"IPv4Address": "172.30.0.5"}},
     "user specified IP address is supported only when connecting to networks with user "
     "configured subnets"),
    ("plain", {"IPAMConfig": {"IPv6Address": "fd00::5"}},
     "user specified IP address is supported only when connecting to networks with user "
     "configured subnets"),
    ("v4", {"IPAMConfig": {"IPv6Address": "fd00::5"}},
     "user specified IP address is supported only when connecting to networks with user "
     "configured subnets"),
    ("bridge", {"IPAMConfig": {"IPv4Address": "172.17.0.99"}},
     "user specified IP address is supported on user defined networks only"),
    ("bridge", {"IPAMConfig": {"IPv6Address": "fd00::5"}},
     "user specified IP address is supported on user defined networks only"),
    ("none", {"IPAMConfig": {"IPv4Address": "10.1.1.1"}},
     "user specified IP address is supported on user defined networks only"),
    ("bridge", {"Aliases": ["x"]},
     "network-scoped alias is supported only for containers in user defined networks"),
])
def test_endpoint_settings_a_network_refuses_fail_the_start(api, network, settings, message):
    api.create_network("plain")
    api.create_network("v4", ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet="10.231.0.0/24")]))
    cid = create(api, "c1", with_endpoint(network, settings))  # accepted at create
    assert nets_of(api, cid)[network]["IPAMConfig"] == settings.get("IPAMConfig")
    assert start_error(api, cid) == (400, message)
    assert state_of(api, cid) == ("created", 128, message)


@pytest.mark.parametrize(("addresses", "message"), [
    (["nope"], "Invalid link-local IP address: [nope]"),
    (["169.254.1.1", "nope"], "Invalid link-local IP address: [169.254.1.1 nope]"),
    (["10.1.1.1"], "invalid link local IP address: 10.1.1.1"),
])
def test_link_local_addresses_are_checked_at_start(api, addresses, message):
    api.create_network("plain")
    cid = create(api, "c1", with_endpoint("plain", {"IPAMConfig": {"LinkLocalIPs": addresses}}))
    assert start_error(api, cid) == (500, message)
    assert state_of(api, cid)[2] == message
    assert nets_of(api, cid)["plain"]["IPAddress"] == ""


def test_link_local_addresses_and_driver_opts_on_the_default_bridge(api):
    settings = {"IPAMConfig": {"LinkLocalIPs": ["169.254.1.3"]}, "DriverOpts": {"a": "b"}}
    cid = create(api, "c1", with_endpoint("bridge", settings))
    api.start(cid)
    ep = nets_of(api, cid)["bridge"]
    assert (ep["IPAMConfig"], ep["DriverOpts"], ep["IPAddress"]) == (
        settings["IPAMConfig"], {"a": "b"}, "172.17.0.2")


@pytest.mark.parametrize(("ipam", "message"), [
    ({"IPv4Address": "nope"}, "invalid IPv4 address: nope"),
    ({"IPv4Address": "fd00:dead:beef::7"}, "invalid IPv4 address: fd00:dead:beef::7"),
    ({"IPv6Address": "nope"}, "invalid IPv6 address: nope"),
    ({"IPv6Address": "10.232.0.7"}, "invalid IPv6 address: 10.232.0.7"),
    ({"IPv6Address": "::ffff:10.232.0.7"}, "invalid IPv6 address: ::ffff:10.232.0.7"),
])
def test_malformed_static_addresses_are_refused_at_create(api, ipam, message):
    v6_network(api)
    with pytest.raises(docker.errors.APIError) as excinfo:
        create(api, "c1", with_endpoint("v6", {"IPAMConfig": ipam}))
    assert api_error(excinfo) == (400, message)


def test_a_static_ipv6_address_outside_the_subnet_fails_the_start(api):
    v6_network(api)
    cid = create(api, "c1", with_endpoint("v6", {"IPAMConfig": {"IPv6Address": "fd00:1::7"}}))
    assert start_error(api, cid) == (
        500, "Invalid address fd00:1::7: It does not belong to any of this network's subnets")


def test_network_connect_keeps_the_same_endpoint_settings(api):
    v6_network(api)
    cid = create(api, "c1")
    api.start(cid)
    api.connect_container_to_network(cid, "v6", ipv4_address="10.232.0.9",
                                     ipv6_address="fd00:dead:beef::9",
                                     link_local_ips=["169.254.1.2"], driver_opt={"k": "v"})
    ep = nets_of(api, cid)["v6"]
    assert ep["IPAMConfig"] == {"IPv4Address": "10.232.0.9", "IPv6Address": "fd00:dead:beef::9",
                                "LinkLocalIPs": ["169.254.1.2"]}
    assert (ep["GlobalIPv6Address"], ep["DriverOpts"]) == ("fd00:dead:beef::9", {"k": "v"})
    api.create_network("v4only", ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet="10.233.0.0/24")]))
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(cid, "v4only", ipv6_address="fd00::9")
    assert api_error(excinfo) == (
        400, "user specified IP address is supported only when connecting to networks with "
             "user configured subnets")
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(cid, "v4only", link_local_ips=["10.1.1.1"])
    assert api_error(excinfo) == (500, "invalid link local IP address: 10.1.1.1")
    assert "v4only" not in nets_of(api, cid)


# which networks a create names --------------------------------------------------------------


def test_the_cli_create_body_names_the_default_network(api):
    cid = api.create_container_from_config({**CLI_CREATE_BODY, "Cmd": ["sleep", "100"]}, "cli")["Id"]
    info = api.inspect_container(cid)
    assert info["HostConfig"]["NetworkMode"] == "default"
    assert info["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert list(info["NetworkSettings"]["Networks"]) == ["bridge"]
    api.start(cid)
    assert nets_of(api, cid)["bridge"]["IPAddress"] == "172.17.0.2"


def test_the_cli_create_body_gets_the_daemons_defaults(api):
    host = api.inspect_container(api.create_container_from_config(CLI_CREATE_BODY, "cli")["Id"])[
        "HostConfig"]
    assert (host["CgroupnsMode"], host["IpcMode"], host["ShmSize"]) == ("host", "private", 64 * 2**20)
    assert (host["MemorySwappiness"], host["PidsLimit"]) == (None, None)
    assert len(host["MaskedPaths"]) == 10 and len(host["ReadonlyPaths"]) == 5
    # what the CLI sends as given stays as given
    assert (host["Dns"], host["RestartPolicy"], host["Devices"]) == (
        [], {"Name": "no", "MaximumRetryCount": 0}, [])


@pytest.mark.parametrize(("given", "shown"), [
    ({"Privileged": True}, {"MaskedPaths": None, "ReadonlyPaths": None}),
    ({"MaskedPaths": [], "ReadonlyPaths": ["/y"]}, {"MaskedPaths": [], "ReadonlyPaths": ["/y"]}),
    ({"PidsLimit": -1, "MemorySwappiness": -1}, {"PidsLimit": None, "MemorySwappiness": None}),
    ({"PidsLimit": 5, "MemorySwappiness": 10, "ShmSize": 1024, "IpcMode": "shareable",
      "CgroupnsMode": "private"},
     {"PidsLimit": 5, "MemorySwappiness": 10, "ShmSize": 1024, "IpcMode": "shareable",
      "CgroupnsMode": "private"}),
])
def test_host_config_defaults(api, given, shown):
    host = api.inspect_container(create(api, "c1", **given))["HostConfig"]
    assert {key: host[key] for key in shown} == shown


@pytest.mark.parametrize(("mode", "endpoints", "keys"), [
    ("default", {"default": {}}, ["bridge"]),
    ("default", {}, ["bridge"]),
    ("bridge", {}, ["bridge"]),
    ("bridge", {"default": {}}, ["default"]),  # only NetworkMode default means the bridge
    ("n1", {"n2": {}}, ["n2"]),  # the endpoint, not the mode's network
    ("n1", {"N1ID": {}}, ["n1"]),  # the mode network's id: stored under its name
    ("N1ID", {}, ["n1"]),
    ("missing", {}, ["missing"]),
    ("container:x", {}, []),
])
def test_initial_network_keys(mode, endpoints, keys):
    assert list(initial_network_keys(mode, endpoints, ("n1", "N1ID") if "1" in mode.upper() else None)) == keys


def test_a_missing_network_is_named_at_create_and_fails_at_start(api):
    api.create_network("n1")
    for name, body in [("c1", {"HostConfig": {"NetworkMode": "missing"}}),
                       ("c2", with_endpoint("missing", {}, mode="n1"))]:
        cid = create(api, name, body)
        assert list(nets_of(api, cid)) == ["missing"]
        assert start_error(api, cid) == (500, "invalid cluster node while attaching to network")


def test_endpoint_named_default_with_another_mode_fails_at_start(api):
    cid = create(api, "c1", with_endpoint("default", {"DriverOpts": {"a": "b"}}, mode="bridge"))
    assert list(nets_of(api, cid)) == ["default"]
    assert start_error(api, cid) == (500, "invalid cluster node while attaching to network")
    cid = create(api, "c2", with_endpoint("default", {"DriverOpts": {"a": "b"}}, mode="default"))
    assert nets_of(api, cid)["bridge"]["DriverOpts"] == {"a": "b"}


def test_no_endpoint_settings(api):
    with pytest.raises(docker.errors.APIError) as excinfo:
        create(api, "c1", {"NetworkingConfig": {"EndpointsConfig": {"n1": None}}})
    assert api_error(excinfo) == (400, "no EndpointSettings for n1")


# legacy links -------------------------------------------------------------------------------


def links_of(api, ref):
    return api.inspect_container(ref)["HostConfig"]["Links"]


def test_links_on_the_default_bridge(api):
    target = create(api, "target")
    cid = create(api, "c1", Links=["target:tgt"])
    assert links_of(api, cid) == ["/target:/c1/tgt"]
    assert nets_of(api, cid)["bridge"]["Links"] is None
    message = "Cannot link to a non running container: /target AS /c1/tgt"
    assert start_error(api, cid) == (500, message)
    assert state_of(api, cid) == ("created", 128, message)
    assert api.inspect_network("bridge")["Containers"] == {}
    api.start(target)
    api.start(cid)
    assert links_of(api, cid) == ["/target:/c1/tgt"]
    api.rename(target, "renamed")
    assert links_of(api, cid) == ["/renamed:/c1/tgt"]


@pytest.mark.parametrize(("link", "shown"), [
    ("target", "/target:/c1/target"),
    ("/target:/old/al", "/target:/c1/al"),
])
def test_link_forms(api, link, shown):
    create(api, "target")
    assert links_of(api, create(api, "c1", Links=[link])) == [shown]


def test_links_by_id_and_to_a_removed_container(api):
    target = create(api, "target")
    cid = create(api, "c1", Links=[f"{target[:12]}:t"])
    assert links_of(api, cid) == ["/target:/c1/t"]
    api.remove_container(target)
    assert links_of(api, cid) == ["/target:/c1/t"]
    assert start_error(api, cid) == (500, "Cannot link to a non running container: /target AS /c1/t")


def test_remove_a_link(api):
    target = create(api, "target")
    cid = create(api, "c1", Links=["target:al"])
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.remove_container("target", link=True)
    assert api_error(excinfo) == (500, "Conflict, cannot remove the default link name of the container")
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.remove_container("/c1/nope", link=True)
    assert api_error(excinfo) == (404, "No such container: c1/nope")
    api.remove_container("/c1/al", link=True)
    assert links_of(api, cid) is None
    assert {c["Id"] for c in api.containers(all=True)} == {target, cid}  # both stay
    api.start(cid)  # nothing left to link to


@pytest.mark.parametrize(("links", "mode", "status", "message"), [
    (["nope:tgt"], "default", 400, "could not get container for nope: No such container: nope"),
    (["c1:me"], "default", 400, "could not get container for c1: No such container: c1"),
    (["a:b:c"], "default", 500, "bad format for links: a:b:c"),
    ([""], "default", 500, "empty string specified for links"),
    (["target:tgt"], "host", 400, "conflicting options: host type networking can't be used "
                                  "with links. This would result in undefined behavior"),
    (["target:tgt"], "container:target", 400, "conflicting options: container type network "
     "can't be used with links. This would result in undefined behavior"),
    (["hosted:h"], "default", 400, "conflicting options: host type networking can't be used "
                                   "with links. This would result in undefined behavior"),
])
def test_link_errors_at_create(api, links, mode, status, message):
    create(api, "target")
    create(api, "hosted", NetworkMode="host")
    with pytest.raises(docker.errors.APIError) as excinfo:
        create(api, "c1", Links=links, NetworkMode=mode)
    assert api_error(excinfo) == (status, message)
    assert "c1" not in [c["Names"][0] for c in api.containers(all=True)]


def test_links_on_a_user_defined_network_are_not_registered(api):
    api.create_network("n1")
    cid = create(api, "c1", Links=["nope:tgt"], NetworkMode="n1")  # not even looked up
    assert links_of(api, cid) is None
    api.start(cid)
    # the CLI sends them in the endpoint too: those are kept there
    cid = create(api, "c2", with_endpoint("n1", {"Links": ["c1:one"]}), Links=["c1:one"])
    assert links_of(api, cid) is None and nets_of(api, cid)["n1"]["Links"] == ["c1:one"]


@pytest.mark.parametrize(("value", "parsed"), [
    ("a:b", ("a", "b")), ("a", ("a", "a")), ("/a:/p/b", ("a", "b")),
])
def test_parse_link(value, parsed):
    assert parse_link(value) == parsed
