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
from test_dockerspawner_real import (  # noqa: F401  (the module's fixtures)
    HTTP_TIMEOUT,
    ITestHub,
    docker_client,
    hub,
    itest_hub,
    make_user,
)

pytestmark = pytest.mark.real

BUSYBOX = "fakedocker-test/busybox:1.36"


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
    request = f"printf 'GET /user/{name}/api HTTP/1.0\\r\\n\\r\\n' | nc {address} 8888"
    answer = docker_client.containers.run(BUSYBOX, ["sh", "-c", request], network=extra, remove=True)
    assert answer.startswith(b"HTTP/1."), answer[:200]
    hub.stop_server(name)
