"""Mounts (``HostConfig.Mounts``, a service's ``ContainerSpec.Mounts``) checked as the daemon
checks them, in its order.  Pure functions of the mount dicts (already decoded into the
``Mount`` struct, :mod:`.go_json`); each returns the daemon's message, or None when the mount
passes.

- :func:`container_mount_error`: container create (moby ``volume/mounts`` Linux parser):
  400 ``invalid mount config for type "T": ...``.  Whether a bind's host path exists is not
  modelled (the fake has no host file system of its own);
- :func:`service_mount_type`: a service spec's mount type as swarmkit stores it (an empty
  type is ``bind``; another unknown one is refused at create, 400);
- :func:`task_mount_error`: the swarm executor's checks before it makes the task's
  container (``daemon/cluster/executor/container/validate.go``): the task ends ``rejected``
  (``resolving controller failed``);
- :func:`volume_plugins_of`: the volume drivers a task's mounts need from its node.
"""

from __future__ import annotations

from typing import Any

#: the bind propagation modes of the Linux parser
PROPAGATION_MODES = frozenset({"private", "rprivate", "shared", "rshared", "slave", "rslave"})
#: swarmkit's mount types (``api.Mount_MountType``), as the daemon echoes them
SERVICE_MOUNT_TYPES = ("bind", "volume", "tmpfs", "npipe")


def _absolute(path: str) -> bool:
    return path.startswith("/")


def _config_error(mount: dict[str, Any], reason: str) -> str:
    return f'invalid mount config for type "{mount.get("Type") or ""}": {reason}'


def container_mount_error(mount: dict[str, Any]) -> str | None:
    """Why the daemon refuses ``mount`` in a container create (None: it does not)."""
    target = mount.get("Target") or ""
    mtype = mount.get("Type") or ""
    source = mount.get("Source") or ""
    if not target:
        return _config_error(mount, "field Target must not be empty")
    if target == "/":
        return _config_error(mount, "invalid specification: destination can't be '/'")
    if not _absolute(target):
        return _config_error(mount, f"invalid mount path: '{target}' mount path must be absolute")
    if mtype == "bind":
        if not source:
            return _config_error(mount, "field Source must not be empty")
        propagation = (mount.get("BindOptions") or {}).get("Propagation") or ""
        if propagation and propagation not in PROPAGATION_MODES:
            return _config_error(mount, f"invalid propagation mode: {propagation}")
        if mount.get("VolumeOptions") is not None:
            return _config_error(mount, "field VolumeOptions must not be specified")
        if not _absolute(source):
            return _config_error(mount, f"invalid mount path: '{source}' mount path must be absolute")
    elif mtype == "volume":
        if mount.get("BindOptions") is not None:
            return _config_error(mount, "field BindOptions must not be specified")
        if not source and mount.get("ReadOnly"):
            return _config_error(mount, "must not set ReadOnly mode when using anonymous volumes")
    elif mtype == "tmpfs":
        if mount.get("BindOptions") is not None:
            return _config_error(mount, "field BindOptions must not be specified")
        if source:
            return _config_error(mount, "field Source must not be specified")
    else:
        return _config_error(mount, "mount type unknown")
    return None


def duplicate_destination(destinations: list[str]) -> str | None:
    """The first destination mounted twice (``Duplicate mount point: <dest>``, 400)."""
    seen: set[str] = set()
    for dest in destinations:
        if dest in seen:
            return dest
        seen.add(dest)
    return None


def service_mount_type(mount: dict[str, Any]) -> str | None:
    """The mount's type as swarmkit stores it (compared without regard to case; empty means
    ``bind``, swarmkit's zero value), or None when it has none of swarmkit's types."""
    mtype = str(mount.get("Type") or "").lower()
    if not mtype:
        return "bind"
    return mtype if mtype in SERVICE_MOUNT_TYPES else None


def task_mount_error(mounts: list[dict[str, Any]] | None) -> str | None:
    """The executor's refusal of a task's mounts (the task's ``Err``), or None."""
    for mount in mounts or ():
        target = mount.get("Target") or ""
        source = mount.get("Source") or ""
        mtype = mount.get("Type")
        if not _absolute(target) and mtype != "npipe":
            return f"invalid mount target, must be an absolute path: {target}"
        if mtype == "bind" and not _absolute(source):
            return f"invalid bind mount source, must be an absolute path: {source}"
        if mtype == "volume" and _absolute(source):
            return f"invalid volume mount source, must not be an absolute path: {source}"
        if mtype == "tmpfs" and source:
            return "invalid tmpfs source, source must be empty"
    return None


def volume_plugins_of(mounts: list[dict[str, Any]] | None) -> list[str]:
    """The volume drivers other than ``local`` that ``mounts`` name (swarmkit's scheduler
    places the task only on a node that has each of them)."""
    out = []
    for mount in mounts or ():
        if mount.get("Type") != "volume":
            continue
        name = ((mount.get("VolumeOptions") or {}).get("DriverConfig") or {}).get("Name") or ""
        if name and name != "local" and name not in out:
            out.append(name)
    return out
