"""``engine.swarm``: the one object the swarm routes and tests use.

It builds the swarm's parts and runs what involves several of them: ``init`` and ``leave``
(the cluster, the ingress network, every service's tasks), service changes (the service
store, then the orchestrator) and ``fail_task``.

Receives the cluster, the network store, the container store (whose exits end task
containers' tasks), the image store, the registry and the node's port table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .endpoints import Endpoints
from .logs import task_order
from .orchestrator import Orchestrator
from .services import Service, ServiceStore
from .task_containers import TaskContainers
from .tasks import Task

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers import Container, ContainerStore
    from ..images import ImageStore, Registry
    from ..networks import NetworkStore
    from ..ports import HostPorts
    from .cluster import Cluster, Node


class SwarmState:
    def __init__(self, engine: FakeEngine, cluster: Cluster, networks: NetworkStore,
                 containers: ContainerStore, images: ImageStore, registry: Registry,
                 ports: HostPorts) -> None:
        self.engine = engine
        self.cluster = cluster
        self.networks = networks
        self.endpoints = Endpoints(engine, cluster, networks)
        self.services = ServiceStore(engine, cluster, self.endpoints)
        self.task_containers = TaskContainers(engine, containers, networks, ports, images, registry)
        self.orchestrator = Orchestrator(engine, cluster, self.services, self.endpoints,
                                         self.task_containers)
        containers.on_exit(self.orchestrator.container_exited)

    # the swarm ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether this node is in a swarm."""
        return self.cluster.active

    def info(self) -> dict[str, Any]:
        return self.cluster.info()

    def require_manager(self) -> None:
        self.cluster.require_manager()

    def inspect_swarm(self) -> dict[str, Any]:
        return self.cluster.inspect_swarm()

    def init(self, body: dict[str, Any]) -> str:
        was_active = self.cluster.active
        node_id = self.cluster.init(body)
        if not was_active:
            record = self.cluster.record
            self.networks.pools.use_swarm_pools(record["DefaultAddrPool"], record["SubnetSize"])
            self.endpoints.create_ingress()
        return node_id

    def update(self, version: int | None, spec: dict[str, Any] | None, rotate_worker: bool,
               rotate_manager: bool, rotate_unlock_key: bool = False) -> None:
        self.cluster.update(version, spec, rotate_worker, rotate_manager, rotate_unlock_key)

    def unlock_key(self) -> str:
        return self.cluster.unlock_key()

    def unlock(self) -> None:
        self.cluster.unlock()

    def leave(self, force: bool) -> None:
        self.cluster.check_leave(force)
        # while the node is still in the swarm: its networks go once it is not
        for service in list(self.services.by_id.values()):
            self._remove_service(service, immediate=True)
        self.endpoints.remove_ingress()
        self.cluster.reset()
        self.endpoints.forget_views()

    def join(self, body: dict[str, Any]) -> None:
        self.cluster.join(body)

    # nodes -------------------------------------------------------------------------------
    def get_node(self, ref: str) -> Node:
        return self.cluster.get_node(ref)

    def list_nodes(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return self.cluster.list_nodes(filters)

    def update_node(self, ref: str, version: int | None, spec: dict[str, Any]) -> None:
        node = self.cluster.get_node(ref)
        was = node.spec.get("Availability")
        self.cluster.update_node(ref, version, spec)
        if node.spec.get("Availability") == "drain" and was != "drain":
            self.orchestrator.node_drained(node.id)
        self.orchestrator.reschedule_blocked()  # labels or availability may place them now

    def _this_node(self) -> Node:
        self.cluster.require_manager()
        assert self.cluster.node is not None
        return self.cluster.node

    def lose_node(self) -> None:
        """The node stops answering the manager, as when its machine goes away: it reads
        ``down`` (``heartbeat failure``), its tasks stay ``running`` with ``DesiredState``
        ``shutdown``, and new tasks stay pending (``no suitable node (1 node not available
        for new tasks)``).  Its containers are left as they were (the fake's containers are
        the lost machine's)."""
        with self.engine.lock:
            node = self._this_node()
            node.state = "down"
            node.version = self.cluster.next_version()
            self.orchestrator.node_lost(node.id)

    def restore_node(self) -> None:
        """The lost node answers again: ``ready``, the tasks it was told to drop shut down,
        pending tasks are scheduled."""
        with self.engine.lock:
            node = self._this_node()
            node.state = "ready"
            node.version = self.cluster.next_version()
            self.orchestrator.node_back(node.id)

    def remove_node(self, ref: str, force: bool) -> None:
        self.cluster.remove_node(ref, force)

    # services ----------------------------------------------------------------------------
    def get_service(self, ref: str) -> Service:
        return self.services.get(ref)

    def list_services(self, filters: dict[str, list[str]]) -> list[Service]:
        return self.services.list(filters)

    def service_status(self, service: Service) -> dict[str, int]:
        return self.orchestrator.service_status(service)

    def create_service(self, body: dict[str, Any]) -> Service:
        service = self.services.create(body)
        self.orchestrator.reconcile(service)
        return service

    def update_service(self, ref: str, version: int | None, body: dict[str, Any]) -> Service:
        service, replace_tasks = self.services.update(ref, version, body)
        if replace_tasks:
            self.orchestrator.rolling_update(service)
        self.orchestrator.reconcile(service)
        return service

    def remove_service(self, ref: str) -> None:
        self._remove_service(self.services.get(ref), immediate=False)

    def _remove_service(self, service: Service, immediate: bool) -> None:
        self.services.remove(service)
        self.orchestrator.remove_tasks(service, immediate)

    # tasks -------------------------------------------------------------------------------
    def log_sources(self, service: Service) -> list[tuple[Task, Container]]:
        """The service's tasks whose containers still exist, with them, in the order their
        logs are sent (:func:`.logs.task_order`)."""
        tasks = [t for t in self.orchestrator.tasks.values() if t.service_id == service.id]
        out = []
        for task in task_order(tasks):
            container = self.task_containers.container_of(task)
            if container is not None and not container.removed:
                out.append((task, container))
        return out

    def get_task(self, ref: str) -> Task:
        return self.orchestrator.get_task(ref)

    def list_tasks(self, filters: dict[str, list[str]]) -> list[Task]:
        return self.orchestrator.list_tasks(filters)

    def fail_task(self, service_ref: str, message: str | None = None, exit_code: int = 1) -> str:
        """End ``service_ref``'s running task (the lowest slot) with ``exit_code``: ``failed``
        with ``Err`` = ``message`` (default: the daemon's ``task: non-zero exit (N)``), or
        ``complete`` for exit code 0.  The restart policy then applies.  Returns the task id."""
        with self.engine.lock:
            task = self.orchestrator.running_task(self.services.get(service_ref))
            if task is None:
                raise LookupError(f"service {service_ref} has no running task")
            self.orchestrator.fail_task(task, message, exit_code)
            return task.id
