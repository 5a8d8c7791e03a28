"""SystemUserSpawner end to end on the real daemon: a real host account, a real JupyterHub.

Creates a fresh host user (``useradd -m``), starts JupyterHub in a subprocess with the demo's
configuration (as ``test_demo.py`` does: free loopback ports, the hub on every interface,
containers told to reach it at docker0's address, DummyAuthenticator with a password) and
SystemUserSpawner with the real single-user image in place of DockerSpawner, logs the user in,
spawns, writes a file through the proxy with the Jupyter contents API, and checks the file is in
the user's home on the host, owned by the user's uid.  Then stops the server and checks the container is gone.
The container, the hub (and its proxy) and the user (with its home) are removed, pass or fail.

On an engine in a node (``ENGINE=docker26``, ...) the account is the host's (the hub reads it)
and the home directory the node's own, where that engine's bind mounts come from.

Skipped (under CI: failed, see tests/needs.py) when no Docker daemon answers, the single-user image or
configurable-http-proxy is missing, or the test cannot create users (not root, no useradd).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import engines
import pytest
import requests
from demo_hub import Hub as DemoHub
from demo_hub import (
    container_gone,
    demo_config_with,
    log_in,
    real_hub_client,
    running,
    spawn_and_wait_until_answering,
    wait_for,
)
from needs import unavailable

HTTP_TIMEOUT = 10
SPAWN_TIMEOUT = 90
STOP_TIMEOUT = 60

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    client = real_hub_client()
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("userdel") is None:
        client.close()
        unavailable("creating a host user needs root and useradd/userdel")
    yield client
    client.close()


def on_engine_host(command: list[str]) -> str:
    """Run ``command`` where the engine's bind mounts come from; its output (fails the test
    with its stderr when it fails)."""
    done = engines.selected().run_on_host(command)
    assert done.returncode == 0, f"{command} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def system_user(docker_client: docker.DockerClient) -> Iterator[pwd.struct_passwd]:
    """A fresh host account with a home directory (on an engine in a node, the same directory
    in the node too); removed afterwards (after its container)."""
    name = f"sustest{secrets.token_hex(4)}"
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True, capture_output=True, timeout=30)
    user = pwd.getpwnam(name)
    engine = engines.selected()
    in_node = engine.node is not None
    try:
        if in_node:  # owned, on a rootless engine, by the ids the user's are outside its namespace
            owner = f"{engine.outside_id(user.pw_uid)}:{engine.outside_id(user.pw_gid)}"
            on_engine_host(["sh", "-c", f"mkdir -p {user.pw_dir} && chown {owner} {user.pw_dir}"])
        yield user
    finally:
        if in_node:
            engines.selected().run_on_host(["rm", "-rf", user.pw_dir])
        # the container's processes run as the user: userdel refuses while they exist
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.containers.get(f"jupyter-{name}").remove(force=True)
        done = subprocess.run(["userdel", "-r", name], capture_output=True, text=True, timeout=30)
        # exit 12: the home could not be removed completely, e.g. files the uid could not delete
        assert done.returncode == 0, f"userdel -r {name} failed: {done.stderr}"


class Hub(DemoHub):
    """The demo's hub subprocess (free ports, its own state, DummyAuthenticator with a password,
    the hub's address for containers and where their ports are published) with SystemUserSpawner
    in place of DockerSpawner."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path, config=demo_config_with(tmp_path / "jupyterhub_config.py", """\
c.JupyterHub.spawner_class = "dockerspawner.systemuserspawner.SystemUserSpawner"
c.SystemUserSpawner.host_homedir_format_string = "/home/{username}"
c.SystemUserSpawner.image_homedir_format_string = "/home/{username}"
# the user's home is the server's directory and its one mount (not the demo's volume)
c.SystemUserSpawner.volumes = {}
c.SystemUserSpawner.notebook_dir = ""
"""))


@pytest.fixture
def hub(tmp_path: Path, docker_client: docker.DockerClient, system_user: pwd.struct_passwd) -> Iterator[Hub]:
    # (system_user first: its clean-up then runs after the hub has stopped)
    with running(Hub(tmp_path)) as hub:
        yield hub


def test_system_user_spawn_writes_into_the_host_home(hub: Hub, system_user: pwd.struct_passwd,
                                                      docker_client: docker.DockerClient):
    name, uid, gid, home = system_user.pw_name, system_user.pw_uid, system_user.pw_gid, Path(system_user.pw_dir)
    assert home == Path("/home") / name
    browser = requests.Session()

    # -- log in, spawn ---------------------------------------------------------------------------
    log_in(browser, hub, name)
    spawn_and_wait_until_answering(browser, hub, name)

    container = docker_client.containers.get(f"jupyter-{name}")
    config = container.attrs["Config"]
    assert config["User"] == f"{uid}:{gid}"
    assert config["WorkingDir"] == str(home)
    assert f"HOME={home}" in config["Env"]
    [bind] = container.attrs["HostConfig"]["Binds"]
    source, target, options = bind.split(":")
    # Podman lists its defaults too: rw,rprivate,rbind
    assert (source, target, "rw" in options.split(",")) == (str(home), str(home), True)
    # nothing runs as root: the real uid of every process (read in the container, as Podman's
    # top takes other columns than ps's)
    code, out = container.exec_run(["sh", "-c", "cat /proc/[0-9]*/status"])
    assert code == 0, out
    uids = {line.split()[1] for line in out.decode().splitlines() if line.startswith("Uid:")}
    assert uids == {str(uid)}, out

    # -- a file written through the proxy lands in the host home, owned by the user -----------------
    tree = browser.get(f"{hub.url}/user/{name}/lab", timeout=HTTP_TIMEOUT)
    assert tree.status_code == 200, f"/user/{name}/lab answered {tree.status_code}"
    user_xsrf = browser.cookies.get("_xsrf", path=f"/user/{name}/")
    assert user_xsrf, "the single-user server set no _xsrf cookie"
    text = f"hello from {name}"
    put = browser.put(f"{hub.url}/user/{name}/api/contents/hello.txt", timeout=HTTP_TIMEOUT,
                      headers={"X-XSRFToken": user_xsrf},
                      json={"type": "file", "format": "text", "content": text})
    assert put.status_code in (200, 201), f"writing a file answered {put.status_code}: {put.text[:300]}"
    written = home / "hello.txt"
    assert on_engine_host(["cat", str(written)]) == text
    engine = engines.selected()
    assert on_engine_host(["stat", "-c", "%u %g", str(written)]).split() == [
        str(engine.outside_id(uid)), str(engine.outside_id(gid))]

    # -- stop through the REST API, as the user -----------------------------------------------------
    stop = browser.delete(f"{hub.url}/hub/api/users/{name}/server", timeout=STOP_TIMEOUT,
                          headers={"X-XSRFToken": browser.cookies.get("_xsrf", path="/hub/")})
    assert stop.status_code in (202, 204), f"stopping answered {stop.status_code}: {stop.text[:300]}"

    wait_for(f"container jupyter-{name} to be removed", lambda: container_gone(docker_client, f"jupyter-{name}"),
             STOP_TIMEOUT, alive=hub.check_alive)
    assert on_engine_host(["cat", str(written)]) == text  # the home outlives the container
