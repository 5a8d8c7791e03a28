"""The daemon's error wording: volumes."""

from __future__ import annotations

from typing import Any

from ..daemon_error import DaemonError


def no_such_volume(name: str) -> DaemonError:
    return DaemonError(404, f"get {name}: no such volume", newer={"26.1": f"volume {name} not found"})


def volume_in_use(name: str, container_ids: list[str]) -> DaemonError:
    return DaemonError(409, f"remove {name}: volume is in use - [{', '.join(container_ids)}]")


def volume_plugin_not_found(name: str, driver: str) -> DaemonError:
    return DaemonError(
        404, f'create {name}: error looking up volume plugin {driver}: plugin "{driver}" not found'
    )


def invalid_mount(message: str, mount: dict[str, Any]) -> DaemonError:
    """A container create whose ``Mounts`` the daemon refuses (see :mod:`.state.mounts`); 26.1
    refuses a bind with VolumeOptions in its API layer, before the mount parser, in its own words."""
    newer: dict[str, str | tuple[int, str]] | None = None
    if mount.get("Type") == "bind" and mount.get("VolumeOptions") is not None:
        newer = {"26.1": 'VolumeOptions must not be specified on mount type "bind"'}
    return DaemonError(400, message, newer=newer)


def invalid_volume_specification(bind: str) -> DaemonError:
    """A ``Binds`` entry without a ``:`` between source and destination."""
    return DaemonError(400, f"invalid volume specification: '{bind}'")


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
