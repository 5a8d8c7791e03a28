"""A spawn the user stops while it is pending leaves nothing behind (JupyterHub 6's Stop button on
the pending page; a DELETE during a spawn on any JupyterHub): JupyterHub cancels the spawn, waits
a second and calls poll() and stop().  A Docker call already running in its thread when the
cancel comes (a create, a start) still finishes there; what it made is removed all the same, and
the next spawn works at once.

Each step is held through JupyterHub's own REST API: ``engine.faults.hold`` keeps a call in
flight until the test releases it, manual transitions keep a swarm task from running.
"""

from __future__ import annotations

import asyncio
import logging

import jupyterhub
import pytest
import requests
from hub_helpers import new_user, spawn_ready, stop, until
from jupyterhub.tests.utils import api_request, auth_header, public_host
from jupyterhub.utils import url_path_join

from dockerspawner.spec import LABEL_USER

REGISTRY_IMAGE = "127.0.0.1:5000/team/notebook:2"

pytestmark = pytest.mark.skipif(jupyterhub.version_info < (5,), reason=(
    "JupyterHub 4.1 does not stop a pending spawn: it answers 400 'pending spawn, please wait' "
    "(5.x and 6.x cancel it)"))


def objects_of(engine, user) -> list:
    api = engine.api_client()
    found = api.containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"})
    if api.info()["Swarm"]["LocalNodeState"] == "active":
        found += api.services(filters={"label": f"{LABEL_USER}={user.name}"})
    return found


async def cancel_while(hub, engine, user, held: str | None, *, reached=None, what: str = ""):
    """POST a spawn; once ``reached()`` (default: the held call is in flight), DELETE the server
    as the Stop button does; then let the held call finish.  Waits until JupyterHub is done
    with the server."""
    spawner = user.spawners[""]
    before = engine.calls.get(held, 0) if held else 0
    posted = asyncio.ensure_future(post_spawn(hub, user))
    if reached is None:
        await until(lambda: engine.calls.get(held, 0) > before, f"{held} to be in flight")
    else:
        await until(reached, what)
    assert spawner.pending == "spawn"
    # JupyterHub cancels the spawn, waits a second, then polls and stops the server, and answers
    # the DELETE once the stop is done or slow_stop_timeout has passed: the held call finishes
    # only after that answer, i.e. after JupyterHub's poll and stop had their look
    hub.tornado_application.settings["slow_stop_timeout"] = 0.2
    r = await api_request(hub, "users", user.name, "server", method="delete")
    assert r.status_code in (202, 204), r.text
    if held:
        engine.faults.release(held)
    await posted
    await until(lambda: not spawner.active and not spawner.pending, "the server to be stopped")


async def post_spawn(hub, user) -> requests.Response:
    """The spawn request, in a thread of its own: it is answered only when the spawn ends, and
    the test helpers' one request thread must stay free for the DELETE."""
    url = public_host(hub) + url_path_join(hub.hub.base_url, "api/users", user.name, "server")
    headers = auth_header(hub.db, "admin")
    return await asyncio.to_thread(requests.post, url, headers=headers, timeout=120)


def no_tracebacks(lines) -> None:
    ours = [r.getMessage() for r in lines.records if r.exc_info and "dockerspawner" in r.pathname]
    assert ours == []


@pytest.mark.parametrize("held", ["create_container", "start", "create_volume"])
@pytest.mark.parametrize("remove", [True, False])
async def test_a_call_in_flight_when_the_spawn_is_cancelled_leaves_nothing(hub, engine, lines, held, remove):
    user = new_user(hub)
    user.spawners[""].remove = remove
    user.spawners[""].volumes = {"home-{username}": "/home/jovyan"}  # a create_volume call too
    engine.faults.hold(held)
    await cancel_while(hub, engine, user, held)
    assert objects_of(engine, user) == []
    assert any("the spawn of" in m and "was cancelled" in m for m in (r.getMessage() for r in lines.records)) \
        or held == "create_volume"  # nothing was made yet to remove
    no_tracebacks(lines)
    spawner = await spawn_ready(hub, user)  # at once, with nothing in the way
    assert [c["Id"] for c in objects_of(engine, user)] == [spawner.object_id]
    await stop(hub, user)


@pytest.mark.spawner(pull_policy="always", image=REGISTRY_IMAGE)
async def test_a_spawn_cancelled_while_pulling_leaves_nothing(hub, engine, lines):
    from conftest import SINGLEUSER_CONFIG, SINGLEUSER_RUNTIME

    engine.registry.push(REGISTRY_IMAGE, config=SINGLEUSER_CONFIG)
    engine.set_runtime(REGISTRY_IMAGE, SINGLEUSER_RUNTIME)
    user = new_user(hub)
    engine.faults.hold("pull")
    await cancel_while(hub, engine, user, "pull")
    assert objects_of(engine, user) == []
    no_tracebacks(lines)
    await spawn_ready(hub, user)
    await stop(hub, user)


@pytest.mark.spawner(image="busybox:1.30.1", cmd=["sleep", "600"], http_timeout=120)
async def test_a_spawn_cancelled_while_waiting_for_the_server_leaves_nothing(hub, engine, lines):
    """The container runs, but its server never answers; the user stops the spawn."""
    user = new_user(hub)
    spawner = user.spawners[""]
    await cancel_while(hub, engine, user, None, what="the spawn to wait for the server",
                       reached=lambda: spawner.progress_log.last_message == "Waiting for the server to answer")
    assert objects_of(engine, user) == []
    no_tracebacks(lines)


@pytest.mark.spawner(remove=False)
async def test_a_kept_container_being_resumed_is_stopped_and_kept(hub, engine, lines):
    """remove = False: a stopped container the spawn was resuming is the user's; a cancel
    stops it (JupyterHub's stop()) and keeps it for the next start."""
    user = new_user(hub)
    first = await spawn_ready(hub, user)
    kept = first.object_id
    await stop(hub, user)
    engine.faults.hold("start")
    await cancel_while(hub, engine, user, "start")
    [container] = objects_of(engine, user)
    assert container["Id"] == kept and container["State"] != "running"
    spawner = await spawn_ready(hub, user)
    assert spawner.object_id == kept
    await stop(hub, user)


@pytest.mark.spawner(cls="SwarmSpawner")
async def test_a_service_created_as_the_spawn_is_cancelled_is_removed(hub, engine, lines):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    engine.faults.hold("create_service")
    await cancel_while(hub, engine, user, "create_service")
    assert objects_of(engine, user) == []
    no_tracebacks(lines)


@pytest.mark.spawner(cls="SwarmSpawner")
async def test_a_service_whose_task_is_pending_is_removed(hub, engine, lines, caplog):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    engine.transitions.mode = "manual"  # the task stays new until the test steps it
    user = new_user(hub)
    spawner = user.spawners[""]
    with caplog.at_level(logging.INFO):
        await cancel_while(hub, engine, user, None, what="the service to wait for its task",
                           reached=lambda: bool(spawner.object_id) and engine.api_client().services() != [])
    engine.transitions.settle()
    assert objects_of(engine, user) == []  # the service, and with it its task's container
    no_tracebacks(lines)
