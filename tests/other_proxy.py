"""Another process's proxy on a port: the case of a free port picked for a hub's proxy API and
taken before that proxy bound it (parallel suites start hubs and proxies too)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Refusing(BaseHTTPRequestHandler):
    """Answers every request as configurable-http-proxy answers a token not its own."""

    def do_GET(self) -> None:
        self.send_error(403, "not your proxy")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def other_proxy() -> Iterator[int]:
    """The port of a listener on 127.0.0.1 that refuses every request with 403, while the
    block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
