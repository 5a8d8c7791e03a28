"""The daemon's error wording: volumes."""

from __future__ import annotations

from typing import Any

from ..daemon_error import DaemonError
from ._catalogue import message

no_such_volume = message(404, "get {name}: no such volume", newer={"26.1": "volume {name} not found"})


def volume_in_use(name: str, container_ids: list[str]) -> DaemonError:
    return DaemonError(409, f"remove {name}: volume is in use - [{', '.join(container_ids)}]")


volume_plugin_not_found = message(
    404, 'create {name}: error looking up volume plugin {driver}: plugin "{driver}" not found'
)


def invalid_mount(message: str, mount: dict[str, Any]) -> DaemonError:
    """A container create whose ``Mounts`` the daemon refuses (see :mod:`.state.mounts`); 26.1
    refuses a bind with VolumeOptions in its API layer, before the mount parser, in its own words."""
    newer: dict[str, str | tuple[int, str]] | None = None
    if mount.get("Type") == "bind" and mount.get("VolumeOptions") is not None:
        newer = {"26.1": 'VolumeOptions must not be specified on mount type "bind"'}
    return DaemonError(400, message, newer=newer)


# A ``Binds`` entry without a ``:`` between source and destination.
invalid_volume_specification = message(400, "invalid volume specification: '{bind}'")
duplicate_mount_point = message(400, "Duplicate mount point: {destination}")
invalid_service_mount_type = message(400, 'invalid MountType: "{mount_type}"')
volume_name_too_short = message(
    400,
    "create {name}: volume name is too short, names should be at least two alphanumeric "
    "characters",
)
invalid_volume_name = message(
    400,
    'create {name}: "{name}" includes invalid characters for a local volume name, only '
    '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
    "use absolute path",
)
invalid_volume_option = message(400, 'create {name}: invalid option: "{option}"')
missing_volume_option = message(400, 'create {name}: missing required option: "{option}"')
volume_quota_unsupported = message(400, "create {name}: quota size requested but no quota support")
