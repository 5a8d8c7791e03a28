"""The container model: a :class:`Container`, and the :class:`ContainerTable` of every
container by id and name (what volumes, networks and the swarm look containers up in)."""

from __future__ import annotations

import signal as _signal
import threading
from typing import Any

from ... import messages
from ...routing import DaemonError
from ...timestamps import ZERO_TIME
from ..ports import Binding
from .logconfig import keeps_log_file

#: the statuses in which a container has a process
RUNNING_STATES = ("running", "paused", "restarting")


def signal_number(sig: str | int | None, default: int = int(_signal.SIGKILL)) -> int:
    """A signal name (``SIGUSR1``, ``USR1``) or number as an int; DaemonError 400 if invalid."""
    if sig in (None, ""):
        return default
    text = str(sig).strip()
    if text.isdigit():
        n = int(text)
        if 0 < n < 65:
            return n
    else:
        name = text.upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        if name in _signal.Signals.__members__:
            return int(_signal.Signals[name])
    raise messages.invalid_signal(text)


def merge_env(image_env: list[str] | None, container_env: list[str] | None) -> list[str]:
    """The daemon's ReplaceOrAppendEnvValues: image values first, the container's win."""
    result = list(image_env or ())
    index = {item.partition("=")[0]: i for i, item in enumerate(result)}
    for item in container_env or ():
        key = item.partition("=")[0]
        if key in index:
            result[index[key]] = item
        else:
            index[key] = len(result)
            result.append(item)
    return result


def create_env(image_env: list[str] | None, user_env: list[str] | None) -> list[str] | None:
    """A new container's Env (the daemon's ``merge()``): the user's entries first, then each
    image entry whose key the user did not set; the image's Env when the user gave none."""
    if not user_env:
        return list(image_env) if image_env else None
    keys = {item.partition("=")[0] for item in user_env}
    return list(user_env) + [item for item in image_env or () if item.partition("=")[0] not in keys]


class Container:
    """One fake container.  Fields are read by the routes under the engine lock."""

    def __init__(self, id: str, name: str, created: str, image_id: str, config: dict[str, Any],
                 host_config: dict[str, Any]):
        self.id = id
        self.name = name
        self.created = created
        self.created_unix = 0.0
        self.image_id = image_id
        self.config = config
        self.host_config = host_config
        self.labels: dict[str, str] = config.get("Labels") or {}
        #: network name -> EndpointSettings, written by the network store
        self.networks: dict[str, dict[str, Any]] = {}
        #: networks whose endpoint shows a MacAddress given at connect: the daemon shows it
        #: until the container joins, then uses the address-derived one
        self.connect_macs: set[str] = set()
        #: in the inspect ``Mounts`` shape
        self.mounts: list[dict[str, Any]] = []
        self.anonymous_volumes: list[str] = []
        #: legacy links registered at create: (linked container, alias)
        self.links: list[tuple[Container, str]] = []
        self.status = "created"
        self.pid = 0
        self.exit_code = 0
        self.error = ""
        self.oom_killed = False
        self.started_at = ZERO_TIME
        self.started_unix = 0.0
        self.finished_at = ZERO_TIME
        self.restart_count = 0
        self.ports: dict[str, list[Binding]] = {}  # published bindings while running
        self.exec_ids: list[str] = []
        self.execs: list[Any] = []  # the exec instances, for ExecIDs (the running ones)
        self.logs: list[tuple[float, int, bytes]] = []
        self.files: dict[str, Any] | None = None  # path -> FileNode, made on first use
        #: State.Health (Status, FailingStreak, Log) once started with a health check
        self.health: dict[str, Any] | None = None
        self.process: Any = None
        self.context: Any = None
        #: incremented at every start and every exit: a runtime reporting an exit of an
        #: earlier run is ignored
        self.generation = 0
        self.exits = 0
        #: the Warnings of its create's answer
        self.create_warnings: list[str] = []
        self.removed = False
        self.sandbox_id = ""

    def __repr__(self) -> str:
        return f"<Container {self.id[:12]} {self.name} {self.status}>"

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def running(self) -> bool:
        return self.status in RUNNING_STATES

    @property
    def image(self) -> str:
        return self.config.get("Image") or ""

    def path_args(self) -> list[str]:
        return list(self.config.get("Entrypoint") or ()) + list(self.config.get("Cmd") or ())

    def running_execs(self) -> list[str]:
        return [e.id for e in self.execs if e.running]

    def env_dict(self) -> dict[str, str]:
        return {key: value for key, _, value in (item.partition("=") for item in self.config.get("Env") or ())}

    def stop_signal_number(self) -> int:
        try:
            return signal_number(self.config.get("StopSignal"), int(_signal.SIGTERM))
        except DaemonError:
            return int(_signal.SIGTERM)

    def link_names(self) -> list[str]:
        """Its legacy links as inspect shows them: ``/child:/parent/alias``."""
        return [f"/{child.name}:/{self.name}/{alias}" for child, alias in self.links]

    def network_mode(self) -> str:
        mode = self.host_config.get("NetworkMode") or "default"
        return "bridge" if mode == "default" else mode

    def publishes_ports(self) -> bool:
        """Whether its network mode gives it ports of its own to publish (not ``host``,
        ``none`` or another container's namespace)."""
        mode = self.network_mode()
        return mode not in ("host", "none") and not mode.startswith("container:")

    def attributes(self, **extra: str) -> dict[str, str]:
        attrs = dict(self.labels)
        attrs["image"] = self.image
        attrs["name"] = self.name
        attrs.update(extra)
        return attrs

    def exposed_ports(self) -> list[str]:
        keys = list(self.config.get("ExposedPorts") or ())
        for key in self.host_config.get("PortBindings") or ():
            if key not in keys:
                keys.append(key)
        return [k if "/" in k else f"{k}/tcp" for k in keys]

    def requested_port_bindings(self) -> dict[str, list[Binding]]:
        """What its start publishes: PortBindings, plus every exposed port with
        PublishAllPorts (an empty HostPort: an ephemeral port)."""
        bindings: dict[str, list[Binding]] = {}
        for key, value in (self.host_config.get("PortBindings") or {}).items():
            key = key if "/" in key else f"{key}/tcp"
            bindings[key] = list(value or [{"HostIp": "", "HostPort": ""}])
        if self.host_config.get("PublishAllPorts"):
            for key in self.exposed_ports():
                bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
        return bindings

    def published_ports(self) -> dict[str, list[tuple[str, int]]]:
        """The published bindings as a runtime sees them: ``{"8888/tcp": [(ip, port)]}``."""
        return {k: [(b["HostIp"], int(b["HostPort"])) for b in v] for k, v in self.ports.items()}

    # inspect ---------------------------------------------------------------------------
    def inspect(self) -> dict[str, Any]:
        """``GET /containers/{id}/json``."""
        path_args = self.path_args()
        base = f"/var/lib/docker/containers/{self.id}"
        started = self.started_at != ZERO_TIME
        return {
            "Id": self.id,
            "Created": self.created,
            "Path": path_args[0] if path_args else "",
            "Args": path_args[1:],
            "State": self._inspect_state(),
            "Image": self.image_id,
            "ResolvConfPath": f"{base}/resolv.conf" if started else "",
            "HostnamePath": f"{base}/hostname" if started else "",
            "HostsPath": f"{base}/hosts" if started else "",
            "LogPath": f"{base}/{self.id}-json.log" if started and keeps_log_file(
                self.host_config.get("LogConfig")) else "",
            "Name": "/" + self.name,
            "RestartCount": self.restart_count,
            "Driver": "overlay2",
            "Platform": "linux",
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "ExecIDs": self.running_execs() or None,
            "HostConfig": {**self.host_config, "Links": self.link_names() or None},
            "GraphDriver": {
                "Data": {
                    "LowerDir": f"/var/lib/docker/overlay2/{self.id}-init/diff",
                    "MergedDir": f"/var/lib/docker/overlay2/{self.id}/merged",
                    "UpperDir": f"/var/lib/docker/overlay2/{self.id}/diff",
                    "WorkDir": f"/var/lib/docker/overlay2/{self.id}/work",
                },
                "Name": "overlay2",
            },
            "Mounts": [dict(m) for m in self.mounts],
            "Config": dict(self.config),
            "NetworkSettings": self.network_settings(),
        }

    def _inspect_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Status": self.status,
            "Running": self.running,
            "Paused": self.status == "paused",
            "Restarting": self.status == "restarting",
            "OOMKilled": self.oom_killed,
            "Dead": self.status == "dead",
            "Pid": self.pid,
            "ExitCode": self.exit_code,
            "Error": self.error,
            "StartedAt": self.started_at,
            "FinishedAt": self.finished_at,
        }
        if self.health is not None:
            state["Health"] = {"Status": self.health["Status"],
                               "FailingStreak": self.health["FailingStreak"],
                               "Log": [dict(entry) for entry in self.health["Log"]]}
        return state

    def health_status(self) -> str:
        """What the ``health`` filter matches: starting, healthy, unhealthy or none."""
        return self.health["Status"] if self.health is not None else "none"

    def network_settings(self) -> dict[str, Any]:
        """Inspect's ``NetworkSettings``: the top-level fields are its ``bridge`` endpoint's."""
        mode = self.network_mode()
        ports: dict[str, Any] = {}
        if self.running and self.publishes_ports():
            for key in self.exposed_ports():
                ports[key] = None
            for key, bound in self.ports.items():
                ports[key] = list(bound)
        networks = {name: dict(ep) for name, ep in self.networks.items()}
        bridge = networks.get("bridge") or {}
        sandbox = self.sandbox_id
        return {
            "Bridge": "",
            "SandboxID": sandbox,
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": ports,
            "SandboxKey": (("/var/run/docker/netns/default" if mode == "host" else
                            f"/var/run/docker/netns/{sandbox[:12]}") if sandbox else ""),
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": bridge.get("EndpointID", ""),
            "Gateway": bridge.get("Gateway", ""),
            "GlobalIPv6Address": bridge.get("GlobalIPv6Address", ""),
            "GlobalIPv6PrefixLen": bridge.get("GlobalIPv6PrefixLen", 0),
            "IPAddress": bridge.get("IPAddress", ""),
            "IPPrefixLen": bridge.get("IPPrefixLen", 0),
            "IPv6Gateway": bridge.get("IPv6Gateway", ""),
            "MacAddress": bridge.get("MacAddress", ""),
            "Networks": networks,
        }


class ContainerTable:
    """Every container by id and by name, and their exec instances by id."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.by_id: dict[str, Container] = {}
        self.by_name: dict[str, Container] = {}
        self.execs: dict[str, Any] = {}
        #: notified (under the engine lock) whenever a container changes state
        self.changed = threading.Condition(lock)

    def resolve(self, ref: str) -> Container | None:
        """By full id, name or unique id prefix (400 when the prefix is ambiguous)."""
        if not ref:
            return None
        c = self.by_id.get(ref)
        if c is not None:
            return c
        c = self.by_name.get(ref.lstrip("/"))
        if c is not None:
            return c
        if all(ch in "0123456789abcdef" for ch in ref):
            matches = [c for cid, c in self.by_id.items() if cid.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise messages.ambiguous_container_prefix(ref)
        return None

    def get(self, ref: str) -> Container:
        with self.lock:
            c = self.resolve(ref)
            if c is None:
                raise messages.no_such_container(ref)
            return c
