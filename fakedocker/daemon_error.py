"""``DaemonError``: an error the fake daemon answers with, as the real one words it for each
engine version.  Built only in :mod:`fakedocker.messages` (a unit test checks), raised by the
state and handlers, turned into the HTTP answer by the transport."""

from __future__ import annotations

from .versions import version_tuple


class DaemonError(Exception):
    """An error the daemon answers with: an HTTP status and its ``{"message": ...}`` body.

    ``status`` and ``message`` are Docker 20.10's answer; ``newer`` maps an engine version to
    the wording (or the ``(status, wording)``) it and every later version answers instead, as
    ``{"26.1": "..."}``: :meth:`answer_as` picks."""

    def __init__(self, status: int, message: str, newer: dict[str, str | tuple[int, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.newer = newer or {}

    def answer_as(self, engine_version: str) -> tuple[int, str]:
        """The status and wording of the engine version ``engine_version`` (a profile name)."""
        status, text = self.status, self.message
        for since, answer in sorted(self.newer.items(), key=lambda item: version_tuple(item[0])):
            if version_tuple(engine_version) >= version_tuple(since):
                status, text = answer if isinstance(answer, tuple) else (status, answer)
        return status, text

    def message_as(self, engine_version: str) -> str:
        """The wording of the engine version ``engine_version`` (a profile name, "26.1")."""
        return self.answer_as(engine_version)[1]
