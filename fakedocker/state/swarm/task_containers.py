"""The containers a node's executor runs for tasks (Docker 20.10's container adapter): their
image pulled if need be, their config from the task's ContainerSpec (named
``<service>.<slot>.<task id>``, the ``com.docker.swarm.*`` labels, host-mode ports bound on
the node), their networks with the task's addresses, and how they stop and go away.

Receives the container store, the network store, the node's port table (which containers
still hold a port a new task needs), the image store and the registry.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...routing import DaemonError
from ..images import parse_reference

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers import Container, ContainerStore
    from ..images import ImageStore, Registry
    from ..networks import NetworkStore
    from ..ports import HostPorts
    from .tasks import Task

#: ContainerSpec field -> HostConfig field, copied as they are
_HOST_CONFIG_FIELDS = (("ReadOnly", "ReadonlyRootfs"), ("Init", "Init"), ("Groups", "GroupAdd"),
                       ("CapabilityAdd", "CapAdd"), ("CapabilityDrop", "CapDrop"),
                       ("Sysctls", "Sysctls"))
_DNS_FIELDS = (("Nameservers", "Dns"), ("Search", "DnsSearch"), ("Options", "DnsOptions"))


def _container_body(task: Task) -> dict[str, Any]:
    """The container create request the executor makes for ``task``."""
    cs = task.spec["ContainerSpec"]
    labels = dict(cs.get("Labels") or {})
    labels.update({
        "com.docker.swarm.node.id": task.node_id,
        "com.docker.swarm.service.id": task.service_id,
        "com.docker.swarm.service.name": task.service_name,
        "com.docker.swarm.task": "",
        "com.docker.swarm.task.id": task.id,
        "com.docker.swarm.task.name": task.name,
    })
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for p in task.host_ports:
        key = f"{p['TargetPort']}/{p['Protocol']}"
        exposed[key] = {}
        bindings.setdefault(key, []).append(
            {"HostIp": "", "HostPort": str(p["PublishedPort"]) if p["PublishedPort"] else ""})
    host_config: dict[str, Any] = {
        "NetworkMode": "default",
        "PortBindings": bindings,
        "Isolation": cs.get("Isolation") or "default",
        "Ulimits": list(cs.get("Ulimits") or []),
    }
    if cs.get("Mounts"):
        host_config["Mounts"] = copy.deepcopy(cs["Mounts"])
    for key, target in _HOST_CONFIG_FIELDS:
        if cs.get(key):
            host_config[target] = copy.deepcopy(cs[key])
    if cs.get("Hosts"):  # "IP host..." -> "host:IP"
        extra = []
        for line in cs["Hosts"]:
            parts = line.split()
            extra += [f"{name}:{parts[0]}" for name in parts[1:]] if len(parts) > 1 else [line]
        host_config["ExtraHosts"] = extra
    dns = cs.get("DNSConfig") or {}
    for key, target in _DNS_FIELDS:
        if dns.get(key):
            host_config[target] = list(dns[key])
    resources = task.spec.get("Resources") or {}
    limits, reservations = resources.get("Limits") or {}, resources.get("Reservations") or {}
    if limits.get("MemoryBytes"):
        host_config["Memory"] = int(limits["MemoryBytes"])
    if limits.get("NanoCPUs"):
        host_config["NanoCpus"] = int(limits["NanoCPUs"])
    if limits.get("Pids"):
        host_config["PidsLimit"] = int(limits["Pids"])
    if reservations.get("MemoryBytes"):
        host_config["MemoryReservation"] = int(reservations["MemoryBytes"])
    body: dict[str, Any] = {
        "Image": cs["Image"],
        "Hostname": cs.get("Hostname") or "",
        "User": cs.get("User") or "",
        "Env": list(cs.get("Env") or []) or None,
        "Entrypoint": list(cs.get("Command") or []) or None,
        "Cmd": list(cs.get("Args") or []) or None,
        "WorkingDir": cs.get("Dir") or "",
        "Labels": dict(sorted(labels.items())),
        "Tty": bool(cs.get("TTY")),
        "OpenStdin": bool(cs.get("OpenStdin")),
        "HostConfig": host_config,
    }
    if exposed:
        body["ExposedPorts"] = exposed
    for key in ("StopSignal", "Healthcheck"):
        if cs.get(key):
            body[key] = copy.deepcopy(cs[key])
    return body


def stop_grace_period(task: Task) -> float:
    """``StopGracePeriod`` in seconds (the daemon's default: 10)."""
    grace = task.spec["ContainerSpec"].get("StopGracePeriod")
    return 10.0 if grace is None else int(grace) / 1e9


@dataclass(eq=False, repr=False)
class TaskContainers:
    engine: FakeEngine
    containers: ContainerStore
    networks: NetworkStore
    ports: HostPorts
    images: ImageStore
    registry: Registry
    _task_of_container: dict[str, str] = field(default_factory=dict, init=False)  # container id -> task id

    def task_id_of(self, container: Container) -> str:
        return self._task_of_container.get(container.id, "")

    def container_of(self, task: Task) -> Container | None:
        if not task.container_id:
            return None
        return self.containers.by_id.get(task.container_id)

    # the image -------------------------------------------------------------------------
    def pull_if_needed(self, image_ref: str) -> None:
        """Pull the task's image from the registry when it is not present (no progress:
        the node pulls it in the background)."""
        if self.images.resolve(image_ref) is not None:
            return
        try:
            ref = parse_reference(image_ref)
        except DaemonError:
            return
        if ref.domain in self.registry.unreachable:
            return
        remote = self.registry.lookup(ref)
        if remote is None:
            return
        self.images.add_pulled(ref, remote, self.engine.now_iso())
        self.engine.emit("image", "pull", str(ref), {"name": str(ref)})

    def image_present(self, image_ref: str) -> bool:
        return self.images.resolve(image_ref) is not None

    # the container ---------------------------------------------------------------------
    def create(self, task: Task) -> Container:
        """Create the task's container (not started), attached to the task's networks with
        the task's addresses (or to ``bridge`` when the task has none)."""
        container = self.containers.create(_container_body(task), name=task.name)
        task.container_id = container.id
        self._task_of_container[container.id] = task.id
        if task.attachments:
            container.networks.pop("bridge", None)
            hostname = task.spec["ContainerSpec"].get("Hostname")
            extra = {ref["Target"]: list(ref.get("Aliases") or [])
                     for ref in task.spec.get("Networks") or []}
            for view, addr in task.attachments:
                # 20.10's executor adds the short id to the aliases; 26.1's does not
                aliases = [] if self.engine.profile.at_least("26.1") else [container.id[:12]]
                aliases += [hostname] if hostname else []
                aliases += [a for a in extra.get(view.id, []) if a not in aliases]
                self.networks.attach_task(view.network, container, addr, aliases)
        return container

    def start(self, container: Container) -> None:
        self.containers.start(container)

    @staticmethod
    def port_status(task: Task, container: Container) -> dict[str, Any]:
        """PortStatus from the container's bindings (each host-mode port once per binding:
        0.0.0.0 and ::), and the task's host ports set to what the container holds."""
        ports: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for p in task.host_ports:
            bound = container.ports.get(f"{p['TargetPort']}/{p['Protocol']}") or []
            numbers = [int(b["HostPort"]) for b in bound]
            if p["PublishedPort"]:
                numbers = [n for n in numbers if n == p["PublishedPort"]] or numbers
            elif numbers:
                numbers = [n for n in numbers if n == numbers[0]]
            for n in numbers:
                ports.append({**p, "PublishedPort": n})
            held.append({**p, "PublishedPort": numbers[0] if numbers else p["PublishedPort"]})
        task.host_ports = held
        return {"Ports": ports} if ports else {}

    def kill_old_holders_of_ports(self, task: Task, container: Container,
                                  tasks: dict[str, Task]) -> None:
        """A replaced task's container may still be stopping (the fake does not wait for the
        old task as ``stop-first`` does): kill the ones holding a fixed port this task needs."""
        wanted = {(p["Protocol"], p["PublishedPort"]) for p in task.host_ports if p["PublishedPort"]}
        if not wanted:
            return
        for cid, tid in list(self._task_of_container.items()):
            other = tasks.get(tid)
            c = self.containers.by_id.get(cid)
            if c is None or c is container or not c.running:
                continue
            if other is not None and other.desired_state in ("running", "ready"):
                continue
            if self.ports.holds(c.id, wanted):
                self.containers.kill(c.id)

    def stop(self, task: Task) -> None:
        """The task shuts down: stop its container (``StopGracePeriod``, default 10 s)."""
        container = self.container_of(task)
        if container is not None and container.running:
            self.containers.stop_later(container, stop_grace_period(task))

    def remove(self, task: Task) -> None:
        """The task goes away: its container is stopped (if need be) and removed."""
        container = self.container_of(task)
        self._task_of_container.pop(task.container_id, None)
        if container is not None:
            self.containers.stop_later(container, stop_grace_period(task), remove=True)

    def crash(self, container: Container, exit_code: int) -> None:
        self.containers.crash(container.id, exit_code)
