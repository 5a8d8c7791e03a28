"""A container's output: its logs and attaching to it.  Both read the container's log entries
and, when following, the entries it prints from then on, in one loop (:func:`follow`)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import Request, Response, route
from ..state.containers.logconfig import reads_logs
from ..timestamps import parse_rfc3339

if TYPE_CHECKING:
    from ..engine import FakeEngine

Entry = tuple[float, int, bytes]


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def log_time(value: str | None) -> float | None:
    """A ``since``/``until`` argument of a logs request (seconds or RFC 3339), or None."""
    if value in (None, "", "0"):
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return parse_rfc3339(value)
        except ValueError:
            raise messages.invalid_argument_value("since", value) from None


def content_type(tty: bool) -> str:
    return "application/vnd.docker.raw-stream" if tty else "application/vnd.docker.multiplexed-stream"


def follow(engine: FakeEngine, c: Any, index: int, wanted: Callable[[Entry], bool],
           ended: Callable[[], bool]) -> Iterator[list[Entry]]:
    """The entries ``c`` logs from ``index`` on that are ``wanted``, in batches, until
    ``ended()``; an empty batch now and then while nothing comes (a client that went away is
    noticed when it is written)."""
    store = engine.containers
    while True:
        with engine.lock:
            def moved(n: int = index) -> bool:
                return ended() or len(c.logs) != n

            engine.transitions.wait(moved, timeout=0.25, condition=store.changed)
            batch = [e for e in c.logs[index:] if wanted(e)]
            index = len(c.logs)
            finished = ended()
        if batch or not finished:
            yield batch
        if finished:
            return


@route("GET", "/containers/{id}/logs", "logs")
def logs(engine: FakeEngine, req: Request) -> Response:
    want_out = req.flag("stdout")
    want_err = req.flag("stderr")
    if not (want_out or want_err):
        raise messages.no_log_stream_chosen(400)
    timestamps = req.flag("timestamps")
    following = req.flag("follow")
    tail_arg = req.arg("tail", "all")
    tail = None if tail_arg in (None, "", "all") else int(tail_arg)
    since = log_time(req.arg("since"))
    until = log_time(req.arg("until"))
    streams = {s for s, w in ((1, want_out), (2, want_err)) if w}
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not reads_logs(c.host_config.get("LogConfig")):
            raise messages.logs_not_readable()
        engine.containers.lifecycle.refuse_unrunnable(c)
        tty = bool(c.config.get("Tty"))
        entries = [e for e in c.logs if e[1] in streams and (since is None or e[0] >= since)
                   and (until is None or e[0] <= until)]
        index = len(c.logs)
        if tail is not None:
            entries = entries[-tail:] if tail > 0 else []

    def encode(batch: list[Entry]) -> bytes:
        parts = []
        for t, s, data in batch:
            if timestamps:
                data = engine.now_iso(t).encode() + b" " + data
            parts.append(data if tty else frame(s, data))
        return b"".join(parts)

    def gen() -> Iterator[bytes]:
        yield encode(entries)
        if not following:
            return
        for batch in follow(engine, c, index, lambda e: e[1] in streams and (until is None or e[0] <= until),
                            lambda: not c.running or c.removed):
            yield encode(batch)

    return Response(200, gen(), kind="stream", content_type=content_type(tty))


@route("POST", "/containers/{id}/attach", "attach")
def attach(engine: FakeEngine, req: Request) -> Response:
    """The container's output on a hijacked connection, as ``docker run`` (attached) and
    docker-py's ``attach`` read it: with ``logs``, what it printed so far; with ``stream``, what
    it prints from now until it stops — also when it is attached before it starts (the CLI
    attaches, then starts).  Its stdin is not modelled: an attached stdin gets no input."""
    want_out, want_err = req.flag("stdout"), req.flag("stderr")
    streams = {s for s, w in ((1, want_out), (2, want_err)) if w}
    with_logs, stream = req.flag("logs"), req.flag("stream")
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not reads_logs(c.host_config.get("LogConfig")) and with_logs:
            raise messages.logs_not_readable()
        engine.containers.lifecycle.refuse_unrunnable(c)
        tty = bool(c.config.get("Tty"))
        earlier = [e for e in c.logs if e[1] in streams] if with_logs else []
        index = len(c.logs)
        # the run this attach follows: the current one, else the next one to start
        finished_before = c.finished_at
        run_of = c.started_at if c.running else None

    def encode(batch: list[Entry]) -> bytes:
        return b"".join(data if tty else frame(s, data) for _, s, data in batch)

    def ended() -> bool:
        nonlocal run_of
        if c.removed:
            return True
        if c.running:
            run_of = c.started_at
            return False
        # stopped: the run it followed (or one that started and ended since) is over
        return run_of is not None or c.finished_at != finished_before

    def gen() -> Iterator[bytes]:
        if earlier:
            yield encode(earlier)
        if not stream:
            return
        for batch in follow(engine, c, index, lambda e: e[1] in streams, ended):
            yield encode(batch)

    return Response(200, gen(), kind="hijack", content_type=content_type(tty))
