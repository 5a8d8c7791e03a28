"""The private parts of docker-py and requests that dockerspawner.docker_internals relies on
are still there in the installed releases: a release that drops one fails here, not in a hub."""

from __future__ import annotations

import docker

from dockerspawner import docker_internals
from fakedocker import FakeEngine
from fakedocker.client import api_client


def test_the_http_adapters_keep_their_pool_settings_and_can_be_widened():
    client = docker.APIClient(base_url="tcp://127.0.0.1:2375", version="1.41")  # never called
    adapter = client.adapters["http://"]
    for name in ("_pool_connections", "_pool_maxsize", "_pool_block"):
        assert hasattr(adapter, name), name
    docker_internals.widen_pools(client, 64)
    assert adapter._pool_maxsize == 64
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 64
    client.close()


def test_the_api_version_can_be_negotiated_after_the_client_is_built():
    engine = FakeEngine(engine_version="26.1")
    client = api_client(engine, version="1.24")
    docker_internals.negotiate_version(client)
    assert client.api_version == "1.45"
    engine.close()


def test_an_event_stream_keeps_its_response():
    engine = FakeEngine()
    client = api_client(engine)
    stream = client.events(decode=True)
    response = docker_internals.stream_response(stream)
    assert response is not None and response.status_code == 200
    stream.close()
    engine.close()
