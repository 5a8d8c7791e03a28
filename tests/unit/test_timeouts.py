"""A time limit that keeps a cancel: the user's Stop on a pending spawn is not swallowed when it
arrives as a readiness check's connect is refused (asyncio.wait_for before 3.12 loses it)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from dockerspawner import readiness, timeouts

WAYS = [timeouts.within_by_timer]
if sys.version_info >= (3, 11):
    WAYS.append(timeouts.within_by_context)


def cancelled_as_it_finishes(task_box: list[asyncio.Task], outcome: BaseException | None):
    """A coroutine function that finishes (raising ``outcome``, or returning 1) and, in the same
    step, asks for the task awaiting it to be cancelled: the cancel reaches that task between
    the inner end and its wake-up, the window where wait_for drops it."""

    async def finishing(*_args, **_kwargs):
        try:
            if outcome is not None:
                raise outcome
            return 1
        finally:
            asyncio.get_running_loop().call_soon(task_box[0].cancel)

    return finishing


async def goes_on_after(awaitable) -> str:
    """The caller's next step after the limited call (the readiness loop's pause): a kept cancel
    ends the caller there; a swallowed one lets it go on."""
    try:
        await awaitable
    except OSError:  # a refused connect is an answer too (answers_http's False)
        pass
    await asyncio.sleep(0)
    return "went on"


@pytest.mark.parametrize("within", WAYS)
@pytest.mark.parametrize("outcome", [None, ConnectionRefusedError()])
async def test_a_cancel_arriving_as_the_awaited_call_ends_is_kept(within, outcome):
    box: list[asyncio.Task] = []
    finishing = cancelled_as_it_finishes(box, outcome)
    box.append(asyncio.ensure_future(goes_on_after(within(finishing(), 5))))
    with pytest.raises(asyncio.CancelledError):
        await box[0]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps the cancel from 3.12 on")
async def test_wait_for_itself_loses_that_cancel():
    """The yardstick for the test above: the same race through asyncio.wait_for ends with the
    result, the cancel gone.  Should a Python release fix it, this fails and within can go."""
    box: list[asyncio.Task] = []
    finishing = cancelled_as_it_finishes(box, None)
    box.append(asyncio.ensure_future(goes_on_after(asyncio.wait_for(finishing(), 5))))
    assert await box[0] == "went on"


@pytest.mark.parametrize("within", WAYS)
async def test_the_limit_still_ends_a_call_that_never_returns(within):
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(asyncio.TimeoutError):
        await within(never, 0.01)
    assert never.cancelled()


@pytest.mark.parametrize("within", WAYS)
async def test_a_result_and_an_error_pass_through(within):
    async def value():
        return "answer"

    async def refused():
        raise ConnectionRefusedError

    assert await within(value(), 5) == "answer"
    with pytest.raises(ConnectionRefusedError):
        await within(refused(), 5)


async def test_the_readiness_check_keeps_a_stop_pressed_as_its_connect_is_refused(monkeypatch):
    box: list[asyncio.Task] = []
    monkeypatch.setattr(asyncio, "open_connection", cancelled_as_it_finishes(box, ConnectionRefusedError()))
    box.append(asyncio.ensure_future(goes_on_after(readiness.answers_http("127.0.0.1", 1, "/api"))))
    with pytest.raises(asyncio.CancelledError):
        await box[0]
