"""The swarm's task vocabulary (which states are on the way to running, which are final, when the
manager gave a task up), a service's state read from its newest task, and the monitor's view
of services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from docker.errors import NotFound

from .event_feed import EventFeed
from .monitor_state import GONE, RUNNING, RUNNING_STATE, ObjectState
from .views import MANAGED_FILTER, ContainerView

#: swarm task states on the way to running (a task in one of these is still starting)
PENDING_TASK_STATES = frozenset({"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready",
                                 "starting"})
#: task states it never comes back from
FINAL_TASK_STATES = frozenset({"complete", "shutdown", "failed", "rejected", "remove", "orphaned"})
#: the desired states of a task the swarm still wants to run
WANTED_TASK_STATES = frozenset({RUNNING, "ready"})


def task_given_up(task: Mapping[str, Any]) -> bool:
    """Whether the manager gave up ``task`` though it has not ended: it reads running (or on
    its way) but its desired state is no longer running — its node is down or drained (a lost
    node's task reads running for ever), or its service is being removed."""
    state = (task.get("Status") or {}).get("State")
    return ((state == RUNNING or state in PENDING_TASK_STATES)
            and task.get("DesiredState", RUNNING) not in WANTED_TASK_STATES)


def service_states(services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> dict[str, ObjectState]:
    """``services()`` + ``tasks()`` answers -> states by service id (from each service's newest task)."""
    newest: dict[str, dict[str, Any]] = {}
    for task in tasks:
        service_id = task.get("ServiceID") or ""
        key = (task.get("CreatedAt", ""), task.get("Version", {}).get("Index", 0))
        current = newest.get(service_id)
        if current is None or key > (current.get("CreatedAt", ""), current.get("Version", {}).get("Index", 0)):
            newest[service_id] = task
    states = {}
    for service in services:
        found = newest.get(service["ID"])
        if found is None:
            states[service["ID"]] = ObjectState("starting")
            continue
        status = found["Status"]
        state = status["State"]
        if task_given_up(found):
            states[service["ID"]] = ObjectState("lost", "the swarm no longer wants its task")
        elif state == RUNNING:
            states[service["ID"]] = RUNNING_STATE
        elif state in PENDING_TASK_STATES:
            states[service["ID"]] = ObjectState("starting")
        else:
            states[service["ID"]] = ObjectState(state, status.get("Err") or status.get("Message", ""))
    return states


#: the tasks the swarm no longer wants running: ended, given up (node down or drained), or of
#: a removed service
GIVEN_UP_FILTER = {**MANAGED_FILTER, "desired-state": ["shutdown", "remove"]}


class ServiceView(ContainerView):
    """Swarm services: labelled ``services()`` and ``tasks()`` calls per snapshot, a service's
    state being that of its newest task.  A task label filter matches its service's labels, so
    both lists hold only the spawners' objects, however big the swarm.

    A task's state changes are not events (and a manager sees only its own node's containers):
    between lists, :meth:`changed_states` asks once per interval for the tasks the swarm gave
    up, which a healthy hub has few of; the manager's service events tell of a removed service
    at once (its tasks are soon gone from every list)."""

    def follow(self, loop: asyncio.AbstractEventLoop, on_event: Callable[[dict], None],
               on_end: Callable[[EventFeed, BaseException | None], None]) -> EventFeed:
        """A feed of the swarm's service events (their attributes carry no labels to filter by)."""
        return EventFeed(self._get_client, {"type": ["service"]}, loop, on_event, on_end)

    async def list_states(self) -> dict[str, ObjectState]:
        services = await self._call("services", filters=MANAGED_FILTER)
        tasks = await self._call("tasks", filters=MANAGED_FILTER)
        return service_states(services, tasks)

    async def changed_states(self, known: dict[str, ObjectState]) -> dict[str, ObjectState]:
        """The services ``known`` holds as running whose task the swarm has given up since
        (one call; a second, for those services' tasks, only when there are such)."""
        given_up = await self._call("tasks", filters=GIVEN_UP_FILTER)
        changed = [sid for sid in {t.get("ServiceID") for t in given_up}
                   if sid is not None and (known.get(sid) or RUNNING_STATE).running]
        if not changed:
            return {}
        # a given-up task may have a newer one beside it (a restart policy, an update)
        try:
            tasks = await self._call("tasks", filters={"service": changed})
        except NotFound:  # one of them is removed: the daemon refuses the filter; ask each
            return {sid: await self.inspect_state(sid) for sid in changed}
        return service_states([{"ID": sid} for sid in changed], tasks)

    async def inspect_state(self, object_id: str) -> ObjectState:
        try:
            service = await self._call("inspect_service", object_id)
        except NotFound:
            return ObjectState(GONE)
        tasks = await self._call("tasks", filters={"service": object_id})
        return service_states([service], tasks).get(object_id, ObjectState("starting"))
