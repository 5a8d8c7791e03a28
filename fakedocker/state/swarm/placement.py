"""Placement: whether the node can take a task, as the swarm's scheduler decides it.

A constraint is ``<attribute> == <value>`` or ``<attribute> != <value>``; the attributes are
the node's id, hostname, role, platform and labels (``node.labels.<key>``) and its engine's
labels (``engine.labels.<key>``), compared without regard to case as swarmkit does.  An
attribute the node does not have fails ``==`` and passes ``!=``.  A node that is down, drained
or paused takes no new task, nor one lacking a volume driver the task's mounts name.  Pure functions of the constraint strings and the node's inspect
answer.
"""

from __future__ import annotations

from typing import Any

from ... import messages

_OPERATORS = ("==", "!=")


def parse_constraint(text: str) -> tuple[str, str, str]:
    """``"node.labels.zone == a"`` -> ``("node.labels.zone", "==", "a")``."""
    for operator in _OPERATORS:
        if operator in text:
            key, _, value = text.partition(operator)
            return key.strip(), operator, value.strip()
    raise messages.constraint_without_operator()


def check_constraints(constraints: list[str] | None) -> None:
    """Refuse a spec whose constraints cannot be parsed (at create and update)."""
    for text in constraints or []:
        parse_constraint(text)


def _attribute(node: dict[str, Any], key: str) -> str | None:
    spec = node.get("Spec") or {}
    description = node.get("Description") or {}
    platform = description.get("Platform") or {}
    fixed = {
        "node.id": node.get("ID"),
        "node.hostname": description.get("Hostname"),
        "node.role": spec.get("Role"),
        "node.platform.os": platform.get("OS"),
        "node.platform.arch": platform.get("Architecture"),
    }
    if key in fixed:
        return fixed[key]
    for prefix, labels in (("node.labels.", spec.get("Labels") or {}),
                           ("engine.labels.", (description.get("Engine") or {}).get("Labels") or {})):
        if key.startswith(prefix):
            return labels.get(key[len(prefix):])
    return None


def satisfies(node: dict[str, Any], constraints: list[str] | None) -> bool:
    for text in constraints or []:
        key, operator, value = parse_constraint(text)
        actual = _attribute(node, key)
        equal = actual is not None and actual.lower() == value.lower()
        if equal != (operator == "=="):
            return False
    return True


def available(node: dict[str, Any]) -> bool:
    return ((node.get("Status") or {}).get("State") == "ready"
            and (node.get("Spec") or {}).get("Availability") == "active")


def has_plugins(node: dict[str, Any], plugin_type: str, names: list[str]) -> bool:
    """Whether the node's engine has each plugin of ``plugin_type`` named in ``names``."""
    present = {p.get("Name") for p in ((node.get("Description") or {}).get("Engine") or {}).get("Plugins") or []
               if p.get("Type") == plugin_type}
    return all(name in present for name in names)


def unschedulable_reason(nodes: list[dict[str, Any]], placement: dict[str, Any] | None,
                         volume_plugins: list[str] | None = None) -> str | None:
    """None when some node can take a task placed by ``placement`` (and needing the volume
    drivers ``volume_plugins``); else the pending task's ``Err`` (``no suitable node
    (...)``).  Each node counts for the first of the scheduler's filters it fails:
    availability, plugins, constraints."""
    constraints = (placement or {}).get("Constraints")
    unavailable = missing = unsatisfied = 0
    for node in nodes:
        if not available(node):
            unavailable += 1
        elif not has_plugins(node, "Volume", volume_plugins or []):
            missing += 1
        elif not satisfies(node, constraints):
            unsatisfied += 1
    if unavailable + missing + unsatisfied < len(nodes):
        return None
    return messages.no_suitable_node(unavailable, unsatisfied, missing)
