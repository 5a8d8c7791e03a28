"""The daemon's error wording: containers."""

from __future__ import annotations

from ..daemon_error import DaemonError


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


def remove_running_container(container_id: str, name: str) -> DaemonError:
    return DaemonError(
        409,
        f"You cannot remove a running container {container_id}. Stop the container "
        "before attempting removal or force remove",
        newer={"26.1": f'cannot remove container "/{name}": container is running: stop the '
                       "container before removing or force remove"},
    )


def container_not_running(container_id: str) -> DaemonError:
    return DaemonError(409, f"Container {container_id} is not running",
                       newer={"26.1": f"container {container_id} is not running"})


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


def no_available_ports() -> DaemonError:
    """Every port of the ephemeral range taken: no host port to publish on."""
    return DaemonError(500, "no available ports in the ephemeral range")


def port_already_allocated(endpoint: str, endpoint_id: str, host_ip: str, port: int) -> DaemonError:
    return DaemonError(
        500,
        f"driver failed programming external connectivity on endpoint {endpoint} "
        f"({endpoint_id}): Bind for {host_ip}:{port} failed: port is already allocated",
    )


def no_such_exec(exec_id: str) -> DaemonError:
    return DaemonError(404, f"No such exec instance: {exec_id}")


def no_exec_command() -> DaemonError:
    return DaemonError(400, "No exec command specified")


def exec_already_running(exec_id: str) -> DaemonError:
    return DaemonError(409, f"Error: Exec command {exec_id} is already running")


def ambiguous_container_prefix(ref: str) -> DaemonError:
    """A container reference that is the prefix of more than one container's id."""
    return DaemonError(400, f"Multiple IDs found with provided prefix: {ref}")


def no_command_specified() -> DaemonError:
    """A create with no Cmd nor Entrypoint, and an image that has none either."""
    return DaemonError(400, "No command specified")


def rename_empty_name() -> DaemonError:
    return DaemonError(400, "Neither old nor new names may be empty")


def rename_same_name() -> DaemonError:
    return DaemonError(400, "Renaming a container with the same name as its current name")


def rename_allocation_failed(reason: DaemonError) -> DaemonError:
    """A rename whose new name is refused (invalid or taken): the refusal, wrapped."""
    return DaemonError(reason.status, "Error when allocating new name: " + reason.message)


def restart_policy_with_auto_remove() -> DaemonError:
    return DaemonError(400, "Restart policy cannot be updated because AutoRemove is enabled for the container")


def start_failed(reason: str) -> DaemonError:
    """A start the daemon or the runtime refuses (a mount, a device request, the process):
    500 with the reason as the container's ``State.Error``."""
    return DaemonError(500, reason)


def mount_not_shared(source: str) -> str:
    """A bind with ``shared``/``rshared`` propagation on a host whose ``/`` is not shared."""
    return f"path {source} is mounted on / but it is not a shared mount"


def mount_not_shared_or_slave(source: str) -> str:
    """A bind with ``slave``/``rslave`` propagation on a host whose ``/`` is private."""
    return f"path {source} is mounted on / but it is not a shared or slave mount"


def archive_path_empty() -> DaemonError:
    return DaemonError(400, "bad parameter: path cannot be empty")


def bad_archive(exc: Exception) -> DaemonError:
    """A tar to extract into a container that is not one."""
    return DaemonError(500, f"Error processing tar file: {exc}")


def no_such_path(container_id: str, path: str) -> DaemonError:
    return DaemonError(404, f"Could not find the file {path} in container {container_id}")


def cannot_kill(ref: str, reason: DaemonError) -> DaemonError:
    """A kill refused: the container is missing (404) or not running (409)."""
    return DaemonError(reason.status, f"Cannot kill container: {ref}: {reason.message}",
                       newer={"26.1": f"cannot kill container: {ref}: {reason.message_as('26.1')}"})


def kill_invalid_signal(ref: str, sig: str) -> DaemonError:
    return DaemonError(400, f"Invalid signal: {sig}",
                       newer={"26.1": f"cannot kill container: {ref}: invalid signal: {sig}"})


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


def several_endpoints_before_api_1_44(names: list[str]) -> DaemonError:
    return DaemonError(400, f"Container cannot be created with multiple network endpoints: {', '.join(names)}")


def conflict_mac_and_network_mode() -> DaemonError:
    return DaemonError(400, "conflicting options: mac-address and the network mode")


CONTAINER_WIDE_MAC_DEPRECATED = ("The container-wide MacAddress field is now deprecated. It should be "
                                 "specified in EndpointsConfig instead.")


def endpoint_mac_invalid(network: str, text: str) -> DaemonError:
    """Docker 26 checks an endpoint's MacAddress at create (an API 1.44 client)."""
    return DaemonError(400, f"invalid config for network {network}: invalid MAC address {text}")


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


def cannot_run_program(command: str, name: str) -> DaemonError:
    """A wait, attach or logs of a running container whose short-lived program fakedocker
    cannot run: its answer would need the program's output and exit code."""
    return DaemonError(501, f"fakedocker cannot run `{command}` (container {name}): its output and exit "
                            "code are unknown, so it runs until stopped. Give the container a behaviour "
                            "with engine.set_runtime(...), e.g. a CallableRuntime whose function "
                            "writes the output with ctx.log() and returns the exit code")


def invalid_wait_condition(condition: str) -> DaemonError:
    return DaemonError(400, f'invalid condition: "{condition}"')


def invalid_filter(text: str) -> DaemonError:
    return DaemonError(400, f"Invalid filter '{text}'", newer={"26.1": f"invalid filter '{text}'"})


def invalid_health_filter(value: str) -> DaemonError:
    return DaemonError(400, f"Unrecognised filter value for health: {value}",
                       newer={"26.1": f"unrecognized filter value for health: {value}"})
