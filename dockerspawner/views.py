"""What the monitor reads from the daemon, per kind of object: containers here (one labelled
list per snapshot, kept current by the event stream), and services with their tasks in
:mod:`.swarm_tasks`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from docker.errors import NotFound

from .client import DockerCalls
from .event_feed import EventFeed
from .monitor_state import GONE, RUNNING_STATE, ObjectState
from .spec import LABEL_MANAGED_BY, MANAGED_BY

MANAGED_FILTER = {"label": [f"{LABEL_MANAGED_BY}={MANAGED_BY}"]}


def container_states(listing: list[dict[str, Any]]) -> dict[str, ObjectState]:
    """``containers(all=True)`` answer -> states by container id."""
    states = {}
    for entry in listing:
        state = entry.get("State") or "unknown"
        # a running one's Status ("Up 5 minutes") is not kept: nothing reads it
        states[entry["Id"]] = RUNNING_STATE if state == "running" else ObjectState(state, entry.get("Status", ""))
    return states


class ContainerView:
    """Containers: one labelled ``containers(all=True)`` call per snapshot.

    ``get_client`` returns the daemon's client; it is called in the worker thread of each call
    (building the client may block on the daemon)."""

    def __init__(self, get_client: Callable[[], Any], executor: Any):
        self._get_client = get_client
        self._executor = executor

    def _call(self, method: str, *args: Any, **kwargs: Any) -> asyncio.Future:
        return DockerCalls.submit(self._executor, lambda: getattr(self._get_client(), method)(*args, **kwargs))

    async def list_states(self) -> dict[str, ObjectState]:
        return container_states(await self._call("containers", all=True, filters=MANAGED_FILTER))

    def follow(self, loop: asyncio.AbstractEventLoop, on_event: Callable[[dict], None],
               on_end: Callable[[EventFeed, BaseException | None], None]) -> EventFeed:
        """A feed of the managed containers' events (not started)."""
        return EventFeed(self._get_client, {"type": ["container"], **MANAGED_FILTER}, loop, on_event, on_end)

    async def inspect_state(self, object_id: str) -> ObjectState:
        try:
            info = await self._call("inspect_container", object_id)
        except NotFound:
            return ObjectState(GONE)
        state = info["State"]
        if state.get("Running"):
            return RUNNING_STATE
        return ObjectState(state.get("Status", "exited"), f"exit code {state.get('ExitCode')}")
