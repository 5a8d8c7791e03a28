"""The demo hub: DockerSpawner on the local Docker daemon, log in with any user name.

Run it with ``scripts/demo`` (which also sets up the daemon and builds the image), or by hand:

    .venv/bin/jupyterhub -f examples/demo/jupyterhub_config.py

then open http://127.0.0.1:8000 and log in with any user name (and any password, unless
DEMO_PASSWORD is set). Each user gets a container from ``quay.io/jupyterhub/singleuser:<the
hub's major.minor>`` (built offline by ``scripts/build-singleuser-image.sh``), with a named
volume ``jupyterhub-user-<name>`` mounted at /home/jovyan/work; the container is removed when
the server stops, the volume is kept.

Settings read from the environment (the integration test uses them to run in isolation):

    DEMO_PORT             public port of the proxy on 127.0.0.1         (8000)
    DEMO_HUB_PORT         the hub's own port, on all interfaces         (8081)
    DEMO_PROXY_API_PORT   configurable-http-proxy's API on 127.0.0.1    (8001)
    DEMO_STATE_DIR        sqlite db, cookie secret, proxy pid file      (<repo>/.demo-state)
    DEMO_PASSWORD         the one password DummyAuthenticator accepts   (any password)
    DEMO_HUB_CONNECT_IP   address containers reach the hub at           (docker0's address)
    DEMO_IMAGE            the single-user image                         (DockerSpawner's default)
    DEMO_HOST_IP          where a server's port is published            (127.0.0.1; with a
                          daemon in a node or VM: its address the hub reaches, see
                          scripts/engines.sh env)
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
from pathlib import Path

import docker

c = get_config()  # type: ignore[name-defined] # noqa: F821  (provided by JupyterHub)

REPO = Path(__file__).resolve().parents[2]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge (docker0), where containers reach the hub.

    ``docker network inspect bridge`` names it under IPAM.Config[].Gateway on most daemons;
    Docker 20.10 often leaves it out for the default bridge, so fall back to the bridge
    interface's own address, then to the first host of the bridge's subnet.
    """
    client = docker.from_env(timeout=10)
    try:
        attrs = client.networks.get("bridge").attrs
    finally:
        client.close()
    configs = (attrs.get("IPAM") or {}).get("Config") or []
    for config in configs:
        gateway = config.get("Gateway")
        if gateway and ipaddress.ip_address(gateway).version == 4:
            return gateway
    interface = (attrs.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", "dev", interface],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.split()
        return out[out.index("inet") + 1].split("/")[0]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        pass
    for config in configs:
        subnet = config.get("Subnet")
        if subnet and ipaddress.ip_network(subnet).version == 4:
            return str(next(ipaddress.ip_network(subnet).hosts()))
    raise RuntimeError("cannot find the address of Docker's default bridge; set DEMO_HUB_CONNECT_IP")


port = env_int("DEMO_PORT", 8000)
hub_port = env_int("DEMO_HUB_PORT", 8081)
proxy_api_port = env_int("DEMO_PROXY_API_PORT", 8001)
state = Path(os.environ.get("DEMO_STATE_DIR") or REPO / ".demo-state").resolve()
state.mkdir(parents=True, exist_ok=True)

# --- the hub and its proxy ----------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{port}"
# The hub listens on every interface so that containers on the default bridge can reach it;
# they are told to use the host's address on that bridge.
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_port = hub_port
c.JupyterHub.hub_connect_ip = os.environ.get("DEMO_HUB_CONNECT_IP") or bridge_gateway()
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
# stop every user's container when the hub stops (containers are removed, volumes kept)
c.JupyterHub.cleanup_servers = True

# --- who can log in -----------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
if os.environ.get("DEMO_PASSWORD"):
    c.DummyAuthenticator.password = os.environ["DEMO_PASSWORD"]

# --- the spawner --------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "docker"
if os.environ.get("DEMO_IMAGE"):
    c.DockerSpawner.image = os.environ["DEMO_IMAGE"]
# the image is built locally; there is no registry to pull it from
c.DockerSpawner.pull_policy = "ifnotpresent"
c.DockerSpawner.remove = True
if os.environ.get("DEMO_HOST_IP"):
    c.DockerSpawner.host_ip = os.environ["DEMO_HOST_IP"]
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60
