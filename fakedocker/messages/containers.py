"""The daemon's error wording: containers."""

from __future__ import annotations

from ..daemon_error import DaemonError
from ._catalogue import message, text


def no_log_stream_chosen(status: int = 400) -> DaemonError:
    """Logs asked for with neither stdout nor stderr: 400 for a container, 500 for a
    service (the swarm router's plain error)."""
    return DaemonError(status, "Bad parameters: you must choose at least one stream")


no_such_container = message(404, "No such container: {ref}")
container_name_conflict = message(
    409,
    'Conflict. The container name "/{name}" is already in use by container '
    '"{existing_id}". You have to remove (or rename) that container to be able '
    "to reuse that name.",
)
invalid_container_name = message(
    400, "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
)
remove_running_container = message(
    409,
    "You cannot remove a running container {container_id}. Stop the container "
    "before attempting removal or force remove",
    newer={"26.1": 'cannot remove container "/{name}": container is running: stop the '
                   "container before removing or force remove"},
)
container_not_running = message(409, "Container {container_id} is not running",
                                newer={"26.1": "container {container_id} is not running"})


def no_device_driver(driver: str, capabilities: list[list[str]]) -> str:
    """A device request no driver takes (no NVIDIA container toolkit): the daemon's words."""
    groups = " ".join("[" + " ".join(group) + "]" for group in capabilities)
    return f'could not select device driver "{driver}" with capabilities: [{groups}]'


# A GPU id the host does not have (the NVIDIA runtime's refusal; modelled, its exact text not
# checked against a GPU host).
unknown_gpu = text("failed to create task for container: OCI runtime create failed: "
                   "nvidia-container-cli: device error: {device}: unknown device: unknown")
# More GPUs asked for by count than the host has (modelled, as unknown_gpu).
too_few_gpus = text("failed to create task for container: OCI runtime create failed: "
                    "nvidia-container-cli: device error: requested {count} devices, {available} "
                    "available: unknown")
# Every port of the ephemeral range taken: no host port to publish on.
no_available_ports = message(500, "no available ports in the ephemeral range")
port_already_allocated = message(
    500,
    "driver failed programming external connectivity on endpoint {endpoint} "
    "({endpoint_id}): Bind for {host_ip}:{port} failed: port is already allocated",
)
no_such_exec = message(404, "No such exec instance: {exec_id}")
no_exec_command = message(400, "No exec command specified")
exec_already_running = message(409, "Error: Exec command {exec_id} is already running")
# A container reference that is the prefix of more than one container's id.
ambiguous_container_prefix = message(400, "Multiple IDs found with provided prefix: {ref}")
# A create with no Cmd nor Entrypoint, and an image that has none either.
no_command_specified = message(400, "No command specified")
rename_empty_name = message(400, "Neither old nor new names may be empty")
rename_same_name = message(400, "Renaming a container with the same name as its current name")


def rename_allocation_failed(reason: DaemonError) -> DaemonError:
    """A rename whose new name is refused (invalid or taken): the refusal, wrapped."""
    return DaemonError(reason.status, "Error when allocating new name: " + reason.message)


restart_policy_with_auto_remove = message(
    400, "Restart policy cannot be updated because AutoRemove is enabled for the container"
)
# A start the daemon or the runtime refuses (a mount, a device request, the process): 500 with
# the reason as the container's ``State.Error``.
start_failed = message(500, "{reason}")
# A bind with ``shared``/``rshared`` propagation on a host whose ``/`` is not shared.
mount_not_shared = text("path {source} is mounted on / but it is not a shared mount")
# A bind with ``slave``/``rslave`` propagation on a host whose ``/`` is private.
mount_not_shared_or_slave = text(
    "path {source} is mounted on / but it is not a shared or slave mount"
)
archive_path_empty = message(400, "bad parameter: path cannot be empty")
# A tar to extract into a container that is not one.
bad_archive = message(500, "Error processing tar file: {exc}")
no_such_path = message(404, "Could not find the file {path} in container {container_id}",
                       args=("container_id", "path"))


def cannot_kill(ref: str, reason: DaemonError) -> DaemonError:
    """A kill refused: the container is missing (404) or not running (409)."""
    return DaemonError(reason.status, f"Cannot kill container: {ref}: {reason.message}",
                       newer={"26.1": f"cannot kill container: {ref}: {reason.message_as('26.1')}"})


kill_invalid_signal = message(400, "Invalid signal: {sig}",
                              newer={"26.1": "cannot kill container: {ref}: invalid signal: {sig}"},
                              args=("ref", "sig"))
invalid_signal = message(400, "Invalid signal: {sig}")
container_already_paused = message(409, "Container {container_id} is already paused")
container_not_paused = message(500, "Container {container_id} is not paused")
exec_container_paused = message(
    409, "Container {container_id} is paused, unpause the container before exec"
)


def too_many_endpoints(names: list[str]) -> DaemonError:
    return DaemonError(
        400, f"Container cannot be connected to network endpoints: {', '.join(names)}"
    )


def several_endpoints_before_api_1_44(names: list[str]) -> DaemonError:
    return DaemonError(400, f"Container cannot be created with multiple network endpoints: {', '.join(names)}")


conflict_mac_and_network_mode = message(400, "conflicting options: mac-address and the network mode")

CONTAINER_WIDE_MAC_DEPRECATED = ("The container-wide MacAddress field is now deprecated. It should be "
                                 "specified in EndpointsConfig instead.")

# Docker 26 checks an endpoint's MacAddress at create (an API 1.44 client).
endpoint_mac_invalid = message(400, "invalid config for network {network}: invalid MAC address {text}")
# Go's ``net.ParseMAC`` error, at start (the endpoint is made then).
invalid_mac_address = message(500, "address {text}: invalid MAC address")
# Links with a ``host`` (kind "host type networking") or ``container:`` (kind "container type
# network") network mode.
conflict_network_and_links = message(400, "conflicting options: {kind} can't be used with links. "
                                          "This would result in undefined behavior")
empty_link = message(500, "empty string specified for links")
bad_link_format = message(500, "bad format for links: {value}")
link_target_missing = message(400, "could not get container for {name}: No such container: {name}")
# At start: ``/child AS /parent/alias``.
link_target_not_running = message(
    500, "Cannot link to a non running container: {child_name} AS {link_name}"
)
# ``DELETE /containers/NAME?link=1`` naming a container, not a ``/parent/alias`` link.
default_link_name = message(500, "Conflict, cannot remove the default link name of the container")
link_target_not_on_bridge = message(500, "container {child_id} not attached to default bridge network")
log_driver_not_found = message(
    400, 'error looking up logging plugin {driver}: plugin "{driver}" not found'
)


def unknown_log_opt(driver: str, option: str) -> DaemonError:
    if driver == "json-file":
        return DaemonError(400, f"unknown log opt '{option}' for json-file log driver")
    return DaemonError(400, f"unknown log opt '{option}' for log driver {driver}")


log_mode_not_supported = message(400, "logger: logging mode not supported: {mode}")
log_buffer_needs_non_blocking = message(
    400, "logger: max-buffer-size option is only supported with 'mode=non-blocking'"
)
log_buffer_size_invalid = message(400, "error parsing option max-buffer-size: invalid size: '{value}'")
# ``GET /containers/{id}/logs`` on a container whose log driver keeps no logs.
logs_not_readable = message(501, "configured logging driver does not support reading")
extraction_point_not_directory = message(500, "extraction point is not a directory")
conflicting_cpu_options = message(
    400, "Conflicting options: Nano CPUs and {other} cannot both be set"
)
# A wait, attach or logs of a running container whose short-lived program fakedocker cannot
# run: its answer would need the program's output and exit code.
cannot_run_program = message(
    501,
    "fakedocker cannot run `{command}` (container {name}): its output and exit code are "
    "unknown, so it runs until stopped. Give the container a behaviour with "
    "engine.set_runtime(...), e.g. a CallableRuntime whose function writes the output with "
    "ctx.log() and returns the exit code",
)
invalid_wait_condition = message(400, 'invalid condition: "{condition}"')
invalid_filter = message(400, "Invalid filter '{text}'", newer={"26.1": "invalid filter '{text}'"})
invalid_health_filter = message(400, "Unrecognised filter value for health: {value}",
                                newer={"26.1": "unrecognized filter value for health: {value}"})
