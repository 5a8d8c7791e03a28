"""The single-user image as the fake engines hold it, and how the light server a container of it
runs on the host is reached: shared by the spawner unit tests (tests/unit/conftest.py), the
reference differential (tests/reference/scenarios.py) and the benchmarks' fake daemon
(benchmarks/fake_daemon.py).

Standard library only: the reference DockerSpawner's own interpreter imports it too.  The test
suites find it on ``sys.path`` (pyproject.toml: ``pythonpath``); tests/reference/recorder.py and
benchmarks/fake_daemon.py put this directory there themselves.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse, urlunparse

#: the Config of quay.io/jupyterhub/singleuser as ``docker image inspect`` shows it (what a
#: spawner reads of it)
SINGLEUSER_CONFIG: dict[str, Any] = {
    "Cmd": ["jupyterhub-singleuser"],
    "Env": ["PATH=/opt/venv/bin:/usr/bin:/bin"],
    "ExposedPorts": {"8888/tcp": {}},
    "User": "jovyan",
    "WorkingDir": "/home/jovyan",
}


def host_service_url(ctx: Any) -> dict[str, str]:
    """The environment that points the server (a host process standing in for the container,
    fakedocker's HostProcessRuntime: ``ctx`` is its RuntimeContext) at the container port's
    published address on the host; a port not published (internal-ip networking): loopback at
    the container port."""
    url = urlparse(ctx.env["JUPYTERHUB_SERVICE_URL"])
    published = ctx.ports.get(f"{url.port}/tcp")
    if published:
        host_ip, host_port = published[0]
        netloc = f"{'127.0.0.1' if host_ip in ('0.0.0.0', '') else host_ip}:{host_port}"
    else:
        netloc = f"127.0.0.1:{url.port}"
    return {"JUPYTERHUB_SERVICE_URL": urlunparse(url._replace(netloc=netloc))}
