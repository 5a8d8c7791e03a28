"""What an admin switching from the reference DockerSpawner (PyPI 14.0.0) keeps: each difference
the reference differential found, driven through a real JupyterHub the way it calls spawners —
the REST API, no stop() after poll() reported a dead server, the progress stream opened before
start(), a new spawner object (state from the database) for every spawn after a stop."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from types import SimpleNamespace

import pytest
from conftest import SINGLEUSER_IMAGE, SINGLEUSER_RUNTIME
from hub_helpers import (
    handed_over_spawner,
    new_user,
    read_progress,
    spawn,
    spawn_ready,
    stop,
    until,
    wait_for_spawn,
)
from jupyterhub.tests.utils import api_request, async_requests, public_host
from jupyterhub.utils import iterate_until, url_path_join
from singleuser import host_service_url
from traitlets import TraitError
from traitlets.config import Config

from dockerspawner import DockerSpawner
from dockerspawner.spec import LABEL_USER
from fakedocker.runtime import HostProcessRuntime

TOKEN = "tok-0d6f3a9b2c71"


@pytest.fixture
def make_spawner(engine):
    """A spawner as JupyterHub hands it over (user, hub, server, token), without a hub."""

    def make(username: str = "alice", server_name: str = "", **traits) -> DockerSpawner:
        traits.setdefault("image", SINGLEUSER_IMAGE)
        return handed_over_spawner(DockerSpawner, username, server_name, TOKEN, **traits)

    return make


def containers_of(engine, name: str) -> list[dict]:
    return engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}={name}"})


async def failed_spawn_message(hub, engine) -> str:
    """A new user's spawn, which must fail (HTTP 500) and leave no container of theirs
    (JupyterHub's cleanup removes it, remove=True): the message the user is shown."""
    user = new_user(hub)
    r = await spawn(hub, user)
    assert r.status_code == 500
    assert containers_of(engine, user.name) == []
    return r.json()["message"]


def env_of(engine, container_id: str) -> dict[str, str]:
    info = engine.api_client().inspect_container(container_id)
    return dict(entry.split("=", 1) for entry in info["Config"]["Env"])


# 1. callable limits ---------------------------------------------------------------------------------

SEEN_BY_HOOK: dict[str, tuple] = {}


def per_user_mem_limit(spawner):
    return {"limits-alice": "2G"}.get(spawner.user.name, "1G")


def per_user_cpu_limit(spawner):
    return {"limits-alice": 1.5}.get(spawner.user.name, 1)


def hook_reads_limits(spawner):
    SEEN_BY_HOOK[spawner.user.name] = (spawner.mem_limit, spawner.cpu_limit)


@pytest.mark.spawner(mem_limit=per_user_mem_limit, cpu_limit=per_user_cpu_limit,
                     pre_spawn_hook=hook_reads_limits, remove=False)
async def test_callable_limits_are_this_servers_values(hub, engine, lines):
    user = new_user(hub, "limits-alice")
    await spawn_ready(hub, user)
    first = user.spawners[""].object_id
    assert SEEN_BY_HOOK["limits-alice"] == (2 * 1024**3, 1.5)  # a hook reads values, as in the reference
    env = env_of(engine, first)
    assert (env["MEM_LIMIT"], env["CPU_LIMIT"]) == (str(2 * 1024**3), "1.5")
    host = engine.api_client().inspect_container(first)["HostConfig"]
    assert (host["Memory"], host["CpuQuota"]) == (2 * 1024**3, 150_000)
    await stop(hub, user)

    # the next spawn is a new spawner object (as after a hub restart): the kept container fits
    await spawn_ready(hub, user)
    assert user.spawners[""].object_id == first
    assert "Replacing" not in lines.text()
    await stop(hub, user)


def size_from_options(spawner):
    return "4G" if spawner.user_options.get("size") == "large" else "1G"


@pytest.mark.spawner(mem_limit=size_from_options)
async def test_a_callable_limit_sees_this_spawns_user_options(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user, size="large")
    assert engine.api_client().inspect_container(user.spawners[""].object_id)["HostConfig"]["Memory"] == 4 * 1024**3
    await stop(hub, user)


def failing_mem_limit(spawner):
    raise KeyError(spawner.user.name)


@pytest.mark.spawner(mem_limit=failing_mem_limit)
async def test_a_failing_limit_callable_is_a_clear_error(hub, engine, lines):
    assert "configuration error in mem_limit" in await failed_spawn_message(hub, engine)
    assert "Traceback" not in lines.text()


# 3. volume propagation and read-only dicts ---------------------------------------------------------


@pytest.mark.spawner(volumes={"/mnt/nfs": {"bind": "/mnt/nfs", "mode": "rw", "propagation": "rslave"}},
                     read_only_volumes={"/srv/datasets": {"bind": "/datasets", "propagation": "rslave"}})
async def test_volume_propagation_and_read_only_dicts(hub, engine):
    engine.host_mount_propagation = "shared"  # slave binds need a shared host mount (systemd's default)
    user = new_user(hub)
    spawner = user.spawners[""]
    assert spawner.volume_binds == {  # the reference's shape
        "/mnt/nfs": {"bind": "/mnt/nfs", "mode": "rw", "propagation": "rslave"},
        "/srv/datasets": {"bind": "/datasets", "mode": "ro", "propagation": "rslave"},
    }
    await spawn_ready(hub, user)
    info = engine.api_client().inspect_container(user.spawners[""].object_id)
    assert sorted(info["HostConfig"]["Binds"]) == ["/mnt/nfs:/mnt/nfs:rw,rslave", "/srv/datasets:/datasets:ro,rslave"]
    assert {m["Destination"]: (m["RW"], m["Propagation"]) for m in info["Mounts"]} == {
        "/mnt/nfs": (True, "rslave"), "/datasets": (False, "rslave")}
    await stop(hub, user)


@pytest.mark.spawner(volumes={"/mnt/nfs": {"bind": "/mnt/nfs", "propagation": "rslave"}})
async def test_a_slave_bind_on_a_private_host_mount_is_docker_s_clear_refusal(hub, engine):
    # the engine's host mount is private, as on this test machine
    message = await failed_spawn_message(hub, engine)
    assert "/mnt/nfs is mounted on / but it is not a shared or slave mount" in message


# 4. strings in extra arguments that are not templates ----------------------------------------------


@pytest.mark.spawner(extra_create_kwargs={"labels": {"config": '{"gpu": true}', "home": "${HOME}",
                                                     "owner": "{raw_username}"}},
                     extra_host_config={"extra_hosts": {"${HOST}": "127.0.0.1"}})
async def test_braces_that_are_not_templates_are_left_as_written(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user)
    info = engine.api_client().inspect_container(user.spawners[""].object_id)
    labels = info["Config"]["Labels"]
    assert (labels["config"], labels["home"], labels["owner"]) == ('{"gpu": true}', "${HOME}", user.name)
    assert info["HostConfig"]["ExtraHosts"] == ["${HOST}:127.0.0.1"]
    await stop(hub, user)


# 5. remove = True: nothing left behind, and the exit still reported ---------------------------------

#: a single-user server that prints a token URL (as jupyter server does), then serves HTTP
CHATTY_SERVER = HostProcessRuntime(
    command=[sys.executable, "-c",
             "print('Jupyter Server is running at http://127.0.0.1:8888/?token=s3cr3t-t0ken-value', flush=True);"
             "import runpy; runpy.run_module('jupyterhub.tests.mocksu', run_name='__main__')"],
    env=host_service_url,
)


@pytest.mark.spawner(remove=True, poll_interval=1)
async def test_a_server_that_dies_on_its_own_is_removed_and_reported(hub, engine, lines):
    engine.set_runtime(SINGLEUSER_IMAGE, CHATTY_SERVER)
    user = new_user(hub)
    await spawn_ready(hub, user)
    [container] = containers_of(engine, user.name)
    await until(lambda: b"is running" in engine.api_client().logs(container["Id"]), "the server's first log line")
    engine.crash(container["Id"], exit_code=3)

    # JupyterHub's own periodic poll notices; it does not call stop() for a dead server
    await until(lambda: not user.spawners[""].active, "the hub to see the server stopped")
    await until(lambda: containers_of(engine, user.name) == [], "the dead container to be removed")
    assert engine.calls.get("stop", 0) == 0
    log = lines.text()
    assert "exited with code 3" in log and "Jupyter Server is running" in log
    assert "s3cr3t-t0ken-value" not in log  # the token in the relayed output is hidden
    assert "Traceback" not in log

    # the next spawn (a new spawner object, state from the database) tells the user why
    requested = asyncio.ensure_future(spawn(hub, user))
    await until(lambda: user.spawners[""].pending == "spawn", "the spawn to be pending")
    events = await read_progress(hub, user)
    previous = [e["message"] for e in events if "previous server" in e["message"]]
    assert previous and "code 3" in previous[0], events
    assert "s3cr3t" not in json.dumps(events)
    assert (await requested).status_code in (201, 202)
    await wait_for_spawn(hub, user)
    await stop(hub, user)
    assert containers_of(engine, user.name) == []


# 6. a remote daemon with host_ip 0.0.0.0 -------------------------------------------------------------


async def test_remote_daemon_with_host_ip_on_all_interfaces_returns_the_daemons_host(make_spawner, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://dockerd.test:2375")  # answered by the fake, never dialled
    # the address is the daemon's host, which nothing here serves: no wait for the server
    spawner = make_spawner(host_ip="0.0.0.0", wait_for_server_interval=0)
    ip, port = await spawner.start()
    assert ip == "dockerd.test" and port >= 32768
    await spawner.stop()
    monkeypatch.delenv("DOCKER_HOST")
    local = make_spawner("bob", host_ip="0.0.0.0")
    assert (await local.start())[0] == "127.0.0.1"
    await local.stop()


# 7. host_config in extra_create_kwargs together with the spawner's limits -------------------------


@pytest.mark.spawner(mem_limit="2G", extra_create_kwargs={"host_config": {"Memory": 1024**3, "ShmSize": 64 * 1024**2}})
async def test_the_spawners_limits_win_over_host_config_in_extra_create_kwargs(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user)
    host = engine.api_client().inspect_container(user.spawners[""].object_id)["HostConfig"]
    assert (host["Memory"], host["ShmSize"]) == (2 * 1024**3, 64 * 1024**2)
    await stop(hub, user)


# 9. the container found again after a name change ---------------------------------------------------


@pytest.mark.spawner(remove=False, volumes={"data-{username}-{servername}": "/home/jovyan/work"})
async def test_a_kept_container_is_found_again_after_prefix_and_escape_change(hub, engine):
    user = new_user(hub, "Name.Change")
    await spawn_ready(hub, user)
    first = user.spawners[""].object_id
    name = "jupyter--4eame-2e-43hange"  # Name.Change, escaped
    assert user.orm_user.orm_spawners[""].state["object_name"] == name
    await stop(hub, user)
    # the admin changes the configuration and restarts the hub: a new spawner, the saved state
    hub.config.DockerSpawner.prefix = "lab"
    hub.config.DockerSpawner.escape = "legacy"
    user.spawners.pop("")
    assert user.spawners[""].prefix == "lab"
    await spawn_ready(hub, user)
    assert user.spawners[""].object_id == first
    assert user.spawners[""].object_name == name
    # started as it was, with the volume it was made with (Docker cannot rename volumes)
    mounted = [m["Name"] for m in engine.api_client().inspect_container(first)["Mounts"]]
    assert mounted == ["data--4eame-2e-43hange-"]
    await stop(hub, user)


# 10-12. deprecated names, options_from_form, escape --------------------------------------------------


def test_deprecated_method_names_forward_with_a_warning(make_spawner):
    spawner = make_spawner(allowed_images={"Python": SINGLEUSER_IMAGE})
    with pytest.warns(DeprecationWarning, match=r"DockerSpawner.check_image_whitelist is deprecated in "
                                                r"DockerSpawner 12.0. Please use DockerSpawner.check_allowed"):
        assert asyncio.run(spawner.check_image_whitelist("Python")) == SINGLEUSER_IMAGE


def test_renamed_options_warn_in_the_references_words(make_spawner, caplog):
    c = Config()
    c.DockerSpawner.container_image = "other/image:1"
    with caplog.at_level(logging.WARNING):
        spawner = DockerSpawner(config=c, user=SimpleNamespace(name="x"))
    assert spawner.image == "other/image:1"
    assert ("DockerSpawner.container_image is deprecated in DockerSpawner 0.9.*, use DockerSpawner.image instead"
            in caplog.text)


def options_with_size(formdata):
    return {"size": formdata["size"][0], "via": "options_from_form"}


@pytest.mark.spawner(options_form='<input name="size">', options_from_form=options_with_size)
async def test_options_from_form_from_the_config_is_used(hub, engine):
    user = new_user(hub, "formuser")
    assert user.spawners[""].options_from_form is options_with_size
    cookies = await hub.login_user(user.name)
    base = public_host(hub) + hub.hub.base_url
    page = await async_requests.get(url_path_join(base, "spawn"), cookies=cookies)
    page.raise_for_status()
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    r = await async_requests.post(public_host(hub) + action, cookies=cookies, data={"size": "large"})
    r.raise_for_status()
    await wait_for_spawn(hub, user)
    assert user.spawners[""].user_options == {"size": "large", "via": "options_from_form"}
    await stop(hub, user)


def test_an_invalid_escape_is_refused_when_the_configuration_loads():
    c = Config()
    c.DockerSpawner.escape = "dns"
    with pytest.raises(TraitError, match="DockerSpawner.escape must be a callable"):
        DockerSpawner(config=c, user=SimpleNamespace(name="x"))
    c.DockerSpawner.escape = "legacy"
    assert DockerSpawner(config=c, user=SimpleNamespace(name="a.b")).escaped_name == "a_2Eb"


# 13 & 17. post_start_cmd output: levels and secrets ---------------------------------------------------


@pytest.mark.spawner(post_start_cmd="sh -c 'env; setup-home'")
async def test_post_start_output_is_logged_by_stream_without_secrets(hub, engine, lines):
    def handler(container, cmd, env, user, workdir):
        token = dict(e.split("=", 1) for e in container.config["Env"])["JUPYTERHUB_API_TOKEN"]
        return 1, f"JUPYTERHUB_API_TOKEN={token}\nhome ready\n".encode(), b"warning: quota at 91%\n"

    engine.exec_handler = handler
    user = new_user(hub)
    await spawn_ready(hub, user)
    token = user.spawners[""].api_token
    stdout = [r for r in lines.records if "post_start stdout" in r.getMessage()]
    stderr = [r for r in lines.records if "post_start stderr" in r.getMessage()]
    assert [r.levelno for r in stdout] == [logging.DEBUG] and "home ready" in stdout[0].getMessage()
    assert [r.levelno for r in stderr] == [logging.WARNING] and "quota at 91%" in stderr[0].getMessage()
    assert token not in lines.text()
    await stop(hub, user)


@pytest.mark.spawner(post_start_cmd="/no/such/tool")
async def test_a_failed_post_start_exec_is_a_warning(hub, engine, lines):
    engine.exec_handler = lambda *a: (126, b"OCI runtime exec failed: exec: \"/no/such/tool\": not found\n", b"")
    user = new_user(hub)
    await spawn_ready(hub, user)
    [record] = [r for r in lines.records if "exec failed" in r.getMessage()]
    assert record.levelno == logging.WARNING and "post_start stderr" in record.getMessage()
    await stop(hub, user)


# 14. what JupyterHub generates never replaces a kept container ---------------------------------------


@pytest.mark.spawner(remove=False)
async def test_a_hub_upgrade_does_not_replace_kept_containers(hub, engine, lines, monkeypatch):
    from jupyterhub.spawner import Spawner

    user = new_user(hub)
    await spawn_ready(hub, user)
    first = user.spawners[""].object_id
    await stop(hub, user)

    # the next JupyterHub sets new variables and other URLs; env_keep changed too
    original = Spawner.get_env

    def upgraded_get_env(self):
        env = original(self)
        env["JUPYTERHUB_FEATURE_FROM_THE_FUTURE"] = "1"
        env["JUPYTERHUB_ACTIVITY_URL"] = env.get("JUPYTERHUB_ACTIVITY_URL", "") + "?v=7"
        return env

    monkeypatch.setattr(Spawner, "get_env", upgraded_get_env)
    monkeypatch.setenv("LANG", "C.UTF-8")
    hub.config.DockerSpawner.env_keep = ["LANG"]
    user.spawners.pop("")  # the upgraded hub starts with new spawners and the saved state
    await spawn_ready(hub, user)
    assert user.spawners[""].object_id == first
    assert user.spawners[""].env_keep == ["LANG"]  # the new configuration did reach the spawner
    assert "Replacing" not in lines.text()
    await stop(hub, user)

    # what the admin changed and a container cannot take does replace it, and says why
    engine.add_image("quay.io/jupyterhub/singleuser:next", config={"Cmd": ["jupyterhub-singleuser"]})
    engine.set_runtime("quay.io/jupyterhub/singleuser:next", SINGLEUSER_RUNTIME)
    hub.config.DockerSpawner.image = "quay.io/jupyterhub/singleuser:next"
    user.spawners.pop("")
    await spawn_ready(hub, user)
    assert user.spawners[""].object_id != first
    assert ("the configuration changed (image (quay.io/jupyterhub/singleuser:test -> "
            "quay.io/jupyterhub/singleuser:next))") in lines.text()
    await stop(hub, user)


# 15. every spawn's progress starts empty ----------------------------------------------------------


async def test_progress_opened_before_start_shows_only_this_spawn(make_spawner):
    spawner = make_spawner(remove=False)

    async def spawn_as_jupyterhub_does() -> list[str]:
        # JupyterHub: the spawn future exists and the spawn is pending before the progress
        # stream is opened, and that before start() runs
        started = asyncio.Event()

        async def run_start():
            await started.wait()
            return await spawner.start()

        spawner._spawn_future = future = asyncio.ensure_future(run_start())
        spawner._spawn_pending = True
        generator = spawner._generate_progress()
        messages = [(await generator.__anext__())["message"]]
        started.set()
        async for event in iterate_until(future, generator):
            messages.append(event["message"])
        await future
        spawner._spawn_pending = False
        return messages

    first = await spawn_as_jupyterhub_does()
    assert first[0] == "Server requested" and "Creating container jupyter-alice" in first
    await spawner.stop()
    second = await spawn_as_jupyterhub_does()  # the kept container is started again
    assert "Creating container jupyter-alice" not in second
    assert second[1] == "Starting container jupyter-alice"  # this spawn's own first step
    await spawner.stop()


# 16. expected failures: one line to the log, a short message to the user ------------------------


@pytest.mark.spawner(name_template="{prefix}-{user}")
async def test_a_template_typo_names_the_setting_and_the_field(hub, engine, lines):
    user = new_user(hub)
    r = await spawn(hub, user)
    assert r.status_code == 500
    message = r.json()["message"]
    assert "name_template" in message and "{user}" in message and "not a template field" in message
    assert "Traceback" not in lines.text()
    ours = [r for r in lines.records if r.getMessage().startswith("Cannot start")]
    assert len(ours) == 1 and "{username}" in ours[0].getMessage()  # and the fields there are


async def test_stop_with_the_daemon_down_is_one_clear_log_line(hub, engine, lines):
    """JupyterHub answers a stop request before it knows the outcome and keeps stop()'s error
    to itself: what the admin gets is one line naming the daemon, and nothing is lost."""
    user = new_user(hub)
    await spawn_ready(hub, user)
    engine.faults.daemon_down()
    try:
        await api_request(hub, "users", user.name, "server", method="delete")
        await until(lambda: not user.spawners[""].active, "the hub to give the server up")
    finally:
        engine.faults.daemon_up()
    failures = [r for r in lines.records if "unreachable while stopping" in r.getMessage()]
    assert len(failures) == 1 and "unix:///var/run/docker.sock" in failures[0].getMessage()
    assert "Traceback" not in lines.text()
    # the daemon is back: the next spawn replaces the container the stop could not remove
    await spawn_ready(hub, user)
    assert len(containers_of(engine, user.name)) == 1
    await stop(hub, user)
    assert containers_of(engine, user.name) == []


@pytest.mark.spawner(remove_volumes_on_delete=True, volumes={"home-{username}": "/home/jovyan"})
async def test_delete_forever_with_the_daemon_down_is_one_clear_log_line(hub, engine, lines):
    from jupyterhub.spawner import Spawner

    if not hasattr(Spawner, "delete_forever"):
        pytest.skip("this JupyterHub does not call delete_forever (added in 5.0)")
    user = new_user(hub)
    await spawn_ready(hub, user)
    await stop(hub, user)
    engine.faults.daemon_down()
    try:
        await api_request(hub, "users", user.name, method="delete")
    finally:
        engine.faults.daemon_up()
    failures = [r for r in lines.records if "unreachable while deleting" in r.getMessage()]
    assert len(failures) == 1
    assert "Traceback" not in lines.text()
    assert engine.api_client().inspect_volume(f"home-{user.name}")  # nothing removed half-way


# 18. a mount's volume with a driver_config ---------------------------------------------------------

NFS = {"type": "nfs", "o": "addr=127.0.0.1,rw,nfsvers=4", "device": ":/export/home"}


@pytest.mark.spawner(mounts=[{"type": "volume", "source": "nfs-{username}", "target": "/home/jovyan/nfs",
                              "driver_config": {"name": "local", "options": NFS}}])
async def test_a_mount_volume_is_created_with_its_driver_and_options(hub, engine):
    user = new_user(hub)
    await spawn_ready(hub, user)
    volume = engine.api_client().inspect_volume(f"nfs-{user.name}")
    assert (volume["Driver"], volume["Options"]) == ("local", NFS)
    assert volume["Labels"][LABEL_USER] == user.name
    await stop(hub, user)


@pytest.mark.spawner(mounts=[{"type": "volume", "source": "ceph-{username}", "target": "/data",
                              "driver_config": {"name": "rexray/rbd"}}])
async def test_an_unknown_volume_driver_is_a_clear_error(hub, engine, lines):
    assert "rexray/rbd" in await failed_spawn_message(hub, engine)
    assert "Traceback" not in lines.text()


# 19. poll while a spawn is in progress ---------------------------------------------------------------


async def test_poll_during_start_says_running(make_spawner, engine):
    engine.registry.push("127.0.0.1:5000/slow/notebook:1", config={"Cmd": ["jupyterhub-singleuser"]}, size=10_000_000)
    engine.transitions.mode = "manual"  # the pull advances only when the test steps it
    spawner = make_spawner(image="127.0.0.1:5000/slow/notebook:1")
    start = asyncio.ensure_future(spawner.start())
    await until(lambda: engine.calls.get("pull") == 1, "the pull to begin")
    assert await spawner.poll() is None  # not 0: the Spawner contract counts a pending start as running
    while not start.done():
        engine.settle()
        await asyncio.sleep(0.01)
    await start
    assert await spawner.poll() is None
    await spawner.stop()
