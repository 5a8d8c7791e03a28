"""What users and admins see: honest errors, labels, stale-container replacement, secrets kept
out of logs, and volume clean-up on delete_forever."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner, new_user, spawn
from jupyterhub.objects import Hub, Server
from tornado import web

from dockerspawner import DockerSpawner, process_state
from dockerspawner.spec import LABEL_CONFIG, LABEL_USER

TOKEN = "tok-0f1e2d3c4b5a69788796a5b4"


@pytest.fixture
def make_spawner(engine):
    def make(username: str = "alice", server_name: str = "", orm_user=None, **traits):
        traits.setdefault("image", SINGLEUSER_IMAGE)
        return handed_over_spawner(DockerSpawner, username, server_name, TOKEN, orm_user=orm_user, **traits)

    return make


# labels ------------------------------------------------------------------------------------------


async def test_containers_and_volumes_carry_labels(make_spawner, engine):
    spawner = make_spawner("dana", server_name="lab", extra_labels={"team": "{raw_username}-team", "cost": "42"},
                           volumes={"work-{username}-{servername}": "/home/jovyan/work"})
    await spawner.start()
    api = engine.api_client()
    labels = api.inspect_container(spawner.object_id)["Config"]["Labels"]
    assert labels["team"] == "dana-team" and labels["cost"] == "42"
    assert labels["org.jupyter.hub.server-name"] == "lab"
    assert labels["org.jupyter.hub.managed-by"] == "dockerspawner"
    volume = api.inspect_volume("work-dana-lab")
    assert volume["Labels"][LABEL_USER] == "dana" and volume["Labels"]["team"] == "dana-team"
    assert [v["Name"] for v in api.volumes(filters={"label": f"{LABEL_USER}=dana"})["Volumes"]] == ["work-dana-lab"]
    assert [c["Id"] for c in api.containers(filters={"label": "team=dana-team"})] == [spawner.object_id]
    await spawner.stop()


# stale containers ----------------------------------------------------------------------------------


async def test_a_stopped_container_is_resumed_only_if_it_still_matches(make_spawner, engine, caplog):
    spawner = make_spawner(remove=False, mem_limit="1G", volumes={"home-{username}": "/home/jovyan"})
    await spawner.start()
    first = spawner.object_id
    assert engine.api_client().inspect_container(first)["Config"]["Labels"][LABEL_CONFIG].startswith("image=")
    await spawner.stop()
    await spawner.start()  # nothing changed: the same container
    assert spawner.object_id == first
    await spawner.stop()

    spawner.mem_limit = "2G"
    with caplog.at_level(logging.INFO):
        await spawner.start()
    assert spawner.object_id != first
    assert "Replacing container jupyter-alice for alice: the configuration changed (limits)" in caplog.text
    api = engine.api_client()
    assert api.inspect_container(spawner.object_id)["HostConfig"]["Memory"] == 2 * 1024**3
    assert api.inspect_volume("home-alice")  # data kept
    await spawner.stop()

    second = spawner.object_id
    spawner.volumes = {"home-{username}": "/home/jovyan", "scratch-{username}": "/scratch"}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await spawner.start()
    assert "the configuration changed (volumes)" in caplog.text
    assert spawner.object_id != second
    await spawner.stop()


async def test_image_change_replaces_and_says_so(make_spawner, engine, caplog):
    engine.add_image("quay.io/jupyterhub/singleuser:next", config={"Cmd": ["jupyterhub-singleuser"]})
    spawner = make_spawner(remove=False)
    await spawner.start()
    await spawner.stop()
    spawner.image = "quay.io/jupyterhub/singleuser:next"
    with caplog.at_level(logging.INFO):
        await spawner.start()
    assert "image (quay.io/jupyterhub/singleuser:test -> quay.io/jupyterhub/singleuser:next)" in caplog.text
    await spawner.stop()


# errors ----------------------------------------------------------------------------------------------


async def test_container_that_exits_during_startup(make_spawner, caplog):
    spawner = make_spawner(image="busybox:1.30.1", cmd=["sh", "-c", "echo starting; echo config is broken >&2; exit 3"])
    with caplog.at_level(logging.INFO), pytest.raises(web.HTTPError) as err:
        await spawner.start()
    message = err.value.log_message
    assert message.startswith("Your server's container exited during startup with code 3")
    assert "config is broken" in message
    assert "Traceback" not in caplog.text
    spawner._spawn_pending = True  # what JupyterHub's poll during a pending spawn sees
    assert "exited during startup with code 3" in await spawner.poll()


async def test_daemon_unreachable_names_the_socket(make_spawner, engine, caplog):
    spawner = make_spawner()
    engine.faults.daemon_down()
    with caplog.at_level(logging.ERROR), pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 503
    assert "unix:///var/run/docker.sock" in err.value.log_message
    assert "Traceback" not in caplog.text
    assert await spawner.poll() is None  # a poll never declares a server dead on a daemon outage
    engine.faults.daemon_up()


async def test_exit_during_startup_reaches_the_spawn_api(hub, engine):
    user = new_user(hub)
    spawner = user.spawners[""]
    spawner.image = "busybox:1.30.1"
    spawner.cmd = ["sh", "-c", "echo no jupyterhub here >&2; exit 127"]
    r = await spawn(hub, user)
    assert r.status_code == 500
    assert "exited during startup with code 127" in r.json()["message"]
    assert "no jupyterhub here" in r.json()["message"]


async def test_no_secret_reaches_a_log(make_spawner, caplog):
    spawner = make_spawner(environment={"DB_PASSWORD": "hunter2-db", "PLAIN": "visible"})
    with caplog.at_level(logging.DEBUG):
        await spawner.start()
        await spawner.poll()
        await spawner.stop()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text and "hunter2-db" not in text
    assert '"DB_PASSWORD": "<redacted>"' in text and '"JUPYTERHUB_API_TOKEN": "<redacted>"' in text
    assert '"PLAIN": "visible"' in text


# delete_forever -----------------------------------------------------------------------------------


async def test_delete_forever_keeps_data_by_default(make_spawner, engine):
    spawner = make_spawner(volumes={"home-{username}": "/home/jovyan"})
    await spawner.start()
    await spawner.stop()
    await spawner.delete_forever()
    assert engine.api_client().inspect_volume("home-alice")


async def test_delete_forever_removes_volumes_but_not_shared_ones(make_spawner, engine):
    volumes = {"home-{username}": "/home/jovyan", "scratch-{username}-{servername}": "/scratch"}
    orm_user = SimpleNamespace(orm_spawners={"a": object(), "b": object()})
    a = make_spawner("eve", server_name="a", orm_user=orm_user, remove_volumes_on_delete=True, volumes=volumes)
    b = make_spawner("eve", server_name="b", orm_user=orm_user, remove_volumes_on_delete=True, volumes=volumes)
    for spawner in (a, b):
        await spawner.start()
        await spawner.stop()
    api = engine.api_client()
    await a.delete_forever()  # b still uses home-eve
    names = {v["Name"] for v in api.volumes()["Volumes"]}
    assert "scratch-eve-a" not in names and {"home-eve", "scratch-eve-b"} <= names
    del orm_user.orm_spawners["a"]
    await b.delete_forever()  # the last server: the shared volume goes too
    names = {v["Name"] for v in api.volumes()["Volumes"]}
    assert not names & {"home-eve", "scratch-eve-b", "scratch-eve-a"}


# security ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("good", ["busybox", "busybox:1.36", "127.0.0.1:5000/team/nb:2", "quay.io/a/b-c_d.e:v1.2-x",
                                  "docker.io/library/python@sha256:" + "a" * 64])
async def test_valid_references_pass_when_any_image_is_allowed(make_spawner, good):
    spawner = make_spawner(allowed_images="*")
    spawner.user_options = {"image": good}
    await spawner._apply_image_option()
    assert spawner.image == good


async def test_no_new_privileges_option(make_spawner, engine):
    spawner = make_spawner(no_new_privileges=True, extra_host_config={"security_opt": ["apparmor=unconfined"]})
    await spawner.start()
    info = engine.api_client().inspect_container(spawner.object_id)
    assert info["HostConfig"]["SecurityOpt"] == ["apparmor=unconfined", "no-new-privileges"]
    assert info["HostConfig"]["Privileged"] is False
    await spawner.stop()


async def test_tls_handshake_failure_is_named(caplog):
    """A daemon address that does not speak TLS (here: a plain HTTP server on loopback)."""
    import http.server
    import threading


    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.RequestHandlerClass.log_message = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"https://127.0.0.1:{server.server_address[1]}"
    process_state.reset()
    user = SimpleNamespace(name="tls", url="/user/tls/", escaped_name="tls")
    spawner = DockerSpawner(user=user, hub=Hub(ip="127.0.0.1", port=8081),
                            orm_spawner=SimpleNamespace(name="", server=None),
                            client_kwargs={"base_url": address}, tls_config={"verify": True})
    spawner.api_token = TOKEN
    spawner.server = Server(base_url="/user/tls/")
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(web.HTTPError) as err:
            await spawner.start()
    finally:
        server.shutdown()
        process_state.reset()
    assert err.value.status_code == 503
    assert err.value.log_message.startswith(f"TLS handshake with the Docker daemon at {address} failed:")
    assert "Traceback" not in caplog.text


async def test_a_spawn_resolves_its_request_once(make_spawner, engine):
    """Callable settings run once per spawn, so the replacement check and the container made
    agree even when a callable answers differently each time."""
    calls = []

    def numbered(spawner):
        calls.append(1)
        return str(len(calls))

    spawner = make_spawner(remove=False, environment={"SPAWN": numbered})
    await spawner.start()
    assert len(calls) == 1
    await spawner.stop()
    spawner.mem_limit = "2G"  # the kept container must be replaced
    await spawner.start()
    assert len(calls) == 2  # one for this spawn's check and create together
    env = engine.api_client().inspect_container(spawner.object_id)["Config"]["Env"]
    assert "SPAWN=2" in env
    await spawner.stop()
