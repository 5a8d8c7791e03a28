"""What the spawners of one hub process share, in one place, with one :func:`reset`.

A hub holds a spawner object per server; these are shared between them, per process:

- ``pools``: the worker pools Docker calls run in (:class:`~.client.DockerCalls`), by size
  (``-1``: the pool of calls that mostly wait on the daemon);
- ``clients``: the docker-py client per daemon configuration (:class:`~.client.ClientCache`),
  with the lock each is built under and the getter every spawner of it shares;
- ``monitors``: the view of each daemon's objects that polls read
  (:class:`~.monitor.MonitorRegistry`), and a generation counting the resets, so a spawner
  that remembered a monitor notices it is gone;
- ``gpu_reservations``: the GPUs promised to starting servers, per daemon
  (:class:`~.gpu_choice.GpuReservations`);
- ``waiting_servers``: how many servers are being waited for now (:mod:`.readiness` spreads
  its HTTP checks over them).

Nothing else in the package keeps state beyond a spawner object.  This module imports nothing
of the package: the owners above read and write it, so none needs another to forget.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProcessState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pools: dict[int, ThreadPoolExecutor] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    building: dict[str, threading.Lock] = field(default_factory=dict)
    getters: dict[str, Any] = field(default_factory=dict)
    monitors: dict[tuple[Any, str], Any] = field(default_factory=dict)
    monitor_generation: int = 0
    gpu_reservations: dict[str, Any] = field(default_factory=dict)
    waiting_servers: int = 0


#: the hub process's shared state
STATE = ProcessState()


def reset() -> None:
    """Forget every client, monitor (closed first) and GPU promise, as a new hub process
    starts: tests call this between engines.  The worker pools stay (their threads are idle
    and any client can use them) and so does the count of servers being waited for (it
    counts waits still in progress)."""
    with STATE.lock:
        monitors = list(STATE.monitors.values())
        STATE.monitors.clear()
        STATE.monitor_generation += 1
        STATE.clients.clear()
        STATE.building.clear()
        STATE.getters.clear()
        STATE.gpu_reservations.clear()
    for monitor in monitors:
        monitor.close()
