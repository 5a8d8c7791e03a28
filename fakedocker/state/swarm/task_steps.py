"""A task's life on the node, as the scheduler and the node's executor take it: its steps
from ``new`` to ``running`` and its end.

- a task advances ``new -> pending -> assigned -> accepted -> preparing -> starting -> running``
  through ``engine.transitions`` (one step per ``engine.step_delay``), with the daemon's
  ``Status.Message`` per state; a task no node can take stays ``pending`` with the scheduler's
  reason (blocked, until the orchestrator reschedules it); a task the executor refuses ends
  ``rejected``, as does one whose image can be neither found locally nor pulled
  (``No such image: <image>``);
- at ``starting`` a task gets its container (:mod:`.task_containers`), started at
  ``running``; when that container exits the task ends ``failed``
  (``task: non-zero exit (N)``) or ``complete``, and the orchestrator applies the restart
  policy.

Receives the cluster (the node), the service store, the endpoints (task addresses), the task
containers and the orchestrator (its tasks, their bookkeeping, the restart policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from ...transitions import Step
from ..mounts import task_mount_error, volume_plugins_of
from .placement import unschedulable_reason
from .tasks import STANDING, TERMINAL_STATES

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers import Container
    from .cluster import Cluster
    from .endpoints import Endpoints
    from .orchestrator import Orchestrator
    from .services import Service, ServiceStore
    from .task_containers import TaskContainers
    from .tasks import Task


@dataclass(eq=False, repr=False)
class TaskSteps:
    engine: FakeEngine
    cluster: Cluster
    services: ServiceStore
    endpoints: Endpoints
    containers: TaskContainers
    orchestrator: Orchestrator
    _exit_messages: dict[str, str] = field(default_factory=dict, init=False)  # task id -> Err fail_task asked for

    @property
    def tasks(self) -> dict[str, Task]:
        return self.orchestrator.tasks

    # new to running ----------------------------------------------------------------------
    def _may_advance(self, task: Task, expected: str) -> bool:
        """Whether a scheduled step may move ``task`` on from ``expected``: it is still
        there and in that state, not blocked, wanted, and its service exists."""
        return (
            task.id in self.tasks and task.state == expected and not task.blocked
            and task.desired_state in STANDING
            and task.service_id in self.services.by_id
        )

    def for_task(self, task: Task) -> list[Step]:
        """The steps that take ``task`` from where it is (``new``, or ``pending`` when it was
        blocked) to ``running``; each does nothing once the task has moved on otherwise."""
        delay = self.engine.step_delay
        services = self.services.by_id
        set_state = self.orchestrator.set_state

        def pending() -> None:
            if not self._may_advance(task, "new"):
                return
            service = services[task.service_id]
            task.attachments = [(view, self.endpoints.take_address(view)) for view in service.networks]
            task.port_status = {}
            set_state(task, "pending", "pending task scheduling")

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
            set_state(task, "assigned", "scheduler assigned task to node")

        def accepted() -> None:
            if not self._may_advance(task, "assigned"):
                return
            # the node's executor checks the mounts before it takes the task on
            refused = task_mount_error(task.spec["ContainerSpec"].get("Mounts"))
            if refused is not None:
                self._reject(task, refused, message="resolving controller failed")
                return
            set_state(task, "accepted", "accepted")

        def preparing() -> None:
            if not self._may_advance(task, "accepted"):
                return
            task.desired_state = "running"
            self.containers.pull_if_needed(task.spec["ContainerSpec"]["Image"])
            set_state(task, "preparing", "preparing")

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
            set_state(task, "starting", "starting")

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
            set_state(task, "running", "started")
            service = services.get(task.service_id)
            if service is not None:
                self.orchestrator.updates.check_done(service)

        return [Step(fn, delay) for fn in (pending, assigned, accepted, preparing, starting, running)]

    def _block(self, task: Task, err: str) -> None:
        """No node can take ``task`` now: it stays ``pending`` with the scheduler's reason
        until the node changes (:meth:`Orchestrator.reschedule_blocked`)."""
        task.blocked = True
        task.err = err
        task.timestamp = self.engine.now_iso()
        self.orchestrator.record_change(task)

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

    def _reject(self, task: Task, err: str, message: str = "preparing") -> None:
        """The task's container could not be made (or the executor refused the task):
        ``rejected``, then the restart policy."""
        task.err = err
        task.container_status = {"ContainerID": "", "PID": 0, "ExitCode": 0}
        self.orchestrator.set_state(task, "rejected", message)
        self.orchestrator.after_exit(task, failed=True)

    # the end of a task -------------------------------------------------------------------
    def container_exited(self, container: Container, exit_code: int) -> None:
        """A container exited: a task container ends its task (``failed`` / ``complete``)
        unless the task was already shutting down."""
        task = self.tasks.get(self.containers.task_id_of(container))
        if task is None or task.container_id != container.id:
            return
        if (task.state in ("starting", "running") and task.desired_state in STANDING
                and task.service_id in self.services.by_id):
            self._end_task(task, exit_code, self._exit_messages.pop(task.id, None))
            return
        status = dict(task.container_status or {"ContainerID": container.id})
        status.update({"PID": 0, "ExitCode": exit_code})
        task.container_status = status
        if task.desired_state == "remove" and task.state not in TERMINAL_STATES:
            # a retired task's container has stopped (see Orchestrator._retire)
            task.port_status = {}
            task.host_ports = []
            self.orchestrator.set_state(task, "shutdown", "shutdown")
            self.orchestrator.schedule_delete(task)
            return
        self.orchestrator.record_change(task)

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
            self.orchestrator.set_state(task, "complete", "finished")
        else:
            task.err = err or f"task: non-zero exit ({exit_code})"
            self.orchestrator.set_state(task, "failed", message or "started")
        self.orchestrator.after_exit(task, failed=task.state == "failed")

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
