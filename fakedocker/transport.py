"""The requests transport adapter that answers docker-py's HTTP requests from a FakeEngine.

docker-py builds every request itself and parses every answer itself; this adapter only
turns a :class:`requests.PreparedRequest` into a route call and the handler's answer into a
genuine :class:`requests.Response`:

- plain answers (JSON, bytes) are served from memory;
- streamed answers (pull progress, events, followed logs, a container's wait) and hijacked
  connections (exec start, attach) travel over a real socket pair and are parsed by
  :mod:`http.client`, because docker-py reads those from ``response.raw._fp`` and the socket
  underneath it.

The client's read timeout holds as on a socket to the daemon: a streamed answer's headers
come at once and its socket times out a read that waits longer (requests raises
``ConnectionError`` from the body, docker-py's stream readers turn the timeout off as they
do with the daemon); an answer that comes later than the timeout (an injected latency)
raises ``ReadTimeout`` and the call carries on in the background, as on the daemon.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import threading
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import (
    handlers,  # noqa: F401  (registers the routes)
    messages,
    versions,
)
from .daemon_routes import daemon_route
from .routing import ROUTER, DaemonError, Request, Response, go_json_text

if TYPE_CHECKING:
    from .engine import FakeEngine


def dispatch(engine: FakeEngine, request: Request) -> Response:
    """Route ``request`` to its handler; always returns a Response (errors included)."""
    found = ROUTER.match(request.method, request.path)
    if found is None:
        daemon_has = daemon_route(request.method, request.path)
        err = messages.page_not_found() if daemon_has is None else messages.not_modelled(
            request.method, daemon_has)
        return Response(err.status, {"message": err.message})
    refused = versions.api_version_problem(request.api_version, engine.min_api_version, engine.api_version)
    if refused is not None:
        too_old = "too old" in refused
        if too_old and engine.profile.too_old_as_text:
            return Response(400, (refused + "\n").encode(), kind="raw", content_type="text/plain; charset=utf-8")
        return Response(400, {"message": refused})
    route, params = found
    request.params = params
    with engine.lock:
        engine.calls[route.operation] = engine.calls.get(route.operation, 0) + 1
    try:
        engine.faults.before_call(route.operation)
        engine.transitions.apply_due()
        result = route.handler(engine, request)
    except DaemonError as err:
        status, message = err.answer_as(engine.profile.name)
        return Response(status, {"message": message})
    if isinstance(result, Response):
        return result
    return Response(200, result)


class FakeTransport(HTTPAdapter):
    def __init__(self, engine: FakeEngine):
        super().__init__(pool_connections=1, pool_maxsize=1)
        self.engine = engine

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        body = request.body
        if body is None:
            data = b""
        elif isinstance(body, str):
            data = body.encode()
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        elif hasattr(body, "read"):
            data = body.read()
        else:  # an iterable of chunks
            data = b"".join(c.encode() if isinstance(c, str) else c for c in body)
        req = Request.from_url(request.method or "GET", request.url or "/", dict(request.headers), data)
        read_timeout = _read_timeout(timeout)
        if read_timeout is not None and self.engine.faults.has_latency():
            answer = _dispatch_within(self.engine, req, request, read_timeout)
        else:
            answer = dispatch(self.engine, req)
        if answer.kind in ("stream", "hijack") and answer.status < 400:
            return self.build_response(request, _socket_response(request, answer, read_timeout))
        raw, content = _memory_response(request, answer)
        response = self.build_response(request, raw)
        # The whole body is in memory already: hand it over instead of streaming it back
        # out of the raw response (what response.content would otherwise do).
        response._content = content
        response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag, beside _content
        return response


def _read_timeout(timeout: Any) -> float | None:
    """The read part of a requests timeout (a number, ``(connect, read)`` or urllib3's)."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else None
    elif isinstance(timeout, urllib3.Timeout):
        timeout = timeout.read_timeout
    return float(timeout) if isinstance(timeout, int | float) else None


def _dispatch_within(engine: FakeEngine, req: Request, request: requests.PreparedRequest,
                     read_timeout: float) -> Response:
    """``dispatch`` in a thread; ReadTimeout when no answer comes within ``read_timeout``
    (the daemon goes on with the call, and so does the thread)."""
    outcome: list[Any] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(dispatch(engine, req))
        except BaseException as exc:  # a daemon that is down: raised in the caller
            outcome.append(exc)
        finally:
            finished.set()

    threading.Thread(target=run, name="fakedocker-call", daemon=True).start()
    if not finished.wait(read_timeout):
        error = urllib3.exceptions.ReadTimeoutError(
            None,  # type: ignore[arg-type]  # no pool: the call never left the process
            request.url, f"Read timed out. (read timeout={read_timeout})")
        raise requests.exceptions.ReadTimeout(error, request=request)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _headers(answer: Response, length: int | None) -> dict[str, str]:
    content_type = answer.content_type or (
        "application/json" if answer.kind == "json" else "application/octet-stream"
    )
    headers = {
        "Api-Version": "1.41",
        "Content-Type": content_type,
        "Docker-Experimental": "false",
        "Ostype": "linux",
        "Server": "Docker/20.10.24+dfsg1 (linux)",
    }
    if length is not None:
        headers["Content-Length"] = str(length)
    headers.update(answer.headers)
    return headers


class _Body(io.BytesIO):
    """A whole answer's body, as urllib3 holds http.client's response: docker-py's stream
    readers ask it whether it is chunked (an error answer to a streamed call is not)."""

    chunked = False


def _memory_response(request: requests.PreparedRequest, answer: Response) -> tuple[urllib3.HTTPResponse, bytes]:
    if answer.kind == "json" or answer.kind in ("stream", "hijack"):
        data = b"" if answer.body is None else (go_json_text(answer.body) + "\n").encode()
        if answer.status in (204, 304):
            data = b""
        answer.kind = "json"
    elif isinstance(answer.body, bytes):
        data = answer.body
    else:
        data = b"".join(answer.body or ())
    raw = urllib3.HTTPResponse(
        body=_Body(data),
        headers=_headers(answer, len(data)),
        status=answer.status,
        reason=_reason(answer.status),
        preload_content=False,
        decode_content=False,
        request_method=request.method,
        request_url=request.url,
    )
    return raw, data


def _socket_response(request: requests.PreparedRequest, answer: Response,
                     read_timeout: float | None = None) -> urllib3.HTTPResponse:
    client_end, server_end = socket.socketpair()
    client_end.settimeout(read_timeout)
    headers = _headers(answer, None)
    status = answer.status
    if answer.kind == "stream":
        headers["Transfer-Encoding"] = "chunked"
    else:  # hijack: the daemon upgrades the connection to a raw stream
        status = 101 if request.headers.get("Upgrade") else 200
        headers["Connection"] = "Upgrade"
        headers["Upgrade"] = "tcp"
        headers["Content-Type"] = answer.content_type or "application/vnd.docker.raw-stream"
    head = f"HTTP/1.1 {status} {_reason(status) or 'UPGRADED'}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    server_end.sendall(head.encode("latin-1"))
    parsed = http.client.HTTPResponse(client_end, method=request.method)
    # Parse the headers before any body byte is written, so the body stays in the socket
    # for the readers (docker-py reads hijacked streams from the socket itself).
    parsed.begin()
    writer = threading.Thread(
        target=_write_body, args=(server_end, answer.body or (), answer.kind == "stream"),
        name="fakedocker-stream", daemon=True,
    )
    writer.start()
    return urllib3.HTTPResponse(
        body=parsed,
        headers=dict(parsed.getheaders()),
        status=parsed.status,
        reason=parsed.reason,
        preload_content=False,
        decode_content=False,
        original_response=parsed,
        request_method=request.method,
        request_url=request.url,
    )


def _write_body(sock: socket.socket, chunks: Iterable[bytes], chunked: bool) -> None:
    iterator = iter(chunks)
    try:
        for chunk in iterator:
            if _peer_closed(sock):
                break
            if not chunk:
                continue
            if chunked:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                sock.sendall(chunk)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the reader went away
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        sock.close()


def _peer_closed(sock: socket.socket) -> bool:
    poller = select.poll()
    poller.register(sock, select.POLLHUP | select.POLLERR)
    return any(ev & (select.POLLHUP | select.POLLERR) for _, ev in poller.poll(0))

