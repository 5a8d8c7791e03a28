"""The daemon's error wording, in one place (Docker Engine 20.10, API 1.41).

Every error the fake answers with is built here, so its text can be checked against a real
daemon's in one file (see ``tests/integration/REAL_DAEMON_NOTES.md``).
"""

from __future__ import annotations

from .routing import DaemonError

# containers -------------------------------------------------------------------------------


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


def container_paused(container_id: str) -> DaemonError:
    return DaemonError(
        409, f"Container {container_id} is paused, unpause the container before stopping or killing"
    )


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


# images -----------------------------------------------------------------------------------


def no_such_image(ref: str) -> DaemonError:
    return DaemonError(404, f"No such image: {ref}")


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


def invalid_reference(ref: str) -> DaemonError:
    return DaemonError(400, f"invalid reference format: repository name must be lowercase: {ref}"
                       if ref.lower() != ref else "invalid reference format")


# volumes ----------------------------------------------------------------------------------


def no_such_volume(name: str) -> DaemonError:
    return DaemonError(404, f"get {name}: no such volume")


def volume_in_use(name: str, container_ids: list[str]) -> DaemonError:
    return DaemonError(409, f"remove {name}: volume is in use - [{', '.join(container_ids)}]")


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


# generic ----------------------------------------------------------------------------------


def page_not_found() -> DaemonError:
    return DaemonError(404, "page not found")
