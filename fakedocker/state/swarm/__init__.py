"""Swarm mode: the swarm, its single (local) node, services and tasks.

The fake is a one-node swarm, as ``docker swarm init`` makes on a single machine; everything
follows Docker Engine 20.10 (API 1.41), see ``tests/integration/REAL_DAEMON_NOTES.md``.

- :mod:`.cluster`: the swarm and its node, ids, the raft-like index;
- :mod:`.services`: service specs (normalised as the daemon echoes them), create/update/list;
- :mod:`.endpoints`: networks as the swarm sees them, VIPs, task addresses, ingress ports;
- :mod:`.orchestrator`: tasks, their slots, restart policies; :mod:`.task_steps`: a task's
  state steps; :mod:`.updates`: rolling updates;
- :mod:`.task_containers`: the containers tasks run in;
- :mod:`.state`: ``engine.swarm``, the facade over all of them (``fail_task`` for tests).
"""

from .cluster import Cluster, Node, base36
from .endpoints import Endpoints, NetView
from .orchestrator import UNBOUNDED_ATTEMPTS, Orchestrator
from .services import Service, ServiceStore
from .state import SwarmState
from .task_containers import TaskContainers
from .tasks import TASK_STATES, Task

__all__ = [
    "TASK_STATES", "UNBOUNDED_ATTEMPTS", "Cluster", "Endpoints", "NetView", "Node",
    "Orchestrator", "Service", "ServiceStore", "SwarmState", "Task", "TaskContainers", "base36",
]
