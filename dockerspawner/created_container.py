"""What surrounds a container's create: its extra networks exist (checked before it); then,
before it starts, the limits the engine kept are checked
(:mod:`dockerspawner.engine_limits`) and, below API 1.44, the extra networks are connected
(:func:`dockerspawner.spec.networks_after_create`).  A container that fails either is removed:
it is never kept for a next start short of a limit or a network."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from docker.errors import NotFound

from .engine_limits import refuse_dropped_limits
from .errors import ConfigProblem


async def check_networks(docker: Callable[..., Awaitable[Any]], networks: Iterable[str], engine: str) -> None:
    """Before the create: each extra network exists (the daemon would take the create and fail
    only at the start, in words of its cluster code)."""
    for network in networks:
        try:
            await docker("inspect_network", network)
        except NotFound:
            raise ConfigProblem("extra_networks", f"there is no network {network!r} on the Docker engine at "
                                                  f"{engine} (docker network ls)") from None


async def complete(docker: Callable[..., Awaitable[Any]], container_id: str, *, host_config: Mapping[str, Any],
                   networks: Iterable[str], engine: str) -> None:
    """``docker``: the spawner's call of a client method; ``host_config``: the create's;
    ``networks``: to connect the container to; ``engine``: the daemon's address (for messages)."""
    try:
        await refuse_dropped_limits(docker, container_id, host_config, engine)
        for network in networks:
            await docker("connect_container_to_network", container_id, network)
    except BaseException:
        await docker("remove_container", container_id, v=True, force=True)
        raise
