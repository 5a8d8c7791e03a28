"""The demo, end to end: JupyterHub + DockerSpawner + the real single-user image on the daemon.

Starts ``examples/demo/jupyterhub_config.py`` in a subprocess on free loopback ports with its own
state directory, logs a fresh user in through DummyAuthenticator's login form, follows the spawn
until the user's jupyter_server answers through the proxy, writes a file into the user's volume,
stops the server through the REST API with a token the user made, and checks the container is
gone. Everything the test created (container, volume, hub, proxy) is removed, pass or fail.

Skipped (under CI: failed, see tests/needs.py) when no Docker daemon answers, when the single-user image is missing
(``scripts/build-singleuser-image.sh``) or when configurable-http-proxy is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
import requests
from demo_hub import (
    HTTP_TIMEOUT,
    IMAGE,
    STOP_TIMEOUT,
    Hub,
    container_gone,
    form_xsrf,
    fresh_user_name,
    real_hub_client,
    running,
    spawn_and_wait_until_answering,
    stop_and_wait,
    user_token_session,
    wait_for,
)
from other_proxy import other_proxy

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    client = real_hub_client()
    yield client
    client.close()


@pytest.fixture
def user_name(docker_client: docker.DockerClient) -> Iterator[str]:
    with fresh_user_name(docker_client, "demotest") as name:
        yield name


@pytest.fixture
def hub(tmp_path: Path, docker_client: docker.DockerClient, user_name: str) -> Iterator[Hub]:
    # (user_name first: its clean-up then runs after the hub has stopped)
    with running(Hub(tmp_path)) as hub:
        yield hub


def test_login_spawn_use_and_stop(hub: Hub, user_name: str, docker_client: docker.DockerClient):
    browser = requests.Session()

    # -- log in through the form (DummyAuthenticator with DEMO_PASSWORD) ------------------------
    page = browser.get(f"{hub.url}/hub/login", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    assert browser.cookies.get("_xsrf", path="/hub/"), "the login page set no _xsrf cookie"
    xsrf = form_xsrf(page.text)
    wrong = browser.post(f"{hub.url}/hub/login", timeout=HTTP_TIMEOUT, allow_redirects=False,
                         data={"_xsrf": xsrf, "username": user_name, "password": "not-it"})
    assert wrong.status_code == 403, f"a wrong password gave {wrong.status_code}"
    login = browser.post(f"{hub.url}/hub/login", timeout=HTTP_TIMEOUT, allow_redirects=False,
                         data={"_xsrf": xsrf, "username": user_name, "password": hub.password})
    assert login.status_code == 302, f"login answered {login.status_code}: {login.text[:500]}"

    # -- the spawn, as a browser follows it ---------------------------------------------------
    spawn_and_wait_until_answering(browser, hub, user_name)

    container = docker_client.containers.get(f"jupyter-{user_name}")
    assert container.status == "running"
    assert container.image.tags and IMAGE in container.image.tags
    mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
    assert mounts["/home/jovyan/work"]["Name"] == f"jupyterhub-user-{user_name}"

    # -- the notebook server works: JupyterLab, and a file written into the user's volume -------
    lab = browser.get(f"{hub.url}/user/{user_name}/lab", timeout=HTTP_TIMEOUT)
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    user_xsrf = browser.cookies.get("_xsrf", path=f"/user/{user_name}/")
    assert user_xsrf, "the single-user server set no _xsrf cookie"
    put = browser.put(f"{hub.url}/user/{user_name}/api/contents/hello.txt", timeout=HTTP_TIMEOUT,
                      headers={"X-XSRFToken": user_xsrf},
                      json={"type": "file", "format": "text", "content": "hello from the demo test"})
    assert put.status_code in (200, 201), f"writing a file answered {put.status_code}: {put.text[:300]}"
    listing = browser.get(f"{hub.url}/user/{user_name}/api/contents", timeout=HTTP_TIMEOUT).json()
    assert "hello.txt" in [entry["name"] for entry in listing["content"]]
    found = container.exec_run(["cat", "/home/jovyan/work/hello.txt"])
    assert found.exit_code == 0 and found.output == b"hello from the demo test"

    # -- a token, made by the user, then the REST API stops the server -------------------------
    api = user_token_session(browser, hub, user_name, "test_demo")
    model = api.get(f"{hub.url}/hub/api/users/{user_name}", timeout=HTTP_TIMEOUT).json()
    assert model["servers"][""]["ready"] is True
    stop_and_wait(api, hub, user_name)
    wait_for(f"container jupyter-{user_name} to be removed",
             lambda: container_gone(docker_client, f"jupyter-{user_name}"), STOP_TIMEOUT)
    # the user's data outlives the container (remove=True removes the container only)
    docker_client.volumes.get(f"jupyterhub-user-{user_name}")
    # and the proxy no longer routes to it
    gone = browser.get(f"{hub.url}/user/{user_name}/api", timeout=HTTP_TIMEOUT, allow_redirects=False)
    assert gone.status_code != 200


def test_a_port_taken_before_the_hub_binds_it_is_picked_again(tmp_path: Path, docker_client: docker.DockerClient):
    """Free ports are free only until someone binds them: another proxy on the port picked for
    this hub's proxy API (its own proxy runs on without it, and the hub is refused by the other)
    costs a second start with new ports, not the test."""
    with other_proxy() as port:
        hub = Hub(tmp_path)
        hub.env["DEMO_PROXY_API_PORT"] = str(port)
        with running(hub):
            assert hub.env["DEMO_PROXY_API_PORT"] != str(port)
            assert hub.is_up()
