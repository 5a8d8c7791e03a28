"""SwarmSpawner on a real three-node swarm (``scripts/cluster.sh up``: a manager and two
workers, Docker-in-Docker on this machine): a real JupyterHub on the host talking to the
manager, configurable-http-proxy, the real single-user image on the workers.

- servers spread over both workers, each reached through the proxy at its node's address
  (host-mode publishing: the port exists only on the node running the task);
- placement by node label; a constraint no node satisfies fails the spawn at once with the
  swarm's reason; a drained worker takes no new server;
- a worker stopped under a running server: the hub's poll reports it gone, naming the node,
  and the user's next server lands on the other worker;
- nothing left behind: no service, and no task container on any node.

Marked ``multinode``; skipped, with the reason, when the cluster is not up
(under CI: failed, see tests/needs.py).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import docker
import docker.errors
import pytest
import requests
from demo_hub import (
    HTTP_TIMEOUT,
    SPAWN_OUTCOME_CONFIG,
    SPAWN_TIMEOUT,
    STOP_TIMEOUT,
    Hub,
    demo_config_with,
    log_in,
    logged_in,
    running,
    spawn_and_wait_until_answering,
    stop_and_wait,
    wait_for,
)
from swarm_cluster import WORKERS, clean_up_users, connect, restore, services_of, task_node

pytestmark = [pytest.mark.real, pytest.mark.multinode]

#: how long a manager takes to call a stopped worker down (heartbeat) and the hub to poll
NODE_DOWN_TIMEOUT = 90


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[docker.DockerClient, dict[str, str]]]:
    manager, env = connect()
    yield manager, env
    manager.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, cluster) -> Iterator[Hub]:
    _manager, env = cluster
    tmp_path = tmp_path_factory.mktemp("cluster-hub")
    config = demo_config_with(tmp_path / "cluster_config.py", """\
c.JupyterHub.spawner_class = "docker-swarm"
c.SwarmSpawner.publish_mode = "host"
c.SwarmSpawner.extra_placement_spec = {"constraints": ["node.role == worker"]}
c.SwarmSpawner.poll_interval = 5
c.SwarmSpawner.pull_policy = "skip"  # the nodes have the image; the hub's node need not


def place(spawner):
    # users named "placed..." go to the node labelled dsnode=worker2, "nowhere..." to none
    name = spawner.user.name
    if name.startswith("placed"):
        spawner.extra_placement_spec = {"constraints": ["node.labels.dsnode == worker2"]}
    elif name.startswith("nowhere"):
        spawner.extra_placement_spec = {"constraints": ["node.role == worker", "node.labels.dsnode == nowhere"]}


c.Spawner.pre_spawn_hook = place
""" + SPAWN_OUTCOME_CONFIG)
    hub = Hub(tmp_path, config=config)
    hub.env.update(DOCKER_HOST=env["DOCKER_HOST"], DEMO_HUB_CONNECT_IP=env["HUB_CONNECT_IP"])
    with running(hub):
        yield hub


@pytest.fixture
def users(cluster) -> Iterator[list[str]]:
    """Fresh user names; afterwards the cluster is put back as it was, what is left of the
    users is removed, and the test fails if the hub left a service of theirs."""
    manager, _env = cluster
    made: list[str] = []
    yield made
    restore(manager)
    leftovers = clean_up_users(manager, made)
    assert leftovers == [], f"left behind: {leftovers}"


def _new_user(users: list[str], prefix: str = "cluster") -> str:
    users.append(f"{prefix}{secrets.token_hex(3)}")
    return users[-1]


def _spawn(hub: Hub, name: str) -> requests.Session:
    """Log in, spawn through /hub/spawn, wait until the server answers through the proxy; a
    REST API session of the user."""
    browser, api = logged_in(hub, name, "cluster test")
    spawn_and_wait_until_answering(browser, hub, name)
    return api


def test_servers_spread_over_both_workers_and_answer_through_the_proxy(hub, cluster, users):
    manager, _env = cluster
    names = [_new_user(users) for _ in range(4)]
    with ThreadPoolExecutor(len(names)) as pool:
        apis = list(pool.map(lambda name: _spawn(hub, name), names))
    nodes = {name: task_node(manager, name) for name in names}
    assert set(nodes.values()) == set(WORKERS), nodes  # both workers, never the manager
    log = hub.log_path.read_text(errors="replace")
    for name in names:
        # the proxy's route goes to the task's node, where the port is published
        [service] = services_of(manager, name)
        [task] = service.tasks(filters={"desired-state": "running"})
        node_addr = manager.nodes.get(task["NodeID"]).attrs["Status"]["Addr"]
        [port] = [p["PublishedPort"] for p in task["Status"]["PortStatus"]["Ports"] if p["TargetPort"] == 8888]
        assert f"/user/{name}/ => http://{node_addr}:{port}" in log
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(lambda pair: stop_and_wait(pair[1], hub, pair[0]), zip(names, apis, strict=True)))
    for name in names:
        assert services_of(manager, name) == []


def test_placement_by_label_and_an_impossible_constraint(hub, cluster, users):
    manager, _env = cluster
    placed = _new_user(users, "placed")
    api = _spawn(hub, placed)
    assert task_node(manager, placed) == "dsnode-worker2"
    stop_and_wait(api, hub, placed)

    nowhere = _new_user(users, "nowhere")
    _browser, api = logged_in(hub, nowhere, "cluster test")
    r = api.post(f"{hub.url}/hub/api/users/{nowhere}/server", timeout=SPAWN_TIMEOUT)
    # the swarm's own answer, as the request's answer (JupyterHub relays a spawn that fails
    # within its slow_spawn_timeout, 60 s here: SPAWN_OUTCOME_CONFIG)
    assert r.status_code == 503, r.text[:500]
    assert "no suitable node (scheduling constraints not satisfied on 3 nodes)" in r.json()["message"]
    wait_for("the unschedulable service to be removed", lambda: not services_of(manager, nowhere),
             STOP_TIMEOUT, alive=hub.check_alive)


def test_a_drained_worker_takes_no_new_server(hub, cluster, users):
    manager, _env = cluster
    drained = manager.nodes.get("dsnode-worker1")
    drained.update({**drained.attrs["Spec"], "Availability": "drain"})
    names = [_new_user(users) for _ in range(2)]
    apis = [_spawn(hub, name) for name in names]
    assert {task_node(manager, name) for name in names} == {"dsnode-worker2"}
    for name, api in zip(names, apis, strict=True):
        stop_and_wait(api, hub, name)


def test_a_worker_lost_under_a_running_server(hub, cluster, users):
    manager, _env = cluster
    name = _new_user(users)
    api = _spawn(hub, name)
    lost = task_node(manager, name)
    subprocess.run(["docker", "stop", "-t", "1", lost], check=True, capture_output=True)

    # the manager calls the node down; the hub's next poll reports the server gone
    def server_gone() -> bool:
        user = api.get(f"{hub.url}/hub/api/users/{name}", timeout=HTTP_TIMEOUT).json()
        return not user["servers"] and user["pending"] is None

    wait_for("the hub to report the server on the lost node gone", server_gone, NODE_DOWN_TIMEOUT,
             interval=1, alive=hub.check_alive)
    assert services_of(manager, name) == []  # no service left behind
    log = hub.log_path.read_text(errors="replace")
    assert f"its node {lost} is down" in log
    assert "Traceback" not in log

    # the user starts again and lands on the healthy worker
    browser = requests.Session()
    log_in(browser, hub, name)
    spawn_and_wait_until_answering(browser, hub, name)
    healthy = task_node(manager, name)
    assert healthy != lost and healthy in WORKERS
    stop_and_wait(api, hub, name)
