"""One shared view, per hub process, of every object the spawners manage.

``poll()`` is called for every running server every ``poll_interval``; asking the daemon once
per server per interval costs N calls for N servers.  Instead a :class:`Monitor` lists every
object carrying the spawners' ``managed-by`` label in one call (swarm: services and tasks, two
calls), at most once per ``max_age`` seconds however many spawners ask, and answers each
``poll()`` from that snapshot.  Where the daemon's event stream can tell (containers), the
snapshot is listed once and then kept current by the stream (:mod:`.event_feed`), so polls
answer with no call at all.

It stays correct across:
- a hub restart: a new process starts with an empty view and fills it with its first list;
- changes the spawners make themselves (create, start, stop, remove): they are noted at once
  and win over an older snapshot;
- changes made outside the hub (a container removed, crashed or OOM-killed): the stream
  tells of them as they happen, or else the next list shows them, at most ``max_age`` seconds
  later.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from traitlets.log import get_logger

from .event_feed import event_state
from .monitor_state import GONE, RUNNING, RUNNING_STATE, ObjectState
from .process_state import STATE, reset
from .timeouts import within

__all__ = ["GONE", "RUNNING", "RUNNING_STATE", "ObjectState", "Monitor", "MonitorRegistry", "Watch"]


class View(Protocol):
    """How the monitor sees one kind of object on one daemon."""

    async def list_states(self) -> dict[str, ObjectState]:
        """Every managed object's state, by id (one round of list calls)."""

    async def inspect_state(self, object_id: str) -> ObjectState:
        """The state of one object the list does not show (created before labels existed, by
        the reference implementation), or GONE."""


class Mode(enum.Enum):
    """What keeps a monitor's snapshot current: the only state its answers depend on."""

    #: nothing: answers come from a list at most ``max_age`` old (and an inspect per unlisted object)
    LISTING = "listing"
    #: the daemon's event stream (and, for a view that tells changes, its changes call as well)
    EVENTS = "following events"
    #: the view's changes call alone, once per ``max_age`` (the stream refused or ended; it is
    #: followed again at the next list)
    CHANGES = "checking changes"


class Monitor:
    """Answers ``state_of(object_id)`` from ``view``'s snapshots; ``mode`` (a :class:`Mode`)
    says what keeps them current.

    ``Mode.LISTING``: at most one list per ``max_age`` seconds; an object the list does not show
    is inspected once per snapshot; the spawners' own changes (notes) win over an older snapshot.

    ``Mode.EVENTS``, for a view that can follow the daemon's events (``view.follow``): after one
    list the snapshot is kept current by the event stream, so polls answer at once with no call.
    A spawner's note that disagrees with the snapshot (its event still on the way, or a change
    since) is settled by asking the daemon once.  Every ``resync_every`` × ``max_age`` seconds
    the view is listed again in the background, in case the daemon dropped events for a slow
    reader.  If the stream ends (daemon restart, connection lost), the monitor goes back to
    ``LISTING`` and follows again from its next list — or, for a view whose changes call tells
    what the stream would (``view.changed_states``: the swarm's given-up tasks), to
    ``Mode.CHANGES``, that call once per ``max_age``.
    """

    #: where monitors made without a clock of their own read the time (tests drive it)
    default_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, view: View, max_age: float, clock: Callable[[], float] | None = None,
                 follow_events: bool = True, resync_every: int = 10):
        self._view = view
        self.max_age = max_age
        self._clock = clock or type(self).default_clock
        self._snapshot: dict[str, ObjectState] = {}
        self._taken_at: float | None = None
        self._refreshing: asyncio.Future | None = None
        self._noted: dict[str, tuple[float, ObjectState]] = {}
        #: what the view can do beyond listing: follow the daemon's events, and tell what
        #: changed since its last list with one small call (swarm: the tasks the swarm gave
        #: up), which keeps it current once per ``max_age``
        self._view_follow: Callable[..., Any] | None = getattr(view, "follow", None) if follow_events else None
        self._view_changes: Callable[[dict[str, ObjectState]], Awaitable[dict[str, ObjectState]]] | None = (
            getattr(view, "changed_states", None) if follow_events else None)
        self._checked_at = 0.0
        self._checking: asyncio.Future | None = None
        self.resync_every = resync_every
        self._feed: Any = None
        #: events that arrived while a list was in flight: applied on top of its answer
        self._held: list[dict] | None = None
        self.mode = Mode.LISTING
        #: (condition, future) of wait_until() callers, checked as events and stream ends arrive
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future]] = []
        #: the servers JupyterHub asked to be told of (``start_polling``), by object id
        self._watches: dict[str, Watch] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._ticking: asyncio.Future | None = None

    @property
    def live(self) -> bool:
        """Whether the snapshot is kept current (by events or the changes call), not listed."""
        return self.mode is not Mode.LISTING

    @property
    def follow_events(self) -> bool:
        return self._view_follow is not None

    @property
    def checks_changes(self) -> bool:
        return self._view_changes is not None

    def note(self, object_id: str, state: ObjectState) -> None:
        """A spawner changed ``object_id`` itself: trust this over any older snapshot."""
        self._noted[object_id] = (self._clock(), state)

    def forget(self, object_id: str) -> None:
        self.note(object_id, ObjectState(GONE))

    def invalidate(self) -> None:
        """Make the next lookup list again (live too: the events then apply on top of it)."""
        self._taken_at = None
        self.mode = Mode.LISTING

    def close(self) -> None:
        """Stop following events (the registry does this when it forgets the monitor)."""
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.mode = Mode.LISTING

    def known(self, object_id: str) -> ObjectState | None:
        """What the snapshot (list and events since) holds for ``object_id``, without asking."""
        return self._snapshot.get(object_id)

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Return once ``condition()`` holds, checked now and whenever an event or the end of
        the stream arrives (tests wait so for a change outside the hub to reach the view);
        ``asyncio.TimeoutError`` after ``timeout`` seconds."""
        if condition():
            return
        waiter = (condition, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await within(waiter[1], timeout)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def watch(self, object_id: str, spawner: Any) -> Watch:
        """Call ``spawner.poll_and_notify()`` when ``object_id`` stops, is removed, or is not
        listed (JupyterHub's ``start_polling``, without a poll of every server every interval):
        an event or the changes call tells at once, a list every ``max_age`` otherwise."""
        watch = Watch(self, object_id, spawner)
        self._watches[object_id] = watch
        loop = asyncio.get_running_loop()
        if self._timer is None or self._timer_loop is not loop:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_loop = loop
            self._timer = loop.call_later(self.max_age, self._tick)
        if not self.live and (self.follow_events or self.checks_changes):
            # no view yet (the first server since the hub started): list now, so the stream or
            # the changes call keeps it from here, rather than at the first tick
            self._resync_in_background()
        return watch

    def unwatch(self, watch: Watch) -> None:
        if self._watches.get(watch.object_id) is watch:
            del self._watches[watch.object_id]

    def _tick(self) -> None:
        self._timer = None
        if not self._watches or self._timer_loop is None:
            return
        self._timer = self._timer_loop.call_later(self.max_age, self._tick)
        if self._ticking is None or self._ticking.done():
            self._ticking = asyncio.ensure_future(self.keep_current())
            self._ticking.add_done_callback(_retrieve)

    async def keep_current(self) -> None:
        """What one interval needs (the monitor's timer runs it every ``max_age`` while servers
        are watched): list when the snapshot is stale or not kept current, else the background
        resync when due, else the changes call; each tells the watches of what stopped."""
        now = self._clock()
        if not self.live or self._taken_at is None:
            if self._taken_at is None or now - self._taken_at >= self.max_age:
                await self._refresh()
        elif now - self._taken_at > self.max_age * self.resync_every:
            await self._refresh()
        elif self.checks_changes and now - self._checked_at >= self.max_age:
            await self._check_changes()

    def _wake_waiters(self) -> None:
        for condition, future in list(self._waiters):
            if not future.done() and condition():
                future.set_result(None)

    def state_now(self, object_id: str) -> ObjectState | None:
        """The answer, if it needs no call to the daemon (live, the object known, no disagreeing
        note); else None (``await state_of()``).  Lets a poll finish without suspending."""
        if not self.live:
            return None
        if self._feed is not None and self._feed.loop is not asyncio.get_running_loop():
            # followed for another event loop (closed since, or a test's): list afresh here
            self.close()
            self._taken_at = None
            return None
        if self._changes_due():
            return None  # state_of() makes the changes call first
        state = self._snapshot.get(object_id)
        if state is None:
            return None
        noted = self._noted.get(object_id)
        if noted is not None:
            if not _agree(noted[1], state):
                return None
            del self._noted[object_id]
        if self._taken_at is not None and self._clock() - self._taken_at > self.max_age * self.resync_every:
            self._resync_in_background()
        return state

    async def state_of(self, object_id: str) -> ObjectState:
        """The object's state, from a snapshot at most ``max_age`` old (or a newer note), or
        from the live snapshot."""
        state = self.state_now(object_id)
        if state is not None:
            return state
        if self.live and self._changes_due():
            await self._check_changes()
            state = self.state_now(object_id)
            if state is not None:
                return state
        if self.live:
            return await self._settle(object_id)
        now = self._clock()
        noted = self._noted.get(object_id)
        if self._taken_at is None or now - self._taken_at > self.max_age:
            await self._refresh()
            if self.live:
                return await self.state_of(object_id)
        assert self._taken_at is not None
        if noted is not None and noted[0] >= self._taken_at:
            return noted[1]
        state = self._snapshot.get(object_id)
        if state is None:
            # not in the list: unlabelled (older) or gone; ask once, remember until the next list
            state = await self._view.inspect_state(object_id)
            self._noted[object_id] = (self._taken_at, state)
        return state

    def _changes_due(self) -> bool:
        """Live by the changes call, and its last answer older than ``max_age``."""
        return self.checks_changes and self._clock() - self._checked_at > self.max_age

    async def _settle(self, object_id: str) -> ObjectState:
        """Live, but the snapshot does not know the object or disagrees with a note: ask the
        daemon, and keep its answer unless an event for the object came in meanwhile."""
        before = self._snapshot.get(object_id)
        state = await self._view.inspect_state(object_id)
        self._noted.pop(object_id, None)
        if self._snapshot.get(object_id) is before:
            self._snapshot[object_id] = state
        return self._snapshot[object_id]

    async def _refresh(self) -> None:
        # single flight: every poll that finds the snapshot stale waits for the same list call
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._list())
        await asyncio.shield(self._refreshing)

    def _resync_in_background(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._list())
            self._refreshing.add_done_callback(_retrieve)

    async def _list(self) -> None:
        self._held = []
        try:
            if self.follow_events and self._feed is None:
                await self._follow()
            started = self._clock()
            snapshot = await self._view.list_states()
            for event in self._held:
                _apply(snapshot, event)
        finally:
            self._held = None
        self._snapshot = snapshot
        self._taken_at = self._checked_at = started
        self.mode = Mode.EVENTS if self._feed is not None else Mode.CHANGES if self.checks_changes else Mode.LISTING
        # notes older than the snapshot are answered by it now
        self._noted = {k: v for k, v in self._noted.items() if v[0] >= started}
        for object_id in list(self._watches):
            noted = self._noted.get(object_id)
            # not listed (unlabelled, or gone): its poll will tell
            self._tell(object_id, noted[1] if noted is not None else snapshot.get(object_id))

    def _tell(self, object_id: str, state: ObjectState | None) -> None:
        """Run the watching spawner's ``poll_and_notify()`` if ``state`` is not running."""
        watch = self._watches.get(object_id)
        if watch is not None and (state is None or not state.running):
            watch.fire()

    async def _check_changes(self) -> None:
        # single flight, as _refresh
        if self._checking is None or self._checking.done():
            self._checking = asyncio.ensure_future(self._changes())
        await asyncio.shield(self._checking)

    async def _changes(self) -> None:
        started = self._clock()
        assert self._view_changes is not None  # called only when the view tells changes
        changed = await self._view_changes(self._snapshot)
        if not self.live:
            return  # invalidated meanwhile: the next list answers
        self._snapshot.update(changed)
        self._checked_at = started
        for object_id, state in changed.items():
            self._tell(object_id, state)

    async def _follow(self) -> None:
        assert self._view_follow is not None  # called only when the view follows events
        feed = self._view_follow(asyncio.get_running_loop(), self._on_event, self._on_end)
        try:
            await feed.start()
            # answered, then ended at once (an error answer): as good as refused
            failure = (feed.error or "the stream ended") if feed.ended else None
        except Exception as err:
            feed.close()
            failure = err
        if failure is not None:
            if self.checks_changes:
                get_logger().warning("Not following the Docker daemon's events (a removal is seen at the next "
                                     "list): %s", failure)
            else:
                get_logger().warning("Not following the Docker daemon's events (polls list every %ss until the "
                                     "next try): %s", self.max_age, failure)
            return
        self._feed = feed

    def _on_event(self, event: dict) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        change = _apply(self._snapshot, event)
        if change is not None:
            self._tell(*change)
        if self._waiters:
            self._wake_waiters()

    def _on_end(self, feed: Any, error: BaseException | None) -> None:
        if feed is not self._feed:  # one being opened (_follow sees it ended) or closed
            return
        self._feed = None
        if self.checks_changes:
            # the changes call keeps the view current (if it was current: an invalidated one still
            # lists first); the stream is followed again at the next list
            if self.mode is Mode.EVENTS:
                self.mode = Mode.CHANGES
            get_logger().warning("The Docker daemon's event stream ended (%s); following it again at the "
                                 "next list", error or "closed by the daemon")
        else:
            self.mode = Mode.LISTING
            self._taken_at = None  # list at the next poll, and follow again
            get_logger().warning("The Docker daemon's event stream ended (%s); polls list again until it is "
                                 "followed anew", error or "closed by the daemon")
        self._wake_waiters()


class Watch:
    """What ``start_polling()`` hands JupyterHub as the spawner's ``_poll_callback``: the
    monitor runs the spawner's ``poll_and_notify()`` when its server stops (one at a time);
    JupyterHub's ``stop_polling()`` calls ``stop()``."""

    __slots__ = ("_monitor", "object_id", "_spawner", "_notifying")

    def __init__(self, monitor: Monitor, object_id: str, spawner: Any):
        self._monitor = monitor
        self.object_id = object_id
        self._spawner = spawner
        self._notifying: asyncio.Future | None = None

    def fire(self) -> None:
        if self._notifying is None or self._notifying.done():
            self._notifying = asyncio.ensure_future(self._notify())

    async def _notify(self) -> None:
        try:
            await self._spawner.poll_and_notify()
        except Exception:
            # as JupyterHub's own periodic poll would report it
            get_logger().exception("Polling %s failed", getattr(self._spawner, "_log_name", self.object_id))

    def stop(self) -> None:
        self._monitor.unwatch(self)


def _agree(a: ObjectState, b: ObjectState) -> bool:
    return a.running == b.running and (a.state == GONE) == (b.state == GONE)


def _apply(snapshot: dict[str, ObjectState], event: dict) -> tuple[str, ObjectState] | None:
    change = event_state(event)
    if change is not None:
        snapshot[change[0]] = change[1]
    return change


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        get_logger().warning("Listing the Docker daemon's objects failed: %s", future.exception())


class MonitorRegistry:
    """One monitor per daemon configuration (its client key) and object type, per process
    (kept in :mod:`.process_state`, whose generation counts its resets: spawners remember
    their monitor until it changes)."""

    @staticmethod
    def generation() -> int:
        return STATE.monitor_generation

    @staticmethod
    def get(key: tuple[Any, str], factory: Callable[[], Monitor]) -> Monitor:
        monitor: Monitor | None = STATE.monitors.get(key)
        if monitor is None:
            monitor = STATE.monitors[key] = factory()
        return monitor

    @staticmethod
    def clear() -> None:
        """Close and forget every monitor (and every client): :func:`.process_state.reset`."""
        reset()
