"""DockerSpawner driven by a real JupyterHub through its REST API, on fakedocker."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
import requests
from hub_helpers import answers_through_proxy, new_user, spawn, spawn_ready, stop, wait_for_spawn
from jupyterhub.tests.utils import add_user, auth_header, public_host
from jupyterhub.utils import url_path_join

from dockerspawner import DockerSpawner, process_state
from dockerspawner.spec import LABEL_SERVER_NAME, LABEL_USER


async def test_spawn_answer_stop_default_server(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user)
    spawner = user.spawners[""]
    assert isinstance(spawner, DockerSpawner)
    body = await answers_through_proxy(hub, user)
    assert body.endswith(f"/user/{user.name}/api/status")

    api = engine.api_client()
    info = api.inspect_container(spawner.object_id)
    assert info["Name"] == f"/jupyter-{user.name}"
    assert info["State"]["Running"] is True
    assert info["Config"]["Labels"][LABEL_USER] == user.name
    env = dict(e.split("=", 1) for e in info["Config"]["Env"])
    assert env["JUPYTERHUB_USER"] == user.name
    assert env["JUPYTER_IMAGE_SPEC"] == spawner.image
    assert "JUPYTERHUB_API_TOKEN" in env

    await stop(hub, user)
    assert api.containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"}) == []
    assert spawner.object_id is None


async def test_named_servers_get_their_own_containers(hub, engine):
    user = new_user(hub)
    for name in ("first", "second"):
        r = await spawn(hub, user, name)
        assert r.status_code in (201, 202), r.text
        await wait_for_spawn(hub, user, name)
        assert (await answers_through_proxy(hub, user, name)).endswith(f"/{name}/api/status")
    api = engine.api_client()
    names = sorted(
        (c["Names"][0], c["Labels"][LABEL_SERVER_NAME])
        for c in api.containers(filters={"label": f"{LABEL_USER}={user.name}"})
    )
    assert names == [(f"/jupyter-{user.name}--first", "first"), (f"/jupyter-{user.name}--second", "second")]
    for name in ("first", "second"):
        await stop(hub, user, name)


@pytest.mark.spawner(remove=False)
async def test_stopped_container_is_resumed_when_not_removed(hub, engine):
    user = new_user(hub)
    spawner = user.spawners[""]
    await spawn(hub, user)
    await wait_for_spawn(hub, user)
    first_id = spawner.object_id
    await stop(hub, user)
    api = engine.api_client()
    info = api.inspect_container(first_id)
    assert info["State"]["Status"] == "exited"
    assert spawner.get_state()["object_id"] == first_id
    await spawn(hub, user)
    await wait_for_spawn(hub, user)
    assert spawner.object_id == first_id
    assert api.inspect_container(first_id)["State"]["Running"] is True
    await stop(hub, user)


# allowed_images through the REST API ---------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "options", "status", "image"),
    [
        ({}, {"image": "busybox:1.30.1"}, 400, None),  # 13.0: no choice unless allowed
        ({}, {}, 201, "quay.io/jupyterhub/singleuser:test"),
        (["quay.io/jupyterhub/singleuser:test", "other:1"], {"image": "evil/miner:latest"}, 400, None),
        (["quay.io/jupyterhub/singleuser:test", "other:1"], {"image": ["other:1"]}, 400, None),
        ({"Default": "quay.io/jupyterhub/singleuser:test"}, {"image": "Default"}, 201,
         "quay.io/jupyterhub/singleuser:test"),
        ({"Default": "quay.io/jupyterhub/singleuser:test"}, {"image": "quay.io/jupyterhub/singleuser:test"},
         400, None),
    ],
)
async def test_allowed_images_via_rest_api(hub, engine, allowed, options, status, image):
    user = new_user(hub)
    user.spawners[""].allowed_images = allowed
    r = await spawn(hub, user, **options)
    if status == 400:
        assert r.status_code == 400, r.text
        assert "image" in r.json()["message"].lower()
        assert engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={user.name}"}) == []
        return
    assert r.status_code in (201, 202), r.text
    await wait_for_spawn(hub, user)
    info = engine.api_client().inspect_container(user.spawners[""].object_id)
    assert info["Config"]["Image"] == image
    await stop(hub, user)


@pytest.mark.spawner(pull_policy="never")
async def test_missing_image_with_pull_never_fails_with_a_message(hub, engine):
    user = new_user(hub)
    user.spawners[""].image = "127.0.0.1:5000/absent/image:1"
    r = await spawn(hub, user)
    assert r.status_code == 500
    assert "127.0.0.1:5000/absent/image:1 is not present" in r.json()["message"]


@pytest.mark.spawner(pull_policy="always", mem_limit="256M", cpu_limit=0.5,
                     volumes={"data-{username}-{servername}": "/home/jovyan/work"})
async def test_named_server_with_limits_volumes_and_pull(hub, engine):
    engine.registry.push("quay.io/jupyterhub/singleuser:test", config={"Cmd": ["jupyterhub-singleuser"]})
    user = new_user(hub)
    r = await spawn(hub, user, "lab")
    assert r.status_code in (201, 202), r.text
    await wait_for_spawn(hub, user, "lab")
    assert engine.calls["pull"] == 1
    api = engine.api_client()
    info = api.inspect_container(user.spawners["lab"].object_id)
    assert info["HostConfig"]["Memory"] == 256 * 1024**2
    assert (info["HostConfig"]["CpuQuota"], info["HostConfig"]["CpuPeriod"]) == (50_000, 100_000)
    assert [m["Name"] for m in info["Mounts"] if m["Type"] == "volume"] == [f"data-{user.name}-lab"]
    await stop(hub, user, "lab")


async def test_hub_restart_reattaches_running_servers(engine, hub_config, tmp_path, monkeypatch):
    """State survives a hub restart: the new hub finds the container running and can stop it."""
    from jupyterhub.tests.mocking import MockHub

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTERHUB_TEST_DB_URL", f"sqlite:///{tmp_path}/hub.sqlite")
    hub_config.ConfigurableHTTPProxy.should_start = False
    hub_config.ConfigurableHTTPProxy.auth_token = "unused"
    hubs = []

    async def stop_hub(app):
        result = app.stop()  # async from JupyterHub 6, plain before
        if inspect.isawaitable(result):
            await result

    async def new_hub():
        process_state.reset()  # a new hub process starts with no view of the daemon
        app = MockHub(test_clean_db=False, config=hub_config)
        hubs.append(app)
        await app.initialize([])
        return app

    try:
        first = await new_hub()
        user = add_user(first.db, first, name="restartme")
        await user.spawn()
        container_id = user.spawners[""].object_id
        first.cleanup_servers = False
        await stop_hub(first)
        assert engine.api_client().inspect_container(container_id)["State"]["Running"] is True

        second = await new_hub()
        user = second.users["restartme"]
        assert user.running
        spawner = user.spawners[""]
        assert spawner.object_id == container_id
        assert await spawner.poll() is None
        await user.stop()
        assert engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}=restartme"}) == []

        # a container removed while the hub is down is noticed on the next start
        third_user = add_user(second.db, second, name="vanishes")
        await third_user.spawn()
        gone = third_user.spawners[""].object_id
        second.cleanup_servers = False
        await stop_hub(second)
        engine.api_client().remove_container(gone, force=True)
        third = await new_hub()
        assert not third.users["vanishes"].running
    finally:
        for app in hubs:
            app.log.handlers = []
            await stop_hub(app)


# progress -------------------------------------------------------------------------------------


def _read_progress(response) -> list[dict]:
    events = []
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data:"):
            events.append(json.loads(line[5:]))
            if events[-1].get("ready") or events[-1].get("failed"):
                break
    response.close()
    return events


@pytest.mark.spawner(pull_policy="always")
async def test_progress_event_stream_shows_the_pull_then_the_stages(hub, engine):
    engine.transitions.mode = "timer"  # pulls take time, at the registry's bandwidth
    engine.registry.bandwidth = 40_000_000  # bytes/s: a 60 MB image pulls in about 1.5 s
    engine.registry.push("quay.io/jupyterhub/singleuser:test", config={"Cmd": ["jupyterhub-singleuser"]},
                         size=60_000_000, layers=3)
    user = new_user(hub)
    requested = asyncio.ensure_future(spawn(hub, user))
    for _ in range(100):  # bounded: until the hub says the spawn is pending
        if user.spawners[""].pending == "spawn":
            break
        await asyncio.sleep(0.02)
    url = public_host(hub) + url_path_join(hub.hub.base_url, "api/users", user.name, "server/progress")
    headers = auth_header(hub.db, "admin")

    def read_stream() -> list[dict]:
        # its own thread: the test helpers' request pool is busy with the pending spawn request
        response = requests.get(url, headers=headers, stream=True, timeout=60)
        assert response.status_code == 200
        return _read_progress(response)

    events = await asyncio.to_thread(read_stream)
    messages = [e["message"] for e in events]
    pulling = [e for e in events if e["message"].startswith("Pulling image quay.io/jupyterhub/singleuser:test:")]
    assert any(5 < e["progress"] < 65 for e in pulling), messages  # part-way through the pull
    assert [e["progress"] for e in pulling] == sorted(e["progress"] for e in pulling)
    assert "60.0 MB" in pulling[-1]["message"]
    stages = [m for m in messages if m.startswith(("Creating", "Starting", "Waiting"))]
    assert stages == [f"Creating container jupyter-{user.name}", f"Starting container jupyter-{user.name}",
                      "Waiting for the server to answer"]
    assert events[-1]["ready"] is True
    assert (await requested).status_code in (201, 202)
    await wait_for_spawn(hub, user)
    await stop(hub, user)
