"""The monitor fed by the daemon's event stream (poll_events, the default): polls answer from
memory with no call per interval, and stay right when servers crash or vanish, when a
spawner's own note and the stream disagree, and when the stream ends."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner

from dockerspawner import DockerSpawner
from dockerspawner.event_feed import event_state
from dockerspawner.monitor import GONE, RUNNING, Mode, Monitor, ObjectState

TOKEN = "tok-5d2e8a1c4b"
INTERVAL = 30


def _event(action: str, **attributes: str) -> dict:
    return {"Type": "container", "Action": action, "Actor": {"ID": "c1", "Attributes": attributes}}


@pytest.mark.parametrize("event, expected", [
    (_event("create"), ("c1", ObjectState("created"))),
    (_event("start"), ("c1", ObjectState(RUNNING))),
    (_event("die", exitCode="137"), ("c1", ObjectState("exited", "exit code 137"))),
    (_event("destroy"), ("c1", ObjectState(GONE))),
    (_event("pause"), ("c1", ObjectState("paused"))),
    (_event("unpause"), ("c1", ObjectState(RUNNING))),
    (_event("kill", signal="15"), None),  # its die follows
    (_event("health_status: healthy"), None),
    (_event("exec_start: sh -c true"), None),
    ({"Type": "network", "Action": "destroy", "Actor": {"ID": "n1"}}, None),
    ({"Type": "container", "Action": "start", "Actor": {}}, None),
    # a swarm manager's service events: only the removal says something of the server
    ({"Type": "service", "Action": "remove", "Actor": {"ID": "s1", "Attributes": {"name": "jupyter-a"}}},
     ("s1", ObjectState(GONE))),
    ({"Type": "service", "Action": "update", "Actor": {"ID": "s1", "Attributes": {"name": "jupyter-a"}}}, None),
    ({"Type": "service", "Action": "create", "Actor": {"ID": "s1", "Attributes": {"name": "jupyter-a"}}}, None),
])
def test_what_an_event_says_of_its_container(event, expected):
    assert event_state(event) == expected


async def started_spawners(n: int, **traits) -> list:
    """``n`` DockerSpawners as JupyterHub hands them over (polled every INTERVAL), started."""
    spawners = [handed_over_spawner(DockerSpawner, f"user{i}", "", TOKEN, image=SINGLEUSER_IMAGE,
                                    poll_interval=INTERVAL, wait_for_server_interval=0, **traits)
                for i in range(n)]
    await asyncio.gather(*(s.start() for s in spawners))
    return spawners


async def _delivered(monitor: Monitor, object_id: str, done) -> None:
    """Wait (bounded) until the stream has told the monitor of the change."""
    await monitor.wait_until(lambda: done(monitor.known(object_id)), timeout=10)


async def test_polls_answer_from_the_stream_with_no_call_per_interval(engine, clock):
    spawners = await started_spawners(20)
    engine.calls.clear()
    assert await asyncio.gather(*(s.poll() for s in spawners)) == [None] * 20
    assert engine.calls == {"events": 1, "containers": 1}  # one list, then the stream
    monitor = spawners[0].monitor
    assert monitor.mode is Mode.EVENTS
    for _ in range(3):
        clock[0] += INTERVAL + 1
        engine.calls.clear()
        assert await asyncio.gather(*(s.poll() for s in spawners)) == [None] * 20
        assert engine.calls == {}
    # a crash outside the hub reaches the view through the stream; only the dead one is asked
    engine.crash(spawners[3].object_id, exit_code=137, oom=True)
    await _delivered(monitor, spawners[3].object_id, lambda s: not s.running)
    engine.calls.clear()
    results = await asyncio.gather(*(s.poll() for s in spawners))
    assert [i for i, r in enumerate(results) if r is not None] == [3]
    assert "out of memory" in results[3]
    assert "containers" not in engine.calls
    # removed outside the hub: gone, still without a list
    victim = spawners[5]
    engine.api_client().remove_container(victim.object_id, force=True)
    await _delivered(monitor, victim.object_id, lambda s: s.state == GONE)
    engine.calls.clear()
    assert await victim.poll() == 0
    assert engine.calls == {}
    await asyncio.gather(*(s.stop() for s in spawners))


async def test_a_note_the_stream_contradicts_is_settled_by_asking_the_daemon(engine, clock):
    """The crash-just-after-start race: the stream applied the die before the spawner noted
    its start.  The disagreement makes the poll ask the daemon once, and the crash is seen."""
    (spawner,) = await started_spawners(1)
    assert await spawner.poll() is None
    monitor = spawner.monitor
    engine.crash(spawner.object_id, exit_code=1)
    await _delivered(monitor, spawner.object_id, lambda s: not s.running)
    monitor.note(spawner.object_id, ObjectState(RUNNING))  # late: older than the die
    engine.calls.clear()
    assert "exited with code 1" in await spawner.poll()
    assert engine.calls["inspect_container"] >= 1 and "containers" not in engine.calls


async def test_a_note_the_stream_has_not_caught_up_with_wins_after_asking(engine, clock):
    """stop() then poll() before the stream's die arrives: the note (stopped) disagrees with
    the view (running); asking settles it as stopped, never as running."""
    (spawner,) = await started_spawners(1)
    assert await spawner.poll() is None
    monitor = spawner.monitor
    monitor._snapshot[spawner.object_id] = ObjectState(RUNNING)  # the die not delivered yet
    engine.api_client().stop(spawner.object_id, timeout=0)
    monitor.note(spawner.object_id, ObjectState("exited", "stopped by the hub"))
    assert await spawner.poll() is not None


async def test_when_the_stream_ends_polls_list_and_follow_again(engine, clock, caplog):
    spawners = await started_spawners(3)
    assert await asyncio.gather(*(s.poll() for s in spawners)) == [None] * 3
    monitor = spawners[0].monitor
    feed = monitor._feed
    with caplog.at_level(logging.WARNING):
        feed._stream.close()  # as when the daemon restarts or the connection drops
        await monitor.wait_until(lambda: monitor.mode is Mode.LISTING, timeout=10)
    assert "event stream ended" in caplog.text
    engine.crash(spawners[1].object_id, exit_code=2)
    engine.calls.clear()
    results = await asyncio.gather(*(s.poll() for s in spawners))
    assert [r is None for r in results] == [True, False, True]
    assert engine.calls["containers"] == 1 and engine.calls["events"] == 1  # listed, followed anew
    assert monitor.mode is Mode.EVENTS and monitor._feed is not feed


async def test_a_stream_the_daemon_refuses_leaves_polls_listing(engine, clock, caplog):
    """An error answer to /events (docker-py would end such a stream without a word): the
    daemon's reason is logged, and polls list every interval until the next list follows again."""
    engine.faults.fail("events", status=500, message="injected events failure", times=1)
    spawners = await started_spawners(2)
    monitor = spawners[0].monitor
    with caplog.at_level(logging.WARNING):
        assert await asyncio.gather(*(s.poll() for s in spawners)) == [None, None]
    assert "Not following the Docker daemon's events" in caplog.text
    assert "injected events failure" in caplog.text
    assert monitor.mode is Mode.LISTING
    engine.crash(spawners[0].object_id, exit_code=4)
    clock[0] += INTERVAL + 1
    engine.calls.clear()
    results = await asyncio.gather(*(s.poll() for s in spawners))
    assert "exited with code 4" in results[0] and results[1] is None
    # listed after the interval, and followed again (the fault was for one call)
    assert engine.calls["containers"] == 1 and engine.calls["events"] == 1 and monitor.mode is Mode.EVENTS


async def test_live_views_are_listed_again_in_the_background(engine, clock):
    """Every resync_every intervals the view is listed again (the daemon may drop events for a
    slow reader); polls do not wait for it."""
    spawners = await started_spawners(2)
    assert await asyncio.gather(*(s.poll() for s in spawners)) == [None, None]
    monitor = spawners[0].monitor
    clock[0] += INTERVAL * monitor.resync_every + 1
    engine.calls.clear()
    assert await spawners[0].poll() is None  # answered at once, the list started behind it
    await monitor._refreshing
    assert engine.calls == {"containers": 1}
    assert monitor.mode is Mode.EVENTS


async def test_poll_events_false_lists_every_interval(engine, clock):
    spawners = await started_spawners(2, poll_events=False)
    for _ in range(2):
        clock[0] += INTERVAL + 1
        engine.calls.clear()
        assert await asyncio.gather(*(s.poll() for s in spawners)) == [None, None]
        assert engine.calls == {"containers": 1}
    assert spawners[0].monitor.mode is Mode.LISTING


async def test_wait_until_wakes_on_an_event_and_gives_up_after_its_timeout(engine, clock):
    (spawner,) = await started_spawners(1)
    assert await spawner.poll() is None
    monitor = spawner.monitor
    with pytest.raises(asyncio.TimeoutError):
        await monitor.wait_until(lambda: False, timeout=0.05)
    assert monitor._waiters == []
    waiting = asyncio.ensure_future(
        monitor.wait_until(lambda: not monitor.known(spawner.object_id).running, timeout=10))
    engine.crash(spawner.object_id, exit_code=1)
    await waiting
