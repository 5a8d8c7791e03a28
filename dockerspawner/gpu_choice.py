"""The spawner's GPU step: the device ids a starting server gets (see :mod:`dockerspawner.gpus`),
chosen against the running containers' labels and the other servers starting in this hub
process at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from logging import Logger
from typing import TYPE_CHECKING, Any

from . import errors, gpus
from .process_state import STATE
from .step import SpawnerStep


class GpuReservations:
    """The ids promised to servers of one daemon that are starting now (their containers do not
    run yet, so their labels do not count), and the lock an assignment is made under."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.promised: dict[int, list[str]] = {}

    @staticmethod
    def of(daemon_key: str) -> GpuReservations:
        """The reservations of one daemon, kept in :mod:`.process_state`."""
        reservations: GpuReservations | None = STATE.gpu_reservations.get(daemon_key)
        if reservations is None:
            reservations = STATE.gpu_reservations[daemon_key] = GpuReservations()
        return reservations

    def held_by_others(self, owner: int) -> set[str]:
        return {gpu for who, ids in self.promised.items() if who != owner for gpu in ids}


class GpuAssigner:
    """Chooses a starting server's GPU ids: from ``gpu_ids`` or the daemon's GPUs, none that a
    running container's label holds or another server starting beside it was promised, its
    kept container's own ids first.

    Needs ``docker`` (a call on the client protocol), the daemon's ``reservations`` (shared by
    the servers starting on it), who asks (``owner``) and where to log; nothing of the
    spawner."""

    def __init__(self, docker: Callable[..., Awaitable[Any]], reservations: GpuReservations, owner: int,
                 log: Logger, log_name: str):
        self.docker = docker
        self.reservations = reservations
        self.owner = owner
        self.log = log
        self.log_name = log_name

    async def assign(self, request: gpus.GpuRequest, configured_ids: list[Any] | None,
                     existing: dict | None) -> list[str] | str:
        """The ids (promised to ``owner`` until released), or "all"."""
        if request.all:
            return "all"
        if configured_ids:
            pool = [str(gpu) for gpu in configured_ids]
        else:
            pool = gpus.daemon_gpu_ids(await self.docker("info"))
        if not pool:
            raise errors.ConfigProblem(
                "gpus", f"gpus = {request.count}, but the Docker daemon reports no GPUs (its "
                "node-generic-resources) and gpu_ids is not set")
        existing_id = existing["Id"] if existing else None
        prefer = gpus.label_ids(((existing or {}).get("Config", {}).get("Labels") or {}).get(gpus.LABEL_GPUS))
        async with self.reservations.lock:
            listing = await self.docker("containers", filters={
                "label": [gpus.LABEL_GPUS], "status": ["running", "restarting", "paused"]})
            held = gpus.held_ids(listing, except_id=existing_id) | self.reservations.held_by_others(self.owner)
            try:
                ids = gpus.assign(pool, held, request.count, prefer=prefer)
            except gpus.GpuSettingError as problem:
                raise errors.ConfigProblem("gpus", str(problem)) from None
            except gpus.GpusUnavailable as busy:
                self.log.warning("Cannot start %s: %s", self.log_name, busy)
                raise errors.spawn_failure(503, f"Your server needs {request.count} GPU"
                                                f"{'s' if request.count > 1 else ''}: {busy}.",
                                           reason=errors.REASON_GPU) from None
            self.reservations.promised[self.owner] = ids
        self.log.info("%s: GPUs %s", self.log_name, ",".join(ids))
        return ids


class GpuAssignment(SpawnerStep):
    """DockerSpawner's GPU step (a mixin: ``gpus`` and ``gpu_ids`` are DockerSpawnerConfig's)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        client_key: str
        gpus: Any
        gpu_ids: list[Any]

        async def evaluate_setting(self, value: Any) -> Any: ...

    #: this start's devices: a list of ids, "all", or None (no GPUs)
    assigned_gpus: Any = None

    async def assign_gpus(self, existing: dict | None) -> None:
        """Choose this server's GPUs (``existing``: its kept container, whose own ids it keeps
        when they are free).  HTTP 503 when too few are free; nothing is created then.  The
        choice is :class:`GpuAssigner`'s."""
        self.assigned_gpus = None
        request = await self.gpu_setting()
        if request is None:
            return
        assigner = GpuAssigner(self.docker, GpuReservations.of(self.client_key), id(self), self.log, self._log_name)
        self.assigned_gpus = await assigner.assign(request, self.gpu_ids, existing)

    async def gpu_setting(self) -> gpus.GpuRequest | None:
        """The ``gpus`` setting, evaluated and parsed (None: no GPUs); a value that is not a
        number of GPUs or "all" is a configuration error naming it."""
        try:
            return gpus.parse_setting(await self.evaluate_setting(self.gpus))
        except gpus.GpuSettingError as problem:
            raise errors.ConfigProblem("gpus", str(problem)) from None

    def release_gpu_reservation(self) -> None:
        """The start is over: a running container's label now holds its GPUs (or it failed)."""
        GpuReservations.of(self.client_key).promised.pop(id(self), None)

    def gpu_request_fields(self) -> dict[str, Any]:
        """The container request's device requests and label for this start's GPUs."""
        if self.assigned_gpus is None:
            return {"device_requests": (), "gpu_label": None}
        if self.assigned_gpus == "all":
            return {"device_requests": tuple(gpus.device_requests(None)), "gpu_label": None}
        return {"device_requests": tuple(gpus.device_requests(self.assigned_gpus)),
                "gpu_label": ",".join(self.assigned_gpus)}
