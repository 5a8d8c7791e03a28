"""Routes of the fake Engine API: a request model, response kinds and the ``@route`` decorator.

Handlers live in ``fakedocker.handlers.*``; each registers itself with ``@route``.  A handler
receives the engine and a :class:`Request` and returns a JSON-able value (sent as 200 JSON),
a :class:`Response`, or raises :class:`DaemonError` with the daemon's status and wording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .daemon_error import DaemonError as DaemonError  # where the handlers and state take it from

if TYPE_CHECKING:
    from .engine import FakeEngine

Handler = Callable[[Any, "Request"], Any]


_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def go_json_text(value: Any) -> str:
    """``value`` as the daemon's Go encoder writes it: compact, UTF-8, with ``<``, ``>``, ``&``
    and the two line separators escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES)


@dataclass
class Response:
    """A non-default answer.

    kind:
      - ``json``: ``body`` is serialised as JSON (``None`` sends an empty body);
      - ``raw``: ``body`` is bytes;
      - ``stream``: ``body`` is an iterable of bytes sent chunked, as the daemon streams
        pulls, events and followed logs;
      - ``hijack``: ``body`` is an iterable of bytes written to the raw connection after
        the headers (exec start, attach).
    """

    status: int = 200
    body: Any = None
    kind: str = "json"
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    api_version: str | None = None

    @classmethod
    def from_url(cls, method: str, url: str, headers: dict[str, str], body: bytes) -> Request:
        parts = urlsplit(url)
        path = unquote(parts.path)
        api_version = None
        m = _VERSION_PREFIX.match(path)
        if m:
            api_version = m.group(1)
            path = path[m.end() :]
        return cls(
            method=method.upper(),
            path=path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
            api_version=api_version,
        )

    # query helpers -------------------------------------------------------------------
    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.arg(name)
        if value is None:
            return default
        return value.lower() in ("1", "true", "yes")

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        return int_value(name, self.arg(name), default)

    def json_arg(self, name: str, default: Any = None) -> Any:
        value = self.arg(name)
        if value in (None, ""):
            return default
        try:
            return json.loads(value)
        except ValueError:
            from . import messages  # not at the top: messages imports DaemonError from here

            raise messages.invalid_json_argument(name, value) from None

    def filters(self) -> dict[str, list[str]]:
        """The ``filters`` query argument, normalised to ``{key: [values]}``."""
        raw = self.json_arg("filters", {}) or {}
        out: dict[str, list[str]] = {}
        for key, value in raw.items():
            if isinstance(value, dict):  # the API's map form: {"label": {"a=b": true}}
                out[key] = [k for k, v in value.items() if v]
            elif isinstance(value, list):
                out[key] = [str(v) for v in value]
            else:
                out[key] = [str(value)]
        return out

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            from . import messages  # not at the top: messages imports DaemonError from here

            raise messages.invalid_json_body() from None


def int_value(name: str, value: str | None, default: int | None = None) -> int | None:
    """The integer query argument ``name`` whose text is ``value`` (``default`` when absent or
    empty); the daemon's 400 when it is not a number."""
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        from . import messages  # not at the top: messages imports DaemonError from here

        raise messages.invalid_argument_value(name, value) from None


_VERSION_PREFIX = re.compile(r"^/v(\d+\.\d+)(?=/)")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern
    handler: Handler
    operation: str


class Router:
    """Maps ``(method, path)`` to a handler.  Exact paths are a dict lookup; others a regex scan."""

    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Route] = {}
        self._patterns: dict[str, list[Route]] = {}

    def add(self, method: str, pattern: str, handler: Handler, operation: str) -> None:
        regex = re.compile("^" + _PARAM.sub(_param_regex, pattern) + "$")
        route = Route(method, pattern, regex, handler, operation)
        if "{" not in pattern:
            self._exact[(method, pattern)] = route
        else:
            self._patterns.setdefault(method, []).append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        for route in self._patterns.get(method, ()):
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None

    def routes(self) -> Iterable[Route]:
        yield from self._exact.values()
        for routes in self._patterns.values():
            yield from routes


_PARAM = re.compile(r"\{(\w+)(:path)?\}")


def _param_regex(m: re.Match) -> str:
    return f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)"


#: The one router every engine dispatches through.  It holds only code (routes are
#: registered at import time), never state, so sharing it between engines is safe.
ROUTER = Router()


def route(method: str, pattern: str, operation: str | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for ``method pattern``.

    ``operation`` names the docker-py ``APIClient`` method that issues the request (it is
    what fault injection and call counting are keyed by); it defaults to the handler's name.
    """

    def register(handler: Handler) -> Handler:
        ROUTER.add(method.upper(), pattern, handler, operation or handler.__name__)
        return handler

    return register


def action_route(method: str, pattern: str, operation: str,
                 act: Callable[[FakeEngine, Request], object]) -> Handler:
    """Register a route that does ``act(engine, req)`` and answers 204 with no body, as the
    daemon answers a pause, a kill or a removal; the handler is named after ``operation``."""

    def handler(engine: FakeEngine, req: Request) -> Response:
        act(engine, req)
        return Response(204, None)

    handler.__name__ = handler.__qualname__ = operation
    return route(method, pattern, operation)(handler)
