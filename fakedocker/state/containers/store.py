"""``engine.containers``: the one object the routes, the swarm and tests use for containers.

It answers lookups from the :class:`~.model.ContainerTable` and hands every operation to the
part that does it: :class:`~.create.ContainerFactory` (create, rename),
:class:`~.lifecycle.ContainerLifecycle` (start ... remove, exits, logs),
:class:`~.files.ContainerFiles` (the file tree and archives) and
:class:`~.runtime_rules.RuntimeRules` (which runtime runs a container).

Receives the container table, the image store, the volume store, the network store and the
host's port table.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..ports import HostPorts, PortKey
from .create import ContainerFactory
from .files import ContainerFiles
from .lifecycle import ContainerLifecycle, ExitListener
from .model import Container, ContainerTable
from .runtime_rules import RuntimeRules

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..images import ImageStore
    from ..networks import NetworkStore
    from ..volumes import VolumeStore


class ContainerStore:
    def __init__(self, engine: FakeEngine, table: ContainerTable, images: ImageStore,
                 volumes: VolumeStore, networks: NetworkStore, ports: HostPorts) -> None:
        self.engine = engine
        self.table = table
        self.ports = ports
        self.factory = ContainerFactory(engine, table, images, volumes, networks)
        self.rules = RuntimeRules(engine, images)
        self.lifecycle = ContainerLifecycle(engine, table, networks, volumes, ports, self.rules)
        self.files = ContainerFiles(engine, table)

    # the table -------------------------------------------------------------------------
    @property
    def by_id(self) -> dict[str, Container]:
        return self.table.by_id

    @property
    def execs(self) -> dict[str, Any]:
        return self.table.execs

    @property
    def changed(self) -> threading.Condition:
        """Notified (under the engine lock) whenever a container changes state."""
        return self.table.changed

    def resolve(self, ref: str) -> Container | None:
        return self.table.resolve(ref)

    def get(self, ref: str) -> Container:
        return self.table.get(ref)

    # the host's ports, as tests adjust them ---------------------------------------------
    @property
    def host_ports(self) -> dict[PortKey, list[tuple[str, str]]]:
        return self.ports.table

    @property
    def probe_host_ports(self) -> bool:
        """Check with a bind() that an ephemeral port is free on the host before handing it out."""
        return self.ports.probe

    @probe_host_ports.setter
    def probe_host_ports(self, value: bool) -> None:
        self.ports.probe = value

    # operations ------------------------------------------------------------------------
    def create(self, body: dict[str, Any], name: str | None = None, api_version: str | None = None) -> Container:
        """``api_version``: the one the client's request names (None: the engine's own)."""
        return self.factory.create(body, name, api_version)

    def rename(self, ref: str, new_name: str) -> None:
        self.factory.rename(ref, new_name)

    def start(self, ref: str | Container) -> bool:
        return self.lifecycle.start(ref)

    def stop(self, ref: str | Container, timeout: int | None = None) -> bool:
        return self.lifecycle.stop(ref, timeout)

    def stop_later(self, ref: str | Container, timeout: float | None = None,
                   remove: bool = False) -> None:
        self.lifecycle.stop_later(ref, timeout, remove)

    def restart(self, ref: str, timeout: int | None = None) -> None:
        self.lifecycle.restart(ref, timeout)

    def kill(self, ref: str, sig: str | int | None = None) -> None:
        self.lifecycle.kill(ref, sig)

    def pause(self, ref: str) -> None:
        self.lifecycle.pause(ref)

    def unpause(self, ref: str) -> None:
        self.lifecycle.unpause(ref)

    def crash(self, container: str, exit_code: int, oom: bool = False) -> None:
        self.lifecycle.crash(container, exit_code, oom=oom)

    def remove(self, ref: str, v: bool = False, force: bool = False, link: bool = False) -> None:
        self.lifecycle.remove(ref, v=v, force=force, link=link)

    def wait(self, ref: str, condition: str | None = None,
             timeout: float | None = None) -> dict[str, Any]:
        return self.lifecycle.wait(ref, condition, timeout)

    def waiter(self, ref: str, condition: str | None = None) -> tuple[Any, Any]:
        return self.lifecycle.waiter(ref, condition)

    def shutdown(self) -> None:
        self.lifecycle.shutdown()

    def on_exit(self, listener: ExitListener) -> None:
        """Call ``listener(container, exit_code)`` after every exit (the swarm's task ends)."""
        self.lifecycle.exit_listeners.append(listener)

    def append_log(self, c: Container | str, data: bytes | str, stream: int | str = 1) -> None:
        self.lifecycle.append_log(c, data, stream)

    def read_file(self, ref: str, path: str) -> bytes:
        return self.files.read_file(ref, path)

    def set_runtime(self, match: Any, runtime: Any) -> None:
        self.rules.set_runtime(match, runtime)

    def runtime_for(self, c: Container) -> Any:
        return self.rules.runtime_for(c)
