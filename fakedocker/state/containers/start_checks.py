"""What the daemon checks when a container starts, before its process runs: the propagation of
its binds, its device requests and its legacy links.  Pure: each takes the container (and
what of the host it needs) and answers the problem, or None; the lifecycle records a failed
start and raises (:meth:`ContainerLifecycle._start <.lifecycle.ContainerLifecycle._start>`).
"""

from __future__ import annotations

from ... import messages
from ...routing import DaemonError
from .model import Container


def bind_propagation_problem(c: Container, host_propagation: str) -> str | None:
    """The daemon makes a shared or slave bind only where the host path's own mount allows
    it (``host_propagation``: "private", "slave" or "shared"): the first bind it refuses."""
    for m in c.mounts:
        if m["Type"] != "bind":
            continue
        wanted = m.get("Propagation") or ""
        if wanted in ("rshared", "shared") and host_propagation != "shared":
            return messages.mount_not_shared(m["Source"])
        if wanted in ("rslave", "slave") and host_propagation not in ("shared", "slave"):
            return messages.mount_not_shared_or_slave(m["Source"])
    return None


def device_request_problem(c: Container, gpus: list[str]) -> str | None:
    """Device requests start only where a device driver takes them: the one the fake models
    is the GPU driver (driver "" or "nvidia", capability "gpu") of a daemon with GPUs
    (``gpus``, :meth:`FakeEngine.declare_gpus`), for devices it has: the first refused."""
    for request in c.host_config.get("DeviceRequests") or []:
        capabilities = request.get("Capabilities") or []
        ids = [str(i) for i in request.get("DeviceIDs") or []]
        count = request.get("Count") or 0
        takes = request.get("Driver") in ("", "nvidia", None) and any("gpu" in g for g in capabilities)
        if not gpus or not takes:
            return messages.no_device_driver(request.get("Driver") or "", capabilities)
        if unknown := [i for i in ids if i not in gpus]:
            return messages.unknown_gpu(unknown[0])
        if count > len(gpus):
            return messages.too_few_gpus(count, len(gpus))
    return None


def link_error(c: Container) -> DaemonError | None:
    """The daemon's setupLinkedContainers: on the default bridge, each linked container
    must be running there."""
    if not c.links or "bridge" not in c.networks:
        return None
    for child, alias in c.links:
        if not child.running:
            return messages.link_target_not_running(f"/{child.name}", f"/{c.name}/{alias}")
        if "bridge" not in child.networks:
            return messages.link_target_not_on_bridge(child.id)
    return None
