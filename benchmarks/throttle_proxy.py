"""A bandwidth-capped TCP relay: makes a pull from the loopback registry slow on purpose.

    python benchmarks/throttle_proxy.py --listen 127.0.0.1:5001 --upstream 127.0.0.1:5000 --rate 8e6

Every byte from the upstream to the clients shares one budget of ``--rate`` bytes per second
(all connections together: the daemon pulls layers on several connections at once); bytes from
the clients to the upstream pass unthrottled.  Prints ``listening HOST:PORT`` once it accepts
connections, and on SIGTERM/SIGINT exits after printing the bytes relayed.  Only loopback
addresses are accepted for both ends.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "lib"))

from relay_common import connect_upstream, run_then_exit, serve_until_signalled  # noqa: E402

CHUNK = 32 * 1024


class Budget:
    """One shared pacing clock: sending n bytes books n/rate seconds after the previous booking."""

    def __init__(self, rate: float):
        self.rate = rate
        self.next_free = time.monotonic()
        self.relayed = 0

    async def take(self, n: int) -> None:
        now = time.monotonic()
        start = max(now, self.next_free)
        self.next_free = start + n / self.rate
        self.relayed += n
        delay = self.next_free - now
        if delay > 0:
            await asyncio.sleep(delay)


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, budget: Budget | None) -> None:
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            if budget is not None:
                await budget.take(len(data))
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - closing a broken socket
            pass


def loopback(hostport: str) -> tuple[str, int]:
    host, _, port = hostport.rpartition(":")
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"{hostport}: only loopback addresses are allowed")
    return host, int(port)


async def main(listen: tuple[str, int], upstream: tuple[str, int], rate: float) -> None:
    budget = Budget(rate)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        connected = await connect_upstream(asyncio.open_connection(*upstream), client_writer)
        if connected is None:
            return
        up_reader, up_writer = connected
        await asyncio.gather(pump(client_reader, up_writer, None), pump(up_reader, client_writer, budget))

    server = await asyncio.start_server(handle, *listen)
    await serve_until_signalled(server, f"{listen[0]}:{listen[1]}")
    print(f"relayed {budget.relayed} bytes", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, required=True, help="bytes per second, all connections together")
    args = parser.parse_args()
    run_then_exit(main(loopback(args.listen), loopback(args.upstream), args.rate))
