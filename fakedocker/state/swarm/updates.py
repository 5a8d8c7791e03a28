"""A service's rolling update: its tasks replaced for the new spec generation, and the
``UpdateStatus`` the daemon shows while it runs (``updating``), once every new task runs
(``completed``) and when a new task gave up (``paused``), with the service's
``updatestate`` events.

Receives the cluster (the raft index) and the orchestrator, whose tasks it replaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .tasks import STANDING

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from .cluster import Cluster
    from .orchestrator import Orchestrator
    from .services import Service
    from .tasks import Task


class RollingUpdates:
    def __init__(self, engine: FakeEngine, cluster: Cluster, orchestrator: Orchestrator) -> None:
        self.engine = engine
        self.cluster = cluster
        self.orchestrator = orchestrator
        self._updating: set[str] = set()  # services whose replacement tasks are being made

    def start(self, service: Service) -> None:
        """Replace every current task: the old one is told to shut down and a new one (desired
        ``ready`` until it is prepared, as the daemon shows) takes its slot."""
        orchestrator = self.orchestrator
        service.generation += 1
        service.update_status = {"State": "updating", "StartedAt": self.engine.now_iso(),
                                 "Message": "update in progress"}
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.new": "updating"}, scope="swarm")
        old_tasks = sorted(orchestrator.current_tasks(service).items(), key=lambda kv: kv[0] or 0)
        for _slot, task in old_tasks:
            orchestrator.record_change(task, desired="shutdown")
            orchestrator.schedule_stop(task)
        self._updating.add(service.id)
        try:
            for slot, _task in old_tasks:
                if slot is None or slot <= service.replicas:
                    orchestrator.new_task(service, slot, desired="ready")
        finally:
            self._updating.discard(service.id)
        self.check_done(service)

    def check_done(self, service: Service) -> None:
        """An update in progress is ``completed`` once every task of the new generation that
        stands for its slot runs."""
        status = service.update_status
        if not status or status.get("State") != "updating":
            return
        if service.id in self._updating:
            return
        tasks = [t for t in self.orchestrator.tasks.values()
                 if t.service_id == service.id and t.generation == service.generation
                 and t.desired_state in STANDING]
        if len(tasks) < service.desired_tasks or any(t.state != "running" for t in tasks):
            return
        status = service.update_status or {}
        service.update_status = {"State": "completed", "StartedAt": status.get("StartedAt", ""),
                                 "CompletedAt": self.engine.now_iso(), "Message": "update completed"}
        service.version = self.cluster.next_version()
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.old": "updating",
                          "updatestate.new": "completed"}, scope="swarm")

    @staticmethod
    def task_gave_up(service: Service, task: Task) -> None:
        """``task`` ended and its restart policy makes no new one: an update in progress
        pauses."""
        if service.update_status and service.update_status.get("State") == "updating":
            service.update_status = {**service.update_status, "State": "paused",
                                     "Message": f"update paused due to failure or early termination of task {task.id}"}
