"""A counting relay for the Docker socket: every Engine API request a client makes, counted at
the client's side of the socket, whichever client it is (ours, the reference, raw docker-py).

    python benchmarks/count_proxy.py --listen /tmp/counted.sock --upstream /var/run/docker.sock

Clients use ``DOCKER_HOST=unix:///tmp/counted.sock``.  Prints ``listening PATH`` once it accepts
connections, then one line per request: ``<monotonic seconds> <METHOD> <route>``, the route with
the API version dropped and object ids and names replaced (``/containers/{id}/start``); the reader
(spawn_bench.py) counts the lines of a time window, CLOCK_MONOTONIC being shared by every process.
Responses, streams and upgraded (attach) connections pass through untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "scripts" / "lib")]

from relay_common import connect_upstream, run_then_exit, serve_until_signalled  # noqa: E402
from throttle_proxy import pump  # noqa: E402

#: the last path segment of these routes is a verb, not an object id or name
COLLECTION_VERBS = {"json", "create", "prune", "load", "search", "get", "init", "join", "leave", "update",
                    "unlockkey", "unlock"}
#: resources whose objects are named in the path (an image name may hold slashes)
RESOURCES = ("containers", "images", "services", "tasks", "networks", "volumes", "nodes", "exec",
             "secrets", "configs", "plugins", "distribution")


def route(target: str) -> str:
    """``/v1.41/containers/4f2a…/start?x=1`` -> ``/containers/{id}/start``."""
    path = unquote(urlsplit(target).path)
    path = re.sub(r"^/v\d+\.\d+(?=/)", "", path)
    parts = path.strip("/").split("/")
    if not parts or parts[0] not in RESOURCES or len(parts) < 2:
        return path
    if len(parts) == 2:
        return path if parts[1] in COLLECTION_VERBS else f"/{parts[0]}/{{id}}"
    if parts[0] in ("images", "distribution", "plugins"):  # /images/<name with slashes>/<verb>
        return f"/{parts[0]}/{{name}}/{parts[-1]}"
    return "/" + "/".join([parts[0], "{id}", *parts[2:]])


async def relay_requests(client: asyncio.StreamReader, upstream: asyncio.StreamWriter) -> None:
    """Forward the client's requests one by one, printing each; raw after an upgrade or a chunked
    request body (neither is followed by another request the relay needs to see)."""
    try:
        while True:
            head = await client.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            print(f"{time.monotonic():.6f} {method} {route(target)}", flush=True)
            upstream.write(head)
            length = int(headers.get("content-length") or 0)
            if length:
                upstream.write(await client.readexactly(length))
            await upstream.drain()
            if "upgrade" in headers or "chunked" in headers.get("transfer-encoding", ""):
                await pump(client, upstream, None)
                return
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ValueError):
        pass
    finally:
        try:
            upstream.close()
        except Exception:  # noqa: BLE001 - closing a broken socket
            pass


async def main(listen: str, upstream: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected = await connect_upstream(asyncio.open_unix_connection(upstream), writer)
        if connected is None:
            return
        up_reader, up_writer = connected
        await asyncio.gather(relay_requests(reader, up_writer), pump(up_reader, writer, None))

    with_stale = Path(listen)
    if with_stale.is_socket():
        with_stale.unlink()
    server = await asyncio.start_unix_server(handle, listen, limit=1 << 20)
    await serve_until_signalled(server, listen)
    with_stale.unlink(missing_ok=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="the socket path clients connect to")
    parser.add_argument("--upstream", default="/var/run/docker.sock", help="the daemon's socket path")
    args = parser.parse_args()
    run_then_exit(main(args.listen, args.upstream))
