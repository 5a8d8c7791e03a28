"""One shared view, per hub process, of every object the spawners manage.

``poll()`` is called for every running server every ``poll_interval``; asking the daemon once
per server per interval costs N calls for N servers.  Instead a :class:`Monitor` lists every
object carrying the spawners' ``managed-by`` label in one call (swarm: services and tasks, two
calls), at most once per ``max_age`` seconds however many spawners ask, and answers each
``poll()`` from that snapshot.

It stays correct across:
- a hub restart: a new process starts with an empty view and fills it with its first list;
- changes the spawners make themselves (create, start, stop, remove): they are noted at once
  and win over an older snapshot;
- changes made outside the hub (a container removed, crashed or OOM-killed): the next list
  shows them, at most ``max_age`` seconds later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from docker.errors import NotFound

from .client import DockerCalls
from .spec import LABEL_MANAGED_BY, MANAGED_BY

RUNNING = "running"
GONE = "gone"


@dataclass(frozen=True)
class ObjectState:
    """What the monitor knows of one object: ``state`` is ``running``, ``starting`` (swarm
    tasks on their way), ``gone``, or the daemon's word for a stopped object (``exited``,
    ``created``, ``dead``, ``failed``, ...); ``detail`` says why it stopped."""

    state: str
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.state in (RUNNING, "starting")


class View(Protocol):
    """How the monitor sees one kind of object on one daemon."""

    async def list_states(self) -> dict[str, ObjectState]:
        """Every managed object's state, by id (one round of list calls)."""

    async def inspect_state(self, object_id: str) -> ObjectState:
        """The state of one object the list does not show (created before labels existed, by
        the reference implementation), or GONE."""


class Monitor:
    """Answers ``state_of(object_id)`` from ``view``'s snapshots, listing at most once per
    ``max_age`` seconds; an object the list does not show is inspected once per snapshot."""

    #: where monitors made without a clock of their own read the time (tests drive it)
    default_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, view: View, max_age: float, clock: Callable[[], float] | None = None):
        self._view = view
        self.max_age = max_age
        self._clock = clock or type(self).default_clock
        self._snapshot: dict[str, ObjectState] = {}
        self._taken_at: float | None = None
        self._refreshing: asyncio.Future | None = None
        self._noted: dict[str, tuple[float, ObjectState]] = {}

    def note(self, object_id: str, state: ObjectState) -> None:
        """A spawner changed ``object_id`` itself: trust this over any older snapshot."""
        self._noted[object_id] = (self._clock(), state)

    def forget(self, object_id: str) -> None:
        self.note(object_id, ObjectState(GONE))

    def invalidate(self) -> None:
        """Make the next lookup list again."""
        self._taken_at = None

    async def state_of(self, object_id: str) -> ObjectState:
        """The object's state, from a snapshot at most ``max_age`` old (or a newer note)."""
        now = self._clock()
        noted = self._noted.get(object_id)
        if self._taken_at is None or now - self._taken_at > self.max_age:
            await self._refresh()
        assert self._taken_at is not None
        if noted is not None and noted[0] >= self._taken_at:
            return noted[1]
        state = self._snapshot.get(object_id)
        if state is None:
            # not in the list: unlabelled (older) or gone; ask once, remember until the next list
            state = await self._view.inspect_state(object_id)
            self._noted[object_id] = (self._taken_at, state)
        return state

    async def _refresh(self) -> None:
        # single flight: every poll that finds the snapshot stale waits for the same list call
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._list())
        await asyncio.shield(self._refreshing)

    async def _list(self) -> None:
        started = self._clock()
        snapshot = await self._view.list_states()
        self._snapshot = snapshot
        self._taken_at = started
        # notes older than the snapshot are answered by it now
        self._noted = {k: v for k, v in self._noted.items() if v[0] >= started}


MANAGED_FILTER = {"label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}


def container_states(listing: list[dict[str, Any]]) -> dict[str, ObjectState]:
    """``containers(all=True)`` answer -> states by container id."""
    states = {}
    for entry in listing:
        state = entry.get("State") or "unknown"
        states[entry["Id"]] = ObjectState(RUNNING if state == "running" else state, entry.get("Status", ""))
    return states


#: swarm task states on the way to running (a task in one of these is still starting)
PENDING_TASK_STATES = frozenset({"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready",
                                 "starting"})
#: task states it never comes back from
FINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "remove", "orphaned"})
#: the desired states of a task the swarm still wants to run
WANTED_TASK_STATES = frozenset({RUNNING, "ready"})


def task_given_up(task: dict[str, Any]) -> bool:
    """Whether the manager gave up ``task`` though it has not ended: it reads running (or on
    its way) but its desired state is no longer running — its node is down or drained (a lost
    node's task reads running for ever), or its service is being removed."""
    state = (task.get("Status") or {}).get("State")
    return ((state == RUNNING or state in PENDING_TASK_STATES)
            and task.get("DesiredState", RUNNING) not in WANTED_TASK_STATES)


def service_states(services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, ObjectState]:
    """``services()`` + ``tasks()`` answers -> states by service id (from each service's newest task)."""
    newest: dict[str, dict[str, Any]] = {}
    for task in tasks:
        service_id = task.get("ServiceID")
        key = (task.get("CreatedAt", ""), task.get("Version", {}).get("Index", 0))
        current = newest.get(service_id)
        if current is None or key > (current.get("CreatedAt", ""), current.get("Version", {}).get("Index", 0)):
            newest[service_id] = task
    states = {}
    for service in services:
        task = newest.get(service["ID"])
        if task is None:
            states[service["ID"]] = ObjectState("starting")
            continue
        status = task["Status"]
        state = status["State"]
        if task_given_up(task):
            states[service["ID"]] = ObjectState("lost", "the swarm no longer wants its task")
        elif state == RUNNING:
            states[service["ID"]] = ObjectState(RUNNING)
        elif state in PENDING_TASK_STATES:
            states[service["ID"]] = ObjectState("starting")
        else:
            states[service["ID"]] = ObjectState(state, status.get("Err") or status.get("Message", ""))
    return states


class ContainerView:
    """Containers: one labelled ``containers(all=True)`` call per snapshot.

    ``get_client`` returns the daemon's client; it is called in the worker thread of each call
    (building the client may block on the daemon)."""

    def __init__(self, get_client: Callable[[], Any], executor: Any):
        self._get_client = get_client
        self._executor = executor

    def _call(self, method: str, *args: Any, **kwargs: Any) -> asyncio.Future:
        return DockerCalls.submit(self._executor, lambda: getattr(self._get_client(), method)(*args, **kwargs))

    async def list_states(self) -> dict[str, ObjectState]:
        return container_states(await self._call("containers", all=True, filters=MANAGED_FILTER))

    async def inspect_state(self, object_id: str) -> ObjectState:
        try:
            info = await self._call("inspect_container", object_id)
        except NotFound:
            return ObjectState(GONE)
        state = info["State"]
        if state.get("Running"):
            return ObjectState(RUNNING)
        return ObjectState(state.get("Status", "exited"), f"exit code {state.get('ExitCode')}")


class ServiceView(ContainerView):
    """Swarm services: labelled ``services()`` and ``tasks()`` calls per snapshot, a service's
    state being that of its newest task.  A task label filter matches its service's labels, so
    both lists hold only the spawners' objects, however big the swarm."""

    async def list_states(self) -> dict[str, ObjectState]:
        services = await self._call("services", filters=MANAGED_FILTER)
        tasks = await self._call("tasks", filters=MANAGED_FILTER)
        return service_states(services, tasks)

    async def inspect_state(self, object_id: str) -> ObjectState:
        try:
            service = await self._call("inspect_service", object_id)
        except NotFound:
            return ObjectState(GONE)
        tasks = await self._call("tasks", filters={"service": object_id})
        return service_states([service], tasks).get(object_id, ObjectState("starting"))


class MonitorRegistry:
    """One monitor per daemon configuration (its client key) and object type, per process."""

    _monitors: dict[tuple[Any, str], Monitor] = {}

    @classmethod
    def get(cls, key: tuple[Any, str], factory: Callable[[], Monitor]) -> Monitor:
        monitor = cls._monitors.get(key)
        if monitor is None:
            monitor = cls._monitors[key] = factory()
        return monitor

    @classmethod
    def clear(cls) -> None:
        cls._monitors.clear()
