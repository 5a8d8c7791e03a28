"""Waiting for a new server to answer HTTP before start() returns.

JupyterHub's own wait backs off up to 5 s between checks; when start() returns as the server
comes up, the hub's first check succeeds at once.  While waiting, the container is looked at
about once a second, so a server that dies during startup is reported (its exit code and last
log lines) instead of waited for until the timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tornado import web

#: how often (seconds) the container's own state is checked while waiting
STATUS_EVERY = 1.0


async def answers_http(host: str, port: int, path: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers a GET at host:port (any status counts).  A bare TCP
    connect is not enough: Docker's port proxy accepts connections before the server listens."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
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
    next_status = loop.time() + STATUS_EVERY
    while loop.time() < deadline:
        if await answers_http(ip, port, path):
            return
        if loop.time() >= next_status:
            next_status = loop.time() + STATUS_EVERY
            ended = await status()
            if ended is not None:
                raise web.HTTPError(500, ended if isinstance(ended, str) else "Your server stopped while starting")
        await asyncio.sleep(interval)
