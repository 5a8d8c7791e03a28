"""What ``POST /containers/create`` keeps, fake vs real: MacAddress, the log driver, endpoint
settings, the docker CLI's ``default`` network and legacy links (the real daemon runs in
swarm mode: see provision.sh)."""

import copy

import docker
from conftest import BUSYBOX
from normalize import error_of
from raw_api import creator, nets_of, state_of, with_endpoint

SLEEP = ["sh", "-c", "sleep 1000"]
NO_SUBNET = ("user specified IP address is supported only when connecting to networks with "
             "user configured subnets")

#: the body docker CLI 28.2 sends for ``docker create --name NAME IMAGE CMD`` (API 1.41),
#: trimmed of the fields every client sends the same way
CLI_BODY = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": True,
    "AttachStderr": True, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
    "Cmd": SLEEP, "Image": BUSYBOX, "Volumes": {}, "WorkingDir": "", "Entrypoint": None,
    "OnBuild": None, "Labels": {},
    "HostConfig": {
        "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
        "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "ConsoleSize": [0, 0],
        "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "IpcMode": "",
        "Links": None, "ShmSize": 0, "MemorySwappiness": -1, "PidsLimit": 0, "Devices": [],
        "MaskedPaths": None, "ReadonlyPaths": None,
    },
    "NetworkingConfig": {"EndpointsConfig": {"default": {
        "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "", "DriverOpts": None,
        "GwPriority": 0, "NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "",
        "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
        "DNSNames": None,
    }}},
}


create = creator(BUSYBOX, SLEEP)


def test_mac_address(api, names, daemon):
    """20.10 uses the container-wide MacAddress at start; 26 (to an API 1.44 client) makes it
    the endpoint's at create, checks it then, and only warns that it is deprecated."""
    created = api.create_container(BUSYBOX, SLEEP, name=names("c"), mac_address="02:42:AC:11:00:99")
    c = created["Id"]
    deprecated = ("The container-wide MacAddress field is now deprecated. It should be specified in "
                  "EndpointsConfig instead.")
    assert created["Warnings"] == ([deprecated] if daemon.at_least(26) else [])
    info = api.inspect_container(c)
    assert (info["Config"]["MacAddress"], info["NetworkSettings"]["MacAddress"]) == (
        "02:42:AC:11:00:99", daemon.says("", "02:42:AC:11:00:99"))
    api.start(c)
    ns = api.inspect_container(c)["NetworkSettings"]
    assert ns["MacAddress"] == ns["Networks"]["bridge"]["MacAddress"] == "02:42:ac:11:00:99"

    if daemon.at_least(26):
        assert error_of(create, api, names("bad"), {"MacAddress": "zz:42"}) == (
            "APIError", 400, "invalid config for network bridge: invalid MAC address zz:42")
        host = api.create_container_from_config(
            {"Image": BUSYBOX, "Cmd": SLEEP, "MacAddress": "02:42:ac:11:00:94",
             "HostConfig": {"NetworkMode": "host"}}, names("host"))
        assert host["Warnings"] == [deprecated]
        return
    bad = create(api, names("bad"), {"MacAddress": "zz:42"})
    assert error_of(api.start, bad) == ("APIError", 500, "address zz:42: invalid MAC address")
    assert state_of(api, bad) == ("created", 128, "address zz:42: invalid MAC address")
    assert error_of(create, api, names("host"), {"MacAddress": "02:42:ac:11:00:94"},
                    NetworkMode="host") == (
        "APIError", 400, "conflicting options: mac-address and the network mode")


def test_mac_address_at_connect(api, names):
    """A MAC address given at connect: a created container shows it until it starts; joining
    the network (at its start, or at once for a running one) takes the address-derived one."""
    net_name = names("net")
    net = api.create_network(net_name)["Id"]
    mac = "02:42:ac:11:00:02"
    created = api.create_container(BUSYBOX, SLEEP, name=names("created"))
    api.connect_container_to_network(created, net, mac_address=mac)

    def endpoint_mac(c):
        return api.inspect_container(c)["NetworkSettings"]["Networks"][net_name]["MacAddress"]

    assert endpoint_mac(created) == mac
    api.start(created)
    assert endpoint_mac(created) not in ("", mac)
    running = api.create_container(BUSYBOX, SLEEP, name=names("running"))
    api.start(running)
    api.connect_container_to_network(running, net, mac_address=mac)
    assert endpoint_mac(running) not in ("", mac)


def test_log_config(api, names):
    shown, made = {}, {}
    for key, given in [("absent", None), ("empty", {"Type": "", "Config": {}}),
                       ("json", {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}),
                       ("none", {"Type": "none", "Config": {}})]:
        made[key] = create(api, names(key), **({} if given is None else {"LogConfig": given}))
        shown[key] = api.inspect_container(made[key])["HostConfig"]["LogConfig"]
    assert shown == {
        "absent": {"Type": "json-file", "Config": {}},
        "empty": {"Type": "json-file", "Config": {}},
        "json": {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}},
        "none": {"Type": "none", "Config": {}},
    }
    none = made["none"]
    for running in (False, True):
        assert error_of(api.logs, none) == (
            "APIError", 501, "configured logging driver does not support reading")
        if not running:
            api.start(none)
    assert api.inspect_container(none)["LogPath"] == ""
    assert error_of(create, api, names("asdf"), LogConfig={"Type": "asdf", "Config": {}}) == (
        "APIError", 400, 'error looking up logging plugin asdf: plugin "asdf" not found')
    assert error_of(create, api, names("opt"), LogConfig={"Type": "json-file", "Config": {"bogus": "1"}}) == (
        "APIError", 400, "unknown log opt 'bogus' for json-file log driver")
    assert error_of(create, api, names("mode"), LogConfig={"Type": "local", "Config": {"mode": "x"}}) == (
        "APIError", 400, "logger: logging mode not supported: x")


def test_endpoint_settings(api, names, daemon):
    v6 = names("v6")
    ipam = docker.types.IPAMConfig(pool_configs=[
        docker.types.IPAMPool(subnet="10.197.41.0/24"),
        docker.types.IPAMPool(subnet="fd00:fd7e:5c1::/64"),
    ])
    api.create_network(v6, enable_ipv6=True, ipam=ipam)
    settings = {"IPAMConfig": {"IPv4Address": "10.197.41.9", "IPv6Address": "fd00:fd7e:5c1::9",
                               "LinkLocalIPs": ["169.254.1.2", "fe80::1:2"]},
                "DriverOpts": {"com.example.x": "1"}}
    c = create(api, names("c"), with_endpoint(v6, settings))
    ep = nets_of(api, c)[v6]
    assert (ep["IPAMConfig"], ep["DriverOpts"]) == (settings["IPAMConfig"], settings["DriverOpts"])
    api.start(c)
    ep = nets_of(api, c)[v6]
    assert (ep["IPAMConfig"], ep["DriverOpts"]) == (settings["IPAMConfig"], settings["DriverOpts"])
    assert (ep["IPAddress"], ep["GlobalIPv6Address"], ep["GlobalIPv6PrefixLen"], ep["IPv6Gateway"]) == (
        "10.197.41.9", "fd00:fd7e:5c1::9", 64, "fd00:fd7e:5c1::1")
    member = api.inspect_network(v6)["Containers"][c]
    assert (member["IPv4Address"], member["IPv6Address"]) == ("10.197.41.9/24", "fd00:fd7e:5c1::9/64")

    # 20.10 accepts these at create and refuses them at start; 26 refuses them at create,
    # each problem under one heading naming the network
    plain = names("plain")
    api.create_network(plain)

    def refused(network, *problems):
        listed = problems[0] if len(problems) == 1 else "\n".join(f"* {p}" for p in problems)
        return f"invalid config for network {network}: invalid endpoint settings:\n{listed}"

    for suffix, network, epc, message, problems in [
        ("v4", plain, {"IPAMConfig": {"IPv4Address": "172.30.0.5"}}, NO_SUBNET, [NO_SUBNET]),
        ("v6", plain, {"IPAMConfig": {"IPv6Address": "fd00::5"}}, NO_SUBNET, [NO_SUBNET]),
        ("alias", "bridge", {"Aliases": ["x"]},
         "network-scoped alias is supported only for containers in user defined networks",
         ["network-scoped alias is supported only for containers in user defined networks"]),
        ("bip", "bridge", {"IPAMConfig": {"IPv4Address": "172.17.0.99"}},
         "user specified IP address is supported on user defined networks only",
         ["user specified IP address is supported on user defined networks only",
          "no configured subnet or ip-range contain the IP address <ip>"]),
    ]:
        if daemon.at_least(26):
            assert error_of(create, api, names(suffix), with_endpoint(network, epc)) == (
                "APIError", 400, refused(network, *problems))
            continue
        c = create(api, names(suffix), with_endpoint(network, epc))
        assert error_of(api.start, c) == ("APIError", 400, message)
        assert state_of(api, c) == ("created", 128, message)
    c = create(api, names("ll"), with_endpoint(plain, {"IPAMConfig": {"LinkLocalIPs": ["10.1.1.1"]}}))
    assert error_of(api.start, c) == (
        "APIError", 400 if daemon.at_least(26) else 500, "invalid link local IP address: <ip>")
    # refused at create
    bad6 = error_of(create, api, names("bad6"), with_endpoint(v6, {"IPAMConfig": {"IPv6Address": "10.197.41.7"}}))
    bad4 = error_of(create, api, names("bad4"), with_endpoint(v6, {"IPAMConfig": {"IPv4Address": "nope"}}))
    if daemon.at_least(26):
        assert bad6 == ("APIError", 400, refused(v6, "invalid IPv6 address: <ip>",
                                                 "no configured subnet or ip-range contain the IP address <ip>"))
        assert bad4 == ("APIError", 400, refused(v6, "invalid IPv4 address: nope",
                                                 "no configured subnet or ip-range contain the IP address nope"))
    else:
        assert bad6 == ("APIError", 400, "invalid IPv6 address: <ip>")
        assert bad4 == ("APIError", 400, "invalid IPv4 address: nope")

    # network connect keeps the same settings
    running = create(api, names("r"))
    api.start(running)
    api.connect_container_to_network(running, v6, ipv6_address="fd00:fd7e:5c1::20",
                                     link_local_ips=["169.254.1.9"], driver_opt={"k": "v"})
    ep = nets_of(api, running)[v6]
    assert (ep["IPAMConfig"], ep["DriverOpts"], ep["GlobalIPv6Address"]) == (
        {"IPv6Address": "fd00:fd7e:5c1::20", "LinkLocalIPs": ["169.254.1.9"]}, {"k": "v"},
        "fd00:fd7e:5c1::20")


def test_cli_create_body(api, names, daemon):
    c = api.create_container_from_config(copy.deepcopy(CLI_BODY), names("cli"))["Id"]
    info = api.inspect_container(c)
    host = info["HostConfig"]
    assert (host["NetworkMode"], host["LogConfig"], host["CgroupnsMode"], host["IpcMode"],
            host["ShmSize"], host["MemorySwappiness"], host["PidsLimit"]) == (
        daemon.says("default", "bridge"), {"Type": "json-file", "Config": {}}, "host", "private",
        64 * 2**20, None, None)
    # 26 masks /sys/devices/virtual/powercap too
    assert (len(host["MaskedPaths"]), len(host["ReadonlyPaths"])) == (11 if daemon.at_least(26) else 10, 5)
    assert list(info["NetworkSettings"]["Networks"]) == ["bridge"]
    api.start(c)
    assert nets_of(api, c)["bridge"]["IPAddress"] != ""

    # "default" is the bridge only with NetworkMode default
    body = copy.deepcopy(CLI_BODY)
    body["HostConfig"]["NetworkMode"] = "bridge"
    c = api.create_container_from_config(body, names("bridge"))["Id"]
    assert list(nets_of(api, c)) == ["default"]
    assert error_of(api.start, c) == (
        "APIError", 500, "Could not attach to network default: rpc error: code = NotFound "
                         "desc = network default not found")


def test_legacy_links(api, names):
    target, parent = names("target"), names("parent")
    create(api, target)
    c = create(api, parent, Links=[f"{target}:tgt"])
    assert api.inspect_container(c)["HostConfig"]["Links"] == [f"/{target}:/{parent}/tgt"]
    message = f"Cannot link to a non running container: /{target} AS /{parent}/tgt"
    assert error_of(api.start, c) == ("APIError", 500, message)
    assert state_of(api, c) == ("created", 128, message)
    api.start(target)
    api.start(c)
    assert api.inspect_container(c)["State"]["Running"] is True
    assert error_of(api.remove_container, target, link=True) == (
        "APIError", 500, "Conflict, cannot remove the default link name of the container")
    assert error_of(api.remove_container, f"/{parent}/nope", link=True) == (
        "NotFound", 404, f"No such container: {parent}/nope")
    api.remove_container(f"/{parent}/tgt", link=True)
    assert api.inspect_container(c)["HostConfig"]["Links"] is None

    missing = names("missing")
    assert error_of(create, api, names("orphan"), Links=[f"{missing}:m"]) == (
        "APIError", 400, f"could not get container for {missing}: No such container: {missing}")
    assert error_of(create, api, names("bad"), Links=["a:b:c"]) == (
        "APIError", 500, "bad format for links: a:b:c")
    assert error_of(create, api, names("hosted"), Links=[f"{target}:t"], NetworkMode="host") == (
        "APIError", 400, "conflicting options: host type networking can't be used with links. "
                         "This would result in undefined behavior")

    # on a user-defined network the daemon does not register them
    net = names("net")
    api.create_network(net)
    c = create(api, names("user"), Links=[f"{missing}:m"], NetworkMode=net)
    assert api.inspect_container(c)["HostConfig"]["Links"] is None
    api.start(c)
