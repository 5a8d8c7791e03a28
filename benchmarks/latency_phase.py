"""spawn_bench.py's latency phase: the real ``jupyterhub-singleuser`` server, spawned through our
DockerSpawner, through the reference (PyPI ``dockerspawner`` 14.0.0, its own virtualenv, the same
JupyterHub and docker-py) and by raw docker-py (the floor), in one run.

For each N (default 1, 20, 50; N = 1 repeated): the floor, then our hub, then the reference's
hub, interleaved per round; N servers at once; ready = the hub's model says ready and
GET /user/NAME/api answers 200 through the proxy (the floor: on its published port).  Every
Docker API call is counted at the client's side of the socket: each of the three talks to the
daemon through its own counting relay (``count_proxy.py``).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "reference"))

import make_oracle  # noqa: E402
import spawn_bench as sb  # noqa: E402

ORACLE_DIR = REPO / ".cache" / "bench-oracle"
IMPLEMENTATIONS = ("floor", "ours", "reference")
LABELS = {"floor": "raw docker-py", "ours": "hub, DockerSpawner (this project)",
          "reference": "hub, reference DockerSpawner 14.0.0"}


class CountingRelay:
    """count_proxy.py in a subprocess; its request lines read by a thread."""

    def __init__(self, tmp: Path, name: str, cleanup: sb.Cleanup, upstream: str = sb.DOCKER_SOCKET):
        self.socket = tmp / f"{name}.docker.sock"
        self.url = f"unix://{self.socket}"
        self.calls: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "count_proxy.py"), "--listen", str(self.socket),
             "--upstream", upstream[len("unix://"):]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        cleanup.add(f"stop the counting relay {name}", lambda: sb.stop_process(self.proc, timeout=5))
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("listening"):
            raise RuntimeError(f"the counting relay did not start: {line!r}")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            stamp, method, route = raw.decode(errors="replace").split(" ", 2)
            with self.lock:
                self.calls.append((float(stamp), f"{method} {route.strip()}"))

    def between(self, t0: float, t1: float) -> Counter:
        with self.lock:
            return Counter(call for stamp, call in self.calls if t0 <= stamp <= t1)


@dataclass
class Run:
    """One implementation's batch of N: the timings and the Docker calls it made."""

    batch: sb.Batch
    calls: Counter = field(default_factory=Counter)

    @property
    def calls_per_spawn(self) -> float:
        return sum(self.calls.values()) / self.batch.n


@dataclass
class LatencyResult:
    runs: dict[int, dict[str, list[Run]]]  # N -> implementation -> one Run per round
    reference_version: str
    errors: list[str]


async def timed(relay: CountingRelay, what: Any) -> tuple[Any, Counter]:
    t0 = sb.time.monotonic()
    result = await what
    return result, relay.between(t0, sb.time.monotonic())


async def latency_phase(backend: sb.Backend, tmp: Path, cleanup: sb.Cleanup, run_id: str,
                        sizes: list[int], one_repeats: int) -> LatencyResult:
    sb.log(f"latency: the reference's virtualenv ({ORACLE_DIR})")
    oracle = await asyncio.to_thread(make_oracle.make, ORACLE_DIR)
    reference_version = subprocess.run(
        [str(oracle), "-c", "import dockerspawner; print(dockerspawner.__version__)"],
        capture_output=True, text=True, check=True, cwd="/").stdout.strip()
    relays = {impl: CountingRelay(tmp, f"{impl}-{backend.engine}", cleanup, upstream=backend.url)
              for impl in IMPLEMENTATIONS}
    hubs: dict[str, sb.Hub] = {}
    for impl, python in (("ours", sys.executable), ("reference", str(oracle))):
        prefix = f"sb{run_id}{impl[0]}"
        hubs[impl] = hub = sb.Hub(backend, tmp, run_id, prefix, [], python=python, name=f"hub-{impl}-{backend.engine}",
                                  extra_env={"DOCKER_HOST": relays[impl].url})
        cleanup.add(f"stop the {impl} hub", hub.stop)
        sb.log(f"latency: starting the {impl} hub (log {hub.log_path})")
        await asyncio.to_thread(hub.start)
    clients = {impl: sb.HubClient(hub) for impl, hub in hubs.items()}
    connect_ip = hubs["ours"].env["SPAWNBENCH_HUB_CONNECT_IP"]
    hub_port = int(hubs["ours"].env["SPAWNBENCH_HUB_PORT"])
    runs: dict[int, dict[str, list[Run]]] = {}
    errors: list[str] = []
    try:
        for n in sizes:
            runs[n] = {impl: [] for impl in IMPLEMENTATIONS}
            for round_ in range(one_repeats if n == 1 else 1):
                tag = f"{n}x{round_}"
                sb.log(f"latency N={n} round {round_ + 1}: floor")
                (floor, ids), calls = await timed(relays["floor"], asyncio.to_thread(
                    sb.floor_spawn, backend, n, f"sb{run_id}f{round_}", run_id, connect_ip, None, hub_port,
                    relays["floor"].url))
                runs[n]["floor"].append(Run(floor, calls))
                await asyncio.to_thread(sb.floor_stop, backend, ids)
                for impl in ("ours", "reference"):
                    api = clients[impl]
                    names = [f"r{tag}u{i}" for i in range(n)]  # r...: the image's own command
                    await api.create_users(names)
                    sb.log(f"latency N={n} round {round_ + 1}: {impl}")
                    batch, calls = await timed(relays[impl], api.spawn_batch(LABELS[impl], names))
                    runs[n][impl].append(Run(batch, calls))
                    sb.log(f"latency N={n}: {impl} makespan {batch.makespan:.2f} s, "
                           f"{sum(calls.values()) / n:.1f} Docker calls per spawn, {len(batch.errors)} errors")
                    await api.stop_batch("", names)
                    await api.delete_users(names)
                    hubs[impl].check_alive()
    finally:
        for api in clients.values():
            await api.close()
        for hub in hubs.values():
            hub.stop()
    for n, per_impl in runs.items():
        for impl, impl_runs in per_impl.items():
            errors += [f"N={n} {impl}: {e}" for r in impl_runs for e in r.batch.errors[:3]]
    return LatencyResult(runs, reference_version, errors)


def p90(times: list[float]) -> float:
    if not times:
        return float("nan")
    if len(times) == 1:
        return times[0]
    return statistics.quantiles(times, n=10, method="inclusive")[-1]


def median_run(impl_runs: list[Run]) -> Run:
    """The round with the median makespan (N = 1 is repeated)."""
    ordered = sorted(impl_runs, key=lambda r: r.batch.makespan)
    return ordered[len(ordered) // 2]


def one_user_ratio(result: LatencyResult) -> tuple[float, float, float] | None:
    """(ours, floor, ratio) of the N = 1 medians."""
    if 1 not in result.runs:
        return None
    ours = statistics.median(r.batch.makespan for r in result.runs[1]["ours"])
    floor = statistics.median(r.batch.makespan for r in result.runs[1]["floor"])
    return ours, floor, ours / floor


def latency_tables(result: LatencyResult) -> list[str]:
    lines = [
        f"The image's own `jupyterhub-singleuser`; N servers at once. Floor: raw docker-py create + start + "
        f"port from N threads, until the server answers GET /user/NAME/api on its published port (the "
        f"server asks the hub API for its version as it starts: our hub answers it). Hubs: ours and the "
        f"reference ({result.reference_version}, its own virtualenv, same JupyterHub and docker-py), the same "
        "config (`benchmarks/bench_hub_config.py`), ready = the hub's model says ready and the server answers "
        "through the proxy. Docker API calls counted at each client's side of the socket (a counting relay "
        "per client, `benchmarks/count_proxy.py`), from the first POST until the last server was ready.",
        "",
        "| N | what | runs | makespan s | median s | p90 s | makespan vs floor | median vs floor | "
        "Docker calls per spawn | hub CPU s | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, per_impl in result.runs.items():
        floor = median_run(per_impl["floor"]).batch
        for impl in IMPLEMENTATIONS:
            if not per_impl[impl]:
                continue
            run = median_run(per_impl[impl])
            b = run.batch
            rounds = len(per_impl[impl])
            makespans = ", ".join(sb.fmt(r.batch.makespan) for r in per_impl[impl]) if rounds > 1 else \
                sb.fmt(b.makespan)
            lines.append(
                f"| {n} | {LABELS[impl]} | {rounds} | {makespans} | {sb.fmt(b.median)} | {sb.fmt(p90(b.times))} | "
                f"{sb.ratio(b.makespan, floor.makespan)} | {sb.ratio(b.median, floor.median)} | "
                f"{run.calls_per_spawn:.1f} | {sb.fmt(b.hub_cpu)} | {len(b.errors)} |")
    lines += ["", "Docker API calls per spawn by route (the median round of each):", "",
              "| N | what | calls per spawn |", "|---:|---|---|"]
    for n, per_impl in result.runs.items():
        for impl in IMPLEMENTATIONS:
            if per_impl[impl]:
                run = median_run(per_impl[impl])
                routes = ", ".join(f"{route} {count / n:.1f}" for route, count in run.calls.most_common())
                lines.append(f"| {n} | {LABELS[impl]} | {routes} |")
    if result.errors:
        lines += ["", "Errors:", *(f"- {e}" for e in result.errors)]
    return lines


def latency_targets(result: LatencyResult) -> list[str]:
    lines = []
    one = one_user_ratio(result)
    if one is not None:
        ours, floor, r = one
        lines.append(f"| one user's spawn, jupyterhub-singleuser: ≤ 1.15x the raw floor (medians of "
                     f"{len(result.runs[1]['ours'])} runs) | {ours:.2f} s vs {floor:.2f} s = {r:.2f}x | "
                     f"{'yes' if r <= 1.15 else 'NO'} |")
    for n in (20, 50):
        if n in result.runs and result.runs[n]["ours"] and result.runs[n]["reference"]:
            ours = median_run(result.runs[n]["ours"]).batch
            ref = median_run(result.runs[n]["reference"]).batch
            floor = median_run(result.runs[n]["floor"]).batch
            lines.append(f"| N={n} jupyterhub-singleuser: makespan vs floor, ours and the reference | "
                         f"ours {ours.makespan:.2f} s ({sb.ratio(ours.makespan, floor.makespan)}), reference "
                         f"{ref.makespan:.2f} s ({sb.ratio(ref.makespan, floor.makespan)}), floor "
                         f"{floor.makespan:.2f} s | {'yes' if ours.makespan <= ref.makespan else 'NO'} "
                         f"(ours ≤ reference) |")
    return lines
