"""DockerSpawner driven by a real JupyterHub through its REST API, on fakedocker."""

from __future__ import annotations

import asyncio

import pytest
from jupyterhub.tests.utils import add_user, api_request, async_requests, public_host
from jupyterhub.utils import url_path_join

from dockerspawner import DockerSpawner
from dockerspawner.spec import LABEL_SERVER_NAME, LABEL_USER

_users = iter(range(1, 10_000))


def new_user(app, name: str | None = None):
    name = name or f"user{next(_users)}"
    return add_user(app.db, app, name=name)


async def wait_for_spawn(app, user, server_name: str = "", limit: float = 30) -> None:
    """Wait (polling the REST API, bounded) until the server is ready."""
    for _ in range(int(limit * 10)):
        r = await api_request(app, "users", user.name)
        r.raise_for_status()
        servers = r.json().get("servers", {})
        if servers.get(server_name, {}).get("ready"):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"server {user.name}/{server_name} did not become ready")


async def spawn(app, user, server_name: str = "", **options):
    path = ("users", user.name, "servers", server_name) if server_name else ("users", user.name, "server")
    r = await api_request(app, *path, method="post", json=options or None)
    return r


async def stop(app, user, server_name: str = ""):
    path = ("users", user.name, "servers", server_name) if server_name else ("users", user.name, "server")
    r = await api_request(app, *path, method="delete")
    r.raise_for_status()
    for _ in range(300):
        if not user.spawners[server_name].active:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("server did not stop")


async def answers_through_proxy(app, user, server_name: str = "") -> str:
    url = public_host(app) + url_path_join(user.spawners[server_name].server.base_url, "api/status")
    r = await async_requests.get(url, allow_redirects=False)
    r.raise_for_status()
    return r.text


async def test_spawn_answer_stop_default_server(hub, engine):
    user = new_user(hub)
    r = await spawn(hub, user)
    assert r.status_code in (201, 202), r.text
    await wait_for_spawn(hub, user)
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
