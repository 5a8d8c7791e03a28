"""One client and one monitor per daemon configuration per hub process, TLS or not, and no
Docker client built on the event loop (building one asks the daemon for its version)."""

from __future__ import annotations

import asyncio
import socket
import threading

import docker
import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner

from dockerspawner import DockerSpawner, SwarmSpawner, process_state
from dockerspawner.client import client_key

TOKEN = "tok-cache"


@pytest.fixture
def certs(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("not read by the fake\n")
    return tmp_path


def _tls_shapes(certs):
    ca, cert, key = (str(certs / n) for n in ("ca.pem", "cert.pem", "key.pem"))
    return {
        "tls_config": ({"client_kwargs": {"base_url": "tcp://dockerd.test:2376"},
                        "tls_config": {"ca_cert": ca, "verify": ca, "client_cert": (cert, key)}}, {}),
        "client_kwargs tls": ({"client_kwargs": {"base_url": "tcp://dockerd.test:2376",
                                                 "tls": docker.tls.TLSConfig(ca_cert=ca, verify=ca)}}, {}),
        "DOCKER_TLS_VERIFY": ({}, {"DOCKER_HOST": "tcp://dockerd.test:2376", "DOCKER_TLS_VERIFY": "1",
                                   "DOCKER_CERT_PATH": str(certs)}),
    }


@pytest.mark.parametrize("shape", ["tls_config", "client_kwargs tls", "DOCKER_TLS_VERIFY", "plain"])
async def test_one_client_and_one_monitor_per_configuration(engine, certs, monkeypatch, shape):
    traits, environment = _tls_shapes(certs).get(shape, ({}, {}))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spawners = [handed_over_spawner(DockerSpawner, f"user{i}", "", TOKEN, **traits) for i in range(5)]
    engine.calls.clear()
    for _ in range(3):
        await asyncio.gather(*(s.docker("ping") for s in spawners))
    assert len(process_state.STATE.clients) == 1
    assert engine.calls.get("version", 0) == 1  # the one client's version negotiation
    assert engine.calls["ping"] == 15
    assert len({id(s.monitor) for s in spawners}) == 1
    await asyncio.gather(*(s.poll() for s in spawners))
    assert len(process_state.STATE.clients) == 1 and len({id(s.monitor) for s in spawners}) == 1


def test_the_key_is_the_settings_not_the_objects(certs):
    ca = str(certs / "ca.pem")
    first = client_key({"tls": docker.tls.TLSConfig(ca_cert=ca, verify=ca)}, {}, {})
    assert first == client_key({"tls": docker.tls.TLSConfig(ca_cert=ca, verify=ca)}, {}, {})
    assert first != client_key({"tls": docker.tls.TLSConfig(ca_cert=ca, verify=False)}, {}, {})
    assert client_key({}, {}, {"DOCKER_HOST": "tcp://a:2375"}) != client_key({}, {}, {"DOCKER_HOST": "tcp://b:2375"})
    assert client_key({}, {}, {"HOME": "/root"}) == client_key({}, {}, {})


async def test_a_daemon_that_does_not_answer_does_not_block_the_loop(monkeypatch):
    """A tcp daemon that accepts the connection and never answers: building its client waits
    on /version (up to the client timeout).  Meanwhile the event loop keeps running."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections are accepted by the kernel, never answered
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    process_state.reset()
    spawner = handed_over_spawner(DockerSpawner, "alice", "", TOKEN,
                                  client_kwargs={"base_url": address, "timeout": 30})

    async def ticker() -> int:
        # another coroutine: it runs its 20 steps only if the loop is free meanwhile
        steps = 0
        while steps < 20:
            await asyncio.sleep(0)  # yields to the loop once; no timer
            steps += 1
        return steps

    call = spawner.docker("ping")
    polled = asyncio.ensure_future(spawner.poll())  # its monitor is made without the client too
    assert await asyncio.wait_for(ticker(), 10) == 20
    assert not call.done()
    listener.close()  # the pending request fails now
    with pytest.raises(Exception):  # noqa: B017 - whatever the connection error
        await asyncio.wait_for(call, 30)
    await asyncio.wait_for(polled, 30)
    process_state.reset()


async def test_a_slow_daemon_delays_only_its_own_calls(engine, monkeypatch):
    """While one configuration's client is being built, another's calls go through."""
    gate = threading.Event()
    import dockerspawner.client as client_module

    original = client_module.make_client

    def slow_for_one(kwargs, pool_size=0):
        if kwargs.get("base_url") == "tcp://slow.test:2375":
            gate.wait(30)
        return original(kwargs, pool_size)

    monkeypatch.setattr(client_module, "make_client", slow_for_one)
    slow = handed_over_spawner(DockerSpawner, "slow", "", TOKEN, client_kwargs={"base_url": "tcp://slow.test:2375"})
    fast = handed_over_spawner(DockerSpawner, "fast", "", TOKEN)
    pending = slow.docker("ping")
    assert await asyncio.wait_for(fast.docker("ping"), 10) is True
    assert not pending.done()
    gate.set()
    assert await asyncio.wait_for(pending, 10) is True


async def test_the_swarm_monitor_lists_only_the_spawners_tasks(engine):
    """Both list calls carry the managed-by label filter (a task filter by label matches its
    service's labels, on the daemon as on the fake), so a big swarm's other tasks stay out."""
    api = engine.api_client()
    api.init_swarm(advertise_addr="127.0.0.1")
    template = docker.types.TaskTemplate(docker.types.ContainerSpec("busybox:1.30.1", ["sleep", "300"]))
    api.create_service(template, name="not-ours")
    spawner = handed_over_spawner(SwarmSpawner, "alice", "", TOKEN, image=SINGLEUSER_IMAGE)
    client = await spawner.docker_client()
    listed: list[list[dict]] = []
    real_tasks = client.tasks

    def tasks(filters=None):
        listed.append(real_tasks(filters=filters))
        return listed[-1]

    client.tasks = tasks
    await spawner.start()
    spawner.monitor.invalidate()
    assert await spawner.poll() is None
    assert listed[-1] and all(t["ServiceID"] == spawner.service_id for t in listed[-1])
    assert len(api.tasks()) == 2  # the other service's task is there, just not listed
    await spawner.stop()


def test_the_key_follows_a_new_setting_or_environment(monkeypatch):
    spawner = handed_over_spawner(DockerSpawner, "alice", "", TOKEN, client_kwargs={"base_url": "tcp://a.test:2375"})
    first = spawner.client_key
    assert spawner.client_key is first  # remembered
    spawner.client_kwargs = {"base_url": "tcp://b.test:2375"}
    second = spawner.client_key
    assert second != first and "b.test" in second
    monkeypatch.setenv("DOCKER_CERT_PATH", "/certs")
    assert spawner.client_key == second  # read once: a hub's environment stays
    assert handed_over_spawner(DockerSpawner, "bob", "", TOKEN, client_kwargs=spawner.client_kwargs).client_key != second


@pytest.mark.parametrize("base_url", ["unix:///run/test-docker.sock", "tcp://127.0.0.1:2375", "https://127.0.0.1:2376"])
def test_every_connection_pool_holds_every_thread(base_url):
    """As many connections as calls in flight, for socket and tcp daemons alike (docker-py
    sizes only socket pools, requests keeps 10 per tcp pool)."""
    from dockerspawner.client import make_client

    client = docker.APIClient(base_url=base_url, version="1.41")  # docker-py's own sizes
    assert any(getattr(a, "_pool_maxsize", 0) == 10 or getattr(a, "max_pool_size", 0) == 10
               for a in client.adapters.values())
    client = make_client({"base_url": base_url, "version": "1.41"}, pool_size=276)
    for adapter in client.adapters.values():
        sizes = [getattr(adapter, name) for name in ("_pool_maxsize", "max_pool_size") if hasattr(adapter, name)]
        assert sizes and min(sizes) >= 276, (adapter, sizes)
