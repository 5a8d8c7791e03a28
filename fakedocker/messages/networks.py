"""The daemon's error wording: networks."""

from __future__ import annotations

from ..daemon_error import DaemonError
from ._catalogue import message, text

no_such_network = message(404, "network {ref} not found")
network_has_endpoints = message(
    403, "error while removing network: network {name} id {network_id} has active endpoints"
)
network_name_conflict = message(409, "network with name {name} already exists")
predefined_network = message(403, "{name} is a pre-defined network and cannot be removed")
# the daemon's wording has the trailing space
predefined_network_create = message(403, "operation is not permitted on predefined {name} network ")
predefined_network_swarm_create = message(403, "{name} is a pre-defined network and cannot be created")
# The ``Warning`` of a create that duplicates a name without ``CheckDuplicate``.
network_name_warning = text("Network with name {name} (id : {network_id}) already exists")
# ``how``: ``name`` or ``ID prefix``.
network_ambiguous = message(400, "network {ref} is ambiguous ({count} matches found based on {how})")
invalid_network_name = message(500, "invalid name: {name}")
network_plugin_not_found = message(404, 'plugin "{driver}" not found')
network_single_instance = message(403, 'only one instance of "{driver}" network is allowed')
invalid_subnet = message(500, "Invalid subnet {subnet} : invalid CIDR address: {subnet}")
pool_overlaps = message(403, "Pool overlaps with other one on this address space")
gateway_out_of_range = message(
    500, "failed to allocate gateway ({gateway}): Requested address is out of range"
)
bridge_multiple_subnets = message(403, "bridge driver doesn't support multiple subnets")


def no_available_pool(ipv6: bool = False) -> DaemonError:
    family = "IPv6" if ipv6 else "IPv4"
    return DaemonError(
        404,
        f"could not find an available, non-overlapping {family} address pool among the "
        "defaults to assign to the network",
    )


invalid_network_filter_value = message(500, "invalid filter: '{key}'='{value}'")
# A network prune ``until`` that is neither a timestamp nor a duration.
invalid_until_filter = message(400, "invalid filter 'until={value}'")
invalid_dangling_filter = message(
    400,
    "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" "
    "(or \"0\")",
)
endpoint_exists = message(
    403, "endpoint with name {container_name} already exists in network {network_name}"
)
no_such_endpoint = message(404, "endpoint {name} not found")


def not_connected(container_id: str, network_name: str, running: bool) -> DaemonError:
    where = "network" if running else "the network"
    return DaemonError(500, f"container {container_id} is not connected to {where} {network_name}")


def invalid_endpoint_settings(network: str, problems: list[str]) -> DaemonError:
    """Docker 26 checks each endpoint of a create against its network: one problem, or a
    list of them, under one heading."""
    listed = problems[0] if len(problems) == 1 else "\n".join(f"* {p}" for p in problems)
    return DaemonError(400, f"invalid config for network {network}: invalid endpoint settings:\n{listed}")


no_range_contains = text("no configured subnet or ip-range contain the IP address {address}")
ip_on_predefined_network = message(
    400, "user specified IP address is supported on user defined networks only"
)
alias_on_predefined_network = message(
    400, "network-scoped alias is supported only for containers in user defined networks"
)
ip_without_subnet = message(
    400,
    "user specified IP address is supported only when connecting to networks with user "
    "configured subnets",
)
conflict_host_network = message(
    400, "container cannot be disconnected from host network or connected to host network"
)
conflict_shared_network = message(
    400,
    "container sharing network namespace with another container or host cannot be "
    "connected to any other network",
)
conflict_no_network = message(
    400,
    "container cannot be connected to multiple networks with one of the networks in "
    "private (none) mode",
)
no_endpoint_settings = message(400, "no EndpointSettings for {network}")
# At create: an ``IPAMConfig.IPv4Address`` that is not an IPv4 address.
invalid_requested_ipv4 = message(400, "invalid IPv4 address: {address}")
# At create: an ``IPAMConfig.IPv6Address`` that is not an IPv6 address.
invalid_requested_ipv6 = message(400, "invalid IPv6 address: {address}")


def unparsable_link_local_ips(addresses: list[str]) -> DaemonError:
    # Go's %v of the whole list
    return DaemonError(500, f"Invalid link-local IP address: [{' '.join(addresses)}]")


def not_link_local(address: str) -> DaemonError:
    wording = f"invalid link local IP address: {address}"
    return DaemonError(500, wording, newer={"26.1": (400, wording)})


address_in_use = message(403, "Address already in use")
# sic: the daemon's message ends with a stray parenthesis
invalid_ipv4 = message(500, "Invalid IPv4 address: {address})")
address_not_in_subnet = message(
    500, "Invalid address {address}: It does not belong to any of this network's subnets"
)
no_available_address = message(
    500, "no available IPv4 addresses on this network's address pools: {network_name}"
)
# Attaching a running container to a network that is not local (swarm path).
attach_failed = message(500, "Could not attach to network {network}: {reason}")
attach_no_cluster = message(500, "invalid cluster node while attaching to network")
