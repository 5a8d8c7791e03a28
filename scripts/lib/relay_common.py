"""What the loopback relays share: scripts/lib/tcp-relay.py, benchmarks/throttle_proxy.py and
benchmarks/count_proxy.py each relay every connection they accept to a new one to an upstream,
say ``listening ...`` once they accept connections and stop on SIGTERM/SIGINT.

Standard library only (tcp-relay.py runs under any python3, which finds this module next to
it); the benchmarks put scripts/lib on ``sys.path`` to import it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any


async def connect_upstream(
    opening: Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
    client_writer: asyncio.StreamWriter,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """The upstream connection ``opening`` makes (10 s at most); None, with the client's
    connection closed, when it fails or times out."""
    try:
        return await asyncio.wait_for(opening, 10)
    except (OSError, asyncio.TimeoutError):
        client_writer.close()
        return None


async def serve_until_signalled(server: asyncio.AbstractServer, listening: str) -> None:
    """Print ``listening LISTENING`` (what a caller waits for), serve until SIGTERM or SIGINT,
    then close ``server`` (open connections stay open)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening {listening}", flush=True)
    await stop.wait()
    server.close()


def run_then_exit(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main``, then exit at once: open relays do not hold the exit."""
    asyncio.run(main)
    sys.stdout.flush()
    os._exit(0)
