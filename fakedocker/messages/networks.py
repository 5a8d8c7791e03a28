"""The daemon's error wording: networks."""

from __future__ import annotations

from ..daemon_error import DaemonError


def no_such_network(ref: str) -> DaemonError:
    return DaemonError(404, f"network {ref} not found")


def network_has_endpoints(name: str, network_id: str) -> DaemonError:
    return DaemonError(
        403, f"error while removing network: network {name} id {network_id} has active endpoints"
    )


def network_name_conflict(name: str) -> DaemonError:
    return DaemonError(409, f"network with name {name} already exists")


def predefined_network(name: str) -> DaemonError:
    return DaemonError(403, f"{name} is a pre-defined network and cannot be removed")


def predefined_network_create(name: str) -> DaemonError:
    # the daemon's wording has the trailing space
    return DaemonError(403, f"operation is not permitted on predefined {name} network ")


def predefined_network_swarm_create(name: str) -> DaemonError:
    return DaemonError(403, f"{name} is a pre-defined network and cannot be created")


def network_name_warning(name: str, network_id: str) -> str:
    """The ``Warning`` of a create that duplicates a name without ``CheckDuplicate``."""
    return f"Network with name {name} (id : {network_id}) already exists"


def network_ambiguous(ref: str, count: int, how: str) -> DaemonError:
    """``how``: ``name`` or ``ID prefix``."""
    return DaemonError(400, f"network {ref} is ambiguous ({count} matches found based on {how})")


def invalid_network_name(name: str) -> DaemonError:
    return DaemonError(500, f"invalid name: {name}")


def network_plugin_not_found(driver: str) -> DaemonError:
    return DaemonError(404, f'plugin "{driver}" not found')


def network_single_instance(driver: str) -> DaemonError:
    return DaemonError(403, f'only one instance of "{driver}" network is allowed')


def invalid_subnet(subnet: str) -> DaemonError:
    return DaemonError(500, f"Invalid subnet {subnet} : invalid CIDR address: {subnet}")


def pool_overlaps() -> DaemonError:
    return DaemonError(403, "Pool overlaps with other one on this address space")


def gateway_out_of_range(gateway: str) -> DaemonError:
    return DaemonError(
        500, f"failed to allocate gateway ({gateway}): Requested address is out of range"
    )


def bridge_multiple_subnets() -> DaemonError:
    return DaemonError(403, "bridge driver doesn't support multiple subnets")


def no_available_pool(ipv6: bool = False) -> DaemonError:
    family = "IPv6" if ipv6 else "IPv4"
    return DaemonError(
        404,
        f"could not find an available, non-overlapping {family} address pool among the "
        "defaults to assign to the network",
    )


def invalid_network_filter_value(key: str, value: str) -> DaemonError:
    return DaemonError(500, f"invalid filter: '{key}'='{value}'")


def invalid_until_filter(value: str) -> DaemonError:
    """A network prune ``until`` that is neither a timestamp nor a duration."""
    return DaemonError(400, f"invalid filter 'until={value}'")


def invalid_dangling_filter() -> DaemonError:
    return DaemonError(
        400,
        "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" "
        "(or \"0\")",
    )


def endpoint_exists(container_name: str, network_name: str) -> DaemonError:
    return DaemonError(
        403, f"endpoint with name {container_name} already exists in network {network_name}"
    )


def no_such_endpoint(name: str) -> DaemonError:
    return DaemonError(404, f"endpoint {name} not found")


def not_connected(container_id: str, network_name: str, running: bool) -> DaemonError:
    where = "network" if running else "the network"
    return DaemonError(500, f"container {container_id} is not connected to {where} {network_name}")


def invalid_endpoint_settings(network: str, problems: list[str]) -> DaemonError:
    """Docker 26 checks each endpoint of a create against its network: one problem, or a
    list of them, under one heading."""
    listed = problems[0] if len(problems) == 1 else "\n".join(f"* {p}" for p in problems)
    return DaemonError(400, f"invalid config for network {network}: invalid endpoint settings:\n{listed}")


def no_range_contains(address: str) -> str:
    return f"no configured subnet or ip-range contain the IP address {address}"


def ip_on_predefined_network() -> DaemonError:
    return DaemonError(400, "user specified IP address is supported on user defined networks only")


def alias_on_predefined_network() -> DaemonError:
    return DaemonError(
        400, "network-scoped alias is supported only for containers in user defined networks"
    )


def ip_without_subnet() -> DaemonError:
    return DaemonError(
        400,
        "user specified IP address is supported only when connecting to networks with user "
        "configured subnets",
    )


def conflict_host_network() -> DaemonError:
    return DaemonError(
        400, "container cannot be disconnected from host network or connected to host network"
    )


def conflict_shared_network() -> DaemonError:
    return DaemonError(
        400,
        "container sharing network namespace with another container or host cannot be "
        "connected to any other network",
    )


def conflict_no_network() -> DaemonError:
    return DaemonError(
        400,
        "container cannot be connected to multiple networks with one of the networks in "
        "private (none) mode",
    )


def no_endpoint_settings(network: str) -> DaemonError:
    return DaemonError(400, f"no EndpointSettings for {network}")


def invalid_requested_ipv4(address: str) -> DaemonError:
    """At create: an ``IPAMConfig.IPv4Address`` that is not an IPv4 address."""
    return DaemonError(400, f"invalid IPv4 address: {address}")


def invalid_requested_ipv6(address: str) -> DaemonError:
    """At create: an ``IPAMConfig.IPv6Address`` that is not an IPv6 address."""
    return DaemonError(400, f"invalid IPv6 address: {address}")


def unparsable_link_local_ips(addresses: list[str]) -> DaemonError:
    # Go's %v of the whole list
    return DaemonError(500, f"Invalid link-local IP address: [{' '.join(addresses)}]")


def not_link_local(address: str) -> DaemonError:
    message = f"invalid link local IP address: {address}"
    return DaemonError(500, message, newer={"26.1": (400, message)})


def address_in_use() -> DaemonError:
    return DaemonError(403, "Address already in use")


def invalid_ipv4(address: str) -> DaemonError:
    # sic: the daemon's message ends with a stray parenthesis
    return DaemonError(500, f"Invalid IPv4 address: {address})")


def address_not_in_subnet(address: str) -> DaemonError:
    return DaemonError(
        500, f"Invalid address {address}: It does not belong to any of this network's subnets"
    )


def no_available_address(network_name: str) -> DaemonError:
    return DaemonError(500, f"no available IPv4 addresses on this network's address pools: "
                            f"{network_name}")


def attach_failed(network: str, reason: str) -> DaemonError:
    """Attaching a running container to a network that is not local (swarm path)."""
    return DaemonError(500, f"Could not attach to network {network}: {reason}")


def attach_no_cluster() -> DaemonError:
    return DaemonError(500, "invalid cluster node while attaching to network")
