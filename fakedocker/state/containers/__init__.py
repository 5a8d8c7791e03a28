"""Containers: state and lifecycle (created -> running -> exited), ports, runtimes, files.

- :mod:`.model`: the :class:`Container` and the :class:`ContainerTable` (by id, name, prefix);
- :mod:`.create`: create (Config/HostConfig merged with the image's and the daemon's
  defaults, mounts, networks), names, rename;
- :mod:`.lifecycle`: start, stop, kill, restart, pause, wait, remove, exits, logs;
  its parts :mod:`.start_checks` (what a start checks first: bind propagation, device
  requests, links), :mod:`.stopping` (stop, stop_later) and :mod:`.waiting` (wait);
- :mod:`.files`: the in-memory file tree and the archive API;
- :mod:`.runtime_rules`: which runtime runs which container;
- :mod:`.store`: ``engine.containers``, the facade over all of them.

Published host ports live in :mod:`fakedocker.state.ports`, shared with the swarm.
"""

from ...timestamps import ZERO_TIME
from ..ports import PORT_RANGE
from .create import DEFAULT_HOST_CONFIG, MOUNT_FIELDS, ContainerFactory, go_fields
from .files import ContainerFiles, FileNode
from .lifecycle import ContainerLifecycle
from .model import Container, ContainerTable, create_env, merge_env, signal_number
from .runtime_rules import RuntimeRules
from .store import ContainerStore

__all__ = [
    "DEFAULT_HOST_CONFIG", "MOUNT_FIELDS", "PORT_RANGE", "ZERO_TIME", "Container",
    "ContainerFactory", "ContainerFiles", "ContainerLifecycle", "ContainerStore",
    "ContainerTable", "FileNode", "RuntimeRules", "create_env", "go_fields", "merge_env",
    "signal_number",
]
