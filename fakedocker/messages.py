"""The daemon's error wording, in one place (Docker Engine 20.10, API 1.41).

Every error the fake answers with is built here, so its text can be checked against a real
daemon's in one file (see ``tests/integration/REAL_DAEMON_NOTES.md``).
"""

from __future__ import annotations

from .routing import DaemonError


def not_modelled(what: str, route: str | None = None) -> DaemonError:
    """What the fake cannot answer as the daemon would — a behaviour (``what``), or a route the
    real daemon serves (``not_modelled("GET", "/images/{name}/history")``): 501, never a 400 or
    404 that could be mistaken for the daemon's own answer."""
    return DaemonError(501, f"fakedocker does not model {what}" + (f" {route}" if route else ""))


# containers -------------------------------------------------------------------------------


def no_log_stream_chosen(status: int = 400) -> DaemonError:
    """Logs asked for with neither stdout nor stderr: 400 for a container, 500 for a
    service (the swarm router's plain error)."""
    return DaemonError(status, "Bad parameters: you must choose at least one stream")


def no_such_container(ref: str) -> DaemonError:
    return DaemonError(404, f"No such container: {ref}")


def container_name_conflict(name: str, existing_id: str) -> DaemonError:
    return DaemonError(
        409,
        f'Conflict. The container name "/{name}" is already in use by container '
        f'"{existing_id}". You have to remove (or rename) that container to be able '
        "to reuse that name.",
    )


def invalid_container_name(name: str) -> DaemonError:
    return DaemonError(
        400, f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    )


def remove_running_container(container_id: str) -> DaemonError:
    return DaemonError(
        409,
        f"You cannot remove a running container {container_id}. Stop the container "
        "before attempting removal or force remove",
    )


def container_not_running(container_id: str) -> DaemonError:
    return DaemonError(409, f"Container {container_id} is not running")


def no_device_driver(driver: str, capabilities: list[list[str]]) -> str:
    """A device request no driver takes (no NVIDIA container toolkit): the daemon's words."""
    groups = " ".join("[" + " ".join(group) + "]" for group in capabilities)
    return f'could not select device driver "{driver}" with capabilities: [{groups}]'


def unknown_gpu(device: str) -> str:
    """A GPU id the host does not have (the NVIDIA runtime's refusal; modelled, its exact text
    not checked against a GPU host)."""
    return ("failed to create task for container: OCI runtime create failed: nvidia-container-cli: "
            f"device error: {device}: unknown device: unknown")


def too_few_gpus(count: int, available: int) -> str:
    """More GPUs asked for by count than the host has (modelled, as unknown_gpu)."""
    return ("failed to create task for container: OCI runtime create failed: nvidia-container-cli: "
            f"device error: requested {count} devices, {available} available: unknown")


def port_already_allocated(endpoint: str, endpoint_id: str, host_ip: str, port: int) -> DaemonError:
    return DaemonError(
        500,
        f"driver failed programming external connectivity on endpoint {endpoint} "
        f"({endpoint_id}): Bind for {host_ip}:{port} failed: port is already allocated",
    )


def no_such_exec(exec_id: str) -> DaemonError:
    return DaemonError(404, f"No such exec instance: {exec_id}")


def no_such_path(container_id: str, path: str) -> DaemonError:
    return DaemonError(404, f"Could not find the file {path} in container {container_id}")


def cannot_kill(ref: str, reason: str, status: int) -> DaemonError:
    return DaemonError(status, f"Cannot kill container: {ref}: {reason}")


def invalid_signal(sig: str) -> DaemonError:
    return DaemonError(400, f"Invalid signal: {sig}")


def container_already_paused(container_id: str) -> DaemonError:
    return DaemonError(409, f"Container {container_id} is already paused")


def container_not_paused(container_id: str) -> DaemonError:
    return DaemonError(500, f"Container {container_id} is not paused")


def exec_container_paused(container_id: str) -> DaemonError:
    return DaemonError(409, f"Container {container_id} is paused, unpause the container before exec")


def too_many_endpoints(names: list[str]) -> DaemonError:
    return DaemonError(
        400, f"Container cannot be connected to network endpoints: {', '.join(names)}"
    )


def conflict_mac_and_network_mode() -> DaemonError:
    return DaemonError(400, "conflicting options: mac-address and the network mode")


def invalid_mac_address(text: str) -> DaemonError:
    """Go's ``net.ParseMAC`` error, at start (the endpoint is made then)."""
    return DaemonError(500, f"address {text}: invalid MAC address")


def conflict_network_and_links(kind: str) -> DaemonError:
    """Links with a ``host`` (kind "host type networking") or ``container:`` (kind
    "container type network") network mode."""
    return DaemonError(400, f"conflicting options: {kind} can't be used with links. This would "
                            "result in undefined behavior")


def empty_link() -> DaemonError:
    return DaemonError(500, "empty string specified for links")


def bad_link_format(value: str) -> DaemonError:
    return DaemonError(500, f"bad format for links: {value}")


def link_target_missing(name: str) -> DaemonError:
    return DaemonError(400, f"could not get container for {name}: No such container: {name}")


def link_target_not_running(child_name: str, link_name: str) -> DaemonError:
    """At start: ``/child AS /parent/alias``."""
    return DaemonError(500, f"Cannot link to a non running container: {child_name} AS {link_name}")


def default_link_name() -> DaemonError:
    """``DELETE /containers/NAME?link=1`` naming a container, not a ``/parent/alias`` link."""
    return DaemonError(500, "Conflict, cannot remove the default link name of the container")


def link_target_not_on_bridge(child_id: str) -> DaemonError:
    return DaemonError(500, f"container {child_id} not attached to default bridge network")


def log_driver_not_found(driver: str) -> DaemonError:
    return DaemonError(400, f'error looking up logging plugin {driver}: plugin "{driver}" not found')


def unknown_log_opt(driver: str, option: str) -> DaemonError:
    if driver == "json-file":
        return DaemonError(400, f"unknown log opt '{option}' for json-file log driver")
    return DaemonError(400, f"unknown log opt '{option}' for log driver {driver}")


def log_mode_not_supported(mode: str) -> DaemonError:
    return DaemonError(400, f"logger: logging mode not supported: {mode}")


def log_buffer_needs_non_blocking() -> DaemonError:
    return DaemonError(400, "logger: max-buffer-size option is only supported with 'mode=non-blocking'")


def log_buffer_size_invalid(value: str) -> DaemonError:
    return DaemonError(400, f"error parsing option max-buffer-size: invalid size: '{value}'")


def logs_not_readable() -> DaemonError:
    """``GET /containers/{id}/logs`` on a container whose log driver keeps no logs."""
    return DaemonError(501, "configured logging driver does not support reading")


def extraction_point_not_directory() -> DaemonError:
    return DaemonError(500, "extraction point is not a directory")


def conflicting_cpu_options(other: str) -> DaemonError:
    return DaemonError(400, f"Conflicting options: Nano CPUs and {other} cannot both be set")


def invalid_filter(text: str) -> DaemonError:
    return DaemonError(400, f"Invalid filter '{text}'")


def invalid_health_filter(value: str) -> DaemonError:
    return DaemonError(400, f"Unrecognised filter value for health: {value}")


# images -----------------------------------------------------------------------------------


def no_such_image(ref: str) -> DaemonError:
    return DaemonError(404, f"No such image: {ref}")


def reference_does_not_exist() -> DaemonError:
    """A save of ``repo:tag`` or ``repo@digest`` that names nothing (the daemon's reference
    store's own error; a name without a tag is ``No such image``)."""
    return DaemonError(404, "reference does not exist")


def no_such_image_inspect(ref: str, normalized: str) -> DaemonError:
    """What ``GET /images/{name}/json`` answers for a missing image (the daemon wraps its
    own message, with the reference as given and as normalised)."""
    return DaemonError(404, f"no such image: {ref}: No such image: {normalized}")


def image_in_use(ref: str, container_short_id: str, image_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f'conflict: unable to remove repository reference "{ref}" (must force) - container '
        f"{container_short_id} is using its referenced image {image_short_id}",
    )


def image_delete_running(image_short_id: str, container_short_id: str) -> DaemonError:
    return DaemonError(
        409,
        f"conflict: unable to delete {image_short_id} (cannot be forced) - image is being "
        f"used by running container {container_short_id}",
    )


def manifest_unknown(ref: str) -> DaemonError:
    return DaemonError(404, f"manifest for {ref} not found: manifest unknown: manifest unknown")


def repository_unknown(repository: str) -> DaemonError:
    return DaemonError(
        404,
        f"pull access denied for {repository}, repository does not exist or may require "
        "'docker login': denied: requested access to the resource is denied",
    )


def registry_unreachable(registry: str) -> DaemonError:
    return DaemonError(
        500,
        f'Get "https://{registry}/v2/": dial tcp: lookup {registry}: '
        "Temporary failure in name resolution",
    )


def invalid_reference_format() -> DaemonError:
    return DaemonError(400, "invalid reference format")


def tar_unexpected_eof() -> DaemonError:
    """An import or load body that is not a tar archive (the daemon's untar helper failing)."""
    return DaemonError(500, "Error processing tar file(exit status 1): unexpected EOF")


def load_missing_file(name: str) -> DaemonError:
    """A load of a tar without a file it needs (the daemon names the temporary directory it
    unpacked the tar in; fakedocker a fixed one)."""
    return DaemonError(
        500, f"open /var/lib/docker/tmp/docker-import-0/{name}: no such file or directory"
    )


def load_missing_repositories() -> DaemonError:
    """A load of a tar with neither ``manifest.json`` nor ``repositories``."""
    return load_missing_file("repositories")


def load_layer_count_mismatch(expected: int, got: int) -> DaemonError:
    return DaemonError(
        500, f"invalid manifest, layers length mismatch: expected {expected}, got {got}"
    )


def invalid_change_command(command: str) -> DaemonError:
    return DaemonError(400, f"{command.lower()} is not a valid change command")


def repository_name_not_lowercase() -> DaemonError:
    return DaemonError(400, "invalid reference format: repository name must be lowercase")


# volumes ----------------------------------------------------------------------------------


def no_such_volume(name: str) -> DaemonError:
    return DaemonError(404, f"get {name}: no such volume")


def volume_in_use(name: str, container_ids: list[str]) -> DaemonError:
    return DaemonError(409, f"remove {name}: volume is in use - [{', '.join(container_ids)}]")


def volume_plugin_not_found(name: str, driver: str) -> DaemonError:
    return DaemonError(
        404, f'create {name}: error looking up volume plugin {driver}: plugin "{driver}" not found'
    )


def invalid_mount(message: str) -> DaemonError:
    """A container create whose ``Mounts`` the daemon refuses (see :mod:`.state.mounts`)."""
    return DaemonError(400, message)


def duplicate_mount_point(destination: str) -> DaemonError:
    return DaemonError(400, f"Duplicate mount point: {destination}")


def invalid_service_mount_type(mount_type: str) -> DaemonError:
    return DaemonError(400, f'invalid MountType: "{mount_type}"')


def volume_name_too_short(name: str) -> DaemonError:
    return DaemonError(
        400,
        f"create {name}: volume name is too short, names should be at least two alphanumeric "
        "characters",
    )


def invalid_volume_name(name: str) -> DaemonError:
    return DaemonError(
        400,
        f'create {name}: "{name}" includes invalid characters for a local volume name, only '
        '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
        "use absolute path",
    )


def invalid_volume_option(name: str, option: str) -> DaemonError:
    return DaemonError(400, f'create {name}: invalid option: "{option}"')


def missing_volume_option(name: str, option: str) -> DaemonError:
    return DaemonError(400, f'create {name}: missing required option: "{option}"')


def volume_quota_unsupported(name: str) -> DaemonError:
    return DaemonError(400, f"create {name}: quota size requested but no quota support")


# networks ---------------------------------------------------------------------------------


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
    return DaemonError(500, f"invalid link local IP address: {address}")


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


# swarm ------------------------------------------------------------------------------------


def not_a_swarm_manager() -> DaemonError:
    return DaemonError(
        503,
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
        "to connect this node to swarm and try again.",
    )


def already_in_swarm() -> DaemonError:
    return DaemonError(
        503,
        'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm '
        "and join another one.",
    )


def not_in_swarm() -> DaemonError:
    return DaemonError(503, "This node is not part of a swarm")


def no_such_service(ref: str) -> DaemonError:
    return DaemonError(404, f"service {ref} not found")


def no_such_task(ref: str) -> DaemonError:
    return DaemonError(404, f"task {ref} not found")


def no_such_node(ref: str) -> DaemonError:
    return DaemonError(404, f"node {ref} not found")


def service_name_conflict(name: str) -> DaemonError:
    return DaemonError(409, f"rpc error: code = AlreadyExists desc = name conflicts with an existing object: service {name} already exists")


def task_image_missing(image: str) -> str:
    """The ``Status.Err`` of a task whose image cannot be had."""
    return "No such image: " + image


def update_out_of_sequence() -> DaemonError:
    """A service, node or swarm update with a stale ``version``."""
    return DaemonError(500, "rpc error: code = Unknown desc = update out of sequence")


def service_mode_change() -> DaemonError:
    return DaemonError(501, "rpc error: code = Unimplemented desc = service mode change is not allowed")


def service_rename() -> DaemonError:
    return DaemonError(501, "rpc error: code = Unimplemented desc = renaming services is not supported")


def invalid_service_name() -> DaemonError:
    return DaemonError(
        400, "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component"
    )


def service_image_missing() -> DaemonError:
    return DaemonError(
        400, "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided"
    )


def service_network_not_found(ref: str) -> DaemonError:
    """A service created with a network that does not exist (the daemon answers 500)."""
    return DaemonError(500, f"network {ref} not found")


def port_in_use_by_service(port: int, service_name: str, service_id: str) -> DaemonError:
    return DaemonError(
        400,
        f"rpc error: code = InvalidArgument desc = port '{port}' is already in use by service "
        f"'{service_name}' ({service_id}) as an ingress port",
    )


def invalid_desired_state_filter(value: str) -> DaemonError:
    return DaemonError(500, f"Invalid desired-state filter: '{value}'")


def leave_manager_needs_force() -> DaemonError:
    return DaemonError(
        503,
        "You are attempting to leave the swarm on a node that is participating as a manager. "
        "Removing the last manager erases all current state of the swarm. Use `--force` to "
        "ignore this message. ",
    )


def join_needs_remote_addr() -> DaemonError:
    return DaemonError(400, "at least 1 RemoteAddr is required to join")


def join_timeout() -> DaemonError:
    return DaemonError(
        503,
        "Timeout was reached before node joined. The attempt to join the swarm will continue "
        'in the background. Use the "docker info" command to see the current swarm status of '
        "your node.",
    )


def swarm_invalid_data_path_port(port: int) -> DaemonError:
    return DaemonError(500, f"Datapath port number is not in valid range (1024-49151) : {port}")


def invalid_base_pool(pool: str) -> DaemonError:
    return DaemonError(500, f"invalid base pool {pool}: invalid CIDR address: {pool}")


def subnet_size_out_of_range(size: int) -> DaemonError:
    return DaemonError(500, f"subnet size is out of range: {size}")


def subnet_size_too_small(pool: str, size: int) -> DaemonError:
    return DaemonError(500, f'invalid CIDR: "{pool}". Subnet size is too small for pool: {size}')


def swarm_not_locked() -> DaemonError:
    return DaemonError(409, "swarm is not locked")


def invalid_node_role(role: str) -> DaemonError:
    return DaemonError(400, f"invalid role {role!r}")


def invalid_node_availability(availability: str) -> DaemonError:
    return DaemonError(400, f"invalid availability {availability!r}")


def demote_last_manager() -> DaemonError:
    return DaemonError(
        500, "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm"
    )


def remove_manager_node(node_id: str) -> DaemonError:
    return DaemonError(
        500,
        f"rpc error: code = FailedPrecondition desc = node {node_id} is a cluster manager and is "
        "a member of the raft cluster. It must be demoted to worker before removal",
    )


# generic ----------------------------------------------------------------------------------


def page_not_found() -> DaemonError:
    return DaemonError(404, "page not found")


def experimental_disabled() -> DaemonError:
    """The daemon's answer on an experimental route (checkpoints) when not in experimental mode."""
    return DaemonError(
        501,
        "This experimental feature is disabled by default. Start the Docker daemon in "
        "experimental mode in order to enable it.",
    )


def invalid_time_filter(value: str) -> DaemonError:
    """An ``until`` prune filter that is neither a time nor a duration (the daemon answers 500)."""
    return DaemonError(500, f'failed to parse value as time or duration: "{value}"')


def constraint_without_operator() -> DaemonError:
    """A placement constraint with neither ``==`` nor ``!=`` (the daemon answers 500)."""
    return DaemonError(500, "rpc error: code = Unknown desc = constraint expected one operator from ==, !=")


def no_suitable_node(unavailable: int, unsatisfied: int, missing_plugin: int = 0) -> str:
    """A pending task's ``Err`` when no node can take it, counting the nodes that are not
    available for new tasks (down, drained or paused), those whose attributes fail the
    task's placement constraints and those lacking a plugin the task needs."""
    def nodes(n: int) -> str:
        return f"{n} node" if n == 1 else f"{n} nodes"

    reasons = []
    if unavailable:
        reasons.append(f"{nodes(unavailable)} not available for new tasks")
    if missing_plugin:
        reasons.append(f"missing plugin on {nodes(missing_plugin)}")
    if unsatisfied:
        reasons.append(f"scheduling constraints not satisfied on {nodes(unsatisfied)}")
    return f"no suitable node ({'; '.join(reasons)})"
