"""A swarm task as the fake keeps it: its state, desired state, container and network
attachments, and its ``/tasks`` answer (the orchestrator, :mod:`.orchestrator`, and its task
steps, :mod:`.task_steps`, move it through its states)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .endpoints import NetView

TASK_STATES = (
    "new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
    "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
)
TERMINAL_STATES = {"complete", "shutdown", "failed", "rejected", "remove", "orphaned"}
#: the desired states of a task that stands for its slot
STANDING = ("running", "ready")


@dataclass
class Task:
    id: str
    service_id: str
    service_name: str
    slot: int | None
    spec: dict[str, Any]
    created_at: str
    updated_at: str
    version: int
    timestamp: str
    desired_state: str = "running"
    state: str = "new"
    message: str = "created"
    err: str | None = None
    node_id: str = ""
    container_status: dict[str, Any] | None = None
    port_status: dict[str, Any] | None = None
    host_ports: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[tuple[NetView, str]] = field(default_factory=list)
    attempt: int = 1
    generation: int = 0  # the service's spec generation the task was made for
    blocked: bool = False  # stuck in pending (no node can take it)
    final: bool = False  # ended and the restart policy gave up on its slot
    container_id: str = ""  # the task's container in engine.containers, once created
    #: the service's labels when the task was made (swarmkit's ServiceAnnotations): what the
    #: ``label`` filter of the task list matches, after the service is gone too, and not the
    #: labels a later update gives the service (that update leaves the task as it is)
    service_labels: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        middle = str(self.slot) if self.slot else self.node_id
        return f"{self.service_name}.{middle}.{self.id}"

    def inspect(self) -> dict[str, Any]:
        status: dict[str, Any] = {"Timestamp": self.timestamp, "State": self.state,
                                  "Message": self.message}
        if self.err:
            status["Err"] = self.err
        if self.container_status is not None:
            status["ContainerStatus"] = dict(self.container_status)
        if self.port_status is not None:
            status["PortStatus"] = copy.deepcopy(self.port_status)
        out: dict[str, Any] = {
            "ID": self.id,
            "Version": {"Index": self.version},
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Labels": {},
            "Spec": copy.deepcopy(self.spec),
            "ServiceID": self.service_id,
        }
        if self.slot:
            out["Slot"] = self.slot
        if self.node_id:
            out["NodeID"] = self.node_id
        out["Status"] = status
        out["DesiredState"] = self.desired_state
        if self.attachments:
            out["NetworksAttachments"] = [
                {"Network": net.swarm_object(), "Addresses": [addr] if addr else []}
                for net, addr in self.attachments
            ]
        return out
