"""The spawn page's progress bar: the events one spawn reports, and the fold that turns the
daemon's per-layer pull lines into one percentage."""

from __future__ import annotations

import asyncio
from typing import Any

from traitlets import HasTraits

PROGRESS_PULL_START = 5
PROGRESS_PULL_END = 65
PROGRESS_CREATE = 70
PROGRESS_START = 80
PROGRESS_POST_START = 85
PROGRESS_WAIT = 90


class PullProgress:
    """Folds the daemon's per-layer pull lines into one percentage of all bytes.

    A layer counts with its total once "Downloading" gives one; "Download complete", "Pull
    complete" and "Already exists" count it as done.  ``update`` returns a (percent, message)
    event when the whole-image percentage moved, else None.
    """

    def __init__(self, image: str):
        self.image = image
        self.layers: dict[str, list[int]] = {}  # id -> [current, total]
        self.announced: set[str] = set()
        self.done: set[str] = set()
        self._last = -1

    def update(self, line: dict[str, Any]) -> tuple[int, str] | None:
        status = line.get("status", "")
        layer = line.get("id")
        if layer and status == "Pulling fs layer":
            self.announced.add(layer)
        elif layer and status in ("Downloading",):
            detail = line.get("progressDetail") or {}
            if detail.get("total"):
                self.layers[layer] = [int(detail.get("current", 0)), int(detail["total"])]
        elif layer and status in ("Download complete", "Pull complete", "Already exists", "Verifying Checksum"):
            self.done.add(layer)
            if layer in self.layers:
                self.layers[layer][0] = self.layers[layer][1]
        known = sum(t for _, t in self.layers.values())
        if not known:
            return None
        current = sum(c for c, _ in self.layers.values())
        # layers announced but not started yet count as the average known layer, so the bar
        # does not jump back when their sizes become known (and it never moves backwards)
        waiting = len(self.announced - set(self.layers) - self.done)
        total = known + waiting * known / len(self.layers)
        fraction = current / total
        percent = PROGRESS_PULL_START + int(fraction * (PROGRESS_PULL_END - PROGRESS_PULL_START))
        if percent <= self._last:
            return None
        self._last = percent
        return percent, (f"Pulling image {self.image}: {int(fraction * 100)}% "
                         f"({_megabytes(current)} of {_megabytes(known) if not waiting else 'about ' + _megabytes(total)})")


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


class SpawnEventLog:
    """The events of one spawn, for the spawn-pending page.

    JupyterHub opens the progress stream before it calls start(), on a spawner object that may
    have spawned before: the log belongs to the spawn JupyterHub is running (its
    ``_spawn_future``), so a reader never sees an earlier spawn's events or its end.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.done = False
        self.owner: Any = None
        self._changed = asyncio.Event()

    def wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def reset(self) -> None:
        self.events = []
        self.done = False
        self.wake()

    def claim(self, owner: Any) -> None:
        """The spawn ``owner`` begins: an earlier spawn's events are dropped."""
        if self.done or owner is not self.owner:
            self.reset()
        self.owner = owner

    def report(self, owner: Any, percent: int | None, message: str) -> None:
        if owner is not self.owner:  # e.g. move_certs pulling, before start()
            self.claim(owner)
        event: dict[str, Any] = {"message": message}
        if percent is not None:
            event["progress"] = int(percent)
        self.events.append(event)
        self.wake()

    def finish(self) -> None:
        self.done = True
        self.wake()

    @property
    def last_message(self) -> str | None:
        return self.events[-1]["message"] if self.events else None

    async def follow(self, current_owner: Any):
        """Yield the events as they come until the spawn ends; ``current_owner()`` names the
        spawn JupyterHub runs now (events of another are not shown)."""
        sent = 0
        events = self.events
        while True:
            changed = self._changed
            if self.events is not events:  # a new spawn began: its events from the start
                events, sent = self.events, 0
            current = self.owner is current_owner()
            while current and sent < len(events):
                yield events[sent]
                sent += 1
            if current and self.done:
                return
            # not asyncio.wait_for: on Python < 3.12 it can swallow a cancellation that arrives
            # as the event is set, and JupyterHub's iterate_until cancels this generator's step
            # when the spawn ends (the step then ended the stream instead of being cancelled)
            waiter = asyncio.ensure_future(changed.wait())
            try:
                await asyncio.wait([waiter], timeout=1)
            finally:
                waiter.cancel()


class ProgressReporting(HasTraits):
    """DockerSpawner's progress steps (a mixin)."""

    #: the server's spawn events (made at first use: JupyterHub may open progress() first)
    _progress_log: SpawnEventLog | None = None

    @property
    def progress_log(self) -> SpawnEventLog:
        if self._progress_log is None:
            self._progress_log = SpawnEventLog()
        return self._progress_log

    @property
    def _progress_events(self) -> list[dict[str, Any]]:
        return self.progress_log.events

    def _spawn_owner(self) -> Any:
        return getattr(self, "_spawn_future", None)

    def report_progress(self, percent: int | None, message: str) -> None:
        """Record a progress event for the spawn-pending page (``percent`` None: message only)."""
        self.progress_log.report(self._spawn_owner(), percent, message)

    async def progress(self):
        """Yield the spawn's progress events as they happen: the image pull (a percentage of
        the bytes of all layers), creating, starting, waiting for the server."""
        async for event in self.progress_log.follow(self._spawn_owner):
            yield event
