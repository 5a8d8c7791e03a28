"""extra_networks end to end, on the engine ENGINE names (see engines.py): a real JupyterHub
spawns a server on network_name and one more network; the hub reaches it through its published
port, and a container on the extra network reaches it there.  Docker 20.10 and Podman (API
1.41) connect the extra network after the create; Docker 26 (API 1.45) creates it on both."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from demo_hub import IMAGE
from test_dockerspawner_real import (  # noqa: F401  (the module's fixtures)
    HTTP_TIMEOUT,
    ITestHub,
    docker_client,
    hub,
    itest_hub,
    make_user,
)

pytestmark = pytest.mark.real



@pytest.fixture
def two_networks(docker_client: docker.DockerClient) -> Iterator[tuple[str, str]]:  # noqa: F811
    made = []
    try:
        for role in ("hub", "db"):
            name = f"itest-{role}-{secrets.token_hex(4)}"
            made.append(docker_client.networks.create(name, driver="bridge", labels={"org.jupyter.itest": "1"}))
        yield made[0].name, made[1].name
    finally:
        for network in made:
            with contextlib.suppress(docker.errors.APIError):
                network.reload()
                for container in network.containers:
                    network.disconnect(container, force=True)
            with contextlib.suppress(docker.errors.NotFound):
                network.remove()


def test_a_server_on_two_networks(hub: ITestHub, make_user, docker_client, two_networks):  # noqa: F811
    main, extra = two_networks
    name = make_user(network_name=main, extra_networks=[extra], use_internal_ip=False)
    hub.spawn(name)
    container = docker_client.containers.get(f"jupyter-{name}")
    networks = container.attrs["NetworkSettings"]["Networks"]
    assert sorted(networks) == sorted([main, extra])
    hub.assert_answers(name, hub.user_token(name))

    # a neighbour on the extra network reaches the server at its address there
    address = networks[extra]["IPAddress"]
    assert address
    # judged by the exit code (ContainerError otherwise), not by the output, which Docker 26
    # under load sometimes hands back empty for a short-lived container; Python's client waits
    # for the answer (busybox nc may hang up when its input ends, before the server answers)
    fetch = f"import urllib.request; urllib.request.urlopen('http://{address}:8888/user/{name}/api', timeout=30)"
    docker_client.containers.run(IMAGE, ["python3", "-c", fetch], network=extra, remove=True)
    hub.stop_server(name)
