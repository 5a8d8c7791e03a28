"""How many create -> start -> inspect -> stop -> remove cycles per second fakedocker answers.

Every call goes through a genuine docker.APIClient (request building, transport, error
mapping), pinned to one core.  Prints a table and writes it to benchmarks/results/.

    .venv/bin/python benchmarks/fakedocker_cycles.py [--cycles 3000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import docker

import fakedocker


def run(cycles: int) -> dict[str, float]:
    engine = fakedocker.FakeEngine()
    engine.add_image("busybox:1.36", config={"Cmd": ["sh"], "ExposedPorts": {"8888/tcp": {}}})
    api = engine.api_client()
    host_config = api.create_host_config(port_bindings={8888: ("127.0.0.1", None)}, mem_limit="512m")
    for i in range(50):  # warm up
        _cycle(api, host_config, f"warm{i}")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(cycles):
        _cycle(api, host_config, f"bench{i}")
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    engine.close()
    return {"cycles": cycles, "wall_s": wall, "cpu_s": cpu, "cycles_per_s": cycles / wall,
            "calls_per_s": 5 * cycles / wall}


def _cycle(api: docker.APIClient, host_config: dict, name: str) -> None:
    container = api.create_container("busybox:1.36", name=name, ports=[8888], host_config=host_config)
    api.start(container)
    api.inspect_container(container)
    api.stop(container, timeout=0)
    api.remove_container(container)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=3000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    result = run(args.cycles)
    lines = [
        f"# fakedocker cycle benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"# python {platform.python_version()}, docker-py {docker.__version__}, one core",
        "",
        "| cycles | wall s | cpu s | cycles/s | API calls/s |",
        "|---:|---:|---:|---:|---:|",
        f"| {result['cycles']} | {result['wall_s']:.2f} | {result['cpu_s']:.2f} | "
        f"{result['cycles_per_s']:.0f} | {result['calls_per_s']:.0f} |",
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "fakedocker_cycles.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
