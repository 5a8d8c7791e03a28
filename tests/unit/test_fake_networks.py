"""fakedocker networks: the store and the /networks routes, through docker-py.

Expected values were taken from a real Docker 20.10.24 daemon (API 1.41).  Tests that attach
containers create them through the API (they need the containers part of the fake).
"""

from __future__ import annotations

import ipaddress
import re

import docker
import pytest
from fake_fixtures import NAME_PATTERNS, calls_counted, fake_engine_fixtures, fresh_api
from hypothesis import given, settings
from hypothesis import strategies as st

import fakedocker
from fakedocker.routing import DaemonError

HEX64 = re.compile(r"^[0-9a-f]{64}$")
SWARM_ID = re.compile(r"^[0-9a-z]{25}$")
CREATED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
OPERATIONAL_EMPTY = {
    "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
    "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "",
}


engine, api, client = fake_engine_fixtures({"busybox:1.36": {"Cmd": ["sh"]}})


@pytest.fixture
def swarm(engine):
    """A swarm-active engine (networks only look at ``engine.swarm.cluster.active``)."""
    engine.swarm.cluster.active = True
    return engine


def api_error(excinfo):
    return excinfo.value.response.status_code, excinfo.value.explanation


def net_events(engine, action=None):
    return [
        e for e in engine.events
        if e["Type"] == "network" and (action is None or e["Action"] == action)
    ]


def make_container(api, name, network=None, aliases=None, start=False, **hc):
    kwargs = {}
    if network:
        hc["network_mode"] = network
        if aliases:
            kwargs["networking_config"] = api.create_networking_config(
                {network: api.create_endpoint_config(aliases=aliases)}
            )
    cid = api.create_container(
        "busybox:1.36", "sleep 100", name=name, host_config=api.create_host_config(**hc), **kwargs
    )["Id"]
    if start:
        api.start(cid)
    return cid


def nets_of(api, cid):
    return api.inspect_container(cid)["NetworkSettings"]["Networks"]


def subnet_of(api, ref):
    return [c["Subnet"] for c in api.inspect_network(ref)["IPAM"]["Config"]]


# predefined networks ------------------------------------------------------------------------


def test_fresh_engine_has_bridge_host_none(api):
    listed = {n["Name"]: n for n in api.networks()}
    assert set(listed) == {"bridge", "host", "none"}
    bridge = api.inspect_network("bridge")
    assert HEX64.match(bridge["Id"])
    assert CREATED.match(bridge["Created"])
    assert bridge == {
        "Name": "bridge", "Id": bridge["Id"], "Created": bridge["Created"], "Scope": "local",
        "Driver": "bridge", "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "172.17.0.0/16"}]},
        "Internal": False, "Attachable": False, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {},
        "Options": {
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.driver.mtu": "1500",
        },
        "Labels": {},
    }
    for name, driver in (("host", "host"), ("none", "null")):
        net = api.inspect_network(name)
        assert net["Driver"] == driver
        assert net["IPAM"] == {"Driver": "default", "Options": None, "Config": []}
        assert net["Options"] == {} and net["Labels"] == {} and net["Containers"] == {}


@pytest.mark.parametrize("name", ["bridge", "host", "none"])
def test_predefined_networks_cannot_be_removed(api, name):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.remove_network(name)
    assert api_error(excinfo) == (403, f"{name} is a pre-defined network and cannot be removed")


@pytest.mark.parametrize("name", ["bridge", "host", "none", "default"])
def test_predefined_names_cannot_be_created(api, name):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network(name)
    assert api_error(excinfo) == (403, f"operation is not permitted on predefined {name} network ")


@pytest.mark.parametrize("name", ["bridge", "host"])
def test_in_a_swarm_bridge_and_host_names_are_conflicts(swarm, api, name):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network(name)
    assert api_error(excinfo) == (409, f"network with name {name} already exists")


# create ---------------------------------------------------------------------------------------


def test_create_bridge_network_shape_and_event(engine, api):
    result = api.create_network("n1", labels={"a": "b"})
    assert set(result) == {"Id", "Warning"}
    assert HEX64.match(result["Id"]) and result["Warning"] == ""
    net = api.inspect_network("n1")
    assert net == {
        "Name": "n1", "Id": result["Id"], "Created": net["Created"], "Scope": "local",
        "Driver": "bridge", "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None,
                 "Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]},
        "Internal": False, "Attachable": False, "Ingress": False,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": {},
        "Options": {}, "Labels": {"a": "b"},
    }
    [event] = net_events(engine, "create")
    assert event["Actor"] == {"ID": result["Id"], "Attributes": {"name": "n1", "type": "bridge"}}
    assert event["scope"] == "local"


def test_create_options_flags_and_default_labels(api):
    api.create_network(
        "n1", driver="bridge", internal=True, attachable=True,
        options={"com.docker.network.bridge.name": "br0"},
        ipam=docker.types.IPAMConfig(options={"a": "b"}),
    )
    net = api.inspect_network("n1")
    assert net["Internal"] is True and net["Attachable"] is True
    assert net["Options"] == {"com.docker.network.bridge.name": "br0"}
    assert net["IPAM"]["Options"] == {"a": "b"}
    assert net["Labels"] == {}


def test_subnets_are_handed_out_round_robin(api):
    api.create_network("x")
    api.create_network("y")
    assert subnet_of(api, "x") == ["172.18.0.0/16"]
    assert subnet_of(api, "y") == ["172.19.0.0/16"]
    api.remove_network("x")
    api.create_network("z")  # the daemon does not reuse 172.18 at once
    assert subnet_of(api, "z") == ["172.20.0.0/16"]


def test_pools_continue_in_192_168_and_wrap_around(api):
    for i in range(14):  # 172.18 .. 172.31
        api.create_network(f"n{i}")
    assert subnet_of(api, "n13") == ["172.31.0.0/16"]
    api.create_network("next")
    assert subnet_of(api, "next") == ["192.168.0.0/20"]
    api.remove_network("n0")
    for i in range(15):  # 192.168.16.0/20 .. 192.168.240.0/20
        api.create_network(f"m{i}")
    api.create_network("wrapped")
    assert subnet_of(api, "wrapped") == ["172.18.0.0/16"]
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.create_network("none-left")
    assert excinfo.value.explanation == (
        "could not find an available, non-overlapping IPv4 address pool among the defaults "
        "to assign to the network"
    )


def test_auto_subnets_skip_user_subnets(api):
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="172.18.5.0/24")])
    api.create_network("custom", ipam=ipam)
    api.create_network("auto")
    assert subnet_of(api, "auto") == ["172.19.0.0/16"]


def test_user_subnet_gateway_and_range(api):
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="192.168.77.0/24")])
    api.create_network("d", ipam=ipam)
    assert api.inspect_network("d")["IPAM"]["Config"] == [{"Subnet": "192.168.77.0/24"}]
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
        subnet="192.168.78.0/24", gateway="192.168.78.254", iprange="192.168.78.128/25",
    )])
    api.create_network("e", ipam=ipam)
    assert api.inspect_network("e")["IPAM"]["Config"] == [
        {"Subnet": "192.168.78.0/24", "IPRange": "192.168.78.128/25", "Gateway": "192.168.78.254"}
    ]


def test_ipv6_network(api):
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="fd00:dead:beef::/64")])
    api.create_network("v6", enable_ipv6=True, ipam=ipam)
    net = api.inspect_network("v6")
    assert net["EnableIPv6"] is True
    assert net["IPAM"]["Config"] == [
        {"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}, {"Subnet": "fd00:dead:beef::/64"},
    ]


def ipam(*pools):
    return docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(**p) for p in pools])


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"driver": "host"}, 403, 'only one instance of "host" network is allowed'),
        ({"driver": "null"}, 403, 'only one instance of "null" network is allowed'),
        ({"driver": "nope"}, 404, 'plugin "nope" not found'),
        ({"ipam": ipam({"subnet": "192.168.79.0/33"})}, 500,
         "Invalid subnet 192.168.79.0/33 : invalid CIDR address: 192.168.79.0/33"),
        ({"ipam": ipam({"subnet": "192.168.79.0/24", "gateway": "10.9.9.9"})}, 500,
         "failed to allocate gateway (10.9.9.9): Requested address is out of range"),
        ({"ipam": ipam({"subnet": "172.17.3.0/24"})}, 403,
         "Pool overlaps with other one on this address space"),
        ({"ipam": ipam({"subnet": "192.168.93.0/24"}, {"subnet": "192.168.94.0/24"})}, 403,
         "bridge driver doesn't support multiple subnets"),
        ({"enable_ipv6": True}, 404,
         "could not find an available, non-overlapping IPv6 address pool among the defaults "
         "to assign to the network"),
    ],
)
def test_create_errors(api, kwargs, status, message):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network("bad", **kwargs)
    assert api_error(excinfo) == (status, message)


def test_create_with_empty_name(api):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network("")
    assert api_error(excinfo) == (500, "invalid name: ")


def test_duplicate_name_warns_unless_check_duplicate(api):
    first = api.create_network("dup")["Id"]
    second = api.create_network("dup")
    assert second["Warning"] == f"Network with name dup (id : {first}) already exists"
    third = api.create_network("dup", check_duplicate=False)
    assert third["Id"] not in (first, second["Id"])
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network("dup", check_duplicate=True)
    assert api_error(excinfo) == (409, "network with name dup already exists")
    # three networks share the name now: the name is ambiguous, the ids are not
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.remove_network("dup")
    assert api_error(excinfo) == (400, "network dup is ambiguous (3 matches found based on name)")
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.inspect_network("dup")
    assert excinfo.value.response.status_code == 400
    assert api.inspect_network(first)["Name"] == "dup"


# overlay / swarm -------------------------------------------------------------------------------


def test_overlay_needs_a_swarm(api):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.create_network("ov", driver="overlay")
    assert api_error(excinfo) == (
        503,
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to '
        "connect this node to swarm and try again.",
    )


def test_overlay_networks_in_a_swarm(swarm, api):
    engine = swarm
    first = api.create_network("ov", driver="overlay", labels={"k": "v"})
    second = api.create_network("ov2", driver="overlay", attachable=True)
    assert SWARM_ID.match(first["Id"]) and first["Warning"] == ""
    net = api.inspect_network("ov")
    assert net["Scope"] == "swarm" and net["Driver"] == "overlay"
    assert net["Containers"] is None
    assert net["IPAM"]["Config"] == [{"Subnet": "10.0.0.0/24", "Gateway": "10.0.0.1"}]
    assert net["Options"] == {"com.docker.network.driver.overlay.vxlanid_list": "4096"}
    net2 = api.inspect_network(second["Id"])
    assert net2["Attachable"] is True
    assert net2["IPAM"]["Config"] == [{"Subnet": "10.0.1.0/24", "Gateway": "10.0.1.1"}]
    assert net2["Options"] == {"com.docker.network.driver.overlay.vxlanid_list": "4097"}
    # scope filter on inspect
    assert api.inspect_network("ov", scope="swarm")["Id"] == first["Id"]
    with pytest.raises(docker.errors.NotFound):
        api.inspect_network("ov", scope="local")
    with pytest.raises(docker.errors.NotFound):
        api.inspect_network("bridge", scope="swarm")
    # names of swarm networks always conflict
    for driver in ("overlay", "bridge"):
        with pytest.raises(docker.errors.APIError) as excinfo:
            api.create_network("ov", driver=driver)
        assert api_error(excinfo) == (409, "network with name ov already exists")
    # list: swarm networks without labels show null labels
    listed = {n["Name"]: n for n in api.networks(filters={"driver": "overlay"})}
    assert listed["ov"]["Labels"] == {"k": "v"} and listed["ov2"]["Labels"] is None
    assert listed["ov"]["Containers"] is None
    api.remove_network("ov")
    actions = [(e["Action"], e["scope"], e["Actor"]["Attributes"]) for e in net_events(engine)
               if e["Actor"]["ID"] == first["Id"]]
    assert actions == [
        ("create", "swarm", {"name": "ov"}),
        ("update", "swarm", {"name": "ov"}),
        ("remove", "swarm", {"name": "ov"}),
    ]


def test_swarm_networks_vanish_when_the_swarm_is_left(swarm, api):
    api.create_network("ov", driver="overlay")
    swarm.swarm.cluster.active = False
    assert [n["Name"] for n in api.networks()] == ["bridge", "host", "none"]
    with pytest.raises(docker.errors.NotFound):
        api.inspect_network("ov")


def test_ingress_network_made_by_the_swarm(swarm, api):
    net = swarm.networks.create_swarm_network(
        "ingress", ingress=True, subnet="10.0.0.0/24", gateway="10.0.0.1"
    )
    inspected = api.inspect_network("ingress")
    assert inspected["Ingress"] is True
    assert inspected["Containers"] == {"ingress-sbox": {
        "Name": "ingress-endpoint", "EndpointID": inspected["Containers"]["ingress-sbox"]["EndpointID"],
        "MacAddress": "02:42:0a:00:00:02", "IPv4Address": "10.0.0.2/24", "IPv6Address": "",
    }}
    assert inspected["Peers"] == [{"Name": "fakedocker", "IP": "127.0.0.1"}]
    api.create_network("ov", driver="overlay")
    assert subnet_of(api, "ov") == ["10.0.1.0/24"]
    # tasks get the following addresses, serially
    assert swarm.networks.allocate_ip(net) == "10.0.0.3"
    assert swarm.networks.allocate_ip(net) == "10.0.0.4"
    swarm.networks.release_ip(net, "10.0.0.3")
    assert swarm.networks.allocate_ip(net) == "10.0.0.5"
    swarm.networks.remove_swarm_network(net)
    with pytest.raises(docker.errors.NotFound):
        api.inspect_network("ingress")


# inspect / list ---------------------------------------------------------------------------------


def test_inspect_by_id_prefix_and_name_only(api):
    nid = api.create_network("fd-net")["Id"]
    assert api.inspect_network(nid)["Name"] == "fd-net"
    assert api.inspect_network(nid[:12])["Name"] == "fd-net"
    ids = [n["Id"] for n in api.networks()]
    shared = next(i[:1] for i in ids if sum(j.startswith(i[:1]) for j in ids) > 1) if any(
        sum(j.startswith(i[:1]) for j in ids) > 1 for i in ids) else None
    if shared is not None:
        count = sum(j.startswith(shared) for j in ids)
        with pytest.raises(docker.errors.APIError) as excinfo:
            api.inspect_network(shared)
        assert api_error(excinfo) == (
            400, f"network {shared} is ambiguous ({count} matches found based on ID prefix)"
        )
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.inspect_network("fd-n")  # names are not prefix-matched
    assert excinfo.value.explanation == "network fd-n not found"


def list_names(api, **kwargs):
    return sorted(n["Name"] for n in api.networks(**kwargs))


def test_list_filters(api):
    r1 = api.create_network("fd-r1", labels={"mine": "1", "x": "y"})["Id"]
    api.create_network("fd-r2", labels={"mine": "1"})
    assert list_names(api, names=["fd-r1", "bridge"]) == ["bridge", "fd-r1"]
    assert list_names(api, ids=[r1[:5]]) == ["fd-r1"]
    assert list_names(api, filters={"name": "d-r"}) == ["fd-r1", "fd-r2"]
    assert list_names(api, filters={"name": "^fd-r[1]$"}) == ["fd-r1"]
    assert list_names(api, filters={"name": "fd-r["}) == []
    assert list_names(api, filters={"label": "mine"}) == ["fd-r1", "fd-r2"]
    assert list_names(api, filters={"label": ["mine=1", "x=y"]}) == ["fd-r1"]
    assert list_names(api, filters={"driver": "null"}) == ["none"]
    assert list_names(api, filters={"driver": "brid"}) == []
    assert list_names(api, filters={"type": "builtin"}) == ["bridge", "host", "none"]
    assert list_names(api, filters={"type": "custom"}) == ["fd-r1", "fd-r2"]
    assert list_names(api, filters={"scope": "local"}) == ["bridge", "fd-r1", "fd-r2", "host", "none"]
    assert list_names(api, filters={"scope": "bogus"}) == []
    assert list_names(api, filters={"dangling": "true"}) == ["fd-r1", "fd-r2"]
    assert list_names(api, filters={"dangling": "0"}) == ["bridge", "host", "none"]


@pytest.mark.parametrize(
    ("filters", "status", "message"),
    [
        ({"bogus": "x"}, 400, "Invalid filter 'bogus'"),
        ({"type": "bogus"}, 500, "invalid filter: 'type'='bogus'"),
        ({"dangling": "maybe"}, 400,
         'invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")'),
    ],
)
def test_list_filter_errors(api, filters, status, message):
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.networks(filters=filters)
    assert api_error(excinfo) == (status, message)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.from_regex(r"[a-z][a-z0-9_.-]{0,6}", fullmatch=True), unique=True, max_size=5), NAME_PATTERNS)
def test_name_filter_is_a_regex_search(net_names, pattern):
    with fresh_api() as api:
        for n in net_names:
            if n not in ("bridge", "host", "none", "default"):
                api.create_network(n)
        expected = sorted(n["Name"] for n in api.networks() if re.search(pattern, n["Name"]))
        assert list_names(api, filters={"name": pattern}) == expected


# remove / prune ----------------------------------------------------------------------------------


def test_remove_network_and_missing(engine, api):
    nid = api.create_network("n1")["Id"]
    api.remove_network(nid[:12])
    [event] = net_events(engine, "destroy")
    assert event["Actor"] == {"ID": nid, "Attributes": {"name": "n1", "type": "bridge"}}
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.remove_network("n1")
    assert excinfo.value.explanation == "network n1 not found"


def test_prune_networks(engine, api):
    api.create_network("used", labels={"k": "v"})
    api.create_network("free1", labels={"k": "v"})
    api.create_network("free2")
    make_container(api, "c1", network="used", start=True)
    assert api.prune_networks(filters={"label": "nothing"}) == {"NetworksDeleted": None}
    assert api.prune_networks(filters={"label": "k=v"}) == {"NetworksDeleted": ["free1"]}
    assert api.prune_networks() == {"NetworksDeleted": ["free2"]}
    assert list_names(api) == ["bridge", "host", "none", "used"]
    assert [e["Actor"] for e in net_events(engine, "prune")][-1] == {
        "ID": "", "Attributes": {"reclaimed": "0"},
    }
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.prune_networks(filters={"name": "x"})
    assert api_error(excinfo) == (400, "Invalid filter 'name'")


# containers on networks ---------------------------------------------------------------------------


def test_created_container_endpoint_is_empty(api):
    cid = make_container(api, "c1")
    settings_ = api.inspect_container(cid)["NetworkSettings"]
    assert settings_["Networks"] == {"bridge": {
        "IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": "", "EndpointID": "",
        "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None,
    }}
    assert settings_["IPAddress"] == "" and settings_["EndpointID"] == ""


def test_start_allocates_on_the_default_bridge(engine, api):
    cid = make_container(api, "c1", start=True)
    bridge_id = api.inspect_network("bridge")["Id"]
    settings_ = api.inspect_container(cid)["NetworkSettings"]
    ep = settings_["Networks"]["bridge"]
    assert ep["NetworkID"] == bridge_id
    assert HEX64.match(ep["EndpointID"])
    assert (ep["IPAddress"], ep["IPPrefixLen"], ep["Gateway"], ep["MacAddress"]) == (
        "172.17.0.2", 16, "172.17.0.1", "02:42:ac:11:00:02",
    )
    assert ep["Aliases"] is None
    assert settings_["IPAddress"] == "172.17.0.2"
    assert settings_["Gateway"] == "172.17.0.1"
    assert api.inspect_network("bridge")["Containers"] == {cid: {
        "Name": "c1", "EndpointID": ep["EndpointID"], "MacAddress": "02:42:ac:11:00:02",
        "IPv4Address": "172.17.0.2/16", "IPv6Address": "",
    }}
    [event] = net_events(engine, "connect")
    assert event["Actor"] == {"ID": bridge_id, "Attributes": {
        "container": cid, "name": "bridge", "type": "bridge",
    }}
    # the list answer never shows containers
    assert [n["Containers"] for n in api.networks(names=["bridge"])] == [{}]


def test_user_network_at_create_and_start(engine, api):
    api.create_network("n1")
    cid = make_container(api, "c1", network="n1", aliases=["al1"])
    assert nets_of(api, cid)["n1"]["Aliases"] == ["al1"]
    assert api.inspect_network("n1")["Containers"] == {}
    api.start(cid)
    ep = nets_of(api, cid)["n1"]
    assert ep["Aliases"] == ["al1", cid[:12]]
    assert (ep["IPAddress"], ep["Gateway"], ep["MacAddress"]) == (
        "172.18.0.2", "172.18.0.1", "02:42:ac:12:00:02",
    )
    top = api.inspect_container(cid)["NetworkSettings"]
    assert top["IPAddress"] == ""  # top-level fields come from the default bridge only


def test_connect_created_container_then_start(engine, api):
    n1 = api.create_network("n1")["Id"]
    cid = make_container(api, "c1")
    api.connect_container_to_network(cid, n1, aliases=["web"])
    nets = nets_of(api, cid)
    assert nets["n1"] == {
        "IPAMConfig": None, "Links": None, "Aliases": ["web", cid[:12]], "NetworkID": "",
        "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None,
    }
    assert net_events(engine, "connect") == []
    # connecting a created container again is silently ignored (the first config stays)
    api.connect_container_to_network(cid, "n1", aliases=["other"])
    assert nets_of(api, cid)["n1"]["Aliases"] == ["web", cid[:12]]
    api.start(cid)
    nets = nets_of(api, cid)
    assert nets["n1"]["NetworkID"] == n1 and nets["n1"]["IPAddress"] == "172.18.0.2"
    assert nets["bridge"]["IPAddress"] == "172.17.0.2"
    connects = [e["Actor"]["Attributes"]["name"] for e in net_events(engine, "connect")]
    assert connects == ["bridge", "n1"]
    assert list(api.inspect_network(n1)["Containers"]) == [cid]


def test_connect_running_container_joins_at_once(engine, api):
    ipam_ = ipam({"subnet": "192.168.92.0/24", "gateway": "192.168.92.254"})
    n2 = api.create_network("n2", ipam=ipam_)["Id"]
    cid = make_container(api, "c1", start=True)
    d = make_container(api, "d1", start=True)
    api.connect_container_to_network(
        cid, n2, ipv4_address="192.168.92.10", links=[("d1", "dd")],
        link_local_ips=["169.254.8.8"], driver_opt={"k": "v"}, aliases=["zz"],
    )
    ep = nets_of(api, cid)["n2"]
    assert ep == {
        "IPAMConfig": {"IPv4Address": "192.168.92.10", "LinkLocalIPs": ["169.254.8.8"]},
        "Links": ["d1:dd"], "Aliases": ["zz", cid[:12]], "NetworkID": n2,
        "EndpointID": ep["EndpointID"], "Gateway": "192.168.92.254", "IPAddress": "192.168.92.10",
        "IPPrefixLen": 24, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
        "MacAddress": "02:42:c0:a8:5c:0a", "DriverOpts": {"k": "v"},
    }
    assert net_events(engine, "connect")[-1]["Actor"]["Attributes"] == {
        "container": cid, "name": "n2", "type": "bridge",
    }
    # the dynamic address is the lowest free one: .1, since the gateway is .254
    api.connect_container_to_network(d, n2)
    assert nets_of(api, d)["n2"]["IPAddress"] == "192.168.92.1"
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(d, "n2")
    assert api_error(excinfo) == (403, "endpoint with name d1 already exists in network n2")


@pytest.mark.parametrize(
    ("ip", "status", "message"),
    [
        ("192.168.92.10", 403, "Address already in use"),
        ("192.168.92.254", 403, "Address already in use"),
        ("10.2.2.2", 500,
         "Invalid address 10.2.2.2: It does not belong to any of this network's subnets"),
        ("fe80::1", 500,
         "Invalid address fe80::1: It does not belong to any of this network's subnets"),
        ("not-an-ip", 500, "Invalid IPv4 address: not-an-ip)"),
    ],
)
def test_static_address_errors_on_running_containers(api, ip, status, message):
    api.create_network("n2", ipam=ipam({"subnet": "192.168.92.0/24", "gateway": "192.168.92.254"}))
    make_container(api, "holder", start=True)
    api.connect_container_to_network("holder", "n2", ipv4_address="192.168.92.10")
    cid = make_container(api, "c1", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(cid, "n2", ipv4_address=ip)
    assert api_error(excinfo) == (status, message)
    assert "n2" not in nets_of(api, cid)


def test_static_address_of_a_created_container_fails_at_start(engine, api):
    api.create_network("n2", ipam=ipam({"subnet": "192.168.91.0/24"}))
    a = make_container(api, "cax", start=True)
    api.connect_container_to_network(a, "n2", ipv4_address="192.168.91.50")
    assert nets_of(api, a)["n2"]["IPAMConfig"] == {"IPv4Address": "192.168.91.50"}
    b = make_container(api, "cbx")
    api.connect_container_to_network(b, "n2", ipv4_address="192.168.91.50")  # accepted for now
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.start(b)
    assert api_error(excinfo) == (403, "Address already in use")
    assert api.inspect_container(b)["State"]["Status"] == "created"
    assert all(v["IPAddress"] == "" for v in nets_of(api, b).values())
    # what it got before failing was given back
    assert b not in api.inspect_network("bridge")["Containers"]
    tail = [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in net_events(engine)
            if e["Actor"]["Attributes"].get("container") == b]
    assert tail == [("connect", "bridge"), ("disconnect", "bridge"), ("disconnect", "n2")]


@pytest.mark.parametrize(
    ("network", "kwargs", "message"),
    [
        ("bridge", {"ipv4_address": "172.17.0.99"},
         "user specified IP address is supported on user defined networks only"),
        ("bridge", {"aliases": ["x"]},
         "network-scoped alias is supported only for containers in user defined networks"),
        ("auto", {"ipv4_address": "172.18.0.9"},
         "user specified IP address is supported only when connecting to networks with user "
         "configured subnets"),
        ("host", {}, "container cannot be disconnected from host network or connected to host network"),
        ("none", {}, "container cannot be connected to multiple networks with one of the networks "
                     "in private (none) mode"),
    ],
)
@pytest.mark.parametrize("start", [False, True])
def test_connect_validation_errors(api, network, kwargs, message, start):
    api.create_network("auto")
    cid = make_container(api, "c1", start=start)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(cid, network, **kwargs)
    assert api_error(excinfo) == (400, message)


def test_host_and_none_mode_containers_cannot_join_others(api):
    api.create_network("n2")
    h = make_container(api, "chx", network="host")
    assert list(nets_of(api, h)) == ["host"]
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(h, "n2")
    assert api_error(excinfo) == (
        400, "container sharing network namespace with another container or host cannot be "
             "connected to any other network",
    )
    nn = make_container(api, "nn", network="none")
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(nn, "n2")
    assert api_error(excinfo) == (
        400, "container cannot be connected to multiple networks with one of the networks in "
             "private (none) mode",
    )
    api.start(h)
    ep = nets_of(api, h)["host"]
    assert HEX64.match(ep["EndpointID"]) and ep["IPAddress"] == "" and ep["MacAddress"] == ""
    assert api.inspect_network("host")["Containers"][h]["IPv4Address"] == ""
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.disconnect_container_from_network(h, "host", force=True)
    assert api_error(excinfo) == (
        400, "container cannot be disconnected from host network or connected to host network",
    )


def test_connect_missing_things(api):
    api.create_network("n1")
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.connect_container_to_network("ghost", "n1")
    assert excinfo.value.explanation == "No such container: ghost"
    running = make_container(api, "crx", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(running, "nonet")
    assert api_error(excinfo) == (500, "invalid cluster node while attaching to network")
    # a created container keeps the entry; its start fails
    created = make_container(api, "ccx")
    api.connect_container_to_network(created, "nonet")
    assert "nonet" in nets_of(api, created)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.start(created)
    assert api_error(excinfo) == (500, "invalid cluster node while attaching to network")
    assert api.inspect_container(created)["State"]["Status"] == "created"


def test_connect_missing_network_in_a_swarm(swarm, api):
    running = make_container(api, "crx", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(running, "nonet")
    failure = ("Could not attach to network nonet: rpc error: code = NotFound desc = network "
               "nonet not found")
    assert api_error(excinfo) == (500, failure)
    created = make_container(api, "ccx")
    api.connect_container_to_network(created, "nonet")
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.start(created)
    assert api_error(excinfo) == (500, failure)


def test_attachable_overlay_only(swarm, api):
    api.create_network("mo", driver="overlay")
    api.create_network("att", driver="overlay", attachable=True)
    cid = make_container(api, "c1", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.connect_container_to_network(cid, "mo")
    assert api_error(excinfo) == (
        500, "Could not attach to network mo: rpc error: code = PermissionDenied desc = "
             "network mo not manually attachable",
    )
    api.connect_container_to_network(cid, "att")
    assert nets_of(api, cid)["att"]["IPAddress"] == "10.0.1.2"
    assert list(api.inspect_network("att")["Containers"]) == [cid]


# disconnect ---------------------------------------------------------------------------------------


def test_disconnect_running_container(engine, api):
    n1 = api.create_network("n1")["Id"]
    cid = make_container(api, "c1", network="n1", start=True)
    assert api.inspect_network("n1")["Containers"]
    api.disconnect_container_from_network("c1", "n1")
    assert nets_of(api, cid) == {}
    assert api.inspect_network("n1")["Containers"] == {}
    disconnects = [e["Actor"] for e in net_events(engine, "disconnect")]
    # the daemon logs a running container's disconnect twice
    assert disconnects == [{"ID": n1, "Attributes": {
        "container": cid, "name": "n1", "type": "bridge"}}] * 2
    api.remove_network("n1")


def test_disconnect_stopped_container_and_errors(engine, api):
    api.create_network("n1")
    api.create_network("n2")
    cid = make_container(api, "c1", network="n1")
    api.disconnect_container_from_network(cid[:10], "n1")
    assert nets_of(api, cid) == {}
    assert len(net_events(engine, "disconnect")) == 1
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.disconnect_container_from_network(cid, "n2")
    assert api_error(excinfo) == (500, f"container {cid} is not connected to the network n2")
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.disconnect_container_from_network(cid, "nonet")
    assert excinfo.value.explanation == "network nonet not found"
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.disconnect_container_from_network("ghost", "n1")
    assert excinfo.value.explanation == "No such container: ghost"
    with pytest.raises(docker.errors.NotFound) as excinfo:
        api.disconnect_container_from_network("ghost", "n1", force=True)
    assert excinfo.value.explanation == "endpoint ghost not found"


def test_disconnect_running_container_not_connected(api):
    api.create_network("n2")
    cid = make_container(api, "c1", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.disconnect_container_from_network(cid, "n2")
    assert api_error(excinfo) == (500, f"container {cid} is not connected to network n2")


# stop / restart / remove ----------------------------------------------------------------------------


def test_stop_releases_addresses_and_keeps_network_ids(engine, api):
    n1 = api.create_network("n1")["Id"]
    a = make_container(api, "cax", network="n1", aliases=["al1"], start=True)
    b = make_container(api, "cbx", network="n1", start=True)
    assert nets_of(api, b)["n1"]["IPAddress"] == "172.18.0.3"
    api.stop(a, timeout=0)
    ep = nets_of(api, a)["n1"]
    assert {k: ep[k] for k in OPERATIONAL_EMPTY} == OPERATIONAL_EMPTY
    assert ep["NetworkID"] == n1 and ep["Aliases"] == ["al1", a[:12]]
    assert list(api.inspect_network("n1")["Containers"]) == [b]
    d = make_container(api, "cdx", network="n1", start=True)
    assert nets_of(api, d)["n1"]["IPAddress"] == "172.18.0.2"  # the lowest free address
    api.start(a)
    assert nets_of(api, a)["n1"]["IPAddress"] == "172.18.0.4"
    assert nets_of(api, a)["n1"]["Aliases"] == ["al1", a[:12]]  # not added twice


def test_remove_network_with_endpoints(api):
    nid = api.create_network("n1")["Id"]
    cid = make_container(api, "c1", network="n1", start=True)
    with pytest.raises(docker.errors.APIError) as excinfo:
        api.remove_network("n1")
    assert api_error(excinfo) == (
        403, f"error while removing network: network n1 id {nid} has active endpoints"
    )
    api.stop(cid, timeout=0)
    api.remove_network("n1")  # stopped containers do not hold a network
    assert "n1" in nets_of(api, cid)


def test_force_removed_running_container_frees_its_address(api):
    api.create_network("n1")
    cid = make_container(api, "c1", network="n1", start=True)
    api.remove_container(cid, force=True)
    assert api.inspect_network("n1")["Containers"] == {}
    other = make_container(api, "c2", network="n1", start=True)
    assert nets_of(api, other)["n1"]["IPAddress"] == "172.18.0.2"
    api.stop(other, timeout=0)
    api.remove_network("n1")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["start", "stop", "disconnect"])),
                max_size=25))
def test_running_containers_never_share_an_address(ops):
    with fakedocker.FakeEngine() as engine:
        engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})
        api = engine.api_client()
        api.create_network("n1", ipam=ipam({"subnet": "10.9.0.0/29"}))  # 5 usable hosts
        ids = [make_container(api, f"c{i}", network="n1") for i in range(5)]
        subnet = ipaddress.ip_network("10.9.0.0/29")
        for index, op in ops:
            cid = ids[index]
            state = api.inspect_container(cid)["State"]
            if op == "start" and not state["Running"]:
                if "n1" not in nets_of(api, cid):
                    api.connect_container_to_network(cid, "n1")
                api.start(cid)
            elif op == "stop" and state["Running"]:
                api.stop(cid, timeout=0)
            elif op == "disconnect" and "n1" in nets_of(api, cid):
                api.disconnect_container_from_network(cid, "n1")
            members = api.inspect_network("n1")["Containers"]
            addresses = [m["IPv4Address"].split("/")[0] for m in members.values()]
            assert len(addresses) == len(set(addresses))
            for address in addresses:
                ip = ipaddress.ip_address(address)
                assert ip in subnet and address != "10.9.0.1"
            for cid2 in ids:
                running = api.inspect_container(cid2)["State"]["Running"]
                attached = "n1" in nets_of(api, cid2)
                assert (cid2 in members) == (running and attached)


# the store interface -----------------------------------------------------------------------------


def test_store_resolve_get_and_errors(engine):
    store = engine.networks
    bridge = store.get("bridge")
    assert store.resolve(bridge.id) is bridge and store.resolve(bridge.id[:6]) is bridge
    assert store.resolve("nope") is None
    with pytest.raises(DaemonError) as excinfo:
        store.get("nope")
    assert (excinfo.value.status, excinfo.value.message) == (404, "network nope not found")
    assert (bridge.name, bridge.driver, bridge.scope, bridge.attachable, bridge.labels) == (
        "bridge", "bridge", "local", False, {},
    )


def test_store_allocate_ip_on_local_network_is_lowest_free(engine):
    net, _ = engine.networks.create("n1")
    assert engine.networks.allocate_ip(net) == "172.18.0.2"
    assert engine.networks.allocate_ip("n1") == "172.18.0.3"
    engine.networks.release_ip(net, "172.18.0.2")
    assert engine.networks.allocate_ip(net) == "172.18.0.2"


def test_network_operations_are_counted(engine, api):
    calls = [("create_network", "n1"), ("inspect_network", "n1"), ("networks",), ("remove_network", "n1"),
             ("prune_networks",)]
    assert calls_counted(engine, api, calls) == {method: 1 for method, *_ in calls}


# high-level models --------------------------------------------------------------------------------


def test_models_networks(client, api):
    net = client.networks.create("web", labels={"team": "a"})
    assert isinstance(net, docker.models.networks.Network)
    assert net.name == "web" and client.networks.get(net.id).id == net.id
    assert [n.name for n in client.networks.list(names=["web"])] == ["web"]
    assert [n.name for n in client.networks.list(filters={"type": "custom"})] == ["web"]
    container = client.containers.create("busybox:1.36", "sleep 100", name="c1")
    net.connect(container, aliases=["svc"])
    container.start()
    net.reload()
    assert [c.id for c in net.containers] == [container.id]
    greedy = client.networks.list(names=["web"], greedy=True)
    assert list(greedy[0].attrs["Containers"]) == [container.id]
    net.disconnect(container)
    net.reload()
    assert net.containers == []
    net.remove()
    with pytest.raises(docker.errors.NotFound):
        client.networks.get("web")
    assert client.networks.prune() == {"NetworksDeleted": None}
