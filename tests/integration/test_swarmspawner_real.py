"""SwarmSpawner end to end on the real single-node swarm: a real JupyterHub, proxy and
single-user image; the server runs as a service whose task publishes its port in host mode
(this machine's routing mesh does not work); spawn -> answers through the proxy -> stop.

On the engine ENGINE names: the host's Docker 20.10, or Docker 26 in its node (a single-node
swarm manager advertising the node's address, where the task's port is published).

Skipped (under CI: failed, see tests/needs.py) when no daemon answers, the swarm is not active, or the image is missing.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import engines
import pytest
from demo_hub import (
    HTTP_TIMEOUT,
    IMAGE,
    SPAWN_OUTCOME_CONFIG,
    SPAWN_TIMEOUT,
    STOP_TIMEOUT,
    Hub,
    demo_config_with,
    logged_in,
    running,
    spawn_and_wait_until_answering,
    stop_and_wait,
    wait_for,
)
from needs import unavailable

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def swarm_client() -> Iterator[docker.DockerClient]:
    engine = engines.selected()
    try:
        client = docker.DockerClient(base_url=engine.docker_host, timeout=30)
        info = client.info()
    except Exception as exc:
        unavailable(f"no Docker daemon at {engine.docker_host}: {exc}")
    if info["Swarm"]["LocalNodeState"] != "active" and not engine.is_podman:
        unavailable(f"the {engine.name} daemon is not in an active swarm (scripts/provision.sh and "
                    "scripts/engines.sh up initialise one)")
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        unavailable(f"{IMAGE} is missing (scripts/build-singleuser-image.sh builds it)")
    yield client
    client.close()


@pytest.fixture
def user_name(swarm_client: docker.DockerClient) -> Iterator[str]:
    name = f"swarmtest{secrets.token_hex(4)}"
    yield name
    services = [] if engines.selected().is_podman else swarm_client.services.list(filters={"name": f"jupyter-{name}"})
    for service in services:
        service.remove()
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        swarm_client.volumes.get(f"jupyterhub-user-{name}").remove(force=True)


@pytest.fixture
def hub(tmp_path: Path, swarm_client: docker.DockerClient, user_name: str) -> Iterator[Hub]:
    config = demo_config_with(tmp_path / "swarm_config.py", (
        "c.JupyterHub.spawner_class = 'docker-swarm'\n"
        "c.SwarmSpawner.publish_mode = 'host'\n"
        "c.SwarmSpawner.poll_interval = 2\n"
        + SPAWN_OUTCOME_CONFIG
    ))
    with running(Hub(tmp_path, config=config)) as hub:
        yield hub


@pytest.mark.engines("docker20", "docker26")
def test_swarm_spawn_answer_stop(hub: Hub, user_name: str, swarm_client: docker.DockerClient):
    browser, api = logged_in(hub, user_name, "swarm test")
    spawn_and_wait_until_answering(browser, hub, user_name)

    [service] = swarm_client.services.list(filters={"name": f"jupyter-{user_name}"})
    assert service.attrs["Spec"]["Labels"]["org.jupyter.hub.user"] == user_name
    [task] = service.tasks(filters={"desired-state": "running"})
    assert task["Status"]["State"] == "running"
    assert any(p["PublishMode"] == "host" and p["TargetPort"] == 8888
               for p in task["Status"]["PortStatus"]["Ports"])

    # the stop ends once the removed service's task has ended: on a loaded machine that takes
    # longer than JupyterHub waits before answering 202 (stop pending), so wait for the hub
    stop_and_wait(api, hub, user_name)
    assert not swarm_client.services.list(filters={"name": f"jupyter-{user_name}"})


@pytest.mark.engines("docker20", "docker26")
def test_swarm_hub_hears_of_a_killed_task_and_a_removed_service(hub: Hub, user_name: str,
                                                                swarm_client: docker.DockerClient):
    """JupyterHub's start_polling() answered by the monitor on the real swarm: a task whose
    container is killed (seen by the interval's call for the tasks the swarm gave up) and a
    service removed outside the hub (seen through the manager's service events) both reach the
    hub, which then shows no server."""
    browser, api = logged_in(hub, user_name, "swarm watch test")

    def no_server() -> bool:
        return api.get(f"{hub.url}/hub/api/users/{user_name}", timeout=HTTP_TIMEOUT).json()["servers"] == {}

    def services() -> list:
        return swarm_client.services.list(filters={"name": f"jupyter-{user_name}"})

    spawn_and_wait_until_answering(browser, hub, user_name)
    [service] = services()
    [task] = service.tasks(filters={"desired-state": "running"})
    swarm_client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"]).kill()
    wait_for("the hub to hear the task ended", no_server, 60, alive=hub.check_alive)
    wait_for("the ended server's service to be removed", lambda: not services(), STOP_TIMEOUT, alive=hub.check_alive)
    assert "whose task ended" in hub.log_tail(200)

    spawn_and_wait_until_answering(browser, hub, user_name)
    [service] = services()
    service.remove()
    wait_for("the hub to hear the service is gone", no_server, 60, alive=hub.check_alive)
    log = hub.log_tail(400)
    assert "Not following" not in log and "event stream ended" not in log, log


@pytest.mark.engines("podman5", "podman5-rootless")
def test_swarm_spawner_on_podman_says_it_has_no_swarm(hub: Hub, user_name: str):
    """Podman has no swarm mode: the spawn fails at once with Podman's own words, to the user
    and in one log line, and nothing is left."""
    _browser, api = logged_in(hub, user_name, "podman swarm test")
    started = api.post(f"{hub.url}/hub/api/users/{user_name}/server", timeout=SPAWN_TIMEOUT)
    podman = f"Podman does not support service: /v1.41/services/jupyter-{user_name}"
    assert (started.status_code, started.json()["message"]) == (
        500, f"Docker could not start your server: {podman}")
    log = hub.log_tail(200)
    assert f"Docker failed starting {user_name}: {podman}" in log
    assert "Traceback" not in log, log
    user = api.get(f"{hub.url}/hub/api/users/{user_name}", timeout=HTTP_TIMEOUT).json()
    assert user["servers"] == {}
