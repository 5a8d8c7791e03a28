#!/usr/bin/env python3
"""A plain TCP relay to a service on this host's loopback, for clients that cannot reach it there.

    scripts/lib/tcp-relay.py LISTEN_HOST:PORT UPSTREAM_HOST:PORT

scripts/engines.sh runs one from the host's address on the engines' network to the registry on
127.0.0.1:5000 (the nodes reach the host there, not at its loopback); the real-daemon tests run
one in front of benchmarks/throttle_proxy.py (which listens on loopback only).  Every connection
to LISTEN is relayed, both ways, to a new connection to UPSTREAM, which must be a loopback
address (this is no general proxy).  Prints ``listening HOST:PORT`` once it accepts connections;
exits on SIGTERM/SIGINT.  Standard library only (any python3 runs it; relay_common.py, next to
it, is what it shares with the benchmarks' relays).
"""

from __future__ import annotations

import asyncio
import ipaddress
import sys

from relay_common import connect_upstream, run_then_exit, serve_until_signalled

CHUNK = 64 * 1024


def address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"tcp-relay: {text!r} is not HOST:PORT")
    return host, int(port)


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # a half-close passes on; the other direction may still run
    except (ConnectionError, OSError):
        writer.close()


async def main(listen: tuple[str, int], upstream: tuple[str, int]) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        connected = await connect_upstream(asyncio.open_connection(*upstream), client_writer)
        if connected is None:
            return
        up_reader, up_writer = connected
        try:
            await asyncio.gather(pump(client_reader, up_writer), pump(up_reader, client_writer))
        except asyncio.CancelledError:
            pass  # the relay is stopping: its open connections close
        finally:
            for writer in (up_writer, client_writer):
                writer.close()

    server = await asyncio.start_server(handle, *listen, reuse_address=True)
    await serve_until_signalled(server, f"{listen[0]}:{listen[1]} -> {upstream[0]}:{upstream[1]}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: " + __doc__.strip().splitlines()[2].strip())
    listen_at, upstream_at = address(sys.argv[1]), address(sys.argv[2])
    if not ipaddress.ip_address(upstream_at[0]).is_loopback:
        raise SystemExit(f"tcp-relay: the upstream {sys.argv[2]} is not a loopback address")
    try:
        run_then_exit(main(listen_at, upstream_at))  # open connections do not hold the exit
    except OSError as exc:  # the address is in use or not this host's
        raise SystemExit(f"tcp-relay: cannot listen on {sys.argv[1]}: {exc}") from None
