"""A service's logs (``GET /services/{id}/logs``): its task containers' log lines as the
daemon's swarm log broker hands them out (Docker 20.10, checked against the real daemon):

- every task of the service whose container still exists, task after task (the fake: by slot,
  then oldest first), each task's lines in their order;
- ``tail`` counts per task, over both streams before one is picked; ``since`` as for a
  container's logs;
- ``details`` puts the task's context before each line: ``com.docker.swarm.node.id=...,
  com.docker.swarm.service.id=...,com.docker.swarm.task.id=...`` (keys sorted, values
  query-escaped), then a space; ``timestamps`` puts the RFC 3339 time (nine fraction digits)
  and a space before that;
- multiplexed frames (stream 1/2), or the bare lines when the service's ContainerSpec has
  ``TTY``.

Pure functions of the tasks' values and their log entries ``(time, stream, bytes)``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from .tasks import Task

Entry = tuple[float, int, bytes]


@dataclass(frozen=True)
class LogOptions:
    streams: frozenset[int]  # 1 stdout, 2 stderr
    since: float | None = None
    tail: int | None = None  # lines per task; None: all
    timestamps: bool = False
    details: bool = False
    tty: bool = False


def task_context(task: Task) -> bytes:
    """The ``details`` prefix of a task's lines (without the separating space)."""
    attrs = sorted({
        "com.docker.swarm.node.id": task.node_id,
        "com.docker.swarm.service.id": task.service_id,
        "com.docker.swarm.task.id": task.id,
    }.items())
    return ",".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in attrs).encode()


def select(entries: Iterable[Entry], options: LogOptions, tail: bool = True) -> list[Entry]:
    """One task's entries the options ask for.  The log reader takes the last ``tail``
    lines of both streams first (unless told not to), then drops the lines before ``since``
    and those of a stream not asked for: ``tail=1`` of stdout is empty when the last line
    went to stderr."""
    out = list(entries)
    if tail and options.tail is not None:
        out = out[-options.tail:] if options.tail > 0 else []
    return [e for e in out if e[1] in options.streams
            and (options.since is None or e[0] >= options.since)]


def encode(entries: Iterable[Entry], context: bytes, options: LogOptions,
           iso: Callable[[float], str]) -> bytes:
    """Entries of one task as the response body carries them."""
    parts = []
    for t, stream, data in entries:
        line = data
        if options.details:
            line = context + b" " + line
        if options.timestamps:
            line = iso(t).encode() + b" " + line
        parts.append(line if options.tty else struct.pack(">BxxxL", stream, len(line)) + line)
    return b"".join(parts)


def task_order(tasks: Iterable[Task]) -> list[Task]:
    """The order the fake sends tasks' logs in (the daemon's depends on its goroutines)."""
    return sorted(tasks, key=lambda t: (t.slot or 0, t.node_id, t.created_at, t.id))
