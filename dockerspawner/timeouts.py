"""Awaiting with a time limit without losing a cancel.

``asyncio.wait_for`` before Python 3.12 returns the inner result when the task is cancelled in
the moment the inner awaitable finishes: the cancel is swallowed.  For a spawn that is the
user's Stop press on the pending page, lost while a readiness check's connect was being
refused — JupyterHub then answers the Stop with a 500 ("pending spawn") and the spawn goes on.
``within`` keeps the cancel: ``asyncio.timeout`` where the standard library has it (3.11+),
else a timer that cancels only the inner awaitable.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within_by_timer(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result, or ``asyncio.TimeoutError`` after ``timeout`` seconds; a cancel
    of the caller reaches the caller even when the awaitable has just finished (awaiting a task
    keeps a pending cancel, which ``wait_for``'s waiter future did not)."""
    inner = asyncio.ensure_future(awaitable)
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        inner.cancel()

    timer = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        return await inner
    except asyncio.CancelledError:
        if expired and inner.cancelled():
            raise asyncio.TimeoutError from None
        raise
    finally:
        timer.cancel()


async def within_by_context(awaitable: Awaitable[T], timeout: float) -> T:
    """The same with the standard library's ``asyncio.timeout`` (Python 3.11+), which tells its
    own cancel from the caller's."""
    async with asyncio.timeout(timeout):  # type: ignore[attr-defined,unused-ignore]  # 3.11+
        return await awaitable


within = within_by_context if sys.version_info >= (3, 11) else within_by_timer
