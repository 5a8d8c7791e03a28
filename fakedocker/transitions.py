"""How state changes that take time on a real daemon (task states, pulls) advance on the fake.

A :class:`Progression` is a list of steps, each with a delay.  The engine's :class:`Transitions`
runs them in one of three modes:

- ``"immediate"`` (default): every step runs as soon as the progression is scheduled;
- ``"timer"``: step *i* runs once its delay has passed on the engine's clock after step *i-1*
  (steps are applied lazily, whenever anyone looks: every API call first applies what is due);
- ``"manual"``: steps run only when the test calls ``engine.step()`` (one step of every
  progression in flight) or ``engine.settle()`` (everything).

Those modes govern the daemon's own work.  What a container's program does takes the time it
takes in every mode: a *clocked* progression (``schedule(..., clocked=True)``: the ``sleep N``
of a script, the interval of a health check) runs each step once its delay has passed on the
engine's clock, whatever the mode, and ``step()``/``settle()`` leave it alone.  A test drives
it by giving the engine a clock it advances.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MODES = ("immediate", "timer", "manual")


@dataclass
class Step:
    action: Callable[[], None]
    delay: float = 0.0


@dataclass
class Progression:
    name: str
    steps: list[Step]
    position: int = 0
    due: float = 0.0  # clock time at which steps[position] becomes due (timer mode)
    on_done: list[Callable[[], None]] = field(default_factory=list)
    #: timed on the engine's clock in every mode (see the module docstring)
    clocked: bool = False
    cancelled: bool = False

    @property
    def done(self) -> bool:
        return self.cancelled or self.position >= len(self.steps)


class Transitions:
    def __init__(self, lock: threading.RLock, clock: Callable[[], float], mode: str = "immediate"):
        if mode not in MODES:
            raise ValueError(f"transition mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self._lock = lock
        self._clock = clock
        self._active: list[Progression] = []
        #: notified (under the engine lock) after every step, for streams waiting on progress
        self.changed = threading.Condition(lock)

    def schedule(self, name: str, steps: list[Step], clocked: bool = False) -> Progression:
        """Run ``steps`` as the mode says; ``clocked``: on the engine's clock in every mode.

        A clocked progression's steps run lazily (whenever anyone looks), never inside this
        call: the caller finishes what it is doing first."""
        with self._lock:
            progression = Progression(name, list(steps), clocked=clocked)
            if clocked:
                progression.due = self._clock() + (steps[0].delay if steps else 0.0)
                self._active.append(progression)
                return progression
            if self.mode == "immediate":
                while not progression.done:
                    self._run_step(progression)
                return progression
            if steps:
                progression.due = self._clock() + steps[0].delay
            self._active.append(progression)
            if self.mode == "timer":
                self.apply_due()
            return progression

    def _run_step(self, progression: Progression) -> None:
        step = progression.steps[progression.position]
        progression.position += 1
        step.action()
        if not progression.done:
            # timed from when this step was due, so a clock that jumps runs every step it passed
            timed = self.mode == "timer" or progression.clocked
            base = progression.due if timed else self._clock()
            progression.due = base + progression.steps[progression.position].delay
        self.changed.notify_all()

    def _timed(self, progression: Progression) -> bool:
        return progression.clocked or self.mode == "timer"

    def apply_due(self) -> None:
        """Run every step that is due: of every progression in timer mode, of the clocked
        ones in the other modes."""
        if not self._active:
            return
        with self._lock:
            now = self._clock()
            for progression in list(self._active):
                if not self._timed(progression):
                    continue
                while not progression.done and progression.due <= now:
                    self._run_step(progression)
            self._active = [p for p in self._active if not p.done]

    def next_due(self) -> float | None:
        """When the next timed step becomes due on the engine's clock (None: none pending)."""
        with self._lock:
            pending = [p.due for p in self._active if not p.done and self._timed(p)]
            return min(pending) if pending else None

    def cancel(self, progression: Progression) -> None:
        """Drop what is left of ``progression`` (its process ended before it did)."""
        with self._lock:
            progression.cancelled = True
            self._active = [p for p in self._active if p is not progression]

    def step(self, name: str | None = None) -> int:
        """Advance every in-flight progression (or those whose name starts with ``name``) by
        one step.  Returns how many steps ran."""
        with self._lock:
            ran = 0
            for progression in list(self._active):
                if progression.done or progression.clocked or (
                        name is not None and not progression.name.startswith(name)):
                    continue
                self._run_step(progression)
                ran += 1
            self._active = [p for p in self._active if not p.done]
            return ran

    def settle(self) -> int:
        """Run every pending step of every progression.  Returns how many steps ran."""
        ran = 0
        while True:
            n = self.step()
            if not n:
                return ran
            ran += n

    def pending(self) -> list[str]:
        """The daemon's own progressions in flight (what ``step``/``settle`` advance)."""
        with self._lock:
            return [p.name for p in self._active if not p.done and not p.clocked]

    def clocked(self) -> list[str]:
        """The clocked progressions in flight (containers' sleeps, health checks)."""
        with self._lock:
            return [p.name for p in self._active if not p.done and p.clocked]

    def wait(self, predicate: Callable[[], bool], timeout: float | None = None,
             condition: threading.Condition | None = None) -> bool:
        """Block (outside any handler's lock hold) until ``predicate()`` is true, applying due
        steps.  Used by streams that report progress as it happens.  ``condition`` (on the
        engine lock): what else announces progress (default: the steps themselves)."""
        # real time bounds the wait: the engine's clock may be a test's, standing still
        deadline = None if timeout is None else time.monotonic() + timeout
        condition = condition or self.changed
        with self._lock:
            while True:
                self.apply_due()
                if predicate():
                    return True
                wait_for = 0.25
                nxt = self.next_due()
                if nxt is not None:
                    wait_for = min(wait_for, max(0.0, nxt - self._clock()))
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    wait_for = min(wait_for, remaining)
                condition.wait(wait_for)
