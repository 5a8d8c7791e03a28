"""Where a SwarmSpawner server runs, as pure decisions on the swarm's answers.

- :func:`placement_spec`: the service's placement (extra_placement_spec rendered for the
  server, plus the pin to a remembered node);
- :func:`unschedulable_reason`: whether a pending task can never start as things stand (the
  scheduler's own "no suitable node ..." reason), so a spawn fails at once instead of timing
  out;
- :func:`node_address`: where a node publishes host-mode ports;
- :func:`lost_task_reason`: whether a task that still reads ``running`` has been given up by
  the manager (its node is down or drained).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec import render_templates
from .swarm_tasks import task_given_up

#: the scheduler's Err for a task no node can take
NO_SUITABLE_NODE = "no suitable node"


def pin_constraint(node_id: str) -> str:
    return f"node.id == {node_id}"


def placement_spec(extra_placement_spec: Mapping[str, Any], namespace: Mapping[str, Any],
                   pinned_node_id: str | None = None) -> dict[str, Any]:
    """``docker.types.Placement`` keyword arguments: ``extra_placement_spec`` with its strings
    rendered as templates (``node.labels.jupyter-user == {username}``), and, for a server
    pinned to a node, a constraint placing it there."""
    placement = dict(render_templates(dict(extra_placement_spec), namespace))
    if pinned_node_id:
        placement["constraints"] = [*(placement.get("constraints") or []), pin_constraint(pinned_node_id)]
    return placement


def unschedulable_reason(task: Mapping[str, Any]) -> str | None:
    """The scheduler's reason when ``task`` is pending because no node can take it (scheduling
    constraints, nodes down or drained, resources), else None.  A real manager keeps such a
    task pending for ever."""
    status = task.get("Status") or {}
    err = status.get("Err") or ""
    if status.get("State") == "pending" and err.startswith(NO_SUITABLE_NODE):
        return err
    return None


def node_address(node: Mapping[str, Any]) -> str | None:
    """The address other machines reach ``node`` at: its ``Status.Addr``, or, where a manager
    reports ``0.0.0.0`` there, the host of its ``ManagerStatus.Addr``; None when unknown."""
    addr = (node.get("Status") or {}).get("Addr") or ""
    if addr in ("", "0.0.0.0"):
        manager = (node.get("ManagerStatus") or {}).get("Addr") or ""
        addr = manager.rsplit(":", 1)[0].strip("[]") if manager else ""
    return addr or None


def node_name(node: Mapping[str, Any] | None, node_id: str) -> str:
    return ((node or {}).get("Description") or {}).get("Hostname") or node_id[:12]


def lost_task_reason(task: Mapping[str, Any], node: Mapping[str, Any] | None) -> str | None:
    """Why the manager gave up a task that has not ended (it reads ``running`` or starting,
    but its desired state is no longer running), naming its node and the node's condition;
    None for a task the swarm still wants.  ``node`` is the task's node as inspected, None when
    it left the swarm."""
    if not task_given_up(task):
        return None
    node_id = task.get("NodeID") or ""
    name = node_name(node, node_id)
    if node is None:
        return f"its node {name} left the swarm"
    status = node.get("Status") or {}
    if status.get("State") != "ready":
        detail = f" ({status['Message']})" if status.get("Message") else ""
        return f"its node {name} is {status.get('State', 'unknown')}{detail}"
    availability = (node.get("Spec") or {}).get("Availability", "active")
    if availability != "active":
        return f"its node {name} was set to {availability}"
    return f"the swarm is shutting it down on node {name}"
