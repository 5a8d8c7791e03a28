"""The orchestrator: a service's tasks, one per slot (one per node for a global service),
their bookkeeping, restarts, retirement and the node's comings and goings.

- each task goes through its steps (:mod:`.task_steps`: ``new`` to ``running``, and its end);
  when it ends the restart policy makes a new task for the slot (bounded, see
  :data:`UNBOUNDED_ATTEMPTS`);
- a rolling update (:mod:`.updates`) replaces every current task;
- tasks that shut down stop their container (``StopGracePeriod``), and tasks that go away
  (service removed, history pruned) remove it; a task retired with its service or slot
  reads ``running`` (desired ``remove``) until its container has stopped, then ``shutdown``.

Receives the cluster (ids, the raft index, the node), the service store, the endpoints
(task addresses) and the task containers; builds the task steps and the rolling updates,
which read its tasks and keep their books through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ... import messages
from ...transitions import Step
from ..filters import label_matches, reject_unknown_filters
from .services import task_spec
from .task_steps import TaskSteps
from .tasks import STANDING, TASK_STATES, TERMINAL_STATES, Task
from .updates import RollingUpdates

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers import Container
    from .cluster import Cluster
    from .endpoints import Endpoints
    from .services import Service, ServiceStore
    from .task_containers import TaskContainers

#: with no ``RestartPolicy.MaxAttempts`` the real daemon retries forever; the fake stops after
#: this many tasks per slot (the daemon's default TaskHistoryRetentionLimit) to stay bounded.
UNBOUNDED_ATTEMPTS = 5


@dataclass(eq=False, repr=False)
class Orchestrator:
    engine: FakeEngine
    cluster: Cluster
    services: ServiceStore
    endpoints: Endpoints
    containers: TaskContainers
    tasks: dict[str, Task] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.steps = TaskSteps(self.engine, self.cluster, self.services, self.endpoints, self.containers, self)
        self.updates = RollingUpdates(self.engine, self.cluster, self)

    # lookups ---------------------------------------------------------------------------
    def get_task(self, ref: str) -> Task:
        self.cluster.require_manager()
        task = self.tasks.get(ref)
        if task is None:
            matches = [t for t in self.tasks.values() if t.id.startswith(ref)] if ref else []
            if len(matches) != 1:
                raise messages.no_such_task(ref)
            task = matches[0]
        return task

    def list_tasks(self, filters: dict[str, list[str]]) -> list[Task]:
        self.cluster.require_manager()
        reject_unknown_filters(filters, {"_up-to-date", "desired-state", "id", "label", "name",
                                         "node", "service"})
        service_ids = [self.services.get(ref).id for ref in filters.get("service", [])]
        node_ids = [self.cluster.get_node(ref).id for ref in filters.get("node", [])]
        desired = []
        for value in filters.get("desired-state", []):
            if value.lower() in TASK_STATES:
                desired.append(value.lower())
            elif value:
                raise messages.invalid_desired_state_filter(value)
        out = []
        for task in self.tasks.values():
            if filters.get("service") and task.service_id not in service_ids:
                continue
            if filters.get("node") and task.node_id not in node_ids:
                continue
            if desired and task.desired_state not in desired:
                continue
            if filters.get("id") and not any(task.id.startswith(w) for w in filters["id"]):
                continue
            if filters.get("name") and not any(task.name.startswith(w) for w in filters["name"]):
                continue
            if filters.get("label") and not all(
                    label_matches(task.service_labels, w) for w in filters["label"]):
                continue
            out.append(task)
        return out

    def service_status(self, service: Service) -> dict[str, int]:
        tasks = [t for t in self.tasks.values() if t.service_id == service.id]
        running = sum(1 for t in tasks if t.state == "running" and t.desired_state == "running")
        return {"RunningTasks": running, "DesiredTasks": service.desired_tasks, "CompletedTasks": 0}

    # bookkeeping -----------------------------------------------------------------------
    def record_change(self, task: Task, desired: str | None = None) -> None:
        """A new version of ``task`` (with a new desired state, if given)."""
        if desired is not None:
            task.desired_state = desired
        task.version = self.cluster.next_version()
        task.updated_at = self.engine.now_iso()

    def set_state(self, task: Task, state: str, message: str) -> None:
        task.state = state
        task.message = message
        task.timestamp = self.engine.now_iso()
        self.record_change(task)

    def new_task(self, service: Service, slot: int | None, attempt: int = 1,
                 desired: str = "running") -> Task:
        now = self.engine.now_iso()
        task = Task(
            id=self.cluster.new_id(), service_id=service.id, service_name=service.name, slot=slot,
            spec=task_spec(service.spec), created_at=now, updated_at=now,
            version=self.cluster.next_version(), timestamp=now, desired_state=desired,
            attempt=attempt, generation=service.generation,
            service_labels=dict(service.spec.get("Labels") or {}),
        )
        if slot is None and self.cluster.node is not None:
            task.node_id = self.cluster.node.id
        self.tasks[task.id] = task
        self._prune_history(service, slot)
        self.engine.transitions.schedule(f"swarm:task:{task.id}", self.steps.for_task(task))
        return task

    def _prune_history(self, service: Service, slot: int | None) -> None:
        limit = self.cluster.history_limit()
        in_slot = [t for t in self.tasks.values() if t.service_id == service.id and t.slot == slot]
        old = [t for t in in_slot if t.desired_state not in STANDING and t.state in TERMINAL_STATES]
        excess = len(in_slot) - limit
        for task in sorted(old, key=lambda t: t.version)[: max(0, excess)]:
            self._delete_task(task)

    def _delete_task(self, task: Task) -> None:
        task.host_ports = []
        self.tasks.pop(task.id, None)
        self.containers.remove(task)  # before the addresses go: its endpoints use them
        for view, addr in task.attachments:
            self.endpoints.release_address(view, addr)
        task.attachments = [(v, "") for v, _ in task.attachments]

    def _shut_down(self, task: Task) -> None:
        """A task that has not ended is told to: ``shutdown``, its container stopped."""
        if task.id in self.tasks and task.state not in TERMINAL_STATES:
            self.set_state(task, "shutdown", "shutdown")
            task.host_ports = []
            self.containers.stop(task)

    def schedule_stop(self, task: Task) -> None:
        """The task is told to shut down (its slot is replaced or its node drained)."""
        self.engine.transitions.schedule(
            f"swarm:stop:{task.id}", [Step(lambda: self._shut_down(task), self.engine.step_delay)])

    def _retire(self, task: Task) -> None:
        """The task is told to go away (``DesiredState`` ``remove``: its service removed, its
        slot scaled away).  As on the daemon, a task whose container runs stays ``running``
        while the container stops (``ContainerStatus.ExitCode`` -1, for up to
        ``StopGracePeriod``); once the container has exited the task reads ``shutdown`` with
        its exit code, and a step later task and container are gone.  A task without a
        running container shuts down (unless it had ended) and goes a step later."""

        def stop() -> None:
            if task.id not in self.tasks:
                return
            container = self.containers.container_of(task)
            if task.state not in TERMINAL_STATES and container is not None and container.running:
                task.container_status = {**(task.container_status or {}), "ExitCode": -1}
                self.record_change(task)
                # container_exited shuts the task down and schedules its removal
                self.containers.stop(task)
                return
            self._shut_down(task)
            self.schedule_delete(task)

        self.engine.transitions.schedule(f"swarm:stop:{task.id}", [Step(stop, self.engine.step_delay)])

    def schedule_delete(self, task: Task) -> None:
        self.engine.transitions.schedule(
            f"swarm:delete:{task.id}", [Step(lambda: self._delete_task(task), self.engine.step_delay)])

    # services' tasks -------------------------------------------------------------------
    def current_tasks(self, service: Service) -> dict[int | None, Task]:
        """The task that currently stands for each slot (global: key None)."""
        out: dict[int | None, Task] = {}
        for task in self.tasks.values():
            if task.service_id != service.id or task.desired_state not in STANDING:
                continue
            out[task.slot] = task
        return out

    def reconcile(self, service: Service) -> None:
        """A task for every slot that has none (unless the slot gave up), and none for slots
        beyond the replica count."""
        current = self.current_tasks(service)
        if service.is_global:
            if None not in current and not self._slot_exhausted(service, None):
                self.new_task(service, None)
            return
        wanted = service.replicas
        for slot in range(1, wanted + 1):
            if slot not in current and not self._slot_exhausted(service, slot):
                self.new_task(service, slot)
        for standing, task in current.items():
            if standing is not None and standing > wanted:
                self.record_change(task, desired="remove")
                self._retire(task)

    def _slot_exhausted(self, service: Service, slot: int | None) -> bool:
        """Whether a slot's tasks gave up (restart policy exhausted) for this spec generation."""
        return any(
            t.service_id == service.id and t.slot == slot and t.generation == service.generation
            and t.final
            for t in self.tasks.values()
        )

    def rolling_update(self, service: Service) -> None:
        """Replace every current task (:meth:`RollingUpdates.start`)."""
        self.updates.start(service)

    def remove_tasks(self, service: Service, immediate: bool) -> None:
        """The service is gone: its tasks are retired (:meth:`_retire`; ``immediate``: gone
        at once, as when the node leaves the swarm)."""
        tasks = [t for t in self.tasks.values() if t.service_id == service.id]
        for task in tasks:
            self.record_change(task, desired="remove")
        for task in tasks:
            if immediate:
                self._delete_task(task)
            else:
                self._retire(task)

    # the node ----------------------------------------------------------------------------
    def reschedule_blocked(self) -> None:
        """The node changed (availability, labels, back up): pending tasks try again."""
        for task in list(self.tasks.values()):
            if task.blocked and task.state == "pending":
                task.blocked = False
                task.err = None
                self.engine.transitions.schedule(f"swarm:task:{task.id}", self.steps.for_task(task))

    def _standing_on(self, node_id: str) -> list[Task]:
        """The tasks on ``node_id`` that stand for their slot and have not ended."""
        return [t for t in self.tasks.values()
                if t.node_id == node_id and t.desired_state in STANDING and t.state not in TERMINAL_STATES]

    def node_lost(self, node_id: str) -> None:
        """The node stopped answering: the manager wants its tasks shut down but cannot hear
        from it, so they stay ``running`` with ``DesiredState`` ``shutdown`` (as a real
        manager shows them); with restart policy ``none`` nothing replaces them."""
        for task in self._standing_on(node_id):
            self.record_change(task, desired="shutdown")

    def node_back(self, node_id: str) -> None:
        """The node answers again: the tasks it was told to drop shut down."""
        for task in list(self.tasks.values()):
            if task.node_id == node_id and task.desired_state == "shutdown":
                self._shut_down(task)
        self.reschedule_blocked()

    def node_drained(self, node_id: str) -> None:
        """Drained: the node's tasks are told to shut down and do."""
        for task in self._standing_on(node_id):
            self.record_change(task, desired="shutdown")
            self.schedule_stop(task)

    # the end of a task -------------------------------------------------------------------
    def after_exit(self, task: Task, failed: bool) -> None:
        """A task ended (rejected, failed, complete): free it and apply the restart policy."""
        task.host_ports = []
        self.record_change(task, desired="shutdown")
        service = self.services.by_id.get(task.service_id)
        if service is None:
            return
        policy = service.spec["TaskTemplate"].get("RestartPolicy") or {}
        condition = (policy.get("Condition") or "any").lower()
        max_attempts = int(policy.get("MaxAttempts") or 0)
        restart = condition == "any" or (condition == "on-failure" and failed)
        if max_attempts:
            restart = restart and task.attempt <= max_attempts
        else:
            restart = restart and task.attempt < UNBOUNDED_ATTEMPTS
        if not restart:
            task.final = True
            self.updates.task_gave_up(service, task)
            return
        self.new_task(service, task.slot, attempt=task.attempt + 1, desired="ready")

    def running_task(self, service: Service) -> Task | None:
        """The service's running task of the lowest slot."""
        running = sorted(
            (t for t in self.tasks.values() if t.service_id == service.id
             and t.state == "running" and t.desired_state == "running"),
            key=lambda t: (t.slot or 0, t.version),
        )
        return running[0] if running else None

    def container_exited(self, container: Container, exit_code: int) -> None:
        """Called by the container store when a container exits: a task container ends its
        task (:meth:`TaskSteps.container_exited`)."""
        self.steps.container_exited(container, exit_code)

    def fail_task(self, task: Task, message: str | None = None, exit_code: int = 1) -> None:
        """End the running ``task`` with ``exit_code`` (see :meth:`SwarmState.fail_task`)."""
        self.steps.fail_task(task, message, exit_code)
