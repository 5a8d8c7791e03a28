"""extra_networks: a server on networks besides network_name (upstream issue #523).  From API
1.44 on (Docker 25+) the container is created on all of them at once; on an older engine it is
connected to the extra ones after its create, before it starts.  The hub keeps reaching it on
network_name."""

from __future__ import annotations

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner

from dockerspawner import DockerSpawner, SwarmSpawner
from dockerspawner.spec import (
    ContainerRequest,
    ServiceOptions,
    build_create_kwargs,
    build_service_kwargs,
    networks_after_create,
)

TOKEN = "tok-5e1f0c2a9d34"


def request(**fields) -> ContainerRequest:
    return ContainerRequest(image="img:1", name="jupyter-alice", port=8888, **fields)


def test_one_create_from_api_1_44_and_connects_before():
    req = request(network_name="hubnet", extra_networks=("db", "hubnet", "cache"))
    kwargs = build_create_kwargs(req, "1.45")
    assert kwargs["networking_config"] == {"EndpointsConfig": {"hubnet": {}, "db": {}, "cache": {}}}
    assert networks_after_create(req, "1.45") == []
    assert "networking_config" not in build_create_kwargs(req, "1.41")
    assert networks_after_create(req, "1.41") == ["db", "cache"]
    # nothing changes without extra networks (the reference's create)
    assert "networking_config" not in build_create_kwargs(request(network_name="hubnet"), "1.45")


def test_a_service_attaches_its_tasks_to_every_network():
    req = request(network_name="hubnet", extra_networks=("db", "bridge"))
    kwargs = build_service_kwargs(req, ServiceOptions())
    assert kwargs["task_template"]["Networks"] == [{"Target": "hubnet"}, {"Target": "db"}]


@pytest.fixture
def spawner_on(engine):
    def make(api_version: str, **traits) -> DockerSpawner:
        engine.api_version = api_version
        api = engine.api_client()
        for name in ("hubnet", "db"):
            api.create_network(name)
        traits.setdefault("extra_networks", ["db"])
        # its address on hubnet is a fake one no test serves: start() returns once it runs
        return handed_over_spawner(DockerSpawner, "alice", "", TOKEN, image=SINGLEUSER_IMAGE,
                                   network_name="hubnet", wait_for_server_interval=0, **traits)

    return make


@pytest.mark.parametrize("api_version", ["1.41", "1.45"])
async def test_the_server_is_on_every_network_and_reached_on_network_name(engine, spawner_on, api_version):
    spawner = spawner_on(api_version)
    ip, port = await spawner.start()
    info = engine.api_client().inspect_container(spawner.object_id)
    networks = info["NetworkSettings"]["Networks"]
    assert sorted(networks) == ["db", "hubnet"]
    assert (ip, port) == (networks["hubnet"]["IPAddress"], 8888)
    assert engine.calls.get("connect_container_to_network", 0) == (1 if api_version == "1.41" else 0)
    await spawner.stop()


async def test_a_missing_extra_network_fails_the_spawn_and_leaves_nothing(engine, spawner_on):
    spawner = spawner_on("1.41", extra_networks=["nosuchnet"])
    with pytest.raises(Exception, match="configuration error in extra_networks: there is no network 'nosuchnet'"):
        await spawner.start()
    assert engine.api_client().containers(all=True) == []


async def test_a_kept_container_is_replaced_when_its_networks_change(engine, spawner_on):
    spawner = spawner_on("1.45", remove=False)
    await spawner.start()
    first = spawner.object_id
    await spawner.stop()
    assert await spawner.replacement_reason(engine.api_client().inspect_container(first)) is None
    spawner.extra_networks = []
    reason = await spawner.replacement_reason(engine.api_client().inspect_container(first))
    assert reason is not None and "network" in reason


def test_swarm_spawner_has_the_setting_too():
    assert "extra_networks" in SwarmSpawner.class_trait_names(config=True)
