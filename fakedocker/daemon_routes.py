"""The routes a Docker 20.10 daemon serves (Engine API 1.41), as data.

fakedocker answers a request no handler models with 501 ``fakedocker does not model
<METHOD> <route>`` when the real daemon has that route, and with the daemon's own 404
``page not found`` when it has not (a wrong method on a known path is also ``page not
found`` there: the daemon's router matches method and path together).

The table follows moby's routers (api/server/router/*): ``{name}`` matches anything, slashes
included, as the daemon's ``{name:.*}`` patterns do; the order is the daemon's (first match
wins), so ``/images/get`` is found before ``/images/{name}/get``.
"""

from __future__ import annotations

import re
from typing import Any

_DAEMON_ROUTES: tuple[tuple[str, str], ...] = (
    # system
    ("GET", "/_ping"), ("HEAD", "/_ping"), ("GET", "/events"), ("GET", "/info"),
    ("GET", "/version"), ("GET", "/system/df"), ("POST", "/auth"),
    # containers
    ("HEAD", "/containers/{name}/archive"), ("GET", "/containers/json"),
    ("GET", "/containers/{name}/export"), ("GET", "/containers/{name}/changes"),
    ("GET", "/containers/{name}/json"), ("GET", "/containers/{name}/top"),
    ("GET", "/containers/{name}/logs"), ("GET", "/containers/{name}/stats"),
    ("GET", "/containers/{name}/attach/ws"), ("GET", "/exec/{id}/json"),
    ("GET", "/containers/{name}/archive"), ("POST", "/containers/create"),
    ("POST", "/containers/{name}/kill"), ("POST", "/containers/{name}/pause"),
    ("POST", "/containers/{name}/unpause"), ("POST", "/containers/{name}/restart"),
    ("POST", "/containers/{name}/start"), ("POST", "/containers/{name}/stop"),
    ("POST", "/containers/{name}/wait"), ("POST", "/containers/{name}/resize"),
    ("POST", "/containers/{name}/attach"), ("POST", "/containers/{name}/copy"),
    ("POST", "/containers/{name}/exec"), ("POST", "/exec/{name}/start"),
    ("POST", "/exec/{name}/resize"), ("POST", "/containers/{name}/rename"),
    ("POST", "/containers/{name}/update"), ("POST", "/containers/prune"), ("POST", "/commit"),
    ("PUT", "/containers/{name}/archive"), ("DELETE", "/containers/{name}"),
    # checkpoints (experimental)
    ("GET", "/containers/{name}/checkpoints"), ("POST", "/containers/{name}/checkpoints"),
    ("DELETE", "/containers/{name}/checkpoints/{checkpoint}"),
    # images
    ("GET", "/images/json"), ("GET", "/images/search"), ("GET", "/images/get"),
    ("GET", "/images/{name}/get"), ("GET", "/images/{name}/history"),
    ("GET", "/images/{name}/json"), ("POST", "/images/load"), ("POST", "/images/create"),
    ("POST", "/images/{name}/push"), ("POST", "/images/{name}/tag"), ("POST", "/images/prune"),
    ("DELETE", "/images/{name}"),
    # build, sessions, distribution
    ("POST", "/build"), ("POST", "/build/prune"), ("POST", "/build/cancel"), ("POST", "/session"),
    ("POST", "/grpc"), ("GET", "/distribution/{name}/json"),
    # volumes
    ("GET", "/volumes"), ("GET", "/volumes/{name}"), ("POST", "/volumes/create"),
    ("POST", "/volumes/prune"), ("DELETE", "/volumes/{name}"),
    # networks
    ("GET", "/networks"), ("GET", "/networks/"), ("GET", "/networks/{id}"),
    ("POST", "/networks/create"), ("POST", "/networks/{id}/connect"),
    ("POST", "/networks/{id}/disconnect"), ("POST", "/networks/prune"),
    ("DELETE", "/networks/{id}"),
    # plugins
    ("GET", "/plugins/{name}/json"), ("GET", "/plugins/privileges"), ("GET", "/plugins"),
    ("POST", "/plugins/pull"), ("POST", "/plugins/create"), ("POST", "/plugins/{name}/enable"),
    ("POST", "/plugins/{name}/disable"), ("POST", "/plugins/{name}/push"),
    ("POST", "/plugins/{name}/upgrade"), ("POST", "/plugins/{name}/set"),
    ("DELETE", "/plugins/{name}"),
    # swarm
    ("GET", "/swarm"), ("GET", "/swarm/unlockkey"), ("POST", "/swarm/init"),
    ("POST", "/swarm/join"), ("POST", "/swarm/leave"), ("POST", "/swarm/update"),
    ("POST", "/swarm/unlock"),
    ("GET", "/services"), ("GET", "/services/{id}"), ("POST", "/services/create"),
    ("POST", "/services/{id}/update"), ("DELETE", "/services/{id}"),
    ("GET", "/services/{id}/logs"),
    ("GET", "/nodes"), ("GET", "/nodes/{id}"), ("DELETE", "/nodes/{id}"),
    ("POST", "/nodes/{id}/update"),
    ("GET", "/tasks"), ("GET", "/tasks/{id}"), ("GET", "/tasks/{id}/logs"),
    ("GET", "/secrets"), ("POST", "/secrets/create"), ("DELETE", "/secrets/{id}"),
    ("GET", "/secrets/{id}"), ("POST", "/secrets/{id}/update"),
    ("GET", "/configs"), ("POST", "/configs/create"), ("DELETE", "/configs/{id}"),
    ("GET", "/configs/{id}"), ("POST", "/configs/{id}/update"),
)


def _compile(pattern: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", ".*", re.escape(pattern)) + "$")


_COMPILED = tuple((method, pattern, _compile(pattern)) for method, pattern in _DAEMON_ROUTES)


def daemon_route(method: str, path: str) -> str | None:
    """The route pattern a real daemon serves ``method path`` with, or None (its 404).

    ``OPTIONS`` is answered for every path by the daemon (CORS preflight), so it is not
    listed here; see :mod:`fakedocker.handlers.system`.
    """
    for route_method, pattern, regex in _COMPILED:
        if route_method == method and regex.match(path):
            return pattern
    return None


def modelled_routes(router: Any) -> list[tuple[str, str, str | None]]:
    """The daemon's routes in its order, each with the operation ``router`` answers it with
    (docker-py's ``APIClient`` method name), or None where fakedocker answers 501: the table
    of what is modelled, which the documentation prints."""
    rows: list[tuple[str, str, str | None]] = []
    for method, pattern in _DAEMON_ROUTES:
        found = router.match(method, sample_path(pattern))
        rows.append((method, pattern, found[0].operation if found is not None else None))
    return rows


def sample_path(pattern: str) -> str:
    """A path the route ``pattern`` serves: each ``{name}`` filled with ``x``."""
    return re.sub(r"\{\w+\}", "x", pattern)
