"""Waiting for a new server to answer HTTP before start() returns.

JupyterHub's own wait backs off up to 5 s between checks; when start() returns as the server
comes up, the hub's first check succeeds at once.  While waiting, the container is looked at
after 1 s, then at doubling gaps up to 30 s (one Docker call each: fifty servers starting at once
must not cost the daemon fifty inspects a second), so a server that dies during startup is
reported (its exit code and last log lines) instead of waited for until the timeout.

The servers waiting at once share one budget of HTTP checks (``PROBES_PER_SECOND`` for the whole
hub): each check costs the starting servers CPU (the hub's and Docker's port proxy), so one
server is checked every ``wait_for_server_interval`` seconds, fifty every 2.5 s each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from . import errors
from .process_state import STATE
from .timeouts import within

#: the first gap (seconds) before the container's own state is checked while waiting, and the
#: longest gap; each gap doubles the one before
STATUS_FIRST = 1.0
STATUS_MAX = 30.0


#: HTTP checks per second for all servers waiting in this hub process together
PROBES_PER_SECOND = 20.0


def probe_interval(interval: float, waiting: int, per_second: float = PROBES_PER_SECOND) -> float:
    """Seconds between one server's HTTP checks: ``interval``, stretched so that ``waiting``
    servers together make at most ``per_second`` checks."""
    return max(interval, waiting / per_second)


def status_gaps(first: float = STATUS_FIRST, longest: float = STATUS_MAX) -> Iterator[float]:
    """The gaps between looks at the container while waiting: 1, 2, 4, 8, 16, 30, 30, ..."""
    gap = first
    while True:
        yield gap
        gap = min(gap * 2, longest)


async def answers_http(host: str, port: int, path: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers a GET at host:port (any status counts).  A bare TCP
    connect is not enough: Docker's port proxy accepts connections before the server listens."""
    try:
        reader, writer = await within(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        line = await within(reader.readline(), timeout)
        return line.startswith(b"HTTP/")
    except (OSError, asyncio.TimeoutError):
        return False
    finally:
        writer.close()


async def wait_until_answering(ip: str, port: int, path: str, *, timeout: float, interval: float,
                               status: Callable[[], Awaitable[Any]]) -> None:
    """Return once the server answers at (ip, port, path), or ``timeout`` has passed (JupyterHub
    then decides); ``status()`` (poll's answer: None while it runs) ends the wait with an
    HTTPError carrying the report when the server stopped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    gaps = status_gaps()
    next_status = loop.time() + next(gaps)
    STATE.waiting_servers += 1  # shared by the spawners, as the Docker client is
    try:
        while loop.time() < deadline:
            if await answers_http(ip, port, path):
                return
            if loop.time() >= next_status:
                next_status = loop.time() + next(gaps)
                ended = await status()
                if ended is not None:
                    raise errors.exited_failure(ended)
            await asyncio.sleep(probe_interval(interval, STATE.waiting_servers))
    finally:
        STATE.waiting_servers -= 1
