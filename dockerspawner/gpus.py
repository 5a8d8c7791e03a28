"""GPUs shared out: each server asking for N GPUs gets N device ids of its own from a pool, never
one a running server already has; ``"all"`` gives every device (no exclusivity).

Pure decisions here (what the setting asks for, the pool, who holds what, the assignment, the
container's device request); the spawner step that lists the daemon's containers and reserves
ids while a server starts is :class:`dockerspawner.gpu_choice.GpuAssignment`.

The assignment lives in a label on the container (``org.jupyter.hub.gpus=0,2``), so a new hub
process rebuilds the pool from the running containers, and a server that stops or dies frees
its ids (only running containers hold any).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LABEL_GPUS = "org.jupyter.hub.gpus"
#: the kinds of a daemon's generic resources (``node-generic-resources`` in daemon.json) that
#: are GPUs
GPU_KINDS = ("gpu", "NVIDIA-GPU", "nvidia.com/gpu")
CAPABILITIES = [["gpu"]]


class GpuSettingError(ValueError):
    """The gpus setting cannot be used (the admin's to fix)."""


class GpusUnavailable(Exception):
    """Not enough free GPUs for this server now (the user may try again later)."""


@dataclass(frozen=True)
class GpuRequest:
    count: int = 0  # how many devices of its own
    all: bool = False  # every device, shared


def parse_setting(value: Any) -> GpuRequest | None:
    """What ``gpus`` asks for: None (no GPUs: None, 0), a count, or ``"all"``."""
    if value is None or value == 0 or value == "":
        return None
    if isinstance(value, str):
        if value.strip().lower() == "all":
            return GpuRequest(all=True)
        if value.strip().isdigit():
            value = int(value.strip())
        else:
            raise GpuSettingError(f"gpus must be a number of GPUs or 'all', not {value!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GpuSettingError(f"gpus must be a number of GPUs or 'all', not {value!r}")
    return GpuRequest(count=value) if value else None


def daemon_gpu_ids(info: Mapping[str, Any]) -> list[str]:
    """The GPU ids a daemon reports (``docker info``'s GenericResources: named ids, or a count
    of interchangeable devices numbered from 0)."""
    ids: list[str] = []
    for resource in info.get("GenericResources") or []:
        named = resource.get("NamedResourceSpec")
        discrete = resource.get("DiscreteResourceSpec")
        if named and named.get("Kind") in GPU_KINDS:
            ids.append(str(named.get("Value")))
        elif discrete and discrete.get("Kind") in GPU_KINDS:
            ids.extend(str(i) for i in range(int(discrete.get("Value") or 0)))
    return ids


def held_ids(listing: Iterable[Mapping[str, Any]], except_id: str | None = None) -> set[str]:
    """The ids the listed (running) containers hold, by their label; ``except_id``'s not."""
    held: set[str] = set()
    for container in listing:
        if except_id and container.get("Id") == except_id:
            continue
        held.update(label_ids((container.get("Labels") or {}).get(LABEL_GPUS)))
    return held


def label_ids(label: str | None) -> list[str]:
    return [part for part in (label or "").split(",") if part]


def assign(pool: list[str], held: set[str], count: int, prefer: Iterable[str] = ()) -> list[str]:
    """``count`` ids of ``pool`` that nobody holds, ``prefer``'s first (a kept container's own,
    so it can be started again as it was); GpusUnavailable saying how many are free."""
    free = [gpu for gpu in pool if gpu not in held]
    if count > len(pool):
        raise GpuSettingError(f"gpus = {count}, but there are only {len(pool)} GPUs ({', '.join(pool) or 'none'})")
    if len(free) < count:
        if not free:
            raise GpusUnavailable(f"all {len(pool)} GPUs are in use; try again later")
        raise GpusUnavailable(f"only {len(free)} of the {len(pool)} GPUs {'is' if len(free) == 1 else 'are'} "
                              f"free and this server needs {count}; try again later")
    preferred = [gpu for gpu in prefer if gpu in free]
    chosen = preferred[:count]
    chosen += [gpu for gpu in free if gpu not in chosen][: count - len(chosen)]
    return sorted(chosen, key=pool.index)


def device_requests(ids: list[str] | None, driver: str = "") -> list[dict[str, Any]]:
    """The container's device request: these ids, or every device (None)."""
    if ids is None:
        return [{"driver": driver, "count": -1, "device_ids": [], "capabilities": CAPABILITIES}]
    return [{"driver": driver, "count": 0, "device_ids": list(ids), "capabilities": CAPABILITIES}]
