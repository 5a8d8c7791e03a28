"""The documented swarm deployment across nodes: the hub in a container on a manager, on an
attachable overlay network, loading ``examples/swarm/jupyterhub_config.py`` (servers on the
workers, reached over the overlay: the task's address, or its service name with a dnsrr
endpoint; each user pinned to a node).  The hub's image is the single-user image plus
configurable-http-proxy (``scripts/cluster.sh up`` builds it on the manager); this checkout is
installed into the hub's container when it is made.  The test reaches the proxy at the port
the hub's container publishes on the manager.

Marked ``multinode``; skipped, with the reason, when the cluster is not up
(under CI: failed, see tests/needs.py).
"""

from __future__ import annotations

import io
import secrets
import tarfile
from collections.abc import Iterator
from types import SimpleNamespace

import docker
import docker.errors
import pytest
import requests
from demo_hub import (
    HTTP_TIMEOUT,
    REPO,
    logged_in,
    spawn_and_wait_until_answering,
    stop_and_wait,
    wait_for,
)
from needs import unavailable
from swarm_cluster import MANAGER, WORKERS, clean_up_users, connect, services_of, task_node

pytestmark = [pytest.mark.real, pytest.mark.multinode]

HUB_START_TIMEOUT = 120  # installs this checkout into the container first
#: what of the checkout the hub's container needs to install it and load the example
SOURCES = ("pyproject.toml", "README.md", "dockerspawner", "fakedocker", "examples/swarm")

TEST_CONFIG = """\
c = get_config()  # noqa: F821
load_subconfig("/srv/src/examples/swarm/jupyterhub_config.py")  # noqa: F821


def by_name(spawner):
    # users named "dns..." are reached by their service's name (a dnsrr endpoint: no IPVS here)
    if spawner.user.name.startswith("dns"):
        spawner.use_internal_hostname = True
        spawner.extra_endpoint_spec = {"mode": "dnsrr"}


c.Spawner.pre_spawn_hook = by_name
"""
COMMAND = ("/opt/venv/bin/python -m pip install --quiet --no-cache-dir --no-index --no-deps --no-build-isolation /srv/src"
           " && exec /opt/venv/bin/jupyterhub -f /srv/jupyterhub/test_config.py")


def _archive() -> bytes:
    """The checkout's sources under ``src/`` and the test config under ``jupyterhub/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in SOURCES:
            tar.add(REPO / name, arcname=f"src/{name}",
                    filter=lambda info: None if "__pycache__" in info.name else info)
        data = TEST_CONFIG.encode()
        info = tarfile.TarInfo("jupyterhub/test_config.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cluster():
    manager, env = connect()
    try:
        manager.images.get(env["CLUSTER_HUB_IMAGE"])
    except docker.errors.ImageNotFound:
        unavailable(f"{env['CLUSTER_HUB_IMAGE']} is not on the manager (scripts/cluster.sh up builds it)")
    yield manager, env
    manager.close()


@pytest.fixture(scope="module")
def hub(cluster) -> Iterator[SimpleNamespace]:
    manager, env = cluster
    tag = secrets.token_hex(3)
    network = manager.networks.create(f"jhub-overlay-{tag}", driver="overlay", attachable=True)
    name = f"hub-{tag}"
    password = secrets.token_urlsafe(12)
    container = manager.containers.create(
        env["CLUSTER_HUB_IMAGE"], ["sh", "-c", COMMAND], name=name, network=network.name,
        ports={"8000/tcp": None}, volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
        environment={"DOCKER_NETWORK_NAME": network.name, "HUB_SERVICE_NAME": name, "DUMMY_PASSWORD": password},
    )

    def check_alive() -> None:
        container.reload()
        if container.status != "running":
            pytest.fail(f"the hub's container exited:\n{container.logs(tail=60).decode(errors='replace')}")

    def published() -> str | None:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("8000/tcp") or []
        return bindings[0]["HostPort"] if bindings else None

    try:
        container.put_archive("/srv", _archive())
        container.start()
        port = wait_for("the hub's container to publish its port", published, 30, alive=check_alive)
        hub = SimpleNamespace(url=f"http://{env['CLUSTER_MANAGER_ADDR']}:{port}", password=password,
                              check_alive=check_alive, container=container)
        wait_for("the hub on the overlay to answer /hub/api",
                 lambda: requests.get(f"{hub.url}/hub/api", timeout=HTTP_TIMEOUT).ok,
                 HUB_START_TIMEOUT, interval=0.5, alive=check_alive)
        yield hub
    finally:
        container.stop(timeout=30)  # the hub stops its users' servers as it exits
        print(f"--- hub log ---\n{container.logs(tail=200).decode(errors='replace')}")
        container.remove(force=True)
        network.remove()


@pytest.fixture
def users(cluster) -> Iterator[list[str]]:
    manager, _env = cluster
    made: list[str] = []
    yield made
    leftovers = clean_up_users(manager, made)
    assert leftovers == [], f"left behind: {leftovers}"


@pytest.mark.parametrize("prefix", ["ip", "dns"])
def test_a_hub_on_the_overlay_reaches_servers_on_the_workers(hub, cluster, users, prefix):
    """``ip``: the task's address on the overlay (use_internal_ip); ``dns``: the service's name
    (use_internal_hostname with a dnsrr endpoint)."""
    manager, _env = cluster
    name = f"{prefix}{secrets.token_hex(3)}"
    users.append(name)
    browser, api = logged_in(hub, name, "overlay test")
    spawn_and_wait_until_answering(browser, hub, name)
    node = task_node(manager, name)
    assert node in WORKERS and node != MANAGER  # across machines: the hub is on the manager
    [service] = services_of(manager, name)
    assert service.attrs["Spec"]["TaskTemplate"]["Networks"][0]["Target"]
    if prefix == "dns":
        assert service.attrs["Spec"]["EndpointSpec"]["Mode"] == "dnsrr"

    if prefix == "ip":
        # pinned (the example's pin_to_node): the next server runs on the same node.  (Not
        # with the service name: the hub's HTTP client resolves through aiodns, whose c-ares
        # cache keeps Docker's answer for its 600 s TTL, so JupyterHub would wait on the
        # previous task's address; see the README.)
        stop_and_wait(api, hub, name)
        spawn_and_wait_until_answering(browser, hub, name)
        assert task_node(manager, name) == node
    stop_and_wait(api, hub, name)
    assert services_of(manager, name) == []
