"""The few private parts of docker-py (and requests under it) the spawners rely on, in one
place.  ``tests/unit/test_docker_internals.py`` fails when an installed release lacks one, and
``pyproject.toml`` bounds ``docker`` by the releases the tests were run with.

- widening a client's connection pools after it is built (docker-py sizes only the unix
  socket's pool from ``max_pool_size``; the HTTP(S) adapters of a TCP daemon keep requests'
  default of 10, which would queue the calls of a bigger worker pool);
- negotiating the API version once the client is set up (``version="auto"`` would do it in
  the constructor, before ``trust_env`` can be turned off);
- reading the HTTP answer under an event stream (docker-py ends the stream of an error answer
  without a word).
"""

from __future__ import annotations

from typing import Any


def widen_pools(client: Any, pool_size: int) -> None:
    """Let each of ``client``'s HTTP adapters hold ``pool_size`` connections at least."""
    for adapter in set(client.adapters.values()):
        if hasattr(adapter, "init_poolmanager") and getattr(adapter, "_pool_maxsize", pool_size) < pool_size:
            adapter._pool_maxsize = pool_size
            adapter.init_poolmanager(adapter._pool_connections, pool_size, block=adapter._pool_block)


def negotiate_version(client: Any) -> None:
    """Ask the daemon for its API version and use it (what ``version="auto"`` does)."""
    client._version = client._retrieve_server_version()


def stream_response(stream: Any) -> Any:
    """The ``requests`` response under a docker-py event stream (None if it has none)."""
    return getattr(stream, "_response", None)
