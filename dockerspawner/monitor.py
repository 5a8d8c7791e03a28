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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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


Lister = Callable[[], Awaitable[dict[str, ObjectState]]]


class Monitor:
    """``lister`` lists every managed object; ``inspector`` (optional) answers for one object the
    list does not show — e.g. a container created before labels existed (by the reference
    implementation) — at most once per snapshot."""

    #: where monitors made without a clock of their own read the time (tests drive it)
    default_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, lister: Lister, max_age: float, clock: Callable[[], float] | None = None,
                 inspector: Callable[[str], Awaitable[ObjectState]] | None = None):
        self._lister = lister
        self._inspector = inspector
        self.max_age = max_age
        self._clock = clock or type(self).default_clock
        self._snapshot: dict[str, ObjectState] = {}
        self._taken_at: float | None = None
        self._refreshing: asyncio.Future | None = None
        self._noted: dict[str, tuple[float, ObjectState]] = {}
        #: how many list rounds were made (each is one call, two for swarm)
        self.refreshes = 0

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
            if self._inspector is None:
                return ObjectState(GONE)
            # not in the list: unlabelled (older) or gone; ask once, remember until the next list
            state = await self._inspector(object_id)
            self._noted[object_id] = (self._taken_at, state)
        return state

    async def _refresh(self) -> None:
        # single flight: every poll that finds the snapshot stale waits for the same list call
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._list())
        await asyncio.shield(self._refreshing)

    async def _list(self) -> None:
        started = self._clock()
        snapshot = await self._lister()
        self._snapshot = snapshot
        self._taken_at = started
        self.refreshes += 1
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


_PENDING_TASK_STATES = {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"}


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
        if state == RUNNING:
            states[service["ID"]] = ObjectState(RUNNING)
        elif state in _PENDING_TASK_STATES:
            states[service["ID"]] = ObjectState("starting")
        else:
            states[service["ID"]] = ObjectState(state, status.get("Err") or status.get("Message", ""))
    return states


class MonitorRegistry:
    """One monitor per client (so per daemon configuration) and object type, per process."""

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
