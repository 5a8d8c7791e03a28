"""Containers: state and lifecycle (created -> running -> exited), ports, runtimes.

Interface used by other modules (images, volumes, networks, swarm, system):

- ``engine.containers.by_id: dict[str, Container]``; a Container has at least ``id`` (64 hex),
  ``name`` (without the leading ``/``), ``status`` (``created``, ``running``, ``paused``,
  ``restarting``, ``removing``, ``exited``, ``dead``), ``image_id``, ``labels`` (dict),
  ``networks`` (dict: network name -> EndpointSettings, written by the NetworkStore) and
  ``mounts`` (list of dicts in the inspect ``Mounts`` shape).
- ``engine.containers.resolve(ref) / get(ref)``: by full id, unique id prefix or name.
- ``engine.containers.crash(ref, exit_code, oom=False)``: a running container exits now.
- ``engine.containers.shutdown()``: stop every runtime (used by ``engine.close()``).
"""

from __future__ import annotations

from typing import Any


class ContainerStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.by_id: dict[str, Any] = {}

    def crash(self, container: str, exit_code: int, oom: bool = False) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass
