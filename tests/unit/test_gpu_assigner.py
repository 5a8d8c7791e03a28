"""GpuAssigner alone, against the fake: no spawner, no hub."""

from __future__ import annotations

import asyncio
import logging

import pytest
from tornado import web

from dockerspawner import gpus
from dockerspawner.gpu_choice import GpuAssigner, GpuReservations
from fakedocker import FakeEngine


@pytest.fixture
def engine():
    engine = FakeEngine()
    engine.add_image("busybox:1.36")
    engine.declare_gpus(["GPU-a", "GPU-b", "GPU-c"])
    yield engine
    engine.close()


def assigner(engine, reservations, owner):
    api = engine.api_client()

    async def docker(method, *args, **kwargs):
        return await asyncio.to_thread(getattr(api, method), *args, **kwargs)

    return GpuAssigner(docker, reservations, owner, logging.getLogger("test"), f"server-{owner}")


async def test_ids_held_by_a_running_container_or_promised_to_another_start_are_not_given(engine):
    api = engine.api_client()
    holder = api.create_container("busybox:1.36", ["sh", "-c", "sleep 1000"], labels={gpus.LABEL_GPUS: "GPU-a"})
    api.start(holder)
    reservations = GpuReservations()
    first = await assigner(engine, reservations, 1).assign(gpus.GpuRequest(count=1), None, None)
    second = await assigner(engine, reservations, 2).assign(gpus.GpuRequest(count=1), None, None)
    assert sorted(first + second) == ["GPU-b", "GPU-c"]
    assert reservations.promised == {1: first, 2: second}
    with pytest.raises(web.HTTPError) as busy:
        await assigner(engine, reservations, 3).assign(gpus.GpuRequest(count=1), None, None)
    assert busy.value.status_code == 503
    api.remove_container(holder, force=True)


async def test_a_kept_container_keeps_its_own_ids_and_all_shares_every_device(engine):
    kept = {"Id": "kept", "Config": {"Labels": {gpus.LABEL_GPUS: "GPU-c"}}}
    ids = await assigner(engine, GpuReservations(), 1).assign(gpus.GpuRequest(count=1), None, kept)
    assert ids == ["GPU-c"]
    assert await assigner(engine, GpuReservations(), 1).assign(gpus.GpuRequest(all=True), None, None) == "all"
    # gpu_ids configured: the daemon is not asked which GPUs it has
    assert await assigner(engine, GpuReservations(), 1).assign(gpus.GpuRequest(count=2), [7, 8], None) == ["7", "8"]
