"""Injected failures: errors on the next calls of an operation, latency, a daemon that is down,
and calls held in flight until the test releases them.

Operations are named after the docker-py ``APIClient`` method that makes the request
(``"create_container"``, ``"pull"``, ``"inspect_container"``, ...); ``"*"`` matches every call.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

import requests
import urllib3

from . import messages
from .routing import DaemonError


@dataclass
class _Failure:
    error: DaemonError
    remaining: int | None  # None: until cleared


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[_Failure]] = {}
        self._latency: dict[str, float] = {}
        self._held: dict[str, threading.Event] = {}
        self.down = False
        self.socket_path = "/var/run/docker.sock"

    # configuration -------------------------------------------------------------------
    def fail(
        self,
        operation: str,
        status: int = 500,
        message: str = "injected failure",
        times: int | None = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with ``status``/``message``
        (``times=None``: every call until :meth:`clear`)."""
        with self._lock:
            self._failures.setdefault(operation, []).append(
                _Failure(messages.injected(status, message), times)
            )

    def latency(self, operation: str, seconds: float) -> None:
        """Delay every call of ``operation`` by ``seconds`` (0 removes the delay).  A client
        whose read timeout is shorter gets its ``ReadTimeout`` (the call still happens)."""
        with self._lock:
            if seconds:
                self._latency[operation] = seconds
            else:
                self._latency.pop(operation, None)

    #: how long a held call waits for :meth:`release` before it fails (a test that forgot)
    HOLD_LIMIT = 120.0

    def hold(self, operation: str) -> None:
        """Hold every call of ``operation`` in flight (counted in ``engine.calls`` already, not
        yet answered) until :meth:`release`: a test acts while the call runs, as when the daemon
        is slow to answer it.  A call held longer than HOLD_LIMIT s fails with a 500."""
        with self._lock:
            self._held.setdefault(operation, threading.Event())

    def release(self, operation: str | None = None) -> None:
        """Let the held calls of ``operation`` (None: of every operation) go on."""
        with self._lock:
            names = list(self._held) if operation is None else [operation]
            for name in names:
                gate = self._held.pop(name, None)
                if gate is not None:
                    gate.set()

    def has_latency(self) -> bool:
        return bool(self._latency)

    def daemon_down(self) -> None:
        """From now on every call fails as when the daemon's socket is gone."""
        self.down = True

    def daemon_up(self) -> None:
        self.down = False

    @contextlib.contextmanager
    def daemon_unavailable(self):
        self.daemon_down()
        try:
            yield
        finally:
            self.daemon_up()

    def clear(self) -> None:
        self.release()
        with self._lock:
            self._failures.clear()
            self._latency.clear()
        self.down = False

    # applied by the transport --------------------------------------------------------
    def before_call(self, operation: str) -> None:
        if self.down:
            raise connection_refused(self.socket_path)
        with self._lock:
            gate = self._held.get(operation)
        if gate is not None and not gate.wait(self.HOLD_LIMIT):
            raise messages.held_too_long(operation, self.HOLD_LIMIT)
        with self._lock:
            delay = self._latency.get(operation, 0.0) + self._latency.get("*", 0.0)
            error = self._next_failure(operation) or self._next_failure("*")
        if delay:
            time.sleep(delay)
        if error is not None:
            raise error

    def _next_failure(self, operation: str) -> DaemonError | None:
        queue = self._failures.get(operation)
        if not queue:
            return None
        failure = queue[0]
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
        return failure.error


def connection_refused(socket_path: str) -> requests.exceptions.ConnectionError:
    """What docker-py raises when nothing listens on the daemon's unix socket."""
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.", FileNotFoundError(2, "No such file or directory")
        )
    )
