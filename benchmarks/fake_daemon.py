"""A fake Docker daemon for spawn_bench.py's ``--backend fake``: fakedocker served on a unix
socket, whose containers of the single-user image really answer HTTP.

    python benchmarks/fake_daemon.py --socket /tmp/spawnbench.sock [--pull-image REF]

A container running the light server (``python3 -m jupyterhub.tests.mocksu``) runs it as a
host process listening on the container port's published host address (JUPYTERHUB_SERVICE_URL
rewritten by tests/singleuser.py, as in the unit tests).  Like in a container: with ``init`` in
its host config it exits on SIGTERM; without, it ignores SIGTERM (as mocksu does as PID 1), so
a stop waits the grace period and kills it.  ``--pull-image`` puts an image of ``--pull-mb`` MB in the
fake registry, pulled at ``--pull-rate`` bytes per second (the engine runs timed transitions).
Prints ``ready`` once it serves; SIGTERM stops it and every process it started.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import fakedocker
import fakedocker.server
from fakedocker.runtime import HostProcessRuntime
from fakedocker.server import serve_until_stopped

# tests/singleuser.py: the single-user image's Config and how the light server of a container
# of it is reached, as in the tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from singleuser import SINGLEUSER_CONFIG, host_service_url  # noqa: E402

IMAGE = "quay.io/jupyterhub/singleuser:6.1"
IMAGE_CONFIG = {**SINGLEUSER_CONFIG,
                "Env": ["PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", "HOME=/home/jovyan"]}
MOCKSU = "jupyterhub.tests.mocksu"
IGNORE_TERM = (
    "import runpy, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    f"runpy.run_module({MOCKSU!r}, run_name='__main__')"
)


def runs_light_server(container) -> bool:
    cmd = (container.config.get("Entrypoint") or []) + (container.config.get("Cmd") or [])
    return MOCKSU in cmd


def with_init(container) -> bool:
    return runs_light_server(container) and bool(container.host_config.get("Init"))


def build_engine(pull_image: str | None, pull_mb: int, pull_rate: float) -> fakedocker.FakeEngine:
    engine = fakedocker.FakeEngine(transitions="timer")
    engine.add_image(IMAGE, config=IMAGE_CONFIG, size=500_000_000)
    # newest rule first: with init the server exits on SIGTERM, as PID 1 it ignores it
    engine.set_runtime(runs_light_server, HostProcessRuntime(
        command=[sys.executable, "-c", IGNORE_TERM], env=host_service_url))
    engine.set_runtime(with_init, HostProcessRuntime(
        command=[sys.executable, "-m", MOCKSU], env=host_service_url))
    if pull_image:
        engine.registry.push(pull_image, config=IMAGE_CONFIG, size=pull_mb * 1_000_000, layers=1)
        engine.registry.bandwidth = pull_rate
    return engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--pull-image", default=None)
    parser.add_argument("--pull-mb", type=int, default=320)
    parser.add_argument("--pull-rate", type=float, default=8e6, help="bytes per second")
    args = parser.parse_args()
    engine = build_engine(args.pull_image, args.pull_mb, args.pull_rate)
    # socketserver listens with a backlog of 5: more clients connecting at once than that get
    # EAGAIN on a unix socket (dockerd's backlog is far larger), so raise it before it listens
    fakedocker.server._UnixServer.request_queue_size = 512
    serve_until_stopped(engine, args.socket, "ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
