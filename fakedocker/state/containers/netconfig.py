"""The network side of a create request, as pure functions of its values: the checks the
daemon makes on the request (network mode against MacAddress and Links, the endpoint
addresses), the networks a new container gets, legacy links and MAC addresses.

What the daemon does (Docker 20.10.24, checked by the parity tests):

- a create names networks without looking them up: a missing one fails at start;
- the container's networks are the request's ``EndpointsConfig`` (at most one) when it has
  any, else the network of its ``NetworkMode``; with ``NetworkMode`` ``default`` (what the
  docker CLI sends) an endpoint named ``default`` is the default bridge's; an endpoint named
  by the mode network's id is stored under its name;
- endpoint settings are kept as given (``IPAMConfig`` without its empty fields,
  ``DriverOpts``); whether the network takes them (a static address needs a user-defined
  network with a user-configured subnet of that family) is checked at start;
- ``MacAddress`` applies to the endpoint on the ``NetworkMode`` network; it is parsed at
  start (Go's ``net.ParseMAC``) and refused at create with a ``host`` or ``container:`` mode;
- legacy ``Links`` are registered only when the mode is not user-defined (inspect shows
  ``["/child:/parent/alias"]``; on a user-defined network ``null``), and need the linked
  container to exist at create and run at start.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ... import messages
from ...routing import DaemonError
from ...versions import version_tuple
from ..networks.model import parse_mac

#: network modes that are not user-defined networks (runconfig's IsUserDefined)
PREDEFINED_MODES = ("default", "bridge", "host", "none")


def network_mode(host_config: dict[str, Any]) -> str:
    return host_config.get("NetworkMode") or "default"


def is_container_mode(mode: str) -> bool:
    return mode.startswith("container:")


def is_user_defined(mode: str) -> bool:
    return mode not in PREDEFINED_MODES and not is_container_mode(mode)


def mode_network_name(mode: str) -> str:
    """The network a mode names (``default``: the default bridge)."""
    return "bridge" if mode == "default" else mode


def check_net_mode(config: dict[str, Any], host_config: dict[str, Any],
                   mac_per_endpoint: bool = False) -> None:
    """runconfig's validateNetMode, for MacAddress and Links (400 at decode, before any
    lookup); with ``mac_per_endpoint`` (Docker 26 to an API 1.44 client) the container-wide
    MacAddress is only deprecated, not a conflict."""
    mode = network_mode(host_config)
    links = host_config.get("Links") or ()
    if is_container_mode(mode) and links:
        raise messages.conflict_network_and_links("container type network")
    if (is_container_mode(mode) or mode == "host") and config.get("MacAddress") and not mac_per_endpoint:
        raise messages.conflict_mac_and_network_mode()
    if mode == "host" and links:
        raise messages.conflict_network_and_links("host type networking")


def endpoint_create_problems(net: Any, epc: dict[str, Any]) -> list[str]:
    """What Docker 26 finds wrong with an endpoint's settings at create, on an existing
    network ``net`` (20.10 finds most of it only at start)."""
    ipam = epc.get("IPAMConfig") or {}
    problems: list[str] = []
    for key, version in (("IPv4Address", 4), ("IPv6Address", 6)):
        text = ipam.get(key) or ""
        if not text:
            continue
        pools = [p for p in net.pools if p.user_subnet and p.version == version]
        if not _parses_as(text, version):
            problems += [f"invalid IPv{version} address: {text}", messages.no_range_contains(text)]
        elif not net.user_defined:
            problems += [messages.ip_on_predefined_network().message, messages.no_range_contains(text)]
        elif net.scope == "swarm":  # the manager's allocator gives the daemon its subnets
            continue
        elif not pools:
            problems.append(messages.ip_without_subnet().message)
        elif not any(ipaddress.ip_address(text) in p.subnet for p in pools):
            problems.append(messages.no_range_contains(text))
    if epc.get("Aliases") and not net.user_defined:
        problems.append(messages.alias_on_predefined_network().message)
    return problems


def _parses_as(text: str, version: int) -> bool:
    if "%" in text:  # Go's ParseIP takes no zone
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return version == 4  # Go sees an IPv4 address in ::ffff:a.b.c.d
    return address.version == version


#: the API version from which a create may name several networks (Docker 25)
SEVERAL_ENDPOINTS_API = (1, 44)


def check_endpoints_config(endpoints: dict[str, Any], request_api: str = "1.41",
                           engine_api: str = "1.41") -> None:
    """verifyNetworkingConfig: each endpoint with settings and well-formed static addresses;
    several endpoints only from API 1.44 on, on an engine that has it (an engine of API 1.44 or
    later refuses them to an older client with words of its own)."""
    if len(endpoints) > 1 and version_tuple(request_api) < SEVERAL_ENDPOINTS_API:
        if version_tuple(engine_api) >= SEVERAL_ENDPOINTS_API:
            raise messages.several_endpoints_before_api_1_44(sorted(endpoints))
        raise messages.too_many_endpoints(sorted(endpoints))
    for name, epc in endpoints.items():
        if not isinstance(epc, dict):
            raise messages.no_endpoint_settings(name)
        ipam = epc.get("IPAMConfig") or {}
        v4, v6 = ipam.get("IPv4Address") or "", ipam.get("IPv6Address") or ""
        if v4 and not _parses_as(v4, 4):
            raise messages.invalid_requested_ipv4(v4)
        if v6 and not _parses_as(v6, 6):
            raise messages.invalid_requested_ipv6(v6)


def endpoint_macs(endpoints: dict[str, Any], container_wide: str, mode: str) -> dict[str, Any]:
    """Docker 26 to an API 1.44 client: each endpoint's MacAddress checked at create (a 400
    naming the network), the container-wide one moved to the endpoint on the mode's network
    unless that endpoint names its own. Returns the endpoints to create with."""
    endpoints = {name: dict(epc) for name, epc in endpoints.items()}
    if container_wide and not is_container_mode(mode) and mode not in ("host", "none"):
        primary = endpoints.setdefault(mode_network_name(mode), {})
        primary["MacAddress"] = primary.get("MacAddress") or container_wide
    for name, epc in endpoints.items():
        mac = epc.get("MacAddress") or ""
        if mac:
            try:
                parse_mac(mac)
            except DaemonError:
                raise messages.endpoint_mac_invalid(name, mac) from None
    return endpoints


def endpoint_settings(epc: dict[str, Any], empty: dict[str, Any], mac: bool = False) -> dict[str, Any]:
    """The EndpointSettings a create stores for one requested endpoint (``empty``: the
    not-running shape to fill in; ``mac``: it keeps a requested MacAddress, API 1.44 on Docker 26)."""
    ep = dict(empty)
    if mac and epc.get("MacAddress"):
        ep["MacAddress"] = epc["MacAddress"]
    ipam = epc.get("IPAMConfig")
    if isinstance(ipam, dict):
        kept: dict[str, Any] = {}
        for key in ("IPv4Address", "IPv6Address"):
            if ipam.get(key):
                kept[key] = ipam[key]
        if ipam.get("LinkLocalIPs"):
            kept["LinkLocalIPs"] = list(ipam["LinkLocalIPs"])
        ep["IPAMConfig"] = kept
    ep["Links"] = list(epc["Links"]) if epc.get("Links") else None
    ep["Aliases"] = list(epc["Aliases"]) if epc.get("Aliases") else None
    if isinstance(epc.get("DriverOpts"), dict):
        ep["DriverOpts"] = dict(epc["DriverOpts"])
    return ep


def initial_network_keys(mode: str, endpoints: dict[str, Any],
                         mode_network: tuple[str, str] | None) -> dict[str, str]:
    """The keys of a new container's ``NetworkSettings.Networks``, each mapped to the
    ``EndpointsConfig`` key its settings come from ("" for none): the daemon's
    updateContainerNetworkSettings. ``mode_network``: (name, id) of the mode's network when
    it exists."""
    if is_container_mode(mode):
        return {}
    name = mode_network_name(mode)
    if is_user_defined(mode) and mode_network is not None:
        name = mode_network[0]
    keys = {key: key for key in endpoints} if endpoints else {name: ""}
    if mode == "default" and "default" in keys:
        keys["bridge"] = keys.pop("default")
    if (is_user_defined(mode) and mode_network is not None and name not in keys
            and mode_network[1] in keys):
        keys[name] = keys.pop(mode_network[1])
    return keys


# links ------------------------------------------------------------------------------------


def parse_link(value: str) -> tuple[str, str]:
    """opts.ParseLink: ``name:alias`` (or ``name``; or ``/name:/parent/alias`` as inspect
    shows it) as (name, alias)."""
    if not value:
        raise messages.empty_link()
    parts = value.split(":")
    if len(parts) > 2:
        raise messages.bad_link_format(value)
    if len(parts) == 1:
        return value, value
    if parts[0].startswith("/"):
        return parts[0][1:], parts[1].rsplit("/", 1)[-1]
    return parts[0], parts[1]
