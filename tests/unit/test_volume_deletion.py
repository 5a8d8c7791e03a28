"""VolumeDeletion alone, against the fake: no spawner, no hub."""

from __future__ import annotations

import asyncio
import logging

from dockerspawner.cleanup import VolumeDeletion
from fakedocker import FakeEngine


async def test_removes_the_servers_volumes_and_keeps_the_shared_ones(caplog):
    engine = FakeEngine()
    engine.add_image("busybox:1.36")
    api = engine.api_client()
    for name in ("home-al-lab", "shared-al", "ssl-al-lab"):
        api.create_volume(name)
    api.create_volume("home-bo")  # another user's: never named, never touched
    busy = api.create_container("busybox:1.36", "true", host_config=api.create_host_config(
        binds={"ssl-al-lab": {"bind": "/certs"}}))

    async def docker(method, *args, **kwargs):
        return await asyncio.to_thread(getattr(api, method), *args, **kwargs)

    deletion = VolumeDeletion(docker, logging.getLogger("test"), "al:lab", "al")
    with caplog.at_level(logging.INFO):
        await deletion.delete({"home-al-lab", "shared-al", "ssl-al-lab", "gone-al-lab"}, shared={"shared-al"})
    left = sorted(v["Name"] for v in api.volumes()["Volumes"])
    # removed; kept (another server uses it); in use by a container the daemon refuses: kept, said
    assert left == ["home-bo", "shared-al", "ssl-al-lab"]
    messages = [r.getMessage() for r in caplog.records]
    assert "Removed volume home-al-lab of deleted al:lab" in messages
    assert "Keeping volume shared-al: another server of al still uses it" in messages
    assert any(m.startswith("Could not remove volume ssl-al-lab of deleted al:lab: ") for m in messages)
    api.remove_container(busy, force=True)
    engine.close()
