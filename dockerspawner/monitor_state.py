"""What the monitor knows of one managed object (shared by the monitor and its event feed)."""

from __future__ import annotations

from dataclasses import dataclass

RUNNING = "running"
GONE = "gone"


@dataclass(frozen=True, slots=True)
class ObjectState:
    """``state`` is ``running``, ``starting`` (swarm tasks on their way), ``gone``, or the
    daemon's word for a stopped object (``exited``, ``created``, ``dead``, ``failed``, ...);
    ``detail`` says why it stopped."""

    state: str
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.state in (RUNNING, "starting")


#: the one state object for every running server (a hub holds one per server: no detail, and
#: a poll may compare it by identity)
RUNNING_STATE = ObjectState(RUNNING)
