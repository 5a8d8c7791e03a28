"""Parity harness: every test taking ``api`` runs once on the fake and once on a real daemon.

In the style of fakeredis's real-vs-fake tests: the same docker-py calls go to
``fakedocker`` and to the Docker daemon on ``/var/run/docker.sock``; tests compare
normalised answers (see ``normalize.py``) against what the real daemon answers.

The real backend needs ``scripts/provision.sh`` (daemon, swarm, local registry on
127.0.0.1:5000, test images). It is skipped when no daemon answers (under CI: failed; see
tests/needs.py).

Every object a test creates is named by the ``names`` fixture (``fdtest-<random>-...``,
or ``<NAME_STEM>-<random>-...`` for a module that sets ``NAME_STEM``)
and everything carrying that prefix is removed at teardown, pass or fail.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import engines  # the engine ENGINE names (the host's daemon by default)
import pytest
from needs import unavailable
from normalize import normalize

BUSYBOX = "fakedocker-test/busybox:1.36"
WEB = "fakedocker-test/web:1"
REGISTRY = engines.selected_registry()  # 127.0.0.1:5000, as the engine ENGINE names reaches it
PULLME = f"{REGISTRY}/fakedocker-test/pullme"

# What `docker image inspect` shows for the images scripts/provision.sh builds
# (docker import of a busybox-static root; deterministic).
BUSYBOX_CONFIG: dict[str, Any] = {
    "Cmd": ["sh"],
    "Env": None,
    "WorkingDir": "",
    "Labels": None,
    "Entrypoint": None,
    "User": "",
}
WEB_CONFIG: dict[str, Any] = {
    "Cmd": ["httpd", "-f", "-p", "8888"],
    "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"],
    "WorkingDir": "/www",
    "ExposedPorts": {"8888/tcp": {}},
    "Labels": {"org.fakedocker.test": "web"},
    "Entrypoint": None,
    "User": "",
}
IMAGE_SIZE = 1_985_612  # "Size" of both local images
PULLME_CONFIGS: dict[str, dict[str, Any]] = {
    tag: {
        "Cmd": ["sh"],
        "Env": None,
        "WorkingDir": "",
        "Labels": {"org.fakedocker.test": f"pullme-{tag}"},
        "Entrypoint": None,
        "User": "",
    }
    for tag in ("1", "2")
}
PULLME_LAYER_SIZE = 1_069_596  # compressed size of the one layer ("Downloading" total)


def make_fake_engine():
    """A fake engine in the state scripts/provision.sh leaves a real machine in:
    swarm active (initialised with the body provision.sh's `docker swarm init` sends), images present,
    two tags in the registry; answering as the engine version of the engine ENGINE names."""
    import engines

    import fakedocker

    engine = fakedocker.FakeEngine(engine_version=engines.selected_fake_version())
    client = engine.api_client()
    try:
        # the body `docker swarm init --advertise-addr 127.0.0.1` sends: an empty (not null)
        # DefaultAddrPool and the CLI's default mask length, so inspect shows null and 24
        client._raise_for_status(client._post_json(client._url("/swarm/init"), data={
            "ListenAddr": "0.0.0.0:2377", "AdvertiseAddr": "127.0.0.1", "DataPathAddr": "",
            "DataPathPort": 0, "DefaultAddrPool": [], "ForceNewCluster": False, "Spec": {},
            "AutoLockManagers": False, "SubnetSize": 24}))
    finally:
        client.close()
    engine.add_image(BUSYBOX, config=BUSYBOX_CONFIG, size=IMAGE_SIZE, layers=1)
    engine.add_image(WEB, config=WEB_CONFIG, size=IMAGE_SIZE, layers=1)
    for tag, config in PULLME_CONFIGS.items():
        engine.registry.push(f"{PULLME}:{tag}", config=config, size=PULLME_LAYER_SIZE, layers=1)
    return engine


def real_client_or_unavailable() -> docker.APIClient:
    engine = engines.selected()
    if engine.registry != REGISTRY:
        raise AssertionError(f"scripts/engines.sh relays the registry to {engine.registry}, not "
                             f"{REGISTRY} (tests/integration/engines.py: NODES_REGISTRY)")
    socket = engine.docker_host
    try:
        client = docker.APIClient(base_url=socket, version="auto", timeout=60)
        client.ping()
    except Exception as exc:  # no socket, daemon down, permission denied ...
        unavailable(f"no Docker daemon at {socket}: {exc}")
    for image in (BUSYBOX, WEB):
        try:
            client.inspect_image(image)
        except docker.errors.ImageNotFound:
            client.close()
            unavailable(f"{image} is missing: run scripts/provision.sh")
    return client


#: a backstop for a test that is stuck, above the longest bounded wait a test makes (a spawn on
#: a loaded machine: demo_hub.SPAWN_TIMEOUT, 180 s), so that it never cuts such a wait short
TEST_TIMEOUT = float(os.environ.get("PARITY_TEST_TIMEOUT", "300"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test body that blocks longer than TEST_TIMEOUT s (e.g. a wait() that never
    returns), so one stuck scenario cannot hang the suite. Only the call phase is timed:
    fixture teardown (the cleanup of real objects) always runs to the end."""

    def expire(signum, frame):
        raise TimeoutError(f"test took longer than {TEST_TIMEOUT} s (PARITY_TEST_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=["fake", "real"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def api(backend) -> Iterator[docker.APIClient]:
    if backend == "real":
        client = real_client_or_unavailable()
        try:
            yield client
        finally:
            client.close()
        return
    engine = make_fake_engine()
    client = engine.api_client()
    try:
        yield client
    finally:
        client.close()
        close = getattr(engine, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class Daemon:
    """What the backend under test answers as: a Docker version (the fake: the version it was
    asked to be) or Podman, for the expectations that differ between engines."""

    version: tuple[int, ...]
    podman: bool = False

    def at_least(self, *version: int) -> bool:
        """A Docker Engine of ``version`` or newer (Podman: never)."""
        return not self.podman and self.version >= version

    def says(self, docker20: str, docker26: str) -> str:
        """The wording of this engine, where 20.10 and 26 word an answer differently."""
        return docker26 if self.at_least(26) else docker20

    def wait_answer(self, code: int) -> dict[str, Any]:
        """A /wait's answer for an exit without error: 20.10 sends ``"Error": null``, 26 no Error."""
        return {"StatusCode": code} if self.at_least(26) else {"Error": None, "StatusCode": code}


@pytest.fixture
def daemon(api) -> Daemon:
    answer = api.version()
    podman = any(c.get("Name") == "Podman Engine" for c in answer.get("Components") or [])
    numbers = re.findall(r"\d+", answer["Version"])[:3]
    return Daemon(tuple(int(n) for n in numbers), podman)


class Names:
    """Hands out unique names under one prefix and removes everything carrying it."""

    def __init__(self, api: docker.APIClient, backend: str, stem: str = "fdtest"):
        self.api = api
        self.backend = backend
        self.prefix = f"{stem}-{secrets.token_hex(4)}"
        self.label = {"fdtest": self.prefix}
        self._count = 0
        self._given: set[str] = set()
        self.images: list[str] = []  # references to remove at teardown (e.g. pulled images)

    def __call__(self, suffix: str = "") -> str:
        """``<prefix>-<suffix>``; a suffix asked for again gets a number appended."""
        self._count += 1
        name = f"{self.prefix}-{suffix}" if suffix else f"{self.prefix}-{self._count}"
        if name in self._given:
            name = f"{name}{self._count}"
        self._given.add(name)
        return name

    def norm(self, value: Any) -> Any:
        """normalize(value), with this test's random prefix shown as ``fdtest-X``."""
        return json.loads(json.dumps(normalize(value)).replace(self.prefix, "fdtest-X"))

    def track_image(self, ref: str) -> str:
        self.images.append(ref)
        return ref

    def _mine(self, name: str) -> bool:
        return name.lstrip("/").startswith(self.prefix)

    def cleanup(self) -> list[str]:
        """Remove every object with this prefix; return what could not be removed."""
        api, problems = self.api, []

        def attempt(what: str, fn: Callable[[], Any]) -> None:
            try:
                fn()
            except docker.errors.NotFound:
                pass
            except Exception as exc:
                problems.append(f"{what}: {exc}")

        def listing(fn: Callable[[], Any]) -> Any:
            try:
                return fn()
            except Exception as exc:
                problems.append(f"listing: {exc}")
                return []

        for svc in listing(lambda: api.services(filters={"name": self.prefix})):
            if self._mine(svc["Spec"]["Name"]):
                attempt(f"service {svc['Spec']['Name']}", lambda s=svc: api.remove_service(s["ID"]))
        # Containers, including the task containers of removed services (named after them).
        deadline = time.monotonic() + 30
        while True:
            left = [
                c for c in listing(lambda: api.containers(all=True, filters={"name": self.prefix}))
                if any(self._mine(n) for n in c["Names"])
            ]
            for c in left:
                attempt(f"container {c['Names'][0]}",
                        lambda c=c: api.remove_container(c["Id"], force=True))
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # every network, matched here: the daemon's name filter misses swarm-scoped networks
        # no local container has joined yet
        for net in listing(lambda: api.networks()):
            if self._mine(net["Name"]):
                attempt(f"network {net['Name']}", lambda n=net: api.remove_network(n["Id"]))
        volumes = listing(lambda: api.volumes(filters={"name": self.prefix})) or {}
        for vol in volumes.get("Volumes") or []:
            if self._mine(vol["Name"]):
                attempt(f"volume {vol['Name']}", lambda v=vol: api.remove_volume(v["Name"], force=True))
        for image in listing(lambda: api.images(all=True)):
            for tag in image.get("RepoTags") or []:
                if tag.startswith(self.prefix):
                    attempt(f"image {tag}", lambda t=tag: api.remove_image(t))
        for ref in self.images:
            attempt(f"image {ref}", lambda r=ref: api.remove_image(r, force=True))
        return problems


@pytest.fixture
def names(request, api, backend) -> Iterator[Names]:
    """A module may set ``NAME_STEM`` (default ``fdtest``) to name its objects ``<stem>-<random>-...``."""
    handed = Names(api, backend, getattr(request.module, "NAME_STEM", "fdtest"))
    try:
        yield handed
    finally:
        problems = handed.cleanup()
        if problems and backend == "real":
            warnings.warn(f"cleanup of {handed.prefix} left: {problems}", stacklevel=1)


def _poll(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30,
          interval: float = 0.2) -> Any:
    """Ask the API until ``done(answer)``; fail with the last answer after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = fetch()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout} s; last answer: {answer!r}")
        time.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Any]:
    """``poll(fetch, done, timeout=30)``: bounded polling through the API (no sleeps as sync)."""
    return _poll


def pytest_collection_modifyitems(config, items):
    """``engines(NAME, ...)``: a test of what only those engines have (a swarm) or lack (Podman's
    answer to a service) is deselected on the others: it does not apply there, it is not skipped.
    ``host_daemon_only`` tests need what only the host's own daemon shares with a hub on the
    host (the registry on 127.0.0.1, host paths, routes to container addresses): with ENGINE
    naming an engine in a node, they are skipped with the marker's reason; everything else runs."""
    name = engines.selected_name()
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("engines")
        (dropped if marker is not None and name not in marker.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    if name == "docker20":
        return
    for item in items:
        marker = item.get_closest_marker("host_daemon_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "needs the host's own daemon"
            item.add_marker(pytest.mark.skip(reason=f"{reason} (ENGINE={engines.selected_name()})"))
