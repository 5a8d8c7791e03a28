"""Volumes: named and anonymous, their drivers, options, labels and users.

Interface used by other modules (containers, swarm):

- ``engine.volumes.by_name: dict[str, Volume]``
- ``engine.volumes.get(name) -> Volume`` (raises ``messages.no_such_volume``)
- ``engine.volumes.ensure(name, driver="local", driver_opts=None, labels=None) -> Volume``:
  the volume, created (with a ``volume create`` event) if it does not exist — what the daemon
  does for a named volume in a container's binds or mounts.
- ``engine.volumes.create_anonymous() -> Volume``: a volume with a fresh 64-hex name.
- ``engine.volumes.users(name) -> list[str]``: ids of the containers whose ``mounts`` use it.
"""

from __future__ import annotations

from typing import Any


class VolumeStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.by_name: dict[str, Any] = {}
