"""The daemon's event stream, followed in a thread of its own, as the monitor's source of
changes between lists.

One labelled ``/events`` stream per daemon configuration tells the monitor of every managed
container that is created, started, dies or is removed, as it happens; polls then answer from
memory, with no list call per interval.  A swarm manager's stream of service events tells of a
service removed (outside the hub too) at once.  :func:`event_state` (pure) says what an event means
for its container; :class:`EventFeed` reads the stream and hands each event to the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from docker.errors import DockerException

from . import docker_internals
from .monitor_state import GONE, RUNNING_STATE, ObjectState

#: what a container event says of the container's state afterwards (other actions — exec,
#: attach, health, rename, kill, oom, stop, ... — change nothing a poll reports; each stop or
#: exit is followed by its ``die``)
_CONTAINER_ACTIONS = {
    "create": ObjectState("created"),
    "start": RUNNING_STATE,
    "unpause": RUNNING_STATE,
    "pause": ObjectState("paused"),
    "destroy": ObjectState(GONE),
}


def event_state(event: dict[str, Any]) -> tuple[str, ObjectState] | None:
    """``(object id, state after the event)`` for a container event that changes it, or a swarm
    service's removal; else None (a service's other events say nothing of its task)."""
    kind = event.get("Type")
    actor = event.get("Actor") or {}
    object_id = actor.get("ID")
    action = (event.get("Action") or "").split(":", 1)[0]
    if not object_id or kind not in ("container", "service"):
        return None
    if kind == "service":
        return (object_id, ObjectState(GONE)) if action == "remove" else None
    if action == "die":
        code = (actor.get("Attributes") or {}).get("exitCode")
        return object_id, ObjectState("exited", f"exit code {code}" if code is not None else "")
    state = _CONTAINER_ACTIONS.get(action)
    return None if state is None else (object_id, state)


class EventFeed:
    """Follows ``client.events(filters=...)`` in a daemon thread: ``subscribed`` resolves once
    the daemon answered (every later change reaches the stream), each event is passed to
    ``on_event`` on ``loop``, and ``on_end(feed, error)`` is called there once the stream ends."""

    def __init__(self, get_client: Callable[[], Any], filters: dict[str, list[str]],
                 loop: asyncio.AbstractEventLoop, on_event: Callable[[dict], None],
                 on_end: Callable[[EventFeed, BaseException | None], None]):
        self._get_client = get_client
        self._filters = filters
        self.loop = loop
        self._on_event = on_event
        self._on_end = on_end
        self._stream: Any = None
        self._closed = False
        #: set on the loop once the stream ended (with ``error``, if it broke)
        self.ended = False
        self.error: BaseException | None = None
        self.subscribed: asyncio.Future = loop.create_future()
        self._thread = threading.Thread(target=self._follow, name="dockerspawner-events", daemon=True)

    def start(self) -> asyncio.Future:
        self._thread.start()
        return self.subscribed

    def close(self) -> None:
        """Stop following (from any thread); ``on_end`` is not called for a closed feed."""
        self._closed = True
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # already broken: the reader ends on its own
                pass

    def _call(self, fn: Callable, *args: Any) -> None:
        if self._closed:
            return
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._closed = True

    def _end(self, error: BaseException | None) -> None:
        self.ended, self.error = True, error
        self._on_end(self, error)

    def _subscribed(self, error: BaseException | None) -> None:
        if self.subscribed.done():
            return
        if error is None:
            self.subscribed.set_result(None)
        else:
            self.subscribed.set_exception(error)

    def _follow(self) -> None:
        error: BaseException | None = None
        try:
            self._stream = self._get_client().events(filters=self._filters, decode=True)
            if self._closed:
                self._stream.close()
                return
            _raise_for_answer(self._stream)
            self._call(self._subscribed, None)
            for event in self._stream:
                if self._closed:
                    return
                self._call(self._on_event, event)
        except BaseException as err:  # noqa: BLE001 - any end of the stream is reported
            error = err
        if not self._closed:
            self._call(self._subscribed, error or ConnectionError("the event stream ended"))
            self._call(self._end, error)


def _raise_for_answer(stream: Any) -> None:
    """docker-py hands back the stream of an error answer too, and ends it without a word
    (its reader takes the error for the end of the stream): read the daemon's reason here."""
    response = docker_internals.stream_response(stream)
    status = getattr(response, "status_code", 200)
    if status >= 400:
        try:
            reason = response.json().get("message") or response.text
        except ValueError:
            reason = response.text
        raise DockerException(f"{status}: {reason.strip()}")
