"""Many users at once: spawn and stop latency through a real JupyterHub, against a floor.

    .venv/bin/python benchmarks/spawn_bench.py                  # real daemon, N = 1,10,20,50
    .venv/bin/python benchmarks/spawn_bench.py --quick          # N = 1,5, a shorter pull
    .venv/bin/python benchmarks/spawn_bench.py --backend fake   # the same on fakedocker
    .venv/bin/python benchmarks/spawn_bench.py --phases latency # the real server: ours vs the
                                                                # reference vs raw docker-py

Starts JupyterHub (``benchmarks/bench_hub_config.py``: DockerSpawner, the real
configurable-http-proxy, an admin service token) in a subprocess and, for each N:

- creates N users and spawns all N servers at once through the REST API; a server is ready
  when the hub's user model says ``ready`` and the server answers through the proxy (makespan,
  first and median ready time); with the light server (``python3 -m
  jupyterhub.tests.mocksu``) and with the image's own ``jupyterhub-singleuser``;
- the floor, in the same run: the same N containers (image, command, env shape, port published
  on 127.0.0.1) created and started with raw docker-py from N threads, until each answers HTTP
  on its published port;
- stops all N at once (REST DELETE, until the hub lists none of them as active): light servers
  that ignore SIGTERM (PID 1) and that exit on it (docker's init); the raw docker-py stop of the
  floor containers for reference;
- hub CPU seconds (utime+stime of the hub process) for every phase.

Then (``benchmarks/latency_phase.py``): the image's own ``jupyterhub-singleuser`` for N = 1
(three rounds), 20 and 50, spawned by our hub, by a hub running the reference DockerSpawner
(PyPI 14.0.0 in its own virtualenv, ``.cache/bench-oracle``) and by raw docker-py, interleaved,
with every Docker API call counted at each client's side of the socket (``count_proxy.py``).

Then: one user's spawn while another user's pull is in progress (a large image from the local
registry behind a bandwidth-capped relay, ``benchmarks/throttle_proxy.py``) against the same
spawn on an idle hub; and the Docker API calls per poll interval with 200 running servers,
counted at the client on an in-process fakedocker engine (spawner objects, no hub), against
the reference-style poll (one inspect per server).

Prints the tables and writes them to benchmarks/results/spawn_bench.md (``--backend fake``:
spawn_bench_fake.md).  Everything it creates (containers, the pulled image, hub, proxy, relay,
fake daemon, state directory) is removed at the end, also on failure and on Ctrl-C; the large
image stays in the local registry as a cache (``benchmarks/big_image.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import docker
import docker.errors
import jupyterhub

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import big_image  # noqa: E402

# latency_phase imports this module by name: when run as a script, let it find this copy
sys.modules.setdefault("spawn_bench", sys.modules[__name__])

IMAGE = "quay.io/jupyterhub/singleuser:6.1"
LIGHT = ["python3", "-m", "jupyterhub.tests.mocksu"]
DOCKER_SOCKET = "unix:///var/run/docker.sock"
REGISTRY = "127.0.0.1:5000"
GRACE = 10.0  # Docker's default stop timeout: what DockerSpawner uses when stop_grace_period is None
CLK_TCK = os.sysconf("SC_CLK_TCK")

HUB_START_TIMEOUT = 90
SPAWN_TIMEOUT = 600  # a whole batch (50 real single-user servers on 2 cores)
STOP_TIMEOUT = 180
FLOOR_TIMEOUT = 300
HTTP_TIMEOUT = 15


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tail_of(log_path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a process's log file (for an error message)."""
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class Batch:
    """One timed batch: seconds from the batch's start until each item was done."""

    what: str
    n: int
    times: list[float] = field(default_factory=list)
    makespan: float = float("nan")
    hub_cpu: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def first(self) -> float:
        return min(self.times) if self.times else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:  # None or nan
        return "–"
    return f"{value:.{digits}f}"


def ratio(a: float, b: float) -> str:
    if not (a == a and b == b) or b <= 0:
        return "–"
    return f"{a / b:.2f}x"


# ---------------------------------------------------------------------------------------------
# clean-up (LIFO, runs once, also on Ctrl-C / SIGTERM / failure)


class Cleanup:
    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], Any]]] = []

    def add(self, what: str, action: Callable[[], Any]) -> None:
        self._actions.append((what, action))

    def run(self) -> None:
        while self._actions:
            what, action = self._actions.pop()
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - clean up the rest whatever happens
                log(f"clean-up: {what} failed: {exc}")


def stop_process(proc: subprocess.Popen, group: bool = True, timeout: float = 30) -> None:
    """SIGTERM, wait, then SIGKILL (its whole session when ``group``)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def remove_run_containers(client: docker.APIClient, run_label: str) -> int:
    found = client.containers(all=True, quiet=True, filters={"label": f"org.spawnbench.run={run_label}"})
    for entry in found:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client.remove_container(entry["Id"], v=True, force=True)
    return len(found)


# ---------------------------------------------------------------------------------------------
# the backend: the real daemon, or a fake daemon in a subprocess


class Backend:
    def __init__(self, kind: str, tmp: Path, cleanup: Cleanup, pull_mb: int, pull_rate: float):
        self.kind = kind
        self.tmp = tmp
        self.cleanup = cleanup
        self.pull_mb = pull_mb
        self.pull_rate = pull_rate
        self.proxy_port = free_port()
        self.pull_image = f"127.0.0.1:{self.proxy_port}/{big_image.REPOSITORY}:{big_image.tag_for(pull_mb)}"
        self.relay: subprocess.Popen | None = None
        self.fake: subprocess.Popen | None = None
        #: the engine (scripts/engines.sh): docker20 is the host's own daemon
        self.engine = "docker20"
        #: where a server's port is published and reached (an engine in a node: its address)
        self.host_ip = "127.0.0.1"
        self.connect_ip: str | None = None  # where servers reach the hub (None: docker0's address)
        if kind == "real":
            self.url = DOCKER_SOCKET
        else:
            self.url = f"unix://{tmp / 'fakedocker.sock'}"

    def on_engine(self, engine: str) -> Backend:
        """This backend, talking to the engine of scripts/engines.sh named ``engine`` (its
        socket, the node's address for published ports, the host's address on its network)."""
        if engine == "docker20":
            return self
        out = subprocess.run([str(HERE.parent / "scripts" / "engines.sh"), "env", engine],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise SystemExit(f"engine {engine} is not up (scripts/engines.sh up): {out.stderr.strip()}")
        values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        other = Backend(self.kind, self.tmp, self.cleanup, self.pull_mb, self.pull_rate)
        other.engine, other.url = engine, values["DOCKER_HOST"]
        other.host_ip, other.connect_ip = values["HOST_IP"], values["HUB_CONNECT_IP"]
        return other

    def start(self) -> None:
        if self.kind == "fake":
            log_file = open(self.tmp / "fake_daemon.log", "wb")  # noqa: SIM115 - lives as long as the daemon
            self.fake = subprocess.Popen(
                [sys.executable, str(HERE / "fake_daemon.py"), "--socket", self.url[len("unix://"):],
                 "--pull-image", self.pull_image, "--pull-mb", str(self.pull_mb),
                 "--pull-rate", str(self.pull_rate)],
                stdout=subprocess.PIPE, stderr=log_file, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            self.cleanup.add("stop the fake daemon", lambda: stop_process(self.fake, timeout=30))
            line = self.fake.stdout.readline().decode().strip()
            if line != "ready":
                raise RuntimeError(f"the fake daemon did not start: {line!r}\n{tail_of(Path(log_file.name))}")
        client = self.api()
        client.ping()
        try:
            client.inspect_image(IMAGE)
        except docker.errors.ImageNotFound:
            raise SystemExit(f"{IMAGE} is missing: run scripts/build-singleuser-image.sh") from None
        if self.kind == "real":
            big_image.ensure(docker.DockerClient(base_url=DOCKER_SOCKET, timeout=900), self.pull_mb, log=log)
            big_image.remove_local(docker.DockerClient(base_url=DOCKER_SOCKET, timeout=60), "127.0.0.1:")
            self.relay = subprocess.Popen(
                [sys.executable, str(HERE / "throttle_proxy.py"), "--listen", f"127.0.0.1:{self.proxy_port}",
                 "--upstream", REGISTRY, "--rate", str(self.pull_rate)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.cleanup.add("stop the throttling relay", lambda: stop_process(self.relay, timeout=5))
            line = self.relay.stdout.readline().decode().strip()
            if not line.startswith("listening"):
                raise RuntimeError(f"the throttling relay did not start: {line!r}")

    def api(self, pool: int = 10, timeout: int = 120) -> docker.APIClient:
        return docker.APIClient(base_url=self.url, version="auto", timeout=timeout, max_pool_size=pool)

    def hub_connect_ip(self) -> str:
        if self.kind == "fake":
            return "127.0.0.1"
        if self.connect_ip:
            return self.connect_ip
        attrs = self.api().inspect_network("bridge")
        for config in (attrs.get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway") and ":" not in config["Gateway"]:
                return config["Gateway"]
        interface = (attrs.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", interface], capture_output=True,
                             text=True, timeout=5, check=True).stdout.split()
        return out[out.index("inet") + 1].split("/")[0]

    def remove_pulled_image(self) -> None:
        if self.kind == "real":
            with contextlib.suppress(docker.errors.NotFound):
                self.api().remove_image(self.pull_image, force=True)


# ---------------------------------------------------------------------------------------------
# the hub


class Hub:
    """The benchmark hub in a subprocess: ``config`` (default bench_hub_config.py) with the
    SPAWNBENCH_* environment it reads, and ``extra_env`` on top."""

    def __init__(self, backend: Backend, tmp: Path, run: str, prefix: str, experiments: list[str],
                 log_level: str | None = None, config: Path | None = None,
                 extra_env: dict[str, str] | None = None, python: str = sys.executable, name: str = "hub"):
        self.backend = backend
        self.config = config or HERE / "bench_hub_config.py"
        self.python = python
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/hub/api"
        self.token = secrets.token_hex(32)
        self.log_path = tmp / f"{name}.log"
        # what bench_hub_config.py reads, each SPAWNBENCH_<key>
        settings = {
            "PORT": self.port, "HUB_PORT": free_port("0.0.0.0"), "PROXY_API_PORT": free_port(),
            "HUB_IP": "0.0.0.0" if backend.kind == "real" else "127.0.0.1",
            "HUB_CONNECT_IP": backend.hub_connect_ip(), "HOST_IP": backend.host_ip,
            "STATE_DIR": tmp / f"{name}-state", "TOKEN": self.token, "PREFIX": prefix, "RUN": run,
            "IMAGE": IMAGE, "PULL_IMAGE": backend.pull_image, "EXPERIMENTS": ",".join(experiments),
        }
        if log_level:
            settings["LOG_LEVEL"] = log_level
        self.env = {**os.environ, "DOCKER_HOST": backend.url,
                    **{f"SPAWNBENCH_{key}": str(value) for key, value in settings.items()}}
        self.env.update(extra_env or {})
        self.env["PATH"] = os.pathsep.join([str(Path(python).parent), self.env.get("PATH", "")])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [self.python, "-m", "jupyterhub", "-f", str(self.config)],
                cwd=self.log_path.parent, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + HUB_START_TIMEOUT
        while True:
            self.check_alive()
            if http_ok(f"{self.api_url}/", timeout=5):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer within {HUB_START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.25)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {self.proc.returncode}:\n{self.log_tail()}")

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid) if self.proc else float("nan")

    def log_tail(self, lines: int = 40) -> str:
        return tail_of(self.log_path, lines)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=60)


class HubClient:
    """The REST API calls the benchmark makes (one aiohttp session, admin service token)."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self.session = aiohttp.ClientSession(
            headers={"Authorization": f"token {hub.token}"},
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=HTTP_TIMEOUT),
        )

    async def close(self) -> None:
        await self.session.close()

    async def create_users(self, names: list[str]) -> None:
        async with self.session.post(f"{self.hub.api_url}/users", json={"usernames": names}) as reply:
            if reply.status != 201:
                raise RuntimeError(f"creating users answered {reply.status}: {await reply.text()}")

    async def delete_users(self, names: list[str]) -> None:
        async def delete(name: str) -> None:
            async with self.session.delete(f"{self.hub.api_url}/users/{name}") as reply:
                await reply.read()

        await asyncio.gather(*(delete(n) for n in names))

    async def user(self, name: str) -> dict:
        async with self.session.get(f"{self.hub.api_url}/users/{name}") as reply:
            reply.raise_for_status()
            return await reply.json()

    async def active(self) -> set[str]:
        async with self.session.get(f"{self.hub.api_url}/users", params={"state": "active", "limit": "1000"}) as reply:
            reply.raise_for_status()
            return {u["name"] for u in await reply.json()}

    async def spawn_one(self, name: str, t0: float, events: list | None = None) -> float:
        """POST the spawn, follow it until ready; returns the seconds since ``t0`` at which the
        hub's model said ready and the server answered through the proxy."""
        async def post() -> int:
            async with self.session.post(f"{self.hub.api_url}/users/{name}/server") as reply:
                body = await reply.text()
                if reply.status not in (201, 202):
                    raise RuntimeError(f"spawn {name}: {reply.status} {body[:200]}")
                return reply.status

        posting = asyncio.ensure_future(post())
        if events is not None:
            # follow the progress from the start (the stream answers 400 until the spawn is pending)
            for _ in range(100):
                await asyncio.sleep(0.2)
                if posting.done() and posting.exception() is not None:
                    break
                if await self._follow_progress(name, t0, events):
                    break
        status = await posting
        if status == 202 and events is None:
            await self._follow_progress(name, t0, events)
        # the hub's model
        for _ in range(600):
            model = await self.user(name)
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                break
            if model.get("pending") is None and not server:
                raise RuntimeError(f"spawn {name}: the hub reports no server and nothing pending")
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"spawn {name}: the hub never said ready")
        # the server itself, through the proxy
        url = f"{self.hub.url}/user/{name}/api"
        last = None
        for _ in range(600):
            try:
                async with self.session.get(url, allow_redirects=False) as reply:
                    last = reply.status
                    await reply.read()
                    if reply.status == 200:
                        return time.monotonic() - t0
            except aiohttp.ClientError as exc:
                last = exc
            await asyncio.sleep(0.1)
        raise RuntimeError(f"spawn {name}: {url} never answered 200 (last: {last})")

    async def _follow_progress(self, name: str, t0: float, events: list | None) -> bool:
        """Read the spawn's event stream until ready; False when it is not pending (yet)."""
        url = f"{self.hub.api_url}/users/{name}/server/progress"
        async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=SPAWN_TIMEOUT)) as reply:
            if reply.status == 400:
                return False
            reply.raise_for_status()
            async for raw in reply.content:
                line = raw.decode(errors="replace").strip()
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if events is not None:
                    events.append((time.monotonic() - t0, event))
                if event.get("failed"):
                    raise RuntimeError(f"spawn {name} failed: {event.get('message')}")
                if event.get("ready"):
                    return True
        return True

    async def spawn_batch(self, what: str, names: list[str]) -> Batch:
        batch = Batch(what, len(names))
        cpu0 = self.hub.cpu()
        t0 = time.monotonic()
        results = await asyncio.wait_for(
            asyncio.gather(*(self.spawn_one(n, t0) for n in names), return_exceptions=True), SPAWN_TIMEOUT)
        batch.makespan = time.monotonic() - t0
        batch.hub_cpu = self.hub.cpu() - cpu0
        for result in results:
            if isinstance(result, BaseException):
                batch.errors.append(str(result))
            else:
                batch.times.append(result)
        if batch.times:
            batch.makespan = max(batch.times)
        return batch

    async def stop_batch(self, what: str, names: list[str]) -> Batch:
        """DELETE every server at once; done when the hub lists none of them as active."""
        batch = Batch(what, len(names))
        cpu0 = self.hub.cpu()
        t0 = time.monotonic()

        async def delete(name: str) -> None:
            async with self.session.delete(f"{self.hub.api_url}/users/{name}/server") as reply:
                if reply.status not in (202, 204):
                    batch.errors.append(f"stop {name}: {reply.status} {(await reply.text())[:200]}")

        deletes = asyncio.gather(*(delete(n) for n in names), return_exceptions=True)
        remaining = set(names)
        deadline = t0 + STOP_TIMEOUT
        while remaining and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            now = time.monotonic() - t0
            active = await self.active()
            for name in list(remaining):
                if name not in active:
                    remaining.discard(name)
                    batch.times.append(now)
        await asyncio.wait_for(deletes, STOP_TIMEOUT)
        batch.makespan = max(batch.times) if batch.times else float("nan")
        batch.hub_cpu = self.hub.cpu() - cpu0
        batch.errors.extend(f"stop {n}: still active after {STOP_TIMEOUT} s" for n in sorted(remaining))
        return batch


# ---------------------------------------------------------------------------------------------
# the floor: raw docker-py, N threads


def floor_env(name: str, hub_connect_ip: str, hub_port: int = 8081) -> dict[str, str]:
    """The environment shape DockerSpawner gives a server (JupyterHub's variables); the real
    single-user server asks the hub API at ``hub_connect_ip:hub_port`` for its version as it
    starts (it exits when no hub answers), the light one does not."""
    return {
        "JUPYTERHUB_API_TOKEN": secrets.token_hex(16),
        "JPY_API_TOKEN": secrets.token_hex(16),
        "JUPYTERHUB_CLIENT_ID": f"jupyterhub-user-{name}",
        "JUPYTERHUB_HOST": "",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": f"/user/{name}/oauth_callback",
        "JUPYTERHUB_OAUTH_SCOPES": json.dumps([f"access:servers!server={name}/"]),
        "JUPYTERHUB_OAUTH_ACCESS_SCOPES": json.dumps([f"access:servers!server={name}/"]),
        "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]",
        "JUPYTERHUB_USER": name,
        "JUPYTERHUB_SERVER_NAME": "",
        "JUPYTERHUB_API_URL": f"http://{hub_connect_ip}:{hub_port}/hub/api",
        "JUPYTERHUB_ACTIVITY_URL": f"http://{hub_connect_ip}:{hub_port}/hub/api/users/{name}/activity",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_SERVICE_PREFIX": f"/user/{name}/",
        "JUPYTERHUB_SERVICE_URL": f"http://0.0.0.0:8888/user/{name}/",
        "JUPYTER_IMAGE_SPEC": IMAGE,
        "JUPYTER_IMAGE": IMAGE,
    }


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status == 200
    except (OSError, urllib.error.URLError):
        return False


def floor_spawn(backend: Backend, n: int, prefix: str, run: str, hub_connect_ip: str,
                command: list[str] | None = LIGHT, hub_port: int = 8081,
                docker_url: str | None = None) -> tuple[Batch, list[str]]:
    """Create, start and reach N servers (``command``; None: the image's own) from N threads at
    once, through ``docker_url`` (default: the backend's socket)."""
    client = docker.APIClient(base_url=docker_url, version="auto", timeout=120, max_pool_size=max(n, 10)) \
        if docker_url else backend.api(pool=max(n, 10))
    batch = Batch("raw docker-py", n)
    ids: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n + 1)
    t0_box: list[float] = []

    def one(i: int) -> None:
        name = f"{prefix}-floor{n}x{i}"
        user = f"floor{n}x{i}"
        try:
            barrier.wait(timeout=60)
            t0 = t0_box[0]
            host_config = client.create_host_config(port_bindings={8888: (backend.host_ip, None)})
            created = client.create_container(
                IMAGE, command=command, name=name, environment=floor_env(user, hub_connect_ip, hub_port), ports=[8888],
                host_config=host_config,
                labels={"org.jupyter.hub.managed-by": "spawnbench-floor", "org.jupyter.hub.user": user,
                        "org.jupyter.hub.server-name": "", "org.jupyter.hub.image": IMAGE,
                        "org.spawnbench.run": run},
            )
            with lock:
                ids.append(created["Id"])
            client.start(created["Id"])
            binding = client.port(created["Id"], 8888)[0]
            url = f"http://{backend.host_ip}:{binding['HostPort']}/user/{user}/api"
            deadline = time.monotonic() + FLOOR_TIMEOUT
            while not http_ok(url):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} never answered")
                time.sleep(0.1)
            with lock:
                batch.times.append(time.monotonic() - t0)
        except Exception as exc:  # noqa: BLE001 - counted as an error of the batch
            with lock:
                batch.errors.append(f"{name}: {exc}")

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    t0_box.append(time.monotonic())
    barrier.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=FLOOR_TIMEOUT + 60)
    batch.makespan = max(batch.times) if batch.times else float("nan")
    return batch, ids


def floor_stop(backend: Backend, ids: list[str]) -> Batch:
    """docker stop (Docker's default timeout) then rm, for every container from its own thread."""
    client = backend.api(pool=max(len(ids), 10), timeout=120)
    batch = Batch("raw docker-py stop+rm", len(ids))
    lock = threading.Lock()
    t0 = time.monotonic()

    def one(container_id: str) -> None:
        try:
            client.stop(container_id)
            client.remove_container(container_id, v=True, force=True)
            with lock:
                batch.times.append(time.monotonic() - t0)
        except Exception as exc:  # noqa: BLE001
            with lock:
                batch.errors.append(str(exc))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=STOP_TIMEOUT)
    batch.makespan = max(batch.times) if batch.times else float("nan")
    return batch


# ---------------------------------------------------------------------------------------------
# phases


async def size_phase(n: int, backend: Backend, hub: Hub, api: HubClient, prefix: str, run: str,
                     kinds: list[str]) -> dict[str, Batch]:
    out: dict[str, Batch] = {}
    connect_ip = hub.env["SPAWNBENCH_HUB_CONNECT_IP"]
    log(f"N={n}: floor (raw docker-py, {n} threads)")
    out["floor"], ids = await asyncio.to_thread(floor_spawn, backend, n, prefix, run, connect_ip)
    log(f"N={n}: floor makespan {out['floor'].makespan:.2f} s; raw stop")
    out["floor_stop"] = await asyncio.to_thread(floor_stop, backend, ids)
    labels = {"l": "hub, light (PID 1)", "i": "hub, light (init)", "r": "hub, jupyterhub-singleuser"}
    for kind in kinds:
        names = [f"{kind}{n}x{i}" for i in range(n)]
        await api.create_users(names)
        log(f"N={n}: spawning {n} x {labels[kind]}")
        out[f"spawn_{kind}"] = await api.spawn_batch(labels[kind], names)
        log(f"N={n}: {labels[kind]} makespan {out[f'spawn_{kind}'].makespan:.2f} s "
            f"({len(out[f'spawn_{kind}'].errors)} errors); stopping all")
        if kind == "l":
            # one more user's spawn, 1 s into the stop of N servers that each hold their stop
            # call for the whole grace period: does it wait for them?
            probe = f"iprobe{n}"
            await api.create_users([probe])

            async def probe_spawn(probe: str = probe) -> float:
                await asyncio.sleep(1.0)
                return await api.spawn_one(probe, time.monotonic())

            stopped, probe_time = await asyncio.gather(api.stop_batch(labels[kind], names), probe_spawn(),
                                                       return_exceptions=True)
            if isinstance(stopped, BaseException):
                raise stopped
            out[f"stop_{kind}"] = stopped
            out["probe"] = Batch("one spawn (init) 1 s into the stop", 1)
            if isinstance(probe_time, BaseException):
                out["probe"].errors.append(str(probe_time))
            else:
                out["probe"].times.append(probe_time)
                out["probe"].makespan = probe_time
            await api.stop_batch("", [probe])
            await api.delete_users([probe])
        else:
            out[f"stop_{kind}"] = await api.stop_batch(labels[kind], names)
        log(f"N={n}: stop {labels[kind]} makespan {out[f'stop_{kind}'].makespan:.2f} s")
        await api.delete_users(names)
        hub.check_alive()
    return out


@dataclass
class PullResult:
    idle: list[float]
    during: list[float]
    pull_image: str
    pull_window: tuple[float, float] | None  # (first pull progress, pull done) since A's POST
    a_ready: float | None
    during_windows: list[tuple[float, float]]
    hub_cpu_idle: float
    hub_cpu_during: float
    errors: list[str]


async def pull_phase(backend: Backend, hub: Hub, api: HubClient, rounds: int) -> PullResult:
    errors: list[str] = []
    idle_names = [f"iidle{k}" for k in range(rounds)]
    during_names = [f"ipull{k}" for k in range(rounds)]
    await api.create_users(idle_names + during_names + ["pbig"])

    async def one_spawn(name: str) -> float:
        t0 = time.monotonic()
        took = await api.spawn_one(name, t0)
        await api.stop_batch("", [name])  # init: exits on SIGTERM, quick
        return took

    log(f"pull: {rounds} spawns on the idle hub")
    cpu0 = hub.cpu()
    idle = [await one_spawn(n) for n in idle_names]
    cpu_idle = hub.cpu() - cpu0

    log(f"pull: user pbig spawns {backend.pull_image} (pull_policy always) ...")
    events: list[tuple[float, dict]] = []
    a_t0 = time.monotonic()
    a_task = asyncio.ensure_future(api.spawn_one("pbig", a_t0, events))
    # wait until bytes flow (a progress event with a percentage of the pull)
    deadline = time.monotonic() + 60
    while not any("Pulling image" in e.get("message", "") and "%" in e.get("message", "") for _, e in events):
        if a_task.done() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    log("pull: in progress; spawning the light server for other users meanwhile")
    during: list[float] = []
    windows: list[tuple[float, float]] = []
    cpu0 = hub.cpu()
    # spread the spawns over the expected download time
    expected = backend.pull_mb * 1.048576e6 / backend.pull_rate
    spacing = max(0.0, (expected - 6) / rounds)
    for k, name in enumerate(during_names):
        await asyncio.sleep(max(0.0, a_t0 + 2 + k * spacing - time.monotonic()))
        start = time.monotonic() - a_t0
        during.append(await one_spawn(name))
        windows.append((start, start + during[-1]))
        if a_task.done():
            errors.append(f"the pull ended before {name}'s spawn finished")
    cpu_during = hub.cpu() - cpu0
    a_ready = None
    try:
        a_ready = await asyncio.wait_for(a_task, SPAWN_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"pbig: {exc}")
    pulling = [t for t, e in events if "Pulling image" in e.get("message", "")]
    pulled = [t for t, e in events if e.get("message", "").startswith("Pulled image")]
    window = (pulling[0], pulled[0]) if pulling and pulled else None
    log(f"pull: pbig ready after {fmt(a_ready)} s (pull {window}); stopping")
    await api.stop_batch("", ["pbig"])
    await api.delete_users(idle_names + during_names + ["pbig"])
    backend.remove_pulled_image()
    return PullResult(idle, during, backend.pull_image, window, a_ready, windows, cpu_idle, cpu_during, errors)


# -- poll: Docker API calls per poll interval, counted at the client (in-process fakedocker) ----


async def poll_phase(sizes: list[int], interval: float, intervals: int) -> list[dict[str, Any]]:
    from types import SimpleNamespace

    from jupyterhub.objects import Hub as HubObject
    from jupyterhub.objects import Server
    from traitlets.config import Config

    import fakedocker
    from dockerspawner import DockerSpawner
    from dockerspawner.client import ClientCache

    rows = []
    for n in sizes:
        for style in ("dockerspawner", "reference"):
            engine = fakedocker.FakeEngine()
            engine.add_image(IMAGE, config={"Cmd": ["jupyterhub-singleuser"], "ExposedPorts": {"8888/tcp": {}}})
            ClientCache.clear()
            with fakedocker.patch(engine):
                spawners = []
                for i in range(n):
                    user = SimpleNamespace(name=f"u{i}", url=f"/user/u{i}/", escaped_name=f"u{i}")
                    spawner = DockerSpawner(user=user, hub=HubObject(),
                                            orm_spawner=SimpleNamespace(name="", server=None), config=Config(),
                                            image=IMAGE, cmd=LIGHT, poll_interval=int(interval) or 1)
                    spawner.api_token = "t"
                    spawner.server = Server(base_url=f"/user/u{i}/")
                    spawners.append(spawner)
                before = dict(engine.calls)
                await asyncio.gather(*(s.start() for s in spawners))
                start_calls = sum(engine.calls.values()) - sum(before.values())
                per_interval = await _simulate_polls(engine, spawners, interval, intervals, style)
                for s in spawners:
                    await s.stop(now=True)
            ClientCache.clear()
            engine.close()
            steady = per_interval[1:]  # the first interval includes the start-up of polling
            rows.append({
                "n": n, "style": style, "calls_per_spawn": start_calls / n,
                "per_interval": per_interval, "mean": statistics.mean(c["total"] for c in steady),
                "max": max(c["total"] for c in steady),
                "methods": _sum_methods(steady),
            })
            log(f"poll: N={n} {style}: {[c['total'] for c in per_interval]} calls per interval")
    return rows


async def _simulate_polls(engine: Any, spawners: list, interval: float, intervals: int, style: str) -> list[dict]:
    """Every spawner polls once per interval, at its own phase, with JupyterHub's jitter (the
    hub's PeriodicCallback: interval * (1 + 0.1 * (random - 0.5)))."""
    rng = random.Random(1)
    loop = asyncio.get_running_loop()
    t_start = loop.time()
    t_end = t_start + interval * (intervals + 1)  # the first interval is warm-up

    async def reference_poll(spawner: Any) -> None:
        # the reference DockerSpawner: poll() -> get_object() -> one inspect per server
        await spawner.docker("inspect_container", spawner.object_id)

    async def poller(spawner: Any, phase: float) -> None:
        await asyncio.sleep(phase)
        while loop.time() < t_end:
            if style == "reference":
                await reference_poll(spawner)
            else:
                status = await spawner.poll()
                if status is not None:
                    raise RuntimeError(f"{spawner.object_name} polled as stopped: {status}")
            await asyncio.sleep(interval * (1 + 0.1 * (rng.random() - 0.5)))

    async def sampler() -> list[dict]:
        samples = []
        for k in range(1, intervals + 2):
            await asyncio.sleep(max(0.0, t_start + k * interval - loop.time()))
            samples.append(dict(engine.calls))
        return samples

    base = dict(engine.calls)
    tasks = [asyncio.ensure_future(poller(s, rng.random() * interval)) for s in spawners]
    samples = await sampler()
    await asyncio.gather(*tasks)
    out, previous = [], base
    for sample in samples:
        methods = {k: sample.get(k, 0) - previous.get(k, 0) for k in sample}
        methods = {k: v for k, v in methods.items() if v}
        out.append({"total": sum(methods.values()), "methods": methods})
        previous = sample
    return out


def _sum_methods(intervals: list[dict]) -> dict[str, float]:
    total: dict[str, float] = {}
    for c in intervals:
        for k, v in c["methods"].items():
            total[k] = total.get(k, 0) + v / len(intervals)
    return total


# ---------------------------------------------------------------------------------------------
# report


def spawn_table(per_size: dict[int, dict[str, Batch]]) -> list[str]:
    lines = [
        "| N | what | makespan s | first s | median s | makespan vs floor | hub CPU s | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n, phases in per_size.items():
        floor = phases["floor"]
        for key in ("floor", "spawn_l", "spawn_i", "spawn_r"):
            if key not in phases:
                continue
            b = phases[key]
            lines.append(f"| {n} | {b.what} | {fmt(b.makespan)} | {fmt(b.first)} | {fmt(b.median)} | "
                         f"{ratio(b.makespan, floor.makespan) if key != 'floor' else '1.00x'} | "
                         f"{fmt(b.hub_cpu)} | {len(b.errors)} |")
    return lines


def stop_table(per_size: dict[int, dict[str, Batch]]) -> list[str]:
    lines = [
        f"| N | what | all stopped s | first s | median s | vs one grace period ({GRACE:.0f} s) | hub CPU s | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"floor_stop": "raw docker-py stop+rm, light (PID 1: ignores SIGTERM)",
             "stop_l": "hub, light (PID 1: ignores SIGTERM)", "stop_i": "hub, light (init: exits on SIGTERM)",
             "stop_r": "hub, jupyterhub-singleuser"}
    for n, phases in per_size.items():
        for key, label in names.items():
            if key not in phases:
                continue
            b = phases[key]
            lines.append(f"| {n} | {label} | {fmt(b.makespan)} | {fmt(b.first)} | {fmt(b.median)} | "
                         f"{ratio(b.makespan, GRACE)} | {fmt(b.hub_cpu)} | {len(b.errors)} |")
    probes = [(n, phases["probe"]) for n, phases in per_size.items() if "probe" in phases]
    if probes:
        lines += ["", "Head-of-line check: one more user spawns a light server (init) 1 s after the DELETEs "
                  "of the N SIGTERM-ignoring servers went out (idle-hub spawn of the same: see the pull section).",
                  "", "| N stopping | spawn latency s | errors |", "|---:|---:|---:|"]
        lines += [f"| {n} | {fmt(b.makespan)} | {len(b.errors)} |" for n, b in probes]
    return lines


def pull_table(p: PullResult, pull_mb: int, pull_rate: float) -> list[str]:
    idle, during = statistics.median(p.idle), statistics.median(p.during)
    window = f"{p.pull_window[0]:.1f} – {p.pull_window[1]:.1f} s" if p.pull_window else "–"
    return [
        f"Image `{p.pull_image}` ({pull_mb} MB random layer over the single-user image), "
        f"relay capped at {pull_rate / 1e6:.0f} MB/s; user `pbig` pulls it (pull_policy always); "
        f"pull from first progress to 'Pulled image': {window} after its POST; pbig ready at {fmt(p.a_ready)} s.",
        "",
        "| spawn of one light server (init) | runs, s | median s | hub CPU s (all runs) |",
        "|---|---|---:|---:|",
        f"| idle hub | {', '.join(fmt(t) for t in p.idle)} | {fmt(idle)} | {fmt(p.hub_cpu_idle)} |",
        f"| while pbig's pull is in progress | {', '.join(fmt(t) for t in p.during)} | {fmt(during)} | "
        f"{fmt(p.hub_cpu_during)} |",
        f"| ratio (median) | | {ratio(during, idle)} | |",
        "",
        "Spawn windows during the pull (s after pbig's POST): "
        + ", ".join(f"{a:.1f}–{b:.1f}" for a, b in p.during_windows)
        + ("" if not p.errors else f"  \nProblems: {'; '.join(p.errors)}"),
    ]


def poll_table(rows: list[dict], interval: float) -> list[str]:
    lines = [
        f"Spawner objects on an in-process fakedocker engine; poll_interval {interval:g} s, every spawner "
        "polls once per interval at its own phase with JupyterHub's 10 % jitter; calls counted by the "
        "engine per docker-py method; first interval (warm-up) left out.",
        "",
        "| N running | poll style | Docker API calls per interval (mean) | max | calls by method per interval | "
        "calls per spawn (start) |",
        "|---:|---|---:|---:|---|---:|",
    ]
    for r in rows:
        methods = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["methods"].items()))
        style = ("DockerSpawner.poll (shared monitor)" if r["style"] == "dockerspawner"
                 else "reference-style (one inspect per server)")
        lines.append(f"| {r['n']} | {style} | {r['mean']:.1f} | {r['max']} | {methods} | "
                     f"{r['calls_per_spawn']:.1f} |")
    return lines


def targets(per_size: dict[int, dict[str, Batch]], pull: PullResult | None, poll_rows: list[dict]) -> list[str]:
    lines = ["| target | measured | met |", "|---|---|---|"]
    if 20 in per_size and "spawn_l" in per_size[20]:
        b, f = per_size[20]["spawn_l"], per_size[20]["floor"]
        r = b.makespan / f.makespan
        lines.append(f"| N=20 light spawns: makespan ≤ 1.15x raw docker-py floor | {b.makespan:.2f} s vs "
                     f"{f.makespan:.2f} s = {r:.2f}x | {'yes' if r <= 1.15 and not b.errors else 'NO'} |")
    if 20 in per_size and "stop_l" in per_size[20]:
        b = per_size[20]["stop_l"]
        r = b.makespan / GRACE
        lines.append(f"| stop 20 SIGTERM-ignoring servers ≤ 1.3x one grace period | {b.makespan:.2f} s vs "
                     f"{GRACE:.0f} s = {r:.2f}x | {'yes' if r <= 1.3 and not b.errors else 'NO'} |")
    if pull is not None:
        idle, during = statistics.median(pull.idle), statistics.median(pull.during)
        r = during / idle
        lines.append(f"| spawn during another user's pull ≤ 1.2x idle spawn | {during:.2f} s vs {idle:.2f} s "
                     f"(medians) = {r:.2f}x | {'yes' if r <= 1.2 and not pull.errors else 'NO'} |")
    ours = [r for r in poll_rows if r["style"] == "dockerspawner"]
    if ours:
        worst = max(r["max"] for r in ours)
        at = {r["n"]: r["max"] for r in ours}
        lines.append(f"| poll: ≤ 2 Docker API calls per interval at N=200, independent of N | max per interval "
                     f"by N: {at} | {'yes' if worst <= 2 else 'NO'} |")
    return lines


def errors_section(per_size: dict[int, dict[str, Batch]]) -> list[str]:
    lines = []
    for n, phases in per_size.items():
        for key, b in phases.items():
            for err in b.errors[:5]:
                lines.append(f"- N={n} {key}: {err}")
    return ["", "Errors:", *lines] if lines else []


# ---------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, cleanup: Cleanup) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="spawnbench-"))
    cleanup.add("remove the state directory", lambda: shutil.rmtree(tmp, ignore_errors=True))
    run_id = secrets.token_hex(4)
    prefix = f"sb{run_id}"
    backend = Backend(args.backend, tmp, cleanup, args.pull_mb, args.pull_rate)
    backend.start()
    cleanup.add("remove this run's containers",
                lambda: log(f"clean-up: removed {remove_run_containers(backend.api(), run_id)} leftover containers"))
    cleanup.add("remove the pulled image", backend.remove_pulled_image)
    per_size: dict[int, dict[str, Batch]] = {}
    pull = None
    pool_warnings = 0
    if "sizes" in args.phases or "pull" in args.phases:
        hub = Hub(backend, tmp, run_id, prefix, args.experiment, args.hub_log_level)
        cleanup.add("stop the hub", hub.stop)
        log(f"starting the hub (log {hub.log_path}), backend {args.backend} ({backend.url})")
        hub.start()
        api = HubClient(hub)
        try:
            kinds = args.kinds or (["l", "i"] + (["r"] if args.backend == "real" else []))
            for n in args.sizes if "sizes" in args.phases else []:
                per_size[n] = await size_phase(n, backend, hub, api, prefix, run_id, kinds)
            if "pull" in args.phases:
                pull = await pull_phase(backend, hub, api, args.pull_rounds)
        finally:
            await api.close()
        hub_log = hub.log_path.read_text(errors="replace")
        if args.keep_hub_log:
            Path(args.keep_hub_log).write_text(hub_log)
        pool_warnings = hub_log.count("Connection pool is full")
        hub.stop()
    latency: dict[str, Any] = {}  # engine -> its latency result, in --engines order
    if "latency" in args.phases:
        import latency_phase

        for engine in args.engines:
            on = backend.on_engine(engine)
            log(f"latency phase on {engine} ({on.url})")
            latency[engine] = await latency_phase.latency_phase(on, tmp, cleanup, f"{run_id}{engine[-2:]}",
                                                                args.latency_sizes, args.latency_repeats)
    poll_rows = await poll_phase(args.poll_sizes, args.poll_interval, args.poll_intervals) \
        if "poll" in args.phases else []

    title = "fakedocker (benchmarks/fake_daemon.py)" if args.backend == "fake" else \
        "the real Docker daemon"
    daemon_version = backend.api().version().get("Version", "?")
    out = [
        f"# spawn benchmark on {title}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"`{' '.join([Path(sys.executable).name, *sys.argv])}` — {os.cpu_count()} cores, python "
        f"{platform.python_version()}, JupyterHub {jupyterhub.__version__}, docker-py {docker.__version__}, "
        f"daemon {daemon_version}, image `{IMAGE}`; DockerSpawner defaults (docker_concurrency 20, "
        f"stop_grace_period None = Docker's {GRACE:.0f} s), remove=True. One run each."
        + (f" **Experiment: {', '.join(args.experiment)}** (benchmarks/bench_hub_config.py)." if args.experiment
           else ""),
        "",
        "## Targets",
        "",
        *targets(per_size, pull, poll_rows),
        *[line.replace("| ", f"| {engine}: ", 1) for engine, result in latency.items()
          for line in latency_phase.latency_targets(result)],
    ]
    for engine, result in latency.items():
        version = backend.on_engine(engine).api().version().get("Version", "?")
        out += ["", f"## The real single-user server on {engine} (Docker {version}): ours, the reference "
                    "and the floor", "", *latency_phase.latency_tables(result)]
    if per_size:
        out += [
            "",
            "## Concurrent spawns",
            "",
            "N users' servers spawned at once through the REST API; ready = the hub's model says `ready` and "
            "GET /user/NAME/api answers 200 through the proxy. Floor: the same containers (image, light "
            "command, JupyterHub env shape, port published on 127.0.0.1) created and started with raw "
            "docker-py from N threads, until each answers HTTP on its published port.",
            "",
            *spawn_table(per_size),
            "",
            "## Stopping all at once",
            "",
            "REST DELETE for every user at once, until the hub lists none of them as active (the containers "
            "are also removed: remove=True). Raw: docker stop (default timeout) + rm from N threads.",
            "",
            *stop_table(per_size),
        ]
    if pull is not None:
        out += ["", "## A spawn while another user's image is being pulled", "",
                *pull_table(pull, args.pull_mb, args.pull_rate)]
    if poll_rows:
        out += ["", "## Docker API calls per poll interval", "", *poll_table(poll_rows, args.poll_interval)]
    if pool_warnings:
        out += ["", f"The hub log has {pool_warnings} urllib3 'Connection pool is full' warnings "
                    "(docker-py's connection pool is smaller than docker_concurrency)."]
    out += errors_section(per_size)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["real", "fake"], default="real")
    parser.add_argument("--sizes", default=None, help="comma-separated N (default 1,10,20,50; --quick 1,5)")
    parser.add_argument("--quick", action="store_true", help="N = 1,5, a faster pull, a shorter poll count")
    parser.add_argument("--pull-mb", type=int, default=320, help="size of the random layer to pull (MB)")
    parser.add_argument("--pull-rate", type=float, default=None, help="relay cap, bytes/s (default 8e6)")
    parser.add_argument("--pull-rounds", type=int, default=5, help="spawns measured idle and during the pull")
    parser.add_argument("--no-pull", action="store_true", help="skip the spawn-during-pull phase")
    parser.add_argument("--phases", default=None,
                        help="comma-separated phases: sizes (light and real servers, spawn and stop vs the "
                             "floor), pull, latency (the real server: ours vs the reference vs the floor, "
                             "Docker calls per spawn), poll; default all (fake: sizes,pull,poll)")
    parser.add_argument("--latency-sizes", default="1,20,50", help="N of the latency phase")
    parser.add_argument("--latency-repeats", type=int, default=3, help="rounds of the latency phase at N = 1")
    parser.add_argument("--engines", default="docker20",
                        help="engines of the latency phase, one after the other: docker20 (the host's "
                             "daemon), docker26 (scripts/engines.sh)")
    parser.add_argument("--poll-sizes", default=None, help="running servers for the poll count (default 20,200)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="poll_interval of the poll count (s)")
    parser.add_argument("--poll-intervals", type=int, default=None, help="intervals counted (default 5)")
    parser.add_argument("--kinds", default=None,
                        help="hub server kinds: l (light, PID 1), i (light, init), r (jupyterhub-singleuser); "
                             "default l,i,r (fake: l,i)")
    parser.add_argument("--experiment", default="",
                        help="candidate spawner changes tried from the hub config: wait-in-start, stop-pool")
    parser.add_argument("--hub-log-level", default=None, help="e.g. DEBUG (the hub's wait-for-HTTP timings)")
    parser.add_argument("--keep-hub-log", default=None, metavar="PATH", help="copy the hub's log here")
    parser.add_argument("--out", default=None, help="result file (default benchmarks/results/spawn_bench[_fake].md)")
    args = parser.parse_args()
    args.kinds = args.kinds.split(",") if args.kinds else None
    args.phases = set((args.phases or ("sizes,pull,poll" if args.backend == "fake" else
                                       "sizes,pull,latency,poll")).split(","))
    if args.no_pull:
        args.phases.discard("pull")
    if args.backend == "fake" and "latency" in args.phases:
        parser.error("--phases latency: the real single-user server needs the real daemon")
    args.latency_sizes = [int(s) for s in args.latency_sizes.split(",")]
    args.engines = [e for e in args.engines.split(",") if e]
    args.experiment = [e for e in args.experiment.split(",") if e]
    args.sizes = [int(s) for s in (args.sizes or ("1,5" if args.quick else "1,10,20,50")).split(",")]
    args.poll_sizes = [int(s) for s in (args.poll_sizes or "20,200").split(",")]
    args.poll_intervals = args.poll_intervals or (3 if args.quick else 5)
    args.pull_rate = args.pull_rate or (16e6 if args.quick else 8e6)
    if args.poll_interval < 1 or args.poll_interval != int(args.poll_interval):
        parser.error("--poll-interval: whole seconds (Spawner.poll_interval is an integer)")
    every_phase = {"sizes", "pull", "poll"} | ({"latency"} if args.backend == "real" else set())
    name = "spawn_bench_fake" if args.backend == "fake" else "spawn_bench"
    if args.phases != every_phase:  # a partial run does not overwrite the full run's results
        name += "_" + "_".join(sorted(args.phases))
    if args.engines != ["docker20"]:
        name += "_" + "_".join(args.engines)
    out_path = Path(args.out) if args.out else HERE / "results" / f"{name}.md"

    cleanup = Cleanup()

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        report = asyncio.run(run(args, cleanup))
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        cleanup.run()
        sys.exit(130)
    finally:
        cleanup.run()
    print(report)
    out_path.parent.mkdir(exist_ok=True)
    out_path.write_text(report + "\n")
    log(f"written to {out_path}")


if __name__ == "__main__":
    main()
