"""Fixtures for the spawner tests: a fake Docker engine whose single-user containers really
serve HTTP, and a real JupyterHub (MockHub, with configurable-http-proxy) spawning into it."""

from __future__ import annotations

import logging
import sys

import pytest
from hub_helpers import Lines, shut_down_hub, start_mock_hub
from hypothesis import settings
from jupyterhub.utils import random_port
from singleuser import SINGLEUSER_CONFIG, host_service_url
from strict_client import StrictClient
from traitlets.config import Config

import fakedocker
from dockerspawner import process_state
from dockerspawner.client import ClientCache
from dockerspawner.monitor import Monitor
from fakedocker.runtime import HostProcessRuntime

# examples are not timed: a loaded machine (parallel workers, CI) must not fail a property
settings.register_profile("dockerspawner", deadline=None)
settings.load_profile("dockerspawner")

SINGLEUSER_IMAGE = "quay.io/jupyterhub/singleuser:test"
#: a container of the single-user image runs JupyterHub's light stand-in server on the host
SINGLEUSER_RUNTIME = HostProcessRuntime(
    command=[sys.executable, "-m", "jupyterhub.tests.mocksu"], env=host_service_url
)


@pytest.fixture(autouse=True)
def readiness_dials_only_loopback(monkeypatch):
    """start()'s wait for the server may dial only servers these tests run (on loopback): a fake
    container's address (a made-up IP, a service or daemon host name) is never dialled.  A test
    whose server has such an address turns the wait off (``wait_for_server_interval=0``)."""
    from dockerspawner import readiness

    original = readiness.answers_http

    async def loopback_only(host: str, port: int, path: str, timeout: float = 1.0) -> bool:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"start() waits for a server at {host}:{port}, which no test serves")
        return await original(host, port, path, timeout)

    monkeypatch.setattr(readiness, "answers_http", loopback_only)


@pytest.fixture
def engine(monkeypatch):
    """A fake daemon with the single-user image present, patched into docker-py.

    Spawners get their client wrapped in StrictClient, so every spawner test also proves the
    spawners call nothing outside the client protocol."""
    original_get = ClientCache.get.__func__
    monkeypatch.setattr(
        ClientCache, "get", classmethod(lambda cls, key, factory: original_get(cls, key, lambda: StrictClient(factory())))
    )
    engine = fakedocker.FakeEngine()
    # the single-user containers run real servers on their published ports: hold those ports
    # so parallel workers' connections and proxies are never handed them in between
    engine.hold_published_ports = True
    engine.add_image(SINGLEUSER_IMAGE, config=SINGLEUSER_CONFIG)
    engine.add_image("busybox:1.30.1", config={"Cmd": ["sh"]})
    engine.set_runtime(SINGLEUSER_IMAGE, SINGLEUSER_RUNTIME)
    process_state.reset()
    with fakedocker.patch(engine):
        yield engine
    process_state.reset()
    engine.close()


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The monitors' clock, moved on by the test (``clock[0] += seconds``)."""
    now = [1000.0]
    monkeypatch.setattr(Monitor, "default_clock", staticmethod(lambda: now[0]))
    return now


@pytest.fixture
def hub_config(request) -> Config:
    """The hub's configuration; ``@pytest.mark.spawner(name=value, ...)`` sets DockerSpawner
    (or, with ``cls="SwarmSpawner"`` etc., another spawner class) options for one test."""
    c = Config()
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.JupyterHub.allow_named_servers = True
    c.DockerSpawner.image = SINGLEUSER_IMAGE
    c.DockerSpawner.remove = True
    c.Spawner.start_timeout = 30
    c.Spawner.http_timeout = 30
    # ports of its own (MockHub of JupyterHub 4.1 fixes the hub at 8081 and the proxy's API at
    # 8001), so hubs in parallel test workers never meet
    c.JupyterHub.hub_port = random_port()
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{random_port()}"
    # a spawn request answers with the spawn's outcome (not 202 "pending") even when parallel
    # workers load the machine
    c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 60}
    marker = request.node.get_closest_marker("spawner")
    if marker is not None:
        options = dict(marker.kwargs)
        cls = options.pop("cls", "DockerSpawner")
        if cls != "DockerSpawner":
            c.JupyterHub.spawner_class = f"dockerspawner.{cls}"
        for key, value in options.items():
            setattr(c[cls], key, value)
    return c


@pytest.fixture
async def hub(engine, hub_config, tmp_path, monkeypatch):
    """A running JupyterHub (MockHub: real proxy, in-memory database) using DockerSpawner.
    A start that fails cleans up after itself (``start_mock_hub``): the next test gets a hub of
    its own, not this one's half-started instance."""
    monkeypatch.chdir(tmp_path)
    app = await start_mock_hub(hub_config)
    try:
        yield app
    finally:
        await shut_down_hub(app)


@pytest.fixture
def lines(hub):
    """The hub's log lines (DEBUG and up) while the test runs."""
    handler = Lines()
    hub.log.addHandler(handler)
    previous = hub.log.level
    hub.log.setLevel(logging.DEBUG)
    yield handler
    hub.log.setLevel(previous)
    hub.log.removeHandler(handler)
