"""Where a batch of spawns spends its time, from a hub log written at DEBUG level.

    .venv/bin/python benchmarks/spawn_bench.py --sizes 20 --kinds l --no-pull \\
        --hub-log-level DEBUG --keep-hub-log /tmp/hub.log
    .venv/bin/python benchmarks/hub_log_timings.py /tmp/hub.log l20

For the users whose name starts with the prefix: how long Spawner.start took (create, start,
port: until the hub logs "Waiting ... for server"), how long the hub's wait for the server's
HTTP took (JupyterHub's wait_for_http_server: checks with random waits of up to 0.2 * 2^k s,
at most 5 s apart), and when the last start() returned vs when the hub saw the last server up.
"""

from __future__ import annotations

import re
import statistics
import sys
from datetime import datetime


def stamp(line: str) -> float:
    return datetime.strptime(line[3:26], "%Y-%m-%d %H:%M:%S.%f").timestamp()


def main(path: str, prefix: str) -> None:
    users: dict[str, dict[str, float]] = {}
    patterns = {
        "init": r"Initiating spawn for (\w+)",
        "call": r"Calling Spawner.start for (\w+)",
        "wait": r"Waiting \d+s for server at http://[\d.:]+/user/(\w+)/",
        "up": r"Server at http://[\d.:]+/user/(\w+)/\S* responded in",
    }
    with open(path, errors="replace") as log:
        for line in log:
            if not line.startswith("[") or len(line) < 27:
                continue
            for key, pattern in patterns.items():
                m = re.search(pattern, line)
                if m:
                    users.setdefault(m[1], {})[key] = stamp(line)
                    break
    rows = [d for u, d in users.items() if u.startswith(prefix) and {"init", "call", "wait", "up"} <= d.keys()]
    if not rows:
        raise SystemExit(f"no complete spawn of a user starting with {prefix!r} in {path} (DEBUG level?)")
    t0 = min(d["init"] for d in rows)
    start = [d["wait"] - d["call"] for d in rows]
    wait = [d["up"] - d["wait"] for d in rows]
    print(f"{len(rows)} spawns of {prefix}*: last Spawner.start returned {max(d['wait'] for d in rows) - t0:.2f} s "
          f"after the first spawn began; the hub saw the last server up at {max(d['up'] for d in rows) - t0:.2f} s")
    print(f"Spawner.start (create, start, port): median {statistics.median(start):.2f} s, max {max(start):.2f} s")
    print(f"hub wait for HTTP:                   median {statistics.median(wait):.2f} s, max {max(wait):.2f} s")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
