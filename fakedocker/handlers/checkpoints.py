"""Checkpoint routes: experimental in Docker 20.10, so a daemon not in experimental mode (the
one fakedocker models) answers each with its 501 ``experimental feature is disabled``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import Request, route

if TYPE_CHECKING:
    from ..engine import FakeEngine


@route("GET", "/containers/{id}/checkpoints", "checkpoints")
@route("POST", "/containers/{id}/checkpoints", "create_checkpoint")
@route("DELETE", "/containers/{id}/checkpoints/{checkpoint}", "remove_checkpoint")
def checkpoints(engine: FakeEngine, req: Request) -> Any:
    raise messages.experimental_disabled()
