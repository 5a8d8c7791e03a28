"""The daemon's error wording: swarm."""

from __future__ import annotations

from ..daemon_error import DaemonError


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


def service_name_too_long() -> DaemonError:
    return DaemonError(400, "rpc error: code = InvalidArgument desc = name must be 63 characters or fewer")


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
