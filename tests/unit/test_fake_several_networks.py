"""A create naming several networks (NetworkingConfig with several endpoints): taken from API
1.44 on (Docker 25+), refused before, in the words of the engine's own version (checked against
Docker 20.10 and 26.1, see tests/integration/REAL_DAEMON_NOTES.md)."""

from __future__ import annotations

import docker
import pytest

from fakedocker import FakeEngine


def create_on_two_networks(engine_api: str, client_api: str) -> dict:
    engine = FakeEngine(api_version=engine_api)
    engine.add_image("img:1", config={"Cmd": ["sleep", "100"]})
    api = engine.api_client(version=client_api)
    api.create_network("a")
    api.create_network("b")
    config = api.create_networking_config({"a": api.create_endpoint_config(),
                                           "b": api.create_endpoint_config(aliases=["x"])})
    created = api.create_container("img:1", host_config=api.create_host_config(network_mode="a"),
                                   networking_config=config)
    api.start(created["Id"])
    info = api.inspect_container(created["Id"])
    assert created["Id"] in api.inspect_network("b")["Containers"]
    return info["NetworkSettings"]["Networks"]


def test_several_networks_at_create_from_api_1_44():
    networks = create_on_two_networks("1.45", "1.45")
    assert sorted(networks) == ["a", "b"]
    assert all(endpoint["IPAddress"] for endpoint in networks.values())
    assert "x" in networks["b"]["Aliases"]


@pytest.mark.parametrize(("engine_api", "client_api", "words"), [
    ("1.41", "1.41", "Container cannot be connected to network endpoints: a, b"),  # Docker 20.10
    ("1.45", "1.43", "Container cannot be created with multiple network endpoints: a, b"),  # Docker 26, older client
])
def test_several_networks_at_create_before_api_1_44(engine_api, client_api, words):
    with pytest.raises(docker.errors.APIError) as err:
        create_on_two_networks(engine_api, client_api)
    assert (err.value.status_code, err.value.explanation) == (400, words)
