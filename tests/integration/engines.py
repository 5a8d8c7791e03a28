"""The engine the real-daemon suites run against, chosen by ``ENGINE``:

* ``docker20`` (the default): the host's own Docker 20.10 daemon (scripts/provision.sh);
* ``docker26``, ``podman5``, ``podman5-rootless``: the nodes of scripts/engines.sh, each serving
  its engine's Docker API on a socket on the host.  A hub on the host reaches a server there at
  the node's address (``host_ip``, where DockerSpawner publishes the server's port), and the
  server reaches the hub at the host's address on the nodes' network (``hub_connect_ip``).

The host's registry listens on 127.0.0.1:5000 only; the host's daemon pushes there, and an engine
in a node pulls the same repositories at ``registry`` (the host's address on the nodes' network,
relayed to the loopback by scripts/engines.sh, a plain-HTTP registry to every engine).
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from needs import unavailable

REPO = Path(__file__).resolve().parents[2]
HOST_DAEMON = "unix:///var/run/docker.sock"
NAMES = ("docker20", "docker26", "podman5", "podman5-rootless")


@dataclass(frozen=True)
class Engine:
    name: str
    #: the daemon's URL (DOCKER_HOST)
    docker_host: str
    #: where DockerSpawner publishes a server's port (c.DockerSpawner.host_ip); None: its default
    host_ip: str | None = None
    #: where a server reaches the hub (c.JupyterHub.hub_connect_ip); None: the demo's default
    hub_connect_ip: str | None = None
    #: the host's registry (127.0.0.1:5000) as the engine reaches it: the reference's registry part
    registry: str = "127.0.0.1:5000"
    #: where a test may relay the registry again (slowed down, say) so the engine reaches it and
    #: treats it as plain HTTP: this host and one of ``relay_ports``; none named: any free port
    #: (the host's daemon treats every port of 127.0.0.0/8 as plain HTTP)
    relay_host: str = "127.0.0.1"
    relay_ports: tuple[int, ...] = ()
    #: the node container the engine runs in (None: the host's own daemon)
    node: str | None = None
    #: a rootless engine's first subordinate id: a container's uid N >= 1 owns files in the
    #: node as ``subordinate_ids + N - 1`` (None: ids are the same inside and out)
    subordinate_ids: int | None = None

    def outside_id(self, inside: int) -> int:
        """The uid (or gid) that files of a container's ``inside`` id belong to in the node."""
        if self.subordinate_ids is None or inside == 0:
            return inside
        return self.subordinate_ids + inside - 1

    @property
    def fake_version(self) -> str:
        """The engine version fakedocker answers as beside this engine in the parity scenarios
        (fakedocker does not imitate Podman: beside Podman it answers as the newest Docker)."""
        return "20.10" if self.name == "docker20" else "26.1"

    @property
    def is_podman(self) -> bool:
        return self.name.startswith("podman")

    @property
    def is_host_daemon(self) -> bool:
        return self.name == "docker20"

    def run_on_host(self, command: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        """``command`` where the engine's bind mounts come from: this host for the host's daemon,
        the node's own filesystem (``docker exec``) for an engine in a node."""
        if self.node is not None:
            command = ["docker", "exec", self.node, *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def hub_environment(self) -> dict[str, str]:
        """What the demo configuration reads to run against this engine."""
        env = {"DOCKER_HOST": self.docker_host}
        if self.host_ip:
            env["DEMO_HOST_IP"] = self.host_ip
        if self.hub_connect_ip:
            env["DEMO_HUB_CONNECT_IP"] = self.hub_connect_ip
        return env


def parse_assignments(text: str) -> dict[str, str]:
    """``NAME=value`` lines (as scripts/engines.sh env prints them) as a dict."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.isidentifier():
            values[name] = value.strip().strip('"')
    return values


def selected_name() -> str:
    return os.environ.get("ENGINE") or "docker20"


#: the host's registry as the engines in nodes reach it: scripts/engines.sh relays 127.0.0.1:5000
#: to its GATEWAY:REGISTRY_PORT (checked against what ``engines.sh env`` says by the parity harness)
NODES_REGISTRY = "10.216.216.1:5000"


def selected_registry() -> str:
    """Where the parity scenarios pull from, on the engine ENGINE names (and on the fake beside
    it): read from the name alone, like :func:`selected_fake_version`."""
    return "127.0.0.1:5000" if selected_name() == "docker20" else NODES_REGISTRY


def selected_fake_version() -> str:
    """What fakedocker answers as in the parity scenarios beside the engine ENGINE names (read
    from the name alone: the fake side needs no engine up)."""
    return Engine(selected_name(), "").fake_version


@functools.cache
def selected() -> Engine:
    """The engine ``ENGINE`` names (docker20 when unset); unavailable (under CI: a failure) when
    scripts/engines.sh has not brought it up."""
    name = selected_name()
    if name not in NAMES:
        raise ValueError(f"ENGINE={name!r}: not one of {', '.join(NAMES)}")
    if name == "docker20":
        return Engine(name, HOST_DAEMON)
    out = subprocess.run([str(REPO / "scripts" / "engines.sh"), "env", name], capture_output=True, text=True,
                         timeout=60)
    values = parse_assignments(out.stdout)
    socket = values.get("DOCKER_HOST", "").removeprefix("unix://")
    if out.returncode != 0 or not socket or not Path(socket).exists():
        unavailable(f"engine {name} is not up (scripts/engines.sh up): {out.stderr.strip() or socket}")
    return Engine(name, values["DOCKER_HOST"], values.get("HOST_IP"), values.get("HUB_CONNECT_IP"),
                  registry=values["REGISTRY"], relay_host=values["RELAY_HOST"],
                  relay_ports=tuple(int(port) for port in values["RELAY_PORTS"].split(",") if port),
                  node=values["NODE"],
                  subordinate_ids=int(values["SUBORDINATE_IDS"]) if "SUBORDINATE_IDS" in values else None)
