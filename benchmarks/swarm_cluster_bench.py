"""SwarmSpawner across nodes: the makespan of N concurrent spawns spread over two workers vs
the same N on one worker, on the real three-node swarm of ``scripts/cluster.sh``.

    scripts/cluster.sh up
    .venv/bin/python benchmarks/swarm_cluster_bench.py            # N = 10, 2 rounds each
    .venv/bin/python benchmarks/swarm_cluster_bench.py -n 4 --rounds 1

A real JupyterHub (``bench_hub_config.py`` with SwarmSpawner on the cluster's manager,
host-mode publishing, the real ``jupyterhub-singleuser`` of the single-user image) and
configurable-http-proxy on the host.  Each round creates N users, spawns all N at once through
the REST API (a server is done when the hub says ready and it answers through the proxy), notes
which node ran each task, then stops all N.  Placements: ``node.role == worker`` (the
scheduler spreads over both workers) and ``node.hostname == dsnode-worker1`` (all on one).

Both workers are containers on this one machine, so they share its cores: the figure shows the
spawner's and the swarm's overhead across nodes, not a second machine's CPU.  Writes the table
to benchmarks/results/swarm_cluster.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import docker

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from spawn_bench import IMAGE, Batch, Hub, HubClient, fmt, log  # noqa: E402

PLACEMENTS = {
    "two workers": "node.role == worker",
    "one worker": "node.hostname == dsnode-worker1",
}

CONFIG = """\
c = get_config()  # noqa: F821
load_subconfig({base!r})  # noqa: F821
import os
c.JupyterHub.spawner_class = "docker-swarm"
c.SwarmSpawner.publish_mode = "host"
c.SwarmSpawner.pull_policy = "skip"
c.SwarmSpawner.extra_placement_spec = {{"constraints": [os.environ["SWARMBENCH_CONSTRAINT"]]}}
"""


def cluster_env() -> dict[str, str]:
    out = subprocess.run([str(REPO / "scripts" / "cluster.sh"), "env"], capture_output=True, text=True, check=True)
    return {k: v.strip('"') for k, v in (line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)}


def swarm_hub(tmp: Path, env: dict[str, str], constraint: str, run: str) -> Hub:
    """spawn_bench's hub with SwarmSpawner on the cluster's manager, tasks placed by ``constraint``."""
    config = tmp / "swarm_bench_config.py"
    config.write_text(CONFIG.format(base=str(HERE / "bench_hub_config.py")))
    # what spawn_bench's Hub reads of a backend: the daemon, where servers reach the hub, the image
    backend = SimpleNamespace(kind="real", url=env["DOCKER_HOST"], pull_image=IMAGE,
                              hub_connect_ip=lambda: env["HUB_CONNECT_IP"])
    return Hub(backend, tmp, run, "swarmbench", [], config=config, extra_env={"SWARMBENCH_CONSTRAINT": constraint})


def task_nodes(manager: docker.DockerClient, names: list[str]) -> collections.Counter:
    nodes: collections.Counter = collections.Counter()
    for name in names:
        for service in manager.services.list(filters={"label": f"org.jupyter.hub.user={name}"}):
            for task in service.tasks(filters={"desired-state": "running"}):
                nodes[manager.nodes.get(task["NodeID"]).attrs["Description"]["Hostname"]] += 1
    return nodes


async def rounds(hub: Hub, manager: docker.DockerClient, n: int, count: int) -> list[tuple[Batch, Batch, dict]]:
    api = HubClient(hub)
    out = []
    try:
        for i in range(count):
            names = [f"r{secrets.token_hex(3)}" for _ in range(n)]  # "r": the image's own server
            await api.create_users(names)
            spawned = await api.spawn_batch("spawn", names)
            nodes = dict(task_nodes(manager, names))
            stopped = await api.stop_batch("stop", names)
            await api.delete_users(names)
            log(f"round {i + 1}: makespan {spawned.makespan:.2f} s, nodes {nodes}, errors {len(spawned.errors)}")
            out.append((spawned, stopped, nodes))
    finally:
        await api.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="concurrent spawns per round (10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per placement (2)")
    args = parser.parse_args()
    env = cluster_env()
    try:
        manager = docker.DockerClient(base_url=env["DOCKER_HOST"], timeout=60)
        manager.nodes.list()
    except Exception as exc:
        sys.exit(f"the cluster is not up (scripts/cluster.sh up): {exc}")
    results: dict[str, list[tuple[Batch, Batch, dict]]] = {}
    for label, constraint in PLACEMENTS.items():
        with tempfile.TemporaryDirectory(prefix="swarmbench-") as tmp:
            hub = swarm_hub(Path(tmp), env, constraint, secrets.token_hex(4))
            log(f"{label}: {constraint}")
            try:
                hub.start()
                results[label] = asyncio.run(rounds(hub, manager, args.n, args.rounds))
            finally:
                hub.stop()
    lines = [
        f"# SwarmSpawner across nodes: {args.n} concurrent spawns",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores; "
        f"the three-node swarm of scripts/cluster.sh (Docker-in-Docker on this one machine); "
        f"image {IMAGE} (jupyterhub-singleuser); host-mode ports; {args.rounds} rounds per placement.",
        "",
        "| placement | makespan (s), per round | median ready (s) | p90 ready (s) | hub CPU per spawn (ms) | tasks per node | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, per_round in results.items():
        times = sorted(t for spawned, _, _ in per_round for t in spawned.times)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))] if times else float("nan")
        cpu = statistics.mean(s.hub_cpu / max(1, s.n) for s, _, _ in per_round) * 1000
        nodes = collections.Counter()
        for _, _, counted in per_round:
            nodes.update(counted)
        errors = sum(len(s.errors) + len(t.errors) for s, t, _ in per_round)
        lines.append(
            f"| {label} (`{PLACEMENTS[label]}`) | {', '.join(fmt(s.makespan) for s, _, _ in per_round)} | "
            f"{fmt(statistics.median(times) if times else float('nan'))} | {fmt(p90)} | {cpu:.0f} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(nodes.items()))} | {errors} |")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results" / "swarm_cluster.md").write_text(text)


if __name__ == "__main__":
    main()
