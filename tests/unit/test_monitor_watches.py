"""JupyterHub's start_polling(), answered by the shared monitor: the hub hears of a server that
stopped (an event, the swarm's changes call, or a list says so) without a poll of every server
every interval."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner, new_user, spawn_ready, stop, until
from jupyterhub.tests.utils import api_request
from test_monitor_events import INTERVAL, TOKEN, started_spawners
from test_swarmspawner import make_spawner, swarm_engine  # noqa: F401  (a fixture)
from tornado.ioloop import PeriodicCallback

from dockerspawner import DockerSpawner
from dockerspawner.monitor import Mode, Watch


async def _until_stopped(hub, user) -> None:
    """Wait (bounded) until JupyterHub took the server for stopped; its REST API says so too."""
    spawner = user.spawners[""]
    await until(lambda: not spawner.active, "the hub to hear that the server stopped")
    r = await api_request(hub, "users", user.name)
    assert r.json().get("servers") == {}


async def test_jupyterhub_hears_of_a_crash_through_the_monitor(hub, engine):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    # JupyterHub called start_polling(): the monitor watches the server, no timer per server
    assert isinstance(spawner._poll_callback, Watch)
    assert spawner.monitor._watches[spawner.object_id] is spawner._poll_callback
    container_id = spawner.object_id
    engine.crash(container_id, exit_code=137, oom=True)
    await _until_stopped(hub, user)
    assert not spawner.active
    assert container_id not in spawner.monitor._watches  # JupyterHub's stop_polling()
    # remove=True: what was left of it is removed, and the next spawn is told why it ended
    assert engine.api_client().containers(all=True, filters={"id": container_id}) == []
    assert spawner._previous_exit.startswith("Your server's container exited with code 137 (killed: out of memory)")


async def test_a_server_stopped_through_the_hub_is_no_longer_watched(hub, engine):
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    monitor = spawner.monitor
    await stop(hub, user)
    assert spawner._poll_callback is None
    assert monitor._watches == {}


@pytest.mark.spawner(cls="SwarmSpawner", poll_interval=1)
async def test_jupyterhub_hears_of_a_failed_task_through_the_changes_call(hub, engine):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    spawner = await spawn_ready(hub, user)
    assert isinstance(spawner._poll_callback, Watch)
    service_id = spawner.object_id
    engine.swarm.fail_task(service_id, exit_code=3)
    await _until_stopped(hub, user)
    assert spawner._previous_exit == "service failed: task: non-zero exit (3)"
    assert engine.api_client().services(filters={"id": service_id}) == []


def _heard(spawners: list) -> list[int]:
    """start_polling() on each, as JupyterHub does; which of them JupyterHub is told stopped."""
    heard: list[int] = []
    for i, spawner in enumerate(spawners):
        spawner.add_poll_callback(heard.append, i)
        spawner.start_polling()
    return heard


async def test_a_listing_monitor_tells_the_stopped_ones_with_one_call_an_interval(engine, clock):
    spawners = await started_spawners(10, poll_events=False)
    heard = _heard(spawners)
    monitor = spawners[0].monitor
    assert len(monitor._watches) == 10
    engine.crash(spawners[4].object_id, exit_code=1)
    clock[0] += INTERVAL
    engine.calls.clear()
    await monitor.keep_current()
    await until(lambda: heard, "the crashed server's poll_and_notify")
    assert heard == [4]
    # the list, then the dead one's own look at its logs and its removal: nothing per running server
    assert engine.calls["containers"] == 1
    assert "inspect_container" not in engine.calls or engine.calls["inspect_container"] <= 2
    assert spawners[4]._poll_callback is None
    assert len(monitor._watches) == 9
    engine.calls.clear()
    await monitor.keep_current()  # within the same interval: nothing to do
    assert engine.calls == {}


async def test_an_event_fed_monitor_needs_no_call_in_an_interval(engine, clock):
    spawners = await started_spawners(5)
    heard = _heard(spawners)
    monitor = spawners[0].monitor
    await spawners[0].poll()  # the first list, and the stream followed
    assert monitor.mode is Mode.EVENTS
    for _ in range(3):
        clock[0] += INTERVAL
        engine.calls.clear()
        await monitor.keep_current()
        assert engine.calls == {}
    engine.api_client().remove_container(spawners[2].object_id, force=True)
    await until(lambda: heard, "the removed server's poll_and_notify")
    assert heard == [2]
    # the background resync after 10 intervals is the only list
    clock[0] += INTERVAL * 10
    engine.calls.clear()
    await monitor.keep_current()
    assert engine.calls == {"containers": 1}
    assert heard == [2]


async def test_a_subclass_with_its_own_poll_is_polled_by_jupyterhub(engine):
    class IdleCulling(DockerSpawner):
        async def poll(self):
            return await super().poll()

    [spawner] = [handed_over_spawner(IdleCulling, "carol", "", TOKEN, image=SINGLEUSER_IMAGE,
                                     wait_for_server_interval=0)]
    await spawner.start()
    spawner.start_polling()
    try:
        assert isinstance(spawner._poll_callback, PeriodicCallback)
    finally:
        spawner.stop_polling()
        await spawner.stop()


async def test_a_poll_set_on_the_object_or_a_wrapper_is_seen_and_said(engine, caplog):
    """Found by review: only a class's poll() was recognised, by identity, and silently."""
    class Wrapping(DockerSpawner):
        async def poll(self):
            return await super().poll()

    class WrappingOnly(Wrapping):
        monitor_answers_poll = True  # its poll() only wraps ours: keep the shared monitor

    async def own_poll():
        return None

    made = [handed_over_spawner(cls, f"wrap{i}", "", TOKEN, image=SINGLEUSER_IMAGE, wait_for_server_interval=0)
            for i, cls in enumerate((Wrapping, WrappingOnly, DockerSpawner))]
    made[2].poll = own_poll  # e.g. set by a pre_spawn_hook
    await asyncio.gather(*(s.start() for s in made))
    try:
        with caplog.at_level(logging.INFO):
            for spawner in made:
                spawner.start_polling()
        timer, watched, per_object = (s._poll_callback for s in made)
        assert isinstance(timer, PeriodicCallback) and isinstance(per_object, PeriodicCallback)
        assert isinstance(watched, Watch)
        told = [r.getMessage() for r in caplog.records if "has a poll() of its own" in r.getMessage()]
        assert told[0].startswith("Wrapping has a poll() of its own")  # said once per class
        assert not any(m.startswith("WrappingOnly") for m in told)
    finally:
        for spawner in made:
            spawner.stop_polling()
            await spawner.stop()


async def test_swarm_interval_is_one_small_call_and_a_second_only_for_changes(make_spawner, clock):  # noqa: F811
    engine = swarm_engine()
    spawners = [make_spawner(engine, f"user{i}", poll_interval=INTERVAL) for i in range(6)]
    await asyncio.gather(*(s.start() for s in spawners))
    heard = _heard(spawners)
    ids = [s.object_id for s in spawners]
    monitor = spawners[0].monitor
    await spawners[0].poll()  # the first list
    assert monitor.mode is Mode.EVENTS
    counted = engine.api_client()
    calls: list[dict] = []
    original = engine.swarm.list_tasks

    def list_tasks(filters):
        calls.append(filters)
        return original(filters)

    engine.swarm.list_tasks = list_tasks
    clock[0] += INTERVAL
    await monitor.keep_current()
    assert calls == [{"label": ["org.jupyter.hub.managed-by=dockerspawner"],
                      "desired-state": ["shutdown", "remove"]}]
    assert heard == []
    # a task that fails: the interval's call shows it, a second call asks for its service's tasks
    engine.swarm.fail_task(ids[1], exit_code=2)
    calls.clear()
    clock[0] += INTERVAL
    await monitor.keep_current()
    await until(lambda: heard == [1], "the failed server's poll_and_notify")
    assert calls[0]["desired-state"] == ["shutdown", "remove"]
    assert calls[1] == {"service": [ids[1]]}
    assert spawners[1]._previous_exit == "service failed: task: non-zero exit (2)"
    # a service removed outside the hub: the manager's service event tells at once
    counted.remove_service(ids[3])
    await until(lambda: heard == [1, 3], "the removed server's poll_and_notify")
    assert await spawners[3].poll() == 0
    for spawner in spawners:
        spawner.stop_polling()


async def test_the_changes_call_asks_each_service_when_one_of_them_is_gone():
    from docker.errors import NotFound

    from dockerspawner.monitor import GONE, RUNNING_STATE, ObjectState
    from dockerspawner.swarm_tasks import ServiceView

    failed = {"ID": "t1", "ServiceID": "s1", "DesiredState": "shutdown", "CreatedAt": "1",
              "Status": {"State": "failed", "Err": "task: non-zero exit (1)"}}
    removed = {"ID": "t2", "ServiceID": "s2", "DesiredState": "remove", "CreatedAt": "1",
               "Status": {"State": "running"}}
    old = {"ID": "t3", "ServiceID": "s3", "DesiredState": "shutdown", "CreatedAt": "1",
           "Status": {"State": "failed"}}
    asked: list[tuple] = []

    class Answers(ServiceView):
        def __init__(self):
            pass

        async def _call(self, method, *args, **kwargs):
            asked.append((method, kwargs.get("filters"), *args))
            if method == "tasks" and "desired-state" in kwargs["filters"]:
                return [failed, removed, old]
            if method == "tasks" and isinstance(kwargs["filters"]["service"], list):
                raise NotFound("service s2 not found")
            if method == "inspect_service" and args == ("s2",):
                raise NotFound("service s2 not found")
            if method == "inspect_service":
                return {"ID": args[0]}
            return [failed]

    known = {"s1": RUNNING_STATE, "s2": RUNNING_STATE, "s3": ObjectState("failed")}
    changed = await Answers().changed_states(known)
    # s3 was known ended already: not asked again
    assert changed == {"s1": ObjectState("failed", "task: non-zero exit (1)"), "s2": ObjectState(GONE)}
    assert sorted(asked[1][1]["service"]) == ["s1", "s2"]


async def test_an_invalidated_swarm_view_lists_first_when_its_stream_ends(make_spawner, clock, caplog):  # noqa: F811
    """The stream's end turns a current swarm view over to the changes call, but a view the
    spawner invalidated stays listing: its next answer is a list, not the changes call on top
    of a snapshot nobody trusts."""
    engine = swarm_engine()
    spawners = [make_spawner(engine, f"user{i}", poll_interval=INTERVAL) for i in range(2)]
    await asyncio.gather(*(s.start() for s in spawners))
    monitor = spawners[0].monitor
    await spawners[0].poll()
    feed = monitor._feed
    assert monitor.mode is Mode.EVENTS and feed is not None
    monitor.invalidate()
    with caplog.at_level(logging.WARNING):
        feed._stream.close()
        await until(lambda: monitor._feed is None, "the stream's end")
    assert monitor.mode is Mode.LISTING
    engine.calls.clear()
    assert await spawners[1].poll() is None
    assert engine.calls["services"] == 1  # listed again
    assert monitor.mode is Mode.EVENTS  # and followed anew
    for spawner in spawners:
        spawner.stop_polling()


async def test_swarm_view_stays_current_when_its_service_events_end(make_spawner, clock, caplog):  # noqa: F811
    import logging

    engine = swarm_engine()
    spawners = [make_spawner(engine, f"user{i}", poll_interval=INTERVAL) for i in range(3)]
    await asyncio.gather(*(s.start() for s in spawners))
    heard = _heard(spawners)
    monitor = spawners[0].monitor
    await spawners[0].poll()
    feed = monitor._feed
    assert monitor.mode is Mode.EVENTS and feed is not None
    with caplog.at_level(logging.WARNING):
        feed._stream.close()  # as when the daemon restarts or the connection drops
        await until(lambda: monitor._feed is None, "the stream's end")
    assert "following it again at the next list" in caplog.text
    assert monitor.mode is Mode.CHANGES  # the changes call still keeps the view
    engine.swarm.fail_task(spawners[2].object_id, exit_code=5)
    clock[0] += INTERVAL
    await monitor.keep_current()
    await until(lambda: heard == [2], "the failed server's poll_and_notify")
    # the resync lists and follows the stream again
    clock[0] += INTERVAL * monitor.resync_every
    await monitor.keep_current()
    assert monitor.mode is Mode.EVENTS and monitor._feed is not None and monitor._feed is not feed
    for spawner in spawners:
        spawner.stop_polling()
