"""An engine that drops the limits it was given (rootless Podman on cgroups v1 creates the
container without them and says nothing): the server is not started unlimited; the user and the
admin are told which settings the engine cannot enforce."""

from __future__ import annotations

from dockerspawner.engine_limits import asked_for_limits, dropped_limits
from fakedocker import FakeEngine


def test_which_limits_were_dropped():
    asked = {"Memory": 512 * 2**20, "CpuQuota": 50_000, "CpuPeriod": 100_000, "CpuShares": 0}
    assert asked_for_limits(asked) and not asked_for_limits({"CpuPeriod": 100_000, "Memory": 0})
    assert dropped_limits(asked, {"Memory": 0, "CpuQuota": 0, "CpuPeriod": 0}) == ["cpu_limit", "mem_limit"]
    assert dropped_limits(asked, {"Memory": 512 * 2**20, "CpuQuota": 50_000}) == []
    assert dropped_limits({"MemoryReservation": 1, "CpuShares": 512}, {}) == ["cpu_guarantee", "mem_guarantee"]


def test_the_fake_engine_can_drop_limits_as_rootless_podman_does():
    engine = FakeEngine()
    engine.add_image("img:1", config={"Cmd": ["sleep", "1000"]})
    engine.resource_limits = False
    api = engine.api_client()
    host_config = api.create_host_config(mem_limit="512m", cpu_period=100_000, cpu_quota=50_000)
    created = api.create_container("img:1", host_config=host_config)
    assert created["Warnings"] in ([], None)  # nothing said
    kept = api.inspect_container(created["Id"])["HostConfig"]
    assert (kept["Memory"], kept["CpuQuota"], kept["CpuPeriod"]) == (0, 0, 0)
