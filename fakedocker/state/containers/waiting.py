"""Waiting on containers, the part of :class:`~.lifecycle.ContainerLifecycle` behind
``POST /containers/{id}/wait``: the decision a /wait takes when it arrives (:meth:`ContainerWaits.waiter`),
the blocking wait (:meth:`ContainerWaits.wait`), and the 501 for a container whose program
the fake cannot run, which a wait, an attach or a logs request answers rather than wait for
output that never comes (:meth:`ContainerWaits.refuse_unrunnable`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ... import messages
from .model import Container

if TYPE_CHECKING:
    from .lifecycle import ContainerLifecycle

_log = logging.getLogger("fakedocker")


class ContainerWaits:
    """The waits of one lifecycle, on its table and its condition."""

    def __init__(self, lifecycle: ContainerLifecycle) -> None:
        self.engine = lifecycle.engine
        self.table = lifecycle.table
        self.changed = lifecycle.changed
        self._told_unrunnable: set[str] = set()  # containers whose unrunnable program was logged

    def refuse_unrunnable(self, c: Container) -> None:
        """A wait, attach or logs needs what a running container's program did: for a
        short-lived program the fake cannot run, the 501 that says so (logged once per
        container, so ``fakedocker serve`` shows it too) rather than a silent wait."""
        command = getattr(c.process, "unrunnable", None) if c.running else None
        if command is None:
            return
        err = messages.cannot_run_program(command, c.name)
        if c.id not in self._told_unrunnable:
            self._told_unrunnable.add(c.id)
            _log.warning("%s", err.message)
        raise err

    def waiter(self, ref: str, condition: str | None = None
               ) -> tuple[Callable[[], bool], Callable[[], dict[str, Any]]]:
        """The decision of a /wait, taken when the request arrives: ``(done, answer)``,
        ``done()`` telling (under the lock) whether ``condition`` holds and ``answer()`` the
        body then.  ``next-exit`` counts from now; any other condition than ``next-exit`` or
        ``removed`` is ``not-running``, as the daemon takes it."""
        with self.engine.lock:
            c = self.table.get(ref)
            self.refuse_unrunnable(c)
            exits = c.exits
            if condition == "next-exit":
                done: Callable[[], bool] = lambda: c.exits > exits or c.removed  # noqa: E731
            elif condition == "removed":
                done = lambda: c.removed  # noqa: E731
            else:
                done = lambda: not c.running or c.removed  # noqa: E731

            def answer() -> dict[str, Any]:
                error = {"Message": c.error} if c.error else None
                if error is None and not self.engine.profile.wait_error_when_none:
                    return {"StatusCode": c.exit_code}  # (26.1: no null Error)
                return {"Error": error, "StatusCode": c.exit_code}

            return done, answer

    def wait(self, ref: str, condition: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Block (without holding the lock) until ``condition`` holds; the /wait answer.
        Clocked steps (a script's ``sleep``) run meanwhile, as they come due."""
        done, answer = self.waiter(ref, condition)
        with self.engine.lock:
            self.engine.transitions.wait(done, timeout=timeout, condition=self.changed)
            return answer()
