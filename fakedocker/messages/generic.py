"""The daemon's error wording: generic."""

from __future__ import annotations

from ..daemon_error import DaemonError
from ._catalogue import message

page_not_found = message(404, "page not found")
# A query argument that should be a number (or a logs ``since``/``until`` time) and is not.
invalid_argument_value = message(400, "invalid value for {name}: {value!r}")
# A query argument that should hold JSON (``filters``...) and does not.
invalid_json_argument = message(400, "invalid {name} parameter: {value!r}")
# A request body that is not JSON, or not the JSON object the route takes.
invalid_json_body = message(400, "invalid JSON in request body")


def injected(status: int, message: str) -> DaemonError:
    """A failure a test asked for (``faults.fail``): its own status and text."""
    return DaemonError(status, message)


# The daemon's answer on an experimental route (checkpoints) when not in experimental mode.
experimental_disabled = message(
    501,
    "This experimental feature is disabled by default. Start the Docker daemon in "
    "experimental mode in order to enable it.",
)


def invalid_time_filter(value: str, image_prune: bool = False) -> DaemonError:
    """An ``until`` prune filter that is neither a time nor a duration: 20.10 answers 500; 26.1
    400, except to an image prune."""
    wording = f'failed to parse value as time or duration: "{value}"'
    return DaemonError(500, wording, newer=None if image_prune else {"26.1": (400, wording)})


# A placement constraint with neither ``==`` nor ``!=`` (the daemon answers 500).
constraint_without_operator = message(
    500, "rpc error: code = Unknown desc = constraint expected one operator from ==, !="
)


def no_suitable_node(unavailable: int, unsatisfied: int, missing_plugin: int = 0) -> str:
    """A pending task's ``Err`` when no node can take it, counting the nodes that are not
    available for new tasks (down, drained or paused), those whose attributes fail the
    task's placement constraints and those lacking a plugin the task needs."""
    def nodes(n: int) -> str:
        return f"{n} node" if n == 1 else f"{n} nodes"

    reasons = []
    if unavailable:
        reasons.append(f"{nodes(unavailable)} not available for new tasks")
    if missing_plugin:
        reasons.append(f"missing plugin on {nodes(missing_plugin)}")
    if unsatisfied:
        reasons.append(f"scheduling constraints not satisfied on {nodes(unsatisfied)}")
    return f"no suitable node ({'; '.join(reasons)})"
