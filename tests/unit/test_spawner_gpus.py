"""GPUs through the spawners on fakedocker: distinct devices per running server, freed when a
server stops or dies, rebuilt from labels by a new hub, refused clearly when none are free."""

from __future__ import annotations

import asyncio
import logging

import pytest
from conftest import SINGLEUSER_IMAGE
from hub_helpers import handed_over_spawner, new_user, spawn, spawn_ready, stop
from tornado import web

from dockerspawner import DockerSpawner, SwarmSpawner
from dockerspawner.gpus import LABEL_GPUS
from dockerspawner.spec import LABEL_USER

TOKEN = "tok-gpu-5e1d"


@pytest.fixture
def make_spawner(engine):
    engine.declare_gpus(4)

    def make(username: str, server_name: str = "", cls: type = DockerSpawner, **traits) -> DockerSpawner:
        traits.setdefault("image", SINGLEUSER_IMAGE)
        traits.setdefault("gpus", 1)
        return handed_over_spawner(cls, username, server_name, TOKEN, **traits)

    return make


def gpus_of(engine, spawner) -> tuple[list[str], list[dict]]:
    info = engine.api_client().inspect_container(spawner.object_id)
    label = info["Config"]["Labels"].get(LABEL_GPUS)
    return (label.split(",") if label else []), info["HostConfig"]["DeviceRequests"]


async def test_each_running_server_gets_devices_of_its_own(make_spawner, engine):
    one, two = make_spawner("ann", gpus=2), make_spawner("bob")
    await one.start()
    await two.start()
    ids_one, requests_one = gpus_of(engine, one)
    ids_two, _ = gpus_of(engine, two)
    assert ids_one == ["0", "1"] and ids_two == ["2"]
    assert requests_one == [{"Driver": "", "Count": 0, "DeviceIDs": ["0", "1"], "Capabilities": [["gpu"]],
                             "Options": {}}]
    await one.stop()
    await two.stop()


async def test_when_all_are_in_use_the_spawn_fails_at_once_and_creates_nothing(make_spawner, engine, caplog):
    holders = [make_spawner(f"u{i}") for i in range(4)]
    await asyncio.gather(*(s.start() for s in holders))  # at once: still four different devices
    assert sorted(gpus_of(engine, s)[0][0] for s in holders) == ["0", "1", "2", "3"]
    late = make_spawner("late")
    with caplog.at_level(logging.WARNING), pytest.raises(web.HTTPError) as err:
        await late.start()
    assert err.value.status_code == 503
    assert err.value.log_message == "Your server needs 1 GPU: all 4 GPUs are in use; try again later."
    assert engine.api_client().containers(all=True, filters={"label": f"{LABEL_USER}=late"}) == []
    assert "Traceback" not in caplog.text
    # a server that stops frees its device; one that dies does too
    stopped, dead = gpus_of(engine, holders[1])[0], gpus_of(engine, holders[2])[0]
    await holders[1].stop()
    await late.start()
    assert gpus_of(engine, late)[0] == stopped
    engine.crash(holders[2].object_id, exit_code=1)
    again = make_spawner("again")
    await again.start()
    assert gpus_of(engine, again)[0] == dead
    for s in (holders[0], holders[3], late, again):
        await s.stop()


async def test_a_new_hub_rebuilds_who_holds_what_from_the_running_containers(make_spawner, engine):
    first = make_spawner("ann", gpus=3)
    await first.start()
    # the hub restarts: new spawner objects, nothing remembered in the process but the labels
    second = make_spawner("bob", gpus=2)
    with pytest.raises(web.HTTPError) as err:
        await second.start()
    assert "only 1 of the 4 GPUs is free and this server needs 2; try again later" in err.value.log_message
    await first.stop()
    await second.start()
    assert gpus_of(engine, second)[0] == ["0", "1"]
    await second.stop()


async def test_all_gives_every_device_without_exclusivity(make_spawner, engine):
    a, b = make_spawner("ann", gpus="all"), make_spawner("bob", gpus="all")
    await a.start()
    await b.start()
    for s in (a, b):
        ids, requests = gpus_of(engine, s)
        assert ids == [] and requests[0]["Count"] == -1
        await s.stop()


async def test_gpu_ids_and_a_callable_setting(make_spawner, engine):
    def by_user(spawner):
        return 2 if spawner.user.name == "big" else 0

    big = make_spawner("big", gpus=by_user, gpu_ids=["GPU-b", "GPU-d"])
    small = make_spawner("small", gpus=by_user, gpu_ids=["GPU-b", "GPU-d"])
    engine.declare_gpus(["GPU-a", "GPU-b", "GPU-c", "GPU-d"])
    await big.start()
    await small.start()
    assert gpus_of(engine, big)[0] == ["GPU-b", "GPU-d"]
    assert gpus_of(engine, small) == ([], None)
    await big.stop()
    await small.stop()


async def test_without_gpus_anywhere_the_admin_is_told(engine):
    spawner = handed_over_spawner(DockerSpawner, "ann", "", TOKEN, image=SINGLEUSER_IMAGE, gpus=1)
    with pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 500
    assert "gpus = 1, but the Docker daemon reports no GPUs" in err.value.log_message


async def test_a_kept_container_keeps_its_devices_or_is_replaced_when_they_are_taken(make_spawner, engine, caplog):
    kept = make_spawner("ann", remove=False)
    await kept.start()
    first_id, [gpu] = kept.object_id, gpus_of(engine, kept)[0]
    await kept.stop()
    await kept.start()  # its device is free: started again as it was
    assert kept.object_id == first_id and gpus_of(engine, kept)[0] == [gpu]
    await kept.stop()
    taker = make_spawner("bob", gpu_ids=[gpu])
    await taker.start()  # takes the kept container's device while it is stopped
    with caplog.at_level(logging.INFO):
        await kept.start()
    assert kept.object_id != first_id and gpus_of(engine, kept)[0] != [gpu]
    assert f"GPUs ({gpu} -> {gpus_of(engine, kept)[0][0]})" in caplog.text
    await kept.stop()
    await taker.stop()


@pytest.mark.spawner(cls="SwarmSpawner", gpus=1)
async def test_swarm_refuses_gpus_with_a_message(hub, engine):
    engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    user = new_user(hub)
    assert isinstance(user.spawners[""], SwarmSpawner)
    r = await spawn(hub, user)
    assert r.status_code == 500
    assert "SwarmSpawner cannot give a server GPUs of its own" in r.json()["message"]
    assert engine.api_client().services() == []


@pytest.mark.parametrize("cls", [DockerSpawner, SwarmSpawner])
async def test_a_gpus_value_that_is_not_a_count_is_a_configuration_error(make_spawner, engine, cls, caplog):
    """Found by review: SwarmSpawner let the parse error escape as a traceback."""
    if cls is SwarmSpawner:
        engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    spawner = make_spawner("gpuwords", cls=cls, gpus="lots")
    with pytest.raises(web.HTTPError) as err:
        await spawner.start()
    assert err.value.status_code == 500
    assert "configuration error in gpus: gpus must be a number of GPUs or 'all', not 'lots'" in err.value.log_message
    assert not any(record.exc_info for record in caplog.records)
    assert engine.api_client().containers(all=True) == [] and (cls is DockerSpawner or engine.api_client().services() == [])


GPU_PROFILES = [{"display_name": "CPU", "slug": "cpu", "default": True},
                {"display_name": "GPU", "slug": "gpu", "spawner_override": {"gpus": 2}}]


@pytest.mark.spawner(profile_list=GPU_PROFILES)
async def test_a_profile_gives_gpus(hub, engine):
    engine.declare_gpus(2)
    user = new_user(hub)
    spawner = await spawn_ready(hub, user, profile="gpu")
    assert gpus_of(engine, spawner)[0] == ["0", "1"]
    await stop(hub, user)
    spawner = await spawn_ready(hub, user, profile="cpu")
    assert gpus_of(engine, spawner) == ([], None)
    await stop(hub, user)
