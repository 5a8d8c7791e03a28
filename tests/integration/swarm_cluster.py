"""The three-node swarm of ``scripts/cluster.sh`` as the multinode tests see it: connecting
(skipping, with the reason, when it is not up), running commands on a node, where a user's
task runs, and putting the cluster back as it was."""

from __future__ import annotations

import os
import subprocess

import docker
from demo_hub import IMAGE, REPO, STOP_TIMEOUT, wait_for
from needs import unavailable

CLUSTER_SH = REPO / "scripts" / "cluster.sh"
LABEL_USER = "org.jupyter.hub.user"
MANAGER = "dsnode-manager"
WORKERS = ("dsnode-worker1", "dsnode-worker2")


def cluster_env() -> dict[str, str]:
    out = subprocess.run([str(CLUSTER_SH), "env"], capture_output=True, text=True, check=True).stdout
    return {key: value.strip('"') for key, value in (line.split("=", 1) for line in out.splitlines() if "=" in line)}


def connect() -> tuple[docker.DockerClient, dict[str, str]]:
    """A client of the manager and ``cluster.sh env``; skips unless every node is ready and
    the workers have the single-user image."""
    env = cluster_env()
    socket = env["DOCKER_HOST"].removeprefix("unix://")
    if not os.path.exists(socket):
        unavailable(f"the three-node cluster is not up (scripts/cluster.sh up): no manager socket at {socket}")
    try:
        manager = docker.DockerClient(base_url=env["DOCKER_HOST"], timeout=30)
        nodes = manager.nodes.list()
    except Exception as exc:
        unavailable(f"the three-node cluster is not up (scripts/cluster.sh up): {exc}")
    ready = {n.attrs["Description"]["Hostname"] for n in nodes if n.attrs["Status"]["State"] == "ready"}
    if not {MANAGER, *WORKERS} <= ready:
        unavailable(f"the cluster's nodes are not all ready (scripts/cluster.sh up): {sorted(ready)}")
    for worker in WORKERS:
        if not on_node(worker, "image", "inspect", IMAGE):
            unavailable(f"{IMAGE} is not on {worker} (scripts/cluster.sh up loads it)")
    return manager, env


def on_node(node: str, *args: str) -> bool:
    """``docker ARGS`` against ``node``'s own daemon; whether it succeeded."""
    return subprocess.run(["docker", "exec", node, "docker", *args], capture_output=True).returncode == 0


def node_containers(node: str, user: str) -> str:
    """The ids of ``user``'s containers on ``node`` (empty when none)."""
    return subprocess.run(["docker", "exec", node, "docker", "ps", "-aq", "--filter", f"label={LABEL_USER}={user}"],
                          capture_output=True, text=True).stdout.strip()


def services_of(manager: docker.DockerClient, user: str) -> list:
    return manager.services.list(filters={"label": f"{LABEL_USER}={user}"})


def task_node(manager: docker.DockerClient, user: str) -> str:
    """The hostname of the node running ``user``'s one server."""
    [service] = services_of(manager, user)
    [task] = service.tasks(filters={"desired-state": "running"})
    assert task["Status"]["State"] == "running"
    return manager.nodes.get(task["NodeID"]).attrs["Description"]["Hostname"]


def restore(manager: docker.DockerClient) -> None:
    """Every node started and active again (a test stopped or drained one)."""
    subprocess.run([str(CLUSTER_SH), "up"], capture_output=True)
    for node in manager.nodes.list():
        if node.attrs["Spec"].get("Availability") != "active":
            node.update({**node.attrs["Spec"], "Availability": "active"})


def clean_up_users(manager: docker.DockerClient, users: list[str]) -> list[str]:
    """Remove what is left of ``users`` (services, task containers, volumes on every node);
    the services that were left, for the test to fail on."""
    leftovers = []
    for name in users:
        for service in services_of(manager, name):
            leftovers.append(f"service {service.name}")
            service.remove()
    for name in users:
        for node in (MANAGER, *WORKERS):
            # a removed service's task containers go shortly after, on their node
            wait_for(f"{name}'s task containers on {node} to go",
                     lambda node=node, name=name: not node_containers(node, name), STOP_TIMEOUT)
            on_node(node, "volume", "rm", "-f", f"jupyterhub-user-{name}")
    return leftovers
