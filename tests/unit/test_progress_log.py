"""The spawn's event log that the progress stream follows."""

from __future__ import annotations

import asyncio

import pytest

from dockerspawner.progress import SpawnEventLog


async def waiting_step(log: SpawnEventLog, owner: object) -> asyncio.Future:
    """``owner``'s spawn reports "Creating container" to ``log``; a follower's next step, once
    the follower has sent that event and waits for a change."""
    log.report(owner, None, "Creating container")
    follower = log.follow(lambda: owner)
    assert (await follower.__anext__())["message"] == "Creating container"
    step = asyncio.ensure_future(follower.__anext__())
    for _ in range(5):  # let the step run up to its wait for a change (a few loop turns, no timer)
        await asyncio.sleep(0)
    assert not step.done()
    return step


async def test_a_step_cancelled_as_the_spawn_ends_is_cancelled_not_ended():
    # JupyterHub's iterate_until cancels the pending step when the spawn ends; the spawn's end
    # sets the log's event in the same loop turn.  The step must raise CancelledError (which
    # iterate_until expects), not end the stream (which it does not: the progress request fails)
    log, owner = SpawnEventLog(), object()
    step = await waiting_step(log, owner)
    log.finish()
    step.cancel()
    with pytest.raises(asyncio.CancelledError):
        await step


async def test_the_stream_ends_when_the_spawn_ends():
    log, owner = SpawnEventLog(), object()
    step = await waiting_step(log, owner)
    log.report(owner, 90, "Started container")
    assert (await step)["message"] == "Started container"
    log.finish()
    follower = log.follow(lambda: owner)
    assert [event["message"] async for event in follower] == ["Creating container", "Started container"]
