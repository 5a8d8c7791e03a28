"""The orchestrator: a service's tasks, one per slot (one per node for a global service),
their state steps, restarts and rolling updates.

- tasks advance ``new -> pending -> assigned -> accepted -> preparing -> starting -> running``
  through ``engine.transitions`` (one step per ``engine.step_delay``), with the daemon's
  ``Status.Message`` per state; a task whose image can be neither found locally nor pulled
  ends ``rejected`` with ``No such image: <image>``;
- at ``starting`` a task gets its container (:mod:`.task_containers`), started at
  ``running``; when that container exits the task ends ``failed``
  (``task: non-zero exit (N)``) or ``complete``, and the restart policy makes a new task for
  the slot (bounded, see :data:`UNBOUNDED_ATTEMPTS`);
- tasks that shut down stop their container (``StopGracePeriod``), and tasks that go away
  (service removed, history pruned) remove it; a task retired with its service or slot
  reads ``running`` (desired ``remove``) until its container has stopped, then ``shutdown``.

Receives the cluster (ids, the raft index, the node), the service store, the endpoints
(task addresses) and the task containers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from ...transitions import Step
from ..filters import label_matches, reject_unknown_filters
from ..mounts import task_mount_error, volume_plugins_of
from .placement import unschedulable_reason
from .services import task_spec
from .tasks import TASK_STATES, TERMINAL_STATES, Task

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

#: the desired states of a task that stands for its slot
_STANDING = ("running", "ready")


class Orchestrator:
    def __init__(self, engine: FakeEngine, cluster: Cluster, services: ServiceStore,
                 endpoints: Endpoints, containers: TaskContainers) -> None:
        self.engine = engine
        self.cluster = cluster
        self.services = services
        self.endpoints = endpoints
        self.containers = containers
        self.tasks: dict[str, Task] = {}
        self._updating: set[str] = set()  # services whose replacement tasks are being made
        self._exit_messages: dict[str, str] = {}  # task id -> Err fail_task asked for

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
    def _record_change(self, task: Task, desired: str | None = None) -> None:
        """A new version of ``task`` (with a new desired state, if given)."""
        if desired is not None:
            task.desired_state = desired
        task.version = self.cluster.next_version()
        task.updated_at = self.engine.now_iso()

    def _set_state(self, task: Task, state: str, message: str) -> None:
        task.state = state
        task.message = message
        task.timestamp = self.engine.now_iso()
        self._record_change(task)

    def _new_task(self, service: Service, slot: int | None, attempt: int = 1,
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
        self.engine.transitions.schedule(f"swarm:task:{task.id}", self._task_steps(task))
        return task

    def _prune_history(self, service: Service, slot: int | None) -> None:
        limit = self.cluster.history_limit()
        in_slot = [t for t in self.tasks.values() if t.service_id == service.id and t.slot == slot]
        old = [t for t in in_slot if t.desired_state not in _STANDING and t.state in TERMINAL_STATES]
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
            self._set_state(task, "shutdown", "shutdown")
            task.host_ports = []
            self.containers.stop(task)

    def _schedule_stop(self, task: Task) -> None:
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
                self._record_change(task)
                # container_exited shuts the task down and schedules its removal
                self.containers.stop(task)
                return
            self._shut_down(task)
            self._schedule_delete(task)

        self.engine.transitions.schedule(f"swarm:stop:{task.id}", [Step(stop, self.engine.step_delay)])

    def _schedule_delete(self, task: Task) -> None:
        self.engine.transitions.schedule(
            f"swarm:delete:{task.id}", [Step(lambda: self._delete_task(task), self.engine.step_delay)])

    # services' tasks -------------------------------------------------------------------
    def _current_tasks(self, service: Service) -> dict[int | None, Task]:
        """The task that currently stands for each slot (global: key None)."""
        out: dict[int | None, Task] = {}
        for task in self.tasks.values():
            if task.service_id != service.id or task.desired_state not in _STANDING:
                continue
            out[task.slot] = task
        return out

    def reconcile(self, service: Service) -> None:
        """A task for every slot that has none (unless the slot gave up), and none for slots
        beyond the replica count."""
        current = self._current_tasks(service)
        if service.is_global:
            if None not in current and not self._slot_exhausted(service, None):
                self._new_task(service, None)
            return
        wanted = service.replicas
        for slot in range(1, wanted + 1):
            if slot not in current and not self._slot_exhausted(service, slot):
                self._new_task(service, slot)
        for standing, task in current.items():
            if standing is not None and standing > wanted:
                self._record_change(task, desired="remove")
                self._retire(task)

    def _slot_exhausted(self, service: Service, slot: int | None) -> bool:
        """Whether a slot's tasks gave up (restart policy exhausted) for this spec generation."""
        return any(
            t.service_id == service.id and t.slot == slot and t.generation == service.generation
            and t.final
            for t in self.tasks.values()
        )

    def rolling_update(self, service: Service) -> None:
        """Replace every current task: the old one is told to shut down and a new one (desired
        ``ready`` until it is prepared, as the daemon shows) takes its slot."""
        service.generation += 1
        service.update_status = {"State": "updating", "StartedAt": self.engine.now_iso(),
                                 "Message": "update in progress"}
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.new": "updating"}, scope="swarm")
        old_tasks = sorted(self._current_tasks(service).items(), key=lambda kv: kv[0] or 0)
        for _slot, task in old_tasks:
            self._record_change(task, desired="shutdown")
            self._schedule_stop(task)
        self._updating.add(service.id)
        try:
            for slot, _task in old_tasks:
                if slot is None or slot <= service.replicas:
                    self._new_task(service, slot, desired="ready")
        finally:
            self._updating.discard(service.id)
        self._check_update_done(service)

    def _check_update_done(self, service: Service) -> None:
        status = service.update_status
        if not status or status.get("State") != "updating":
            return
        if service.id in self._updating:
            return
        tasks = [t for t in self.tasks.values()
                 if t.service_id == service.id and t.generation == service.generation
                 and t.desired_state in _STANDING]
        if len(tasks) < service.desired_tasks or any(t.state != "running" for t in tasks):
            return
        status = service.update_status or {}
        service.update_status = {"State": "completed", "StartedAt": status.get("StartedAt", ""),
                                 "CompletedAt": self.engine.now_iso(), "Message": "update completed"}
        service.version = self.cluster.next_version()
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.old": "updating",
                          "updatestate.new": "completed"}, scope="swarm")

    def remove_tasks(self, service: Service, immediate: bool) -> None:
        """The service is gone: its tasks are retired (:meth:`_retire`; ``immediate``: gone
        at once, as when the node leaves the swarm)."""
        tasks = [t for t in self.tasks.values() if t.service_id == service.id]
        for task in tasks:
            self._record_change(task, desired="remove")
        for task in tasks:
            if immediate:
                self._delete_task(task)
            else:
                self._retire(task)

    # the task state machine --------------------------------------------------------------
    def _may_advance(self, task: Task, expected: str) -> bool:
        """Whether a scheduled step may move ``task`` on from ``expected``: it is still
        there and in that state, not blocked, wanted, and its service exists."""
        return (
            task.id in self.tasks and task.state == expected and not task.blocked
            and task.desired_state in _STANDING
            and task.service_id in self.services.by_id
        )

    def _task_steps(self, task: Task) -> list[Step]:
        delay = self.engine.step_delay
        services = self.services.by_id

        def pending() -> None:
            if not self._may_advance(task, "new"):
                return
            service = services[task.service_id]
            task.attachments = [(view, self.endpoints.take_address(view)) for view in service.networks]
            task.port_status = {}
            self._set_state(task, "pending", "pending task scheduling")

        def assigned() -> None:
            if not self._may_advance(task, "pending"):
                return
            assert self.cluster.node is not None
            unschedulable = unschedulable_reason(
                [self.cluster.node.inspect(self.engine)], task.spec.get("Placement"),
                volume_plugins_of(task.spec["ContainerSpec"].get("Mounts")))
            if unschedulable is not None:
                self._block(task, unschedulable)
                return
            ports = self._host_ports(services[task.service_id], task)
            if ports is None:
                self._block(task, "no suitable node (host-mode port already in use on 1 node)")
                return
            task.host_ports = ports
            task.node_id = self.cluster.node.id
            self._set_state(task, "assigned", "scheduler assigned task to node")

        def accepted() -> None:
            if not self._may_advance(task, "assigned"):
                return
            # the node's executor checks the mounts before it takes the task on
            refused = task_mount_error(task.spec["ContainerSpec"].get("Mounts"))
            if refused is not None:
                self._reject(task, refused, message="resolving controller failed")
                return
            self._set_state(task, "accepted", "accepted")

        def preparing() -> None:
            if not self._may_advance(task, "accepted"):
                return
            task.desired_state = "running"
            self.containers.pull_if_needed(task.spec["ContainerSpec"]["Image"])
            self._set_state(task, "preparing", "preparing")

        def starting() -> None:
            if not self._may_advance(task, "preparing"):
                return
            image = task.spec["ContainerSpec"]["Image"]
            if not self.containers.image_present(image):
                self._reject(task, messages.task_image_missing(image))
                return
            try:
                container = self.containers.create(task)
            except DaemonError as err:
                self._reject(task, err.message)
                return
            task.container_status = {"ContainerID": container.id, "PID": 0, "ExitCode": 0}
            self._set_state(task, "starting", "starting")

        def running() -> None:
            if not self._may_advance(task, "starting"):
                return
            container = self.containers.container_of(task)
            if container is None:  # removed behind the swarm's back
                self._end_task(task, 137, "No such container: " + task.container_id)
                return
            self.containers.kill_old_holders_of_ports(task, container, self.tasks)
            try:
                self.containers.start(container)
            except DaemonError as err:
                self._end_task(task, container.exit_code or 128,
                               f"starting container failed: {err.message}", message="starting")
                return
            if task.state != "starting" or not container.running:
                return  # it exited at once: container_exited ended the task
            assert task.container_status is not None
            task.container_status["PID"] = container.pid
            task.port_status = self.containers.port_status(task, container)
            self._set_state(task, "running", "started")
            service = services.get(task.service_id)
            if service is not None:
                self._check_update_done(service)

        return [Step(fn, delay) for fn in (pending, assigned, accepted, preparing, starting, running)]

    def _block(self, task: Task, err: str) -> None:
        """No node can take ``task`` now: it stays ``pending`` with the scheduler's reason
        until the node changes (:meth:`reschedule_blocked`)."""
        task.blocked = True
        task.err = err
        task.timestamp = self.engine.now_iso()
        self._record_change(task)

    def reschedule_blocked(self) -> None:
        """The node changed (availability, labels, back up): pending tasks try again."""
        for task in list(self.tasks.values()):
            if task.blocked and task.state == "pending":
                task.blocked = False
                task.err = None
                self.engine.transitions.schedule(f"swarm:task:{task.id}", self._task_steps(task))

    def _standing_on(self, node_id: str) -> list[Task]:
        """The tasks on ``node_id`` that stand for their slot and have not ended."""
        return [t for t in self.tasks.values()
                if t.node_id == node_id and t.desired_state in _STANDING and t.state not in TERMINAL_STATES]

    def node_lost(self, node_id: str) -> None:
        """The node stopped answering: the manager wants its tasks shut down but cannot hear
        from it, so they stay ``running`` with ``DesiredState`` ``shutdown`` (as a real
        manager shows them); with restart policy ``none`` nothing replaces them."""
        for task in self._standing_on(node_id):
            self._record_change(task, desired="shutdown")

    def node_back(self, node_id: str) -> None:
        """The node answers again: the tasks it was told to drop shut down."""
        for task in list(self.tasks.values()):
            if task.node_id == node_id and task.desired_state == "shutdown":
                self._shut_down(task)
        self.reschedule_blocked()

    def node_drained(self, node_id: str) -> None:
        """Drained: the node's tasks are told to shut down and do."""
        for task in self._standing_on(node_id):
            self._record_change(task, desired="shutdown")
            self._schedule_stop(task)

    def _reject(self, task: Task, err: str, message: str = "preparing") -> None:
        """The task's container could not be made (or the executor refused the task):
        ``rejected``, then the restart policy."""
        task.err = err
        task.container_status = {"ContainerID": "", "PID": 0, "ExitCode": 0}
        self._set_state(task, "rejected", message)
        self._after_exit(task, failed=True)

    def _host_ports(self, service: Service, task: Task) -> list[dict[str, Any]] | None:
        """The task's host-mode ports; None when a fixed one is taken by another task on the
        node.  A port without ``PublishedPort`` keeps 0 until the task's container is started:
        the container's binding (an ephemeral host port) then fills it in."""
        wanted = [p for p in service.ports if p.get("PublishMode") == "host"]
        if not wanted:
            return []
        in_use = {
            (p["Protocol"], p["PublishedPort"])
            for t in self.tasks.values() if t.id != task.id
            for p in t.host_ports if p.get("PublishedPort")
        }
        for p in wanted:
            if p.get("PublishedPort") and (p["Protocol"], p["PublishedPort"]) in in_use:
                return None
        return [{"Protocol": p["Protocol"], "TargetPort": p["TargetPort"],
                 "PublishedPort": int(p.get("PublishedPort") or 0), "PublishMode": "host"}
                for p in wanted]

    # the end of a task -------------------------------------------------------------------
    def container_exited(self, container: Container, exit_code: int) -> None:
        """Called by the container store when a container exits: a task container ends its
        task (``failed`` / ``complete``) unless the task was already shutting down."""
        task = self.tasks.get(self.containers.task_id_of(container))
        if task is None or task.container_id != container.id:
            return
        if (task.state in ("starting", "running") and task.desired_state in _STANDING
                and task.service_id in self.services.by_id):
            self._end_task(task, exit_code, self._exit_messages.pop(task.id, None))
            return
        status = dict(task.container_status or {"ContainerID": container.id})
        status.update({"PID": 0, "ExitCode": exit_code})
        task.container_status = status
        if task.desired_state == "remove" and task.state not in TERMINAL_STATES:
            # a retired task's container has stopped (see _retire)
            task.port_status = {}
            task.host_ports = []
            self._set_state(task, "shutdown", "shutdown")
            self._schedule_delete(task)
            return
        self._record_change(task)

    def _end_task(self, task: Task, exit_code: int, err: str | None,
                  message: str | None = None) -> None:
        """The task's container ended with ``exit_code``: ``complete`` (0) or ``failed``, then
        the restart policy."""
        status = dict(task.container_status or {"ContainerID": task.container_id})
        status.update({"PID": 0, "ExitCode": exit_code})
        task.container_status = status
        task.port_status = {}
        if exit_code == 0 and message is None:
            task.err = err
            self._set_state(task, "complete", "finished")
        else:
            task.err = err or f"task: non-zero exit ({exit_code})"
            self._set_state(task, "failed", message or "started")
        self._after_exit(task, failed=task.state == "failed")

    def _after_exit(self, task: Task, failed: bool) -> None:
        """A task ended (rejected, failed, complete): free it and apply the restart policy."""
        task.host_ports = []
        self._record_change(task, desired="shutdown")
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
            if service.update_status and service.update_status.get("State") == "updating":
                service.update_status = {**service.update_status, "State": "paused",
                                         "Message": f"update paused due to failure or early termination of task {task.id}"}
            return
        self._new_task(service, task.slot, attempt=task.attempt + 1, desired="ready")

    def running_task(self, service: Service) -> Task | None:
        """The service's running task of the lowest slot."""
        running = sorted(
            (t for t in self.tasks.values() if t.service_id == service.id
             and t.state == "running" and t.desired_state == "running"),
            key=lambda t: (t.slot or 0, t.version),
        )
        return running[0] if running else None

    def fail_task(self, task: Task, message: str | None = None, exit_code: int = 1) -> None:
        """End the running ``task`` with ``exit_code`` (see :meth:`SwarmState.fail_task`)."""
        container = self.containers.container_of(task)
        if container is not None and container.running:
            # the container exits; container_exited ends the task
            if message is not None:
                self._exit_messages[task.id] = message
            try:
                self.containers.crash(container, exit_code)
            finally:
                self._exit_messages.pop(task.id, None)
        else:
            self._end_task(task, exit_code, message)
