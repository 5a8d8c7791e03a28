"""Stopping containers, the part of :class:`~.lifecycle.ContainerLifecycle` that ``stop``,
``stop_later`` and ``restart`` share.

A stop has two halves: the ``kill`` event and the stop signal (:meth:`ContainerStopper.begin_stop`),
then the wait for the exit, up to the timeout, and SIGKILL (:meth:`ContainerStopper.end_stop`).
Its ``stop`` and ``die`` events come in the order the engine answered as reports them
(:meth:`ContainerStopper.stop_then_report`).  :meth:`ContainerStopper.stop_later` waits in a
thread instead of blocking its caller.
"""

from __future__ import annotations

import signal as _signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...routing import DaemonError
from .model import Container

if TYPE_CHECKING:
    from .lifecycle import ContainerLifecycle

_SIGKILL = int(_signal.SIGKILL)


def stop_timeout(c: Container) -> float:
    """How long a stop waits for the exit before SIGKILL when the request names no timeout."""
    timeout = c.config.get("StopTimeout")
    return 10 if timeout is None else timeout


class ContainerStopper:
    """The stops of one lifecycle: it signals, records exits and removes through it."""

    def __init__(self, lifecycle: ContainerLifecycle) -> None:
        self.lifecycle = lifecycle
        self.engine = lifecycle.engine
        self.changed = lifecycle.changed
        #: containers a stop_later thread is stopping
        self.stopping: set[str] = set()
        #: the ``die`` events of containers being stopped, held back until their ``stop`` event
        #: on an engine that reports them in that order (EngineProfile.stop_before_die)
        self.held_dies: dict[str, list[dict[str, str]]] = {}
        self._remove_after_stop: set[str] = set()

    def begin_stop(self, c: Container) -> tuple[int, bool]:
        """The first half of a stop: the ``kill`` event and the stop signal."""
        signum = c.stop_signal_number()
        generation = c.generation
        self.engine.emit("container", "kill", c.id, c.attributes(signal=str(signum)))
        paused = c.status == "paused"
        if not paused:
            self.lifecycle._send_signal(c, signum)
        return generation, paused

    def end_stop(self, c: Container, generation: int, paused: bool, timeout: float) -> None:
        """The second half: wait up to ``timeout`` for the exit, then SIGKILL."""
        lifecycle = self.lifecycle
        if c.running and c.generation == generation and timeout != 0:
            self.changed.wait_for(
                lambda: c.generation != generation or not c.running,
                timeout=None if timeout < 0 else timeout,
            )
        if c.running and c.generation == generation:
            self.engine.emit("container", "kill", c.id, c.attributes(signal=str(_SIGKILL)))
            if paused:
                lifecycle._resume_process(c, event=True)
            if not lifecycle._send_signal(c, _SIGKILL):
                # an asynchronous process: wait for its exit report, then give up on it
                self.changed.wait_for(lambda: c.generation != generation or not c.running, timeout=10)
                if c.running and c.generation == generation:
                    lifecycle._record_exit(c, 137)

    def stop_and_wait(self, c: Container, timeout: float | None) -> None:
        # Called with the engine lock held (once); the waits release it.
        if timeout is None:
            timeout = stop_timeout(c)
        generation, paused = self.begin_stop(c)
        self.end_stop(c, generation, paused, timeout)

    def stop(self, ref: str | Container, timeout: int | None = None) -> bool:
        """Stop; False when it was not running (the daemon's 304).  Blocks up to ``timeout``
        seconds for the process to end, without holding the engine lock."""
        engine = self.engine
        with engine.lock:
            c = self.lifecycle._as_container(ref)
            if not c.running:
                return False
            self.stop_then_report(c, lambda: self.stop_and_wait(c, timeout))
            self.lifecycle._notify_exit_listeners()
            return True

    def stop_then_report(self, c: Container, stop: Callable[[], object]) -> bool:
        """Run ``stop`` (the engine lock held), then emit ``stop`` and the exit's ``die`` in
        the order the engine answered as reports them; unless ``stop`` returns False: it handed the
        rest to a thread, which reports it."""
        hold = self.engine.profile.stop_before_die
        if hold:
            self.held_dies[c.id] = []
        try:
            finished = stop() is not False
        finally:
            held = self.held_dies.pop(c.id, []) if hold else []
        if not finished:
            return False
        if not c.removed:
            self.engine.emit("container", "stop", c.id, c.attributes())
        for die in held:
            self.engine.emit("container", "die", c.id, die)
        return True

    def stop_later(self, ref: str | Container, timeout: float | None = None,
                   remove: bool = False) -> None:
        """``docker stop`` (then ``docker rm`` when ``remove``) without blocking the caller.

        The stop signal is delivered now; a process that outlives it is waited for in a thread
        (up to ``timeout`` seconds, then SIGKILL), which then emits ``stop`` and removes the
        container.  Asking again while a stop is under way only adds the removal."""
        with self.engine.lock:
            c = self.lifecycle._as_container(ref)
            if c.removed:
                return
            if remove:
                self._remove_after_stop.add(c.id)
            if c.id in self.stopping:
                return
            if not c.running:
                self._remove_if_asked(c)
                return
            if timeout is None:
                timeout = stop_timeout(c)
            timeout_s: float = timeout

            def stop() -> bool:
                generation, paused = self.begin_stop(c)
                if c.running and c.generation == generation and timeout_s != 0:
                    self.stopping.add(c.id)
                    threading.Thread(
                        target=self._stop_in_thread, args=(c, generation, paused, timeout_s),
                        daemon=True, name=f"fakedocker-stop-{c.short_id}",
                    ).start()
                    return False
                self.end_stop(c, generation, paused, timeout_s)
                return True

            if self.stop_then_report(c, stop):
                self._remove_if_asked(c)

    def _stop_in_thread(self, c: Container, generation: int, paused: bool, timeout: float) -> None:
        with self.engine.lock:
            try:
                self.stop_then_report(c, lambda: self.end_stop(c, generation, paused, timeout))
            finally:
                self.stopping.discard(c.id)
            self._remove_if_asked(c)

    def _remove_if_asked(self, c: Container) -> None:
        """The end of a :meth:`stop_later`: the removal it was asked for, then the exits."""
        if c.id in self._remove_after_stop:
            self._remove_after_stop.discard(c.id)
            if not c.removed:
                try:
                    self.lifecycle.remove(c.id, force=True)
                except DaemonError:
                    pass
        self.lifecycle._notify_exit_listeners()
