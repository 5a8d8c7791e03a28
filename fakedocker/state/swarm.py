"""Swarm mode: the swarm, nodes, services and tasks."""

from __future__ import annotations

from typing import Any


class SwarmState:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.active = False

    def info(self) -> dict[str, Any]:
        return {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": False,
            "Error": "",
            "RemoteManagers": None,
        }
