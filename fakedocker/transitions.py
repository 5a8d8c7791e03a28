"""How state changes that take time on a real daemon (task states, pulls) advance on the fake.

A :class:`Progression` is a list of steps, each with a delay.  The engine's :class:`Transitions`
runs them in one of three modes:

- ``"immediate"`` (default): every step runs as soon as the progression is scheduled;
- ``"timer"``: step *i* runs once its delay has passed on the engine's clock after step *i-1*
  (steps are applied lazily, whenever anyone looks: every API call first applies what is due);
- ``"manual"``: steps run only when the test calls ``engine.step()`` (one step of every
  progression in flight) or ``engine.settle()`` (everything).
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

    @property
    def done(self) -> bool:
        return self.position >= len(self.steps)


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

    def schedule(self, name: str, steps: list[Step]) -> Progression:
        with self._lock:
            progression = Progression(name, list(steps))
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
            base = progression.due if self.mode == "timer" else self._clock()
            progression.due = base + progression.steps[progression.position].delay
        self.changed.notify_all()

    def apply_due(self) -> None:
        """Run every step that is due (timer mode); a no-op otherwise."""
        if self.mode != "timer" or not self._active:
            return
        with self._lock:
            now = self._clock()
            for progression in list(self._active):
                while not progression.done and progression.due <= now:
                    self._run_step(progression)
            self._active = [p for p in self._active if not p.done]

    def next_due(self) -> float | None:
        with self._lock:
            pending = [p.due for p in self._active if not p.done]
            return min(pending) if pending else None

    def step(self, name: str | None = None) -> int:
        """Advance every in-flight progression (or those whose name starts with ``name``) by
        one step.  Returns how many steps ran."""
        with self._lock:
            ran = 0
            for progression in list(self._active):
                if progression.done or (name is not None and not progression.name.startswith(name)):
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
        with self._lock:
            return [p.name for p in self._active if not p.done]

    def wait(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Block (outside any handler's lock hold) until ``predicate()`` is true, applying due
        steps in timer mode.  Used by streams that report progress as it happens."""
        # real time bounds the wait: the engine's clock may be a test's, standing still
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                self.apply_due()
                if predicate():
                    return True
                wait_for = 0.25
                nxt = self.next_due() if self.mode == "timer" else None
                if nxt is not None:
                    wait_for = min(wait_for, max(0.0, nxt - self._clock()))
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    wait_for = min(wait_for, remaining)
                self.changed.wait(wait_for)
