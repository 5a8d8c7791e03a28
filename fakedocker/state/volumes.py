"""Volumes: named and anonymous, their drivers, options, labels and users.

Interface used by the container store:

- ``engine.volumes.by_name: dict[str, Volume]``
- ``engine.volumes.get(name) -> Volume`` (raises ``messages.no_such_volume``)
- ``engine.volumes.ensure(name, driver="local", driver_opts=None, labels=None) -> Volume``:
  the volume, created if it does not exist — what the daemon does for a named volume in a
  container's binds or mounts.  Like the daemon, it emits a ``volume create`` event whether
  or not the volume already existed (an existing volume is returned unchanged).
- ``engine.volumes.create_anonymous() -> Volume``: a volume with a fresh 64-hex name.
- ``engine.volumes.users(name) -> list[str]``: ids of the containers whose ``mounts`` use it.
- ``engine.volumes.remove(name, force=False)``: 404 if missing (even forced), 409
  ``volume is in use`` while a container (running or not) mounts it; ``destroy`` event.
- ``engine.volumes.mount(name, container_id, destination, rw=True, propagation="")`` /
  ``unmount(name, container_id)``: the ``mount`` / ``unmount`` events the daemon emits when a
  container using the volume starts / stops (they change no state).

Behaviour checked against Docker 20.10.24 (API 1.41):

- ``create`` of an existing name with the ``local`` driver answers the existing volume as it
  is (labels and options of the request are ignored, not even validated) and still emits a
  ``create`` event; an unknown driver is a 404 ``error looking up volume plugin``, on
  ``/volumes/create`` and for a container's named volume alike.
- drivers other than ``local`` are the plugins a test declares (:meth:`VolumeStore.add_driver`):
  they take any name and any options, as a permissive plugin does; the node and ``/info``
  list them.  An existing name asked for with another driver is not modelled (501).
- ``Labels`` and ``Options`` are ``null`` when none were given; ``CreatedAt`` is RFC 3339 in
  whole seconds (``2024-01-02T03:04:05Z``).
- the ``name`` list filter is a regular-expression search; ``label`` needs every value to
  match; ``driver`` is exact; ``dangling`` accepts ``true/1/false/0``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .. import messages
from .filters import label_matches, parse_bool_filter, regex_search, reject_unknown_filters

if TYPE_CHECKING:
    from ..engine import FakeEngine
    from .containers import ContainerTable

_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_VALID_OPTS = ("type", "device", "o", "size")
# an option needs another one (volume/local/local_unix.go, mandatoryOpts)
_MANDATORY_OPTS = (("type", "device"), ("device", "type"), ("o", "device"))
ROOT = "/var/lib/docker/volumes"


@dataclass(frozen=True)
class VolumeDriver:
    """A volume plugin installed on the fake daemon (``local`` is built in)."""

    name: str
    scope: str = "local"
    #: where its volumes' Mountpoint lives (``<root>/<name>``)
    mount_root: str = ""


@dataclass
class Volume:
    name: str
    driver: str = "local"
    options: dict[str, str] | None = None
    labels: dict[str, str] | None = None
    created_at: str = ""
    anonymous: bool = False
    scope: str = "local"
    status: dict[str, Any] | None = field(default=None)
    mount_root: str = ""

    @property
    def mountpoint(self) -> str:
        if self.mount_root:
            return f"{self.mount_root}/{self.name}"
        return f"{ROOT}/{self.name}/_data"

    def inspect(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "CreatedAt": self.created_at,
            "Driver": self.driver,
            "Labels": dict(self.labels) if self.labels is not None else None,
            "Mountpoint": self.mountpoint,
            "Name": self.name,
            "Options": dict(self.options) if self.options is not None else None,
            "Scope": self.scope,
        }
        if self.status is not None:
            out["Status"] = dict(self.status)
        return out


class VolumeStore:
    """Receives the container table (a volume's users are the containers mounting it)."""

    def __init__(self, engine: FakeEngine, containers: ContainerTable) -> None:
        self.engine = engine
        self.containers = containers
        self.by_name: dict[str, Volume] = {}
        self.drivers: dict[str, VolumeDriver] = {"local": VolumeDriver("local")}

    # drivers ---------------------------------------------------------------------------
    def add_driver(self, name: str, scope: str = "local", mount_root: str | None = None) -> VolumeDriver:
        """Install a fake volume plugin ``name`` (``scope`` ``local`` or ``global``): volumes
        can be created with it, mounts may name it, and the node's scheduler finds it."""
        with self.engine.lock:
            if mount_root is None:
                plugin_id = hashlib.sha256(f"plugin:{name}".encode()).hexdigest()
                mount_root = f"/var/lib/docker/plugins/{plugin_id}/propagated-mount"
            driver = VolumeDriver(name, scope, mount_root)
            self.drivers[name] = driver
            return driver

    def driver_names(self) -> list[str]:
        return list(self.drivers)

    # lookups ---------------------------------------------------------------------------
    def resolve(self, name: str) -> Volume | None:
        return self.by_name.get(name)

    def get(self, name: str) -> Volume:
        with self.engine.lock:
            vol = self.by_name.get(name)
            if vol is None:
                raise messages.no_such_volume(name)
            return vol

    def users(self, name: str) -> list[str]:
        """Ids of the containers (running or not) whose mounts use volume ``name``."""
        with self.engine.lock:
            out = []
            for c in self.containers.by_id.values():
                for m in c.mounts:
                    if m.get("Type") == "volume" and m.get("Name") == name:
                        out.append(c.id)
                        break
            return out

    # create ----------------------------------------------------------------------------
    def create(self, name: str | None = None, driver: str | None = "local",
               driver_opts: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> Volume:
        """``POST /volumes/create``: validates like the ``local`` driver; idempotent by name."""
        engine = self.engine
        driver = driver or "local"
        with engine.lock:
            if driver not in self.drivers:
                raise messages.volume_plugin_not_found(name or engine.new_id(), driver)
            local = driver == "local"
            if not name:
                if local:
                    _validate_opts("", driver_opts)
                return self._add_volume(engine.new_id(), driver, driver_opts, labels, anonymous=True)
            existing = self.by_name.get(name)
            if existing is not None:
                if existing.driver != driver:
                    raise messages.not_modelled(
                        f"a volume create of existing volume {name} with another driver")
                engine.emit("volume", "create", existing.name, {"driver": existing.driver})
                return existing
            if not local:
                return self._add_volume(name, driver, driver_opts, labels)
            if len(name) == 1:
                raise messages.volume_name_too_short(name)
            if not _NAME_RE.match(name):
                raise messages.invalid_volume_name(name)
            _validate_opts(name, driver_opts)
            return self._add_volume(name, driver, driver_opts, labels)

    def ensure(self, name: str, driver: str | None = "local",
               driver_opts: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> Volume:
        """The named volume a container mounts, created if missing (a ``create`` event either way)."""
        return self.create(name, driver, driver_opts, labels)

    def create_anonymous(self) -> Volume:
        with self.engine.lock:
            return self._add_volume(self.engine.new_id(), "local", None, None, anonymous=True)

    def _add_volume(self, name: str, driver: str, driver_opts: dict[str, str] | None,
             labels: dict[str, str] | None, anonymous: bool = False) -> Volume:
        engine = self.engine
        plugin = self.drivers[driver]
        vol = Volume(
            name=name,
            driver=driver,
            options=dict(driver_opts) if driver_opts else None,
            labels=dict(labels) if labels else None,
            created_at=_created_at(engine.now()),
            anonymous=anonymous,
            scope=plugin.scope,
            mount_root=plugin.mount_root,
        )
        self.by_name[name] = vol
        engine.emit("volume", "create", name, {"driver": driver})
        return vol

    # remove ----------------------------------------------------------------------------
    def remove(self, name: str, force: bool = False) -> None:
        """``DELETE /volumes/{name}``.  ``force`` does not skip any check (it only ignores
        volumes a plugin lost, which the fake cannot have)."""
        with self.engine.lock:
            vol = self.get(name)
            users = self.users(name)
            if users:
                raise messages.volume_in_use(name, users)
            del self.by_name[name]
            self.engine.emit("volume", "destroy", vol.name, {"driver": vol.driver})

    def prune(self, filters: dict[str, list[str]] | None = None) -> list[str]:
        """``POST /volumes/prune`` (API 1.41: every unused volume, named or anonymous)."""
        filters = filters or {}
        reject_unknown_filters(filters, ("label", "label!"))
        with self.engine.lock:
            deleted = []
            for vol in list(self.by_name.values()):
                if not all(label_matches(vol.labels, w) for w in filters.get("label", ())):
                    continue
                if any(label_matches(vol.labels, w) for w in filters.get("label!", ())):
                    continue
                if self.users(vol.name):
                    continue
                del self.by_name[vol.name]
                self.engine.emit("volume", "destroy", vol.name, {"driver": vol.driver})
                deleted.append(vol.name)
            self.engine.emit("volume", "prune", "", {"reclaimed": "0"})
            return deleted

    # list ------------------------------------------------------------------------------
    def list(self, filters: dict[str, list[str]] | None = None) -> list[Volume]:
        filters = filters or {}
        reject_unknown_filters(filters, ("name", "label", "driver", "dangling"))
        dangling = None
        if "dangling" in filters:
            values = filters["dangling"]
            dangling = parse_bool_filter(
                values, messages.invalid_filter(f"dangling=[{' '.join(values)}]")
            )
        with self.engine.lock:
            out = []
            for vol in self.by_name.values():
                names = filters.get("name")
                if names and not any(regex_search(p, vol.name) for p in names):
                    continue
                if not all(label_matches(vol.labels, w) for w in filters.get("label", ())):
                    continue
                drivers = filters.get("driver")
                if drivers and vol.driver not in drivers:
                    continue
                if dangling is not None and dangling != (not self.users(vol.name)):
                    continue
                out.append(vol)
            return out

    # events of the containers using a volume ------------------------------------------
    def mount(self, name: str, container_id: str, destination: str, rw: bool = True,
              propagation: str = "") -> None:
        """Emit the ``mount`` event of a starting container (as the daemon does at start)."""
        with self.engine.lock:
            vol = self.by_name.get(name)
            self.engine.emit("volume", "mount", name, {
                "container": container_id,
                "destination": destination,
                "driver": vol.driver if vol else "local",
                "propagation": propagation,
                "read/write": "true" if rw else "false",
            })

    def unmount(self, name: str, container_id: str) -> None:
        """Emit the ``unmount`` event of a stopping container."""
        with self.engine.lock:
            vol = self.by_name.get(name)
            self.engine.emit("volume", "unmount", name, {
                "container": container_id,
                "driver": vol.driver if vol else "local",
            })


def _validate_opts(name: str, opts: dict[str, str] | None) -> None:
    if not opts:
        return
    for key in opts:
        if key not in _VALID_OPTS:
            raise messages.invalid_volume_option(name, key)
    for key, needs in _MANDATORY_OPTS:
        if key in opts and needs not in opts:
            raise messages.missing_volume_option(name, needs)
    if "size" in opts:
        raise messages.volume_quota_unsupported(name)


def _created_at(t: float) -> str:
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
