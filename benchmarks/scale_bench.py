"""One hub, many servers: what the spawners cost the hub at 100, 1,000 and 10,000 servers.

    .venv/bin/python benchmarks/scale_bench.py                      # sizes 100,1000,10000
    .venv/bin/python benchmarks/scale_bench.py --sizes 100,1000 --kinds docker --spawns 200

The daemon is fakedocker in a process of its own (``python -m fakedocker serve``), so this
process's CPU is the hub's: the spawners, docker-py, and decoding the daemon's answers.  For
each spawner kind (DockerSpawner, SwarmSpawner), size N and shape (N users x 1 server, and
about sqrt(N) users x sqrt(N) named servers):

- N running servers are put on the daemon as the spawners make them (the kwargs a spawner
  builds, its labels), and N spawner objects are given the state JupyterHub would hold for them;
- one poll round of every server answered from the event-fed view (a later interval's round,
  DockerSpawner's default), and one with the monitor's snapshot expired (every poll waits on
  one list): Docker API calls (counted at the client), hub CPU, wall time;
- a hub restart: fresh spawner objects from the states, a fresh client and monitor (a new
  process has none), until every server is reattached and polled: CPU, wall, API calls;
- memory the spawner objects and the monitor hold per server (tracemalloc, after the restart's
  first round), with the JupyterHub Spawner base class included;

and once per kind, S concurrent spawns (start(), readiness check left out: the fake's
containers do not serve HTTP): hub CPU per spawn, of it in dockerspawner's own functions
(cProfile), errors.  Also the daemon's own time for the labelled list at N (the fake's side of
the poll round).  Writes benchmarks/results/scale_bench.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker
import jupyterhub
from jupyterhub.objects import Hub, Server

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from dockerspawner import (  # noqa: E402
    DockerSpawner,
    SwarmSpawner,
    process_state,  # noqa: E402
    spec,
)
from dockerspawner.monitor import Monitor  # noqa: E402

IMAGE = "quay.io/jupyterhub/singleuser:6.1"
IMAGE_CONFIG = {"Cmd": ["jupyterhub-singleuser"], "ExposedPorts": {"8888/tcp": {}}}
OUR_CODE = str(REPO / "dockerspawner")
KINDS = {"docker": DockerSpawner, "swarm": SwarmSpawner}


LIVE_ROUNDS = 7
POLL_INTERVAL = 30


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the daemon ---------------------------------------------------------------------------------

class FakeDaemon:
    def __init__(self, tmp: Path, swarm: bool):
        self.socket = tmp / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fakedocker", "serve", "--socket", str(self.socket),
             "--image", f"{IMAGE}={json.dumps(IMAGE_CONFIG)}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # the banner: it serves
        self.api = docker.APIClient(base_url=self.url, version="1.41", timeout=600)
        if swarm:
            self.api.init_swarm(advertise_addr="127.0.0.1")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@contextlib.contextmanager
def fake_daemon(tmp: Path, kind: str) -> Iterator[FakeDaemon]:
    """The daemon of one measurement (a swarm manager for SwarmSpawner); after it, the spawners'
    process state is dropped and the daemon stopped."""
    daemon = FakeDaemon(tmp, swarm=kind == "swarm")
    try:
        yield daemon
    finally:
        process_state.reset()
        daemon.stop()


# -- spawners -----------------------------------------------------------------------------------

def shape_names(n: int, shape: str) -> list[tuple[str, str]]:
    if shape == "1 server each":
        return [(f"user{i}", "") for i in range(n)]
    users = round(math.sqrt(n))
    per_user = n // users
    return [(f"user{u}", f"s{k}") for u in range(users) for k in range(per_user)][:n]


#: JupyterHub hands every spawner the one Hub object of the app
HUB = Hub(ip="127.0.0.1", port=8081)


class BenchClock:
    """The monitors' clock: real time, plus the intervals the benchmark says have passed."""

    offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


CLOCK = BenchClock()
Monitor.default_clock = CLOCK


def make_spawner(cls: type, daemon_url: str, user: str, server: str, state: dict | None = None):
    orm_user = SimpleNamespace(name=user)
    spawner = cls(
        user=SimpleNamespace(name=user, url=f"/user/{user}/", escaped_name=user, orm_user=orm_user),
        hub=HUB, orm_spawner=SimpleNamespace(name=server, server=None),
        image=IMAGE, client_kwargs={"base_url": daemon_url}, poll_interval=POLL_INTERVAL,
    )
    spawner.api_token = "scale-bench-token"
    spawner.server = Server(base_url=f"/user/{user}/{server}/" if server else f"/user/{user}/")
    if state is not None:
        spawner.load_state(state)
    return spawner


def populate(kind: str, daemon: FakeDaemon, names: list[tuple[str, str]]) -> list[dict]:
    """N running servers made from the kwargs the spawners build; their JupyterHub states."""
    cls = KINDS[kind]

    async def kwargs_of(user: str, server: str) -> dict:
        spawner = make_spawner(cls, daemon.url, user, server)
        request = await spawner.container_request()
        if kind == "docker":
            return spec.build_create_kwargs(request, "1.41")
        return spec.build_service_kwargs(request, spawner.service_options(), await spawner._translation(request))

    async def all_kwargs() -> list[dict]:
        return [await kwargs_of(u, s) for u, s in names]

    every = asyncio.run(all_kwargs())
    api = docker.APIClient(base_url=daemon.url, version="1.41", timeout=600)

    def make(kwargs: dict) -> dict:
        if kind == "docker":
            created = api.create_container(**kwargs)
            api.start(created["Id"])
            return {"object_id": created["Id"], "object_name": kwargs["name"]}
        created = api.create_service(**kwargs)
        return {"object_id": created["ID"], "object_name": kwargs["name"]}

    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(make, every))
    process_state.reset()
    return states


class CallCounter:
    """Docker API requests made by the (one) cached client, counted at the client."""

    def __init__(self) -> None:
        self.count = 0
        self.hooked: set[int] = set()

    def hook(self) -> None:
        for client in list(process_state.STATE.clients.values()):
            if id(client) not in self.hooked:
                client.hooks["response"].append(self._count)
                self.hooked.add(id(client))

    def _count(self, response, *args, **kwargs):
        self.count += 1


async def connect(spawners: list, counter: CallCounter | None) -> None:
    """The spawners' one cached client made, its requests counted from here on."""
    await spawners[0].docker_client()
    if counter is not None:
        counter.hook()


async def poll_all(spawners: list) -> list:
    return await asyncio.gather(*(s.poll() for s in spawners))


async def reattach(spawners: list) -> list:
    """What JupyterHub does with each server in the database when it starts: poll them all at
    once, then start_polling() each that runs."""
    answers = await poll_all(spawners)
    for spawner, answer in zip(spawners, answers, strict=True):
        if answer is None:
            spawner.start_polling()
    return answers


async def restart_hub(cls: type, daemon: FakeDaemon, names: list[tuple[str, str]], states: list[dict],
                      counter: CallCounter | None) -> tuple[list, list]:
    """A hub restart: new spawner objects from the states, a new client and monitor (a new
    process has none), every server reattached; the spawners and their poll answers."""
    process_state.reset()
    spawners = [make_spawner(cls, daemon.url, u, s, st) for (u, s), st in zip(names, states, strict=True)]
    await connect(spawners, counter)
    return spawners, await reattach(spawners)


@dataclass
class Cost:
    """What a round cost the hub: Docker API calls (counted at the client), CPU and wall time;
    over several rounds the median of each, and the CPU of the costliest."""

    calls: float = 0
    cpu_ms: float = 0
    wall_ms: float = 0
    cpu_max_ms: float = 0


async def cost_of(counter: CallCounter, step: Callable[[], Awaitable[Any]], rounds: int = 1,
                  before_each: Callable[[], None] | None = None) -> tuple[Cost, list]:
    """``step()`` awaited ``rounds`` times (``before_each()``, untimed, before each), the calls
    counted from here: its cost, and what each round returned."""
    counter.count = 0
    cpus, walls, results = [], [], []
    for _ in range(rounds):
        if before_each is not None:
            before_each()
        cpu, wall = time.process_time(), time.monotonic()
        results.append(await step())
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.monotonic() - wall) * 1000)
    return Cost(counter.count / rounds, statistics.median(cpus), statistics.median(walls), max(cpus)), results


def advance_clock(seconds: float) -> Callable[[], None]:
    """What makes the monitors' clock say ``seconds`` more have passed."""
    def advance() -> None:
        CLOCK.offset += seconds
    return advance


@dataclass
class Row:
    kind: str
    shape: str
    n: int
    #: a poll interval as the hub spends it now: JupyterHub runs no poll per server (the
    #: spawners handed start_polling() to the monitor); the monitor's timer runs keep_current()
    interval: Cost = field(default_factory=Cost)
    #: the interval that falls on the background resync (every 10 intervals): a full list
    resync: Cost = field(default_factory=Cost)
    #: every server polled at once, answered from the event-fed view (None: no such view)
    live: Cost | None = None
    #: the same with the monitor's snapshot expired: every poll waits on one list
    listing: Cost = field(default_factory=Cost)
    #: a hub restart: fresh objects, client and monitor; every server reattached and polled
    restart: Cost = field(default_factory=Cost)
    kb_per_server: float = 0
    daemon_list_ms: float = 0
    errors: list[str] = field(default_factory=list)


def measure(kind: str, n: int, shape: str, tmp: Path) -> Row:
    row = Row(kind, shape, n)
    with fake_daemon(tmp, kind) as daemon:
        names = shape_names(n, shape)
        t = time.monotonic()
        states = populate(kind, daemon, names)
        log(f"{kind} {shape} N={n}: populated in {time.monotonic() - t:.1f} s")
        cls = KINDS[kind]

        # the daemon's side: one labelled list, timed at the daemon's socket
        t = time.perf_counter()
        if kind == "docker":
            daemon.api.containers(all=True, filters={"label": ["org.jupyter.hub.managed-by=dockerspawner"]})
        else:
            daemon.api.services(filters={"label": ["org.jupyter.hub.managed-by=dockerspawner"]})
            daemon.api.tasks(filters={"label": ["org.jupyter.hub.managed-by=dockerspawner"]})
        row.daemon_list_ms = (time.perf_counter() - t) * 1000

        # memory first, traced (tracemalloc slows everything down, so it is a pass of its own)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        traced, _ = asyncio.run(restart_hub(cls, daemon, names, states, None))
        row.kb_per_server = (tracemalloc.get_traced_memory()[0] - base) / n / 1024
        tracemalloc.stop()
        del traced
        counter = CallCounter()

        async def session() -> None:
            row.restart, [(spawners, answers)] = await cost_of(
                counter, lambda: restart_hub(cls, daemon, names, states, counter))
            row.errors.extend([f"restart poll {a!r}" for a in answers if a is not None][:3])
            monitor = spawners[0].monitor
            row.interval, _ = await cost_of(counter, monitor.keep_current, LIVE_ROUNDS,
                                            before_each=advance_clock(POLL_INTERVAL))
            row.resync, _ = await cost_of(counter, monitor.keep_current,
                                          before_each=advance_clock(POLL_INTERVAL * monitor.resync_every))
            if monitor.live:
                # a later interval's round, answered from the event-fed view (median of
                # LIVE_ROUNDS: a round that meets Python's full garbage collection of every
                # spawner object costs several times more; the max is logged)
                row.live, rounds = await cost_of(counter, lambda: poll_all(spawners), LIVE_ROUNDS)
                for answers in rounds:
                    row.errors.extend([f"live poll {a!r}" for a in answers if a is not None][:3])
            # a listing round: the snapshot expired (poll_events=False, swarm, the periodic resync)
            row.listing, [answers] = await cost_of(counter, lambda: poll_all(spawners),
                                                   before_each=monitor.invalidate)
            row.errors.extend([f"poll {a!r}" for a in answers if a is not None][:3])
            for spawner in spawners:
                spawner.stop_polling()

        asyncio.run(session())
    log(f"  {row}")
    return row


@dataclass
class SpawnRow:
    kind: str
    n: int
    cpu_ms_per_spawn: float = 0
    ours_ms_per_spawn: float = 0
    wall_s: float = 0
    calls_per_spawn: float = 0
    errors: int = 0
    top: list[str] = field(default_factory=list)


def concurrent_spawns(kind: str, n: int, tmp: Path) -> SpawnRow:
    row = SpawnRow(kind, n)
    cls = KINDS[kind]

    class NoHTTP(cls):  # the fake's containers serve no HTTP: readiness is left out
        async def wait_for_server(self, ip, port):
            return None

    with fake_daemon(tmp, kind) as daemon:
        process_state.reset()
        spawners = [make_spawner(NoHTTP, daemon.url, f"spawn{i}", "") for i in range(n)]
        counter = CallCounter()

        async def run() -> list:
            await connect(spawners, counter)
            return await asyncio.gather(*(s.start() for s in spawners), return_exceptions=True)

        profile = cProfile.Profile()
        cpu, wall = time.process_time(), time.monotonic()
        profile.enable()
        results = asyncio.run(run())
        profile.disable()
        row.wall_s = time.monotonic() - wall
        row.cpu_ms_per_spawn = (time.process_time() - cpu) * 1000 / n
        row.calls_per_spawn = counter.count / n
        row.errors = sum(isinstance(r, BaseException) for r in results)
        stats = pstats.Stats(profile)
        ours = [(func, data[2]) for func, data in stats.stats.items() if func[0].startswith(OUR_CODE)]
        # cProfile sees the event loop's thread only; our code runs there
        row.ours_ms_per_spawn = sum(t for _, t in ours) * 1000 / n
        ours.sort(key=lambda item: -item[1])
        row.top = [f"{Path(f[0]).name}:{f[2]} {t * 1000 / n:.3f} ms" for f, t in ours[:5]]
        if row.errors:
            log(f"  first error: {next(r for r in results if isinstance(r, BaseException))!r}")
    log(f"  {row}")
    return row


def cpu_counters() -> tuple[int, int]:
    """(all, steal) jiffies of the machine so far (/proc/stat): a virtual machine's host may
    take its CPU away (steal), which makes every figure here larger."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def asyncio_floor_ms(n: int = 10_000) -> float:
    """The machine's speed, as the poll rounds meet it: hub CPU to gather ``n`` coroutines that
    do nothing (median of 7), which JupyterHub's own check of every server at start pays before
    any spawner's work."""
    async def nothing() -> None:
        return None

    async def rounds() -> list[float]:
        cpus = []
        for _ in range(LIVE_ROUNDS):
            cpu = time.process_time()
            await asyncio.gather(*(nothing() for _ in range(n)))
            cpus.append((time.process_time() - cpu) * 1000)
        return cpus

    return statistics.median(asyncio.run(rounds()))


def table(rows: list[Row], spawns: list[SpawnRow], args: argparse.Namespace, steal: float | None,
          floor_ms: float) -> str:
    out = [
        "# Scale: the hub's cost per poll round, restart and server",
        "",
        f"`python benchmarks/scale_bench.py --sizes {args.sizes} --kinds {args.kinds} --spawns {args.spawns}` — "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, JupyterHub {jupyterhub.__version__}, docker-py {docker.__version__}; "
        "the daemon is fakedocker in its own process, so CPU here is the hub's (spawners, docker-py, "
        "decoding answers). Spawner objects as JupyterHub holds them, without the rest of JupyterHub."
        + ("" if steal is None else f" CPU stolen by the virtual machine's host during the run: {steal:.0%}.")
        + f" The machine's speed: gathering 10,000 coroutines that do nothing costs {floor_ms:.0f} ms here.",
        "",
        "## Poll interval, poll round, restart, memory",
        "",
        "Interval: what one poll interval costs the hub now that JupyterHub's start_polling() is "
        "answered by the shared monitor (no coroutine per server per interval): the monitor's "
        "keep_current() — for DockerSpawner nothing (the event stream keeps the view), for "
        "SwarmSpawner one call for the tasks the swarm gave up; median of 7 intervals; and the "
        "interval that falls on the background resync (a full list, every 10 intervals). "
        "All polled at once: every server's poll() gathered, as JupyterHub polls them when it "
        "starts (answered from the view; median of 7; max). Listing round: the same with the "
        "snapshot expired, every poll waiting on one list (poll_events=False, and the stream's "
        "absence).",
        "",
        "| spawner | shape | N | interval: API calls | interval: hub CPU ms (median; max) "
        "| resync interval: API calls | resync interval: hub CPU ms "
        "| all polled at once: API calls | all polled at once: hub CPU ms (median; max) "
        "| listing round: API calls | listing round: hub CPU ms | listing round: wall ms "
        "| restart: API calls | restart: hub CPU s | restart: wall s | KB per server | daemon's list ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    for r in rows:
        live = "– | –" if r.live is None else f"{r.live.calls:g} | {r.live.cpu_ms:.0f}; {r.live.cpu_max_ms:.0f}"
        out.append(f"| {r.kind} | {r.shape} | {r.n:,} | {r.interval.calls:g} "
                   f"| {r.interval.cpu_ms:.1f}; {r.interval.cpu_max_ms:.1f} | {r.resync.calls:g} | {r.resync.cpu_ms:.0f} "
                   f"| {live} | {r.listing.calls:g} | {r.listing.cpu_ms:.0f} | {r.listing.wall_ms:.0f} "
                   f"| {r.restart.calls:g} | {r.restart.cpu_ms / 1000:.2f} | {r.restart.wall_ms / 1000:.2f} "
                   f"| {r.kb_per_server:.1f} | {r.daemon_list_ms:.0f} | {len(r.errors)} |")
    out += [
        "",
        "## Concurrent spawns (readiness check left out)",
        "",
        "| spawner | spawns | wall s | hub CPU ms per spawn | of it in dockerspawner's functions, ms | API calls per spawn | errors | where ours goes (per spawn) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in spawns:
        out.append(f"| {s.kind} | {s.n:,} | {s.wall_s:.1f} | {s.cpu_ms_per_spawn:.1f} | {s.ours_ms_per_spawn:.2f} "
                   f"| {s.calls_per_spawn:.1f} | {s.errors} | {'; '.join(s.top)} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--kinds", default="docker,swarm")
    parser.add_argument("--shapes", default="1 server each,named servers")
    parser.add_argument("--spawns", type=int, default=1000)
    parser.add_argument("--output", default=str(HERE / "results" / "scale_bench.md"))
    args = parser.parse_args()
    rows, spawns = [], []
    counters = cpu_counters()
    for kind in args.kinds.split(","):
        for n in (int(x) for x in args.sizes.split(",")):
            for shape in args.shapes.split(","):
                with tempfile.TemporaryDirectory(prefix="scalebench-") as tmp:
                    rows.append(measure(kind, n, shape, Path(tmp)))
        if args.spawns:
            with tempfile.TemporaryDirectory(prefix="scalebench-") as tmp:
                spawns.append(concurrent_spawns(kind, args.spawns, Path(tmp)))
    total, stolen = (after - before for after, before in zip(cpu_counters(), counters, strict=True))
    text = table(rows, spawns, args, stolen / total if total else None, asyncio_floor_ms())
    print(text)
    Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
