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
import time
from datetime import datetime, timezone
from pathlib import Path

import docker

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from spawn_bench import (  # noqa: E402
    HUB_START_TIMEOUT,
    IMAGE,
    Batch,
    HubClient,
    fmt,
    free_port,
    http_ok,
    log,
    proc_cpu,
    stop_process,
)

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


class SwarmHub:
    """The benchmark hub in a subprocess, talking to the cluster's manager."""

    def __init__(self, tmp: Path, env: dict[str, str], constraint: str, run: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/hub/api"
        self.token = secrets.token_hex(32)
        self.log_path = tmp / "jupyterhub.log"
        self.config = tmp / "swarm_bench_config.py"
        self.config.write_text(CONFIG.format(base=str(HERE / "bench_hub_config.py")))
        self.env = dict(
            os.environ,
            SPAWNBENCH_PORT=str(self.port), SPAWNBENCH_HUB_PORT=str(free_port("0.0.0.0")),
            SPAWNBENCH_PROXY_API_PORT=str(free_port()), SPAWNBENCH_HUB_IP="0.0.0.0",
            SPAWNBENCH_HUB_CONNECT_IP=env["HUB_CONNECT_IP"], SPAWNBENCH_STATE_DIR=str(tmp / "state"),
            SPAWNBENCH_TOKEN=self.token, SPAWNBENCH_PREFIX="swarmbench", SPAWNBENCH_RUN=run,
            SPAWNBENCH_IMAGE=IMAGE, SPAWNBENCH_PULL_IMAGE=IMAGE, DOCKER_HOST=env["DOCKER_HOST"],
            SWARMBENCH_CONSTRAINT=constraint,
        )
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env.get("PATH", "")])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(self.config)], cwd=self.log_path.parent,
                env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + HUB_START_TIMEOUT
        while not http_ok(f"{self.api_url}/", timeout=5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.25)

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid) if self.proc else float("nan")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=60)


def task_nodes(manager: docker.DockerClient, names: list[str]) -> collections.Counter:
    nodes: collections.Counter = collections.Counter()
    for name in names:
        for service in manager.services.list(filters={"label": f"org.jupyter.hub.user={name}"}):
            for task in service.tasks(filters={"desired-state": "running"}):
                nodes[manager.nodes.get(task["NodeID"]).attrs["Description"]["Hostname"]] += 1
    return nodes


async def rounds(hub: SwarmHub, manager: docker.DockerClient, n: int, count: int) -> list[tuple[Batch, Batch, dict]]:
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
            hub = SwarmHub(Path(tmp), env, constraint, secrets.token_hex(4))
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
