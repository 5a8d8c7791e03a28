"""What every step of the spawner reads of it: its log, the name it logs the server by, and its
Docker access (``docker()``, ``daemon_address``, from :class:`client.DockerAccess`).

The spawner's steps (the mixins other than its configuration) derive from :class:`SpawnerStep`
and declare, in their own ``TYPE_CHECKING`` block, only what else they read.
"""

from __future__ import annotations

import asyncio
from logging import Logger
from typing import TYPE_CHECKING, Any

from traitlets import HasTraits


class SpawnerStep(HasTraits):
    """A part of the spawner that logs and calls Docker (declarations for the type checker only:
    at run time this adds nothing, so it shadows nothing of the spawner's)."""

    if TYPE_CHECKING:
        log: Logger
        _log_name: str
        daemon_address: str

        def docker(self, method: str, *args: Any, **kwargs: Any) -> asyncio.Future: ...
