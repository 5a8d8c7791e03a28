"""ImagePuller alone, against the fake: no spawner, no hub."""

from __future__ import annotations

import asyncio
import logging

import pytest
from tornado import web

from dockerspawner.images import ImagePuller
from fakedocker import FakeEngine


@pytest.fixture
def engine():
    engine = FakeEngine()
    engine.add_image("present:1", config={"Cmd": ["run"]})
    engine.registry.push("remote:1", config={"Cmd": ["serve"]}, size=50_000_000)
    yield engine
    engine.close()


def puller(engine, reported):
    api = engine.api_client()

    async def docker(method, *args, **kwargs):
        return await asyncio.to_thread(getattr(api, method), *args, **kwargs)

    return ImagePuller(docker, lambda: api, lambda percent, message: reported.append((percent, message)),
                       logging.getLogger("test"))


async def test_a_present_image_is_inspected_not_pulled(engine):
    reported = []
    info = await puller(engine, reported).ensure("present:1", "ifnotpresent")
    assert info["Config"]["Cmd"] == ["run"]
    assert reported == [] and engine.calls.get("pull", 0) == 0


async def test_an_absent_image_is_pulled_with_its_progress(engine):
    reported = []
    assert await puller(engine, reported).ensure("remote:1", "IfNotPresent") is None
    assert engine.api_client().inspect_image("remote:1")["Config"]["Cmd"] == ["serve"]
    assert reported[0] == (reported[0][0], "Pulling image remote:1")
    assert reported[-1] == (reported[-1][0], "Pulled image remote:1")
    percents = [p for p, _ in reported]
    assert percents == sorted(percents)  # the bar only moves forward


async def test_never_refuses_an_absent_image_and_skip_asks_nothing(engine):
    reported = []
    with pytest.raises(web.HTTPError) as refused:
        await puller(engine, reported).ensure("remote:1", "never")
    assert "is not present on the Docker host and pulling is disabled" in refused.value.log_message
    assert await puller(engine, reported).ensure("nowhere:1", "skip") is None
    assert engine.calls["inspect_image"] == 1 and engine.calls.get("pull", 0) == 0


async def test_a_failed_pull_names_the_image_and_the_reason(engine):
    reported = []
    with pytest.raises(web.HTTPError) as failed:
        await puller(engine, reported).ensure("nowhere:1", "always")
    assert failed.value.log_message.startswith("Could not pull image nowhere:1: ")
