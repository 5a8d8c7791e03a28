"""Limits an engine accepted and then dropped.

Some engines create a container without the resource limits they were given and say nothing:
rootless Podman on a cgroups v1 host answers the create with no warning, and inspect then shows
every limit as 0 (checked 2026-12-07, Podman 5.4.2).  A server must not run unlimited where the
administrator set a limit, so DockerSpawner compares what it asked with what the engine kept
(pure; the check and its I/O sit in :meth:`DockerSpawner.create_object`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .errors import ConfigProblem

#: HostConfig key -> the setting that asks for it
LIMIT_SETTINGS = {
    "Memory": "mem_limit",
    "MemoryReservation": "mem_guarantee",
    "CpuQuota": "cpu_limit",
    "NanoCpus": "cpu_limit",
    "CpuShares": "cpu_guarantee",
}


def asked_for_limits(host_config: Mapping[str, Any]) -> bool:
    """Whether the create's host config sets any limit (only then is the container inspected)."""
    return any(host_config.get(key) for key in LIMIT_SETTINGS)


def dropped_limits(asked: Mapping[str, Any], kept: Mapping[str, Any]) -> list[str]:
    """The settings (sorted, each once) whose limit ``asked`` (the create's HostConfig) set and
    ``kept`` (the created container's inspected HostConfig) does not have."""
    return sorted({setting for key, setting in LIMIT_SETTINGS.items() if asked.get(key) and not kept.get(key)})


def dropped_message(settings: list[str], engine: str) -> str:
    """What the user and the admin are told."""
    names = ", ".join(settings)
    return (f"the Docker engine at {engine} created the container without these limits (its inspect shows "
            f"none): the engine cannot enforce them — rootless Podman on a cgroups v1 host is one such. "
            f"Run the engine where it can limit resources (cgroups v2), or unset {names}")


async def refuse_dropped_limits(docker: Callable[..., Awaitable[Any]], container_id: str,
                                asked: Mapping[str, Any], engine: str) -> None:
    """After a create whose host config ``asked`` for limits: when the engine dropped any, a
    :class:`~dockerspawner.errors.ConfigProblem` names them (never a server running unlimited
    where a limit was set).  ``docker``: the spawner's call of a client method."""
    if not asked_for_limits(asked):
        return
    kept = (await docker("inspect_container", container_id)).get("HostConfig") or {}
    dropped = dropped_limits(asked, kept)
    if dropped:
        raise ConfigProblem(dropped[0], dropped_message(dropped, engine))
