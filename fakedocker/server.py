"""Serve a FakeEngine on a unix socket, so the docker CLI and any other client can use it.

    python -m fakedocker serve --socket /tmp/fake.sock
    DOCKER_HOST=unix:///tmp/fake.sock docker ps

The same routes and handlers answer as through the in-process transport.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import logging
import os
import select
import signal
import socket
import socketserver
import sys
import termios
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from .routing import Request, go_json_text
from .transport import _headers, _reason, dispatch

if TYPE_CHECKING:
    from .engine import FakeEngine

log = logging.getLogger("fakedocker.server")

#: a client that hangs up before its answer is written (docker CLI timeouts, Ctrl-C, a test's
#: client closed early): the daemon carries on without a word, so does the fake, with one line
CLIENT_WENT_AWAY = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


#: how long a hijacked answer waits for its client to read the headers before writing on
HEADERS_READ_WAIT = 5.0


def _wait_until_read(conn: socket.socket) -> None:
    """Wait until the client has read what was sent (the answer's headers): docker-py reads a
    hijacked stream from the raw socket once its HTTP parser has the headers, and bytes that
    arrived with them are left in the parser's buffer, lost to it.  A daemon's process takes
    its time to write; the fake's output is there at once.  On a unix socket, the bytes a
    peer has not read yet stay counted in the sender's queue (``TIOCOUTQ``)."""
    deadline = time.monotonic() + HEADERS_READ_WAIT
    poller = select.poll()
    poller.register(conn, select.POLLHUP | select.POLLERR)
    unread = array.array("i", [0])
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, unread, True)
        except OSError:
            return  # not a socket that says: write on
        if unread[0] == 0 or poller.poll(1):
            return  # read, or the client went away


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UnixServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        req = Request.from_url(self.command, "http://localhost" + self.path, dict(self.headers), body)
        answer = dispatch(self.server.engine, req)
        if answer.kind in ("stream", "hijack") and answer.status < 400:
            self._send_streamed(answer)
            return
        if answer.kind in ("json", "stream", "hijack"):
            data = b"" if answer.body is None or answer.status in (204, 304) else (
                go_json_text(answer.body) + "\n").encode()
            answer.kind = "json"
        elif isinstance(answer.body, bytes):
            data = answer.body
        else:
            data = b"".join(answer.body or ())
        self.send_response(answer.status, _reason(answer.status))
        for key, value in _headers(answer, len(data)).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_streamed(self, answer: Any) -> None:
        headers = _headers(answer, None)
        if answer.kind == "stream":
            self.send_response(answer.status, _reason(answer.status))
            headers["Transfer-Encoding"] = "chunked"
        else:
            upgrade = bool(self.headers.get("Upgrade"))
            self.send_response(101 if upgrade else 200, "UPGRADED" if upgrade else "OK")
            headers.update({"Connection": "Upgrade", "Upgrade": "tcp",
                            "Content-Type": "application/vnd.docker.raw-stream"})
            self.close_connection = True
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.flush()
        if answer.kind == "hijack":
            _wait_until_read(self.connection)
        iterator = iter(answer.body or ())
        try:
            for chunk in iterator:
                if not chunk:
                    continue
                if answer.kind == "stream":
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
            if answer.kind == "stream":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a hub connects from many threads at once (the default is 5)

    def __init__(self, path: str, engine: FakeEngine):
        self.engine = engine
        super().__init__(path, _Handler)

    def get_request(self):  # unix sockets have no peer address; BaseHTTPRequestHandler wants one
        request, _ = super().get_request()
        return request, ("fakedocker", 0)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_WENT_AWAY):
            log.info("a client went away before its answer was sent (%s)", type(error).__name__)
            return
        super().handle_error(request, client_address)


class FakeDaemonServer:
    """``engine`` served on the unix socket ``path`` (in a background thread)."""

    def __init__(self, engine: FakeEngine, path: str):
        self.engine = engine
        self.path = path
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self._server = _UnixServer(path, engine)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return "unix://" + self.path

    def start(self) -> FakeDaemonServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakedocker-server",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> FakeDaemonServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_until_stopped(engine: FakeEngine, path: str, banner: str) -> None:
    """Serve ``engine`` on ``path`` in this thread, print ``banner`` once listening, and on
    SIGTERM or Ctrl-C stop serving and close the engine (its runtimes' processes with it)."""
    server = FakeDaemonServer(engine, path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(banner, flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
        engine.close()
