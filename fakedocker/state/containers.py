"""Containers: state and lifecycle (created -> running -> exited), ports, runtimes.

Interface used by other modules (images, volumes, networks, swarm):

- ``engine.containers.by_id: dict[str, Container]``; a Container has at least ``id`` (64 hex),
  ``name`` (without the leading ``/``), ``status`` (``created``, ``running``, ``paused``,
  ``restarting``, ``removing``, ``exited``, ``dead``), ``image_id``, ``labels`` (dict),
  ``networks`` (dict: network name -> EndpointSettings, written by the NetworkStore) and
  ``mounts`` (list of dicts in the inspect ``Mounts`` shape).
- ``engine.containers.resolve(ref) / get(ref)``: by full id, unique id prefix or name.
- ``engine.containers.crash(ref, exit_code, oom=False)``: a running container exits now.
- ``engine.containers.shutdown()``: stop every runtime (used by ``engine.close()``).
- ``engine.containers.stop_later(ref, timeout, remove=False)``: ``docker stop`` (and ``rm``)
  without blocking the caller (the swarm stops task containers this way).
- every container exit is reported, once the container operation that caused it is over,
  to ``engine.swarm.container_exited(container, exit_code)`` (task containers end their task).

Also, for the routes and for tests:

- ``create(body, name) / start / stop / kill / restart / pause / unpause / remove / rename /
  wait`` — the daemon's lifecycle, with its events and errors;
- ``set_runtime(match, runtime)``: which runtime runs which containers (see
  :mod:`fakedocker.runtime`);
- ``append_log(container, data, stream)``, ``read_file(ref, path)``, ``write_file(ref, path,
  data)``: a container's logs and its in-memory file tree.
"""

from __future__ import annotations

import os
import re
import shlex
import signal as _signal
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .. import messages
from ..routing import DaemonError
from ..runtime import IdleRuntime, RuntimeContext
from .images import parse_reference

#: the runtime of containers no rule or ``engine.default_runtime`` covers: no process; stops
#: the way a real PID 1 would (``sh -c 'sleep 1000'`` ignores TERM and is killed after the
#: stop timeout: 137; other programs exit 0 on TERM); trivial scripts (echo/exit) finish at once
_DEFAULT_RUNTIME = IdleRuntime(exit_on_sigterm="auto")
#: the daemon decodes JSON into Go structs, whose field names match case-insensitively: a
#: mount written {"type": ..., "driver_config": {"name": ...}} by hand means the same as the
#: canonical form, and inspect shows the canonical one (nested: field -> its own fields)
MOUNT_FIELDS: dict[str, Any] = {
    "Type": None, "Source": None, "Target": None, "ReadOnly": None, "Consistency": None,
    "BindOptions": {"Propagation": None, "NonRecursive": None},
    "VolumeOptions": {"NoCopy": None, "Labels": None, "DriverConfig": {"Name": None, "Options": None}},
    "TmpfsOptions": {"SizeBytes": None, "Mode": None},
}


def go_fields(value: Any, fields: dict[str, Any]) -> Any:
    """``value`` with its keys matched to ``fields`` as Go's JSON decoder matches them
    (case-insensitively; unknown keys dropped)."""
    if not isinstance(value, dict):
        return value
    by_lower = {name.lower(): name for name in fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = by_lower.get(str(key).lower())
        if name is None:
            continue
        out[name] = go_fields(item, fields[name]) if fields[name] else item
    return out


#: bind propagation modes a Binds entry may name after its mode
_PROPAGATION_MODES = frozenset({"rprivate", "private", "rshared", "shared", "rslave", "slave"})
ZERO_TIME = "0001-01-01T00:00:00Z"
PORT_RANGE = (32768, 60999)
_NAME_RE = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+")
_RUNNING = ("running", "paused", "restarting")

# The HostConfig fields the daemon fills in when the request leaves them out (20.10, cgroup v1).
DEFAULT_HOST_CONFIG: dict[str, Any] = {
    "Binds": None,
    "ContainerIDFile": "",
    "LogConfig": {"Type": "json-file", "Config": {}},
    "NetworkMode": "default",
    "PortBindings": None,
    "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
    "AutoRemove": False,
    "VolumeDriver": "",
    "VolumesFrom": None,
    "CapAdd": None,
    "CapDrop": None,
    "CgroupnsMode": "host",
    "Dns": None,
    "DnsOptions": None,
    "DnsSearch": None,
    "ExtraHosts": None,
    "GroupAdd": None,
    "IpcMode": "private",
    "Cgroup": "",
    "Links": None,
    "OomScoreAdj": 0,
    "PidMode": "",
    "Privileged": False,
    "PublishAllPorts": False,
    "ReadonlyRootfs": False,
    "SecurityOpt": None,
    "UTSMode": "",
    "UsernsMode": "",
    "ShmSize": 67108864,
    "Runtime": "runc",
    "ConsoleSize": [0, 0],
    "Isolation": "",
    "CpuShares": 0,
    "Memory": 0,
    "NanoCpus": 0,
    "CgroupParent": "",
    "BlkioWeight": 0,
    "BlkioWeightDevice": None,
    "BlkioDeviceReadBps": None,
    "BlkioDeviceWriteBps": None,
    "BlkioDeviceReadIOps": None,
    "BlkioDeviceWriteIOps": None,
    "CpuPeriod": 0,
    "CpuQuota": 0,
    "CpuRealtimePeriod": 0,
    "CpuRealtimeRuntime": 0,
    "CpusetCpus": "",
    "CpusetMems": "",
    "Devices": None,
    "DeviceCgroupRules": None,
    "DeviceRequests": None,
    "KernelMemory": 0,
    "KernelMemoryTCP": 0,
    "MemoryReservation": 0,
    "MemorySwap": 0,
    "MemorySwappiness": None,
    "OomKillDisable": False,
    "PidsLimit": None,
    "Ulimits": None,
    "CpuCount": 0,
    "CpuPercent": 0,
    "IOMaximumIOps": 0,
    "IOMaximumBandwidth": 0,
    "MaskedPaths": [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ],
    "ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
}

_ADJECTIVES = ["admiring", "bold", "brave", "clever", "dreamy", "eager", "festive", "gallant",
               "happy", "jolly", "keen", "loving", "modest", "nifty", "peaceful", "quirky",
               "relaxed", "serene", "tender", "vibrant", "wizardly", "zealous"]
_SURNAMES = ["albattani", "bell", "curie", "darwin", "euler", "fermi", "galileo", "hopper",
             "hypatia", "johnson", "kepler", "lovelace", "meitner", "newton", "noether",
             "pasteur", "ritchie", "shannon", "tesla", "turing", "wozniak", "yalow"]


def empty_endpoint() -> dict[str, Any]:
    return {
        "IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": "", "EndpointID": "",
        "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None,
    }


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
        value = getattr(_signal.Signals, name, None) if name in _signal.Signals.__members__ else None
        if value is not None:
            return int(value)
    raise messages.invalid_signal(text)


def _env_list_to_dict(env: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env or ():
        key, _, value = item.partition("=")
        out[key] = value
    return out


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


def _port_key(spec: str) -> tuple[str, str]:
    port, _, proto = str(spec).partition("/")
    return port, (proto or "tcp")


class FileNode:
    __slots__ = ("kind", "mode", "mtime", "data", "link")

    def __init__(self, kind: str, mode: int, mtime: float, data: bytes = b"", link: str = ""):
        self.kind = kind  # "dir", "file" or "symlink"
        self.mode = mode
        self.mtime = mtime
        self.data = data
        self.link = link


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
        self.networks: dict[str, dict[str, Any]] = {}
        self.mounts: list[dict[str, Any]] = []
        self.anonymous_volumes: list[str] = []
        self.status = "created"
        self.pid = 0
        self.exit_code = 0
        self.error = ""
        self.oom_killed = False
        self.started_at = ZERO_TIME
        self.finished_at = ZERO_TIME
        self.restart_count = 0
        self.ports: dict[str, list[dict[str, str]]] = {}  # published bindings while running
        self.exec_ids: list[str] = []
        self.execs: list[Any] = []  # the exec instances, for ExecIDs (the running ones)
        self.logs: list[tuple[float, int, bytes]] = []
        self.files: dict[str, FileNode] | None = None
        self.process: Any = None
        self.context: Any = None
        self.generation = 0  # incremented at every start and every exit
        self.exits = 0
        self.removed = False
        self.sandbox_id = ""

    def __repr__(self) -> str:
        return f"<Container {self.id[:12]} {self.name} {self.status}>"

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def running(self) -> bool:
        return self.status in _RUNNING

    @property
    def image(self) -> str:
        return self.config.get("Image") or ""

    def path_args(self) -> list[str]:
        return list(self.config.get("Entrypoint") or ()) + list(self.config.get("Cmd") or ())

    def running_execs(self) -> list[str]:
        return [e.id for e in self.execs if e.running]

    def env_dict(self) -> dict[str, str]:
        return _env_list_to_dict(self.config.get("Env"))

    def stop_signal_number(self) -> int:
        try:
            return signal_number(self.config.get("StopSignal"), int(_signal.SIGTERM))
        except DaemonError:
            return int(_signal.SIGTERM)

    def network_mode(self) -> str:
        mode = self.host_config.get("NetworkMode") or "default"
        return "bridge" if mode == "default" else mode

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


class ContainerStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.by_id: dict[str, Container] = {}
        self.by_name: dict[str, Container] = {}
        #: notified (under the engine lock) whenever a container changes state
        self.changed = threading.Condition(engine.lock)
        #: (proto, host port) -> [(host ip, container id)] for every running container
        self.host_ports: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self._next_port = PORT_RANGE[0]
        self._ports_spread = False
        self._held_ports: dict[tuple[str, int], socket.socket] = {}
        #: check with a bind() that an ephemeral port is free on the host before handing it out
        self.probe_host_ports = True
        self.runtime_rules: list[tuple[Any, Any]] = []
        self.execs: dict[str, Any] = {}
        #: exits not yet reported to the swarm (see :meth:`_report_exits`)
        self._exited: list[tuple[Container, int]] = []
        self._stopping: set[str] = set()  # containers a stop_later thread is stopping
        self._remove_after_stop: set[str] = set()

    # lookup --------------------------------------------------------------------------
    def resolve(self, ref: str) -> Container | None:
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
                raise DaemonError(400, f"Multiple IDs found with provided prefix: {ref}")
        return None

    def get(self, ref: str) -> Container:
        with self.engine.lock:
            c = self.resolve(ref)
            if c is None:
                raise messages.no_such_container(ref)
            return c

    # runtimes ------------------------------------------------------------------------
    def set_runtime(self, match: Any, runtime: Any) -> None:
        """Run the containers ``match`` selects with ``runtime`` (newest rule wins).

        ``match``: an image reference (``busybox`` matches every tag of ``busybox``), an image id,
        a container-name prefix, or a callable ``match(container) -> bool``.  ``runtime=None``
        removes the rules for ``match``.
        """
        with self.engine.lock:
            self.runtime_rules = [(m, r) for m, r in self.runtime_rules if m != match]
            if runtime is not None:
                self.runtime_rules.append((match, runtime))

    def runtime_for(self, c: Container) -> Any:
        for match, runtime in reversed(self.runtime_rules):
            if callable(match):
                if match(c):
                    return runtime
                continue
            if c.name.startswith(match) or match in (c.image, c.image_id):
                return runtime
            if ":" not in match.rsplit("/", 1)[-1] and "@" not in match and _repository(c.image) == match:
                return runtime
            image = self.engine.images.resolve(match)
            if image is not None and image.id == c.image_id:
                return runtime
        if self.engine.default_runtime is not None:
            return self.engine.default_runtime
        return _DEFAULT_RUNTIME

    # create --------------------------------------------------------------------------
    def _check_name(self, name: str) -> str:
        if not _NAME_RE.fullmatch(name):
            raise messages.invalid_container_name(name)
        name = name.lstrip("/")
        existing = self.by_name.get(name)
        if existing is not None:
            raise messages.container_name_conflict(name, existing.id)
        return name

    def _generate_name(self, cid: str) -> str:
        n = int(cid[:8], 16)
        base = f"{_ADJECTIVES[n % len(_ADJECTIVES)]}_{_SURNAMES[(n // 97) % len(_SURNAMES)]}"
        name, i = base, 1
        while name in self.by_name:
            i += 1
            name = f"{base}{i}"
        return name

    def create(self, body: dict[str, Any], name: str | None = None) -> Container:
        engine = self.engine
        with engine.lock:
            if name:
                name = self._check_name(name)
            image_ref = body.get("Image") or ""
            if not image_ref:
                raise DaemonError(400, "invalid reference format")
            image = engine.images.resolve(image_ref)
            if image is None:
                raise messages.no_such_image(image_ref)
            icfg = image.config
            host_config = dict(DEFAULT_HOST_CONFIG)
            host_config.update(body.get("HostConfig") or {})
            if host_config.get("Mounts"):
                host_config["Mounts"] = [go_fields(m, MOUNT_FIELDS) for m in host_config["Mounts"]]
            if host_config.get("NanoCpus"):
                if host_config.get("CpuPeriod"):
                    raise messages.conflicting_cpu_options("CPU Period")
                if host_config.get("CpuQuota"):
                    raise messages.conflicting_cpu_options("CPU Quota")
            if host_config.get("Memory") and not host_config.get("MemorySwap"):
                host_config["MemorySwap"] = 2 * host_config["Memory"]
            mode = host_config.get("NetworkMode") or "default"
            # networks named in NetworkMode / EndpointsConfig must exist
            endpoints = ((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {})
            if len(endpoints) > 1:
                raise messages.too_many_endpoints(sorted(endpoints))
            target_networks: list[str] = []
            if not mode.startswith("container:"):
                target_networks.append("bridge" if mode == "default" else mode)
            for net in endpoints:
                if net not in target_networks:
                    target_networks.append(net)
            for net in target_networks:
                self._network(net)  # raises the daemon's 404
            if mode.startswith("container:"):
                self.get(mode.split(":", 1)[1])

            cid = engine.new_id()
            entrypoint = body.get("Entrypoint")
            if isinstance(entrypoint, str):
                entrypoint = [entrypoint] if entrypoint else None
            cmd = body.get("Cmd")
            if isinstance(cmd, str):
                cmd = [cmd]
            if not entrypoint:
                if not cmd:
                    cmd = icfg.get("Cmd")
                if entrypoint is None or entrypoint == []:
                    entrypoint = icfg.get("Entrypoint") if entrypoint is None else None
            if not (entrypoint or cmd):
                raise DaemonError(400, "No command specified")
            labels = dict(icfg.get("Labels") or {})
            labels.update(body.get("Labels") or {})
            volumes = dict(icfg.get("Volumes") or {})
            volumes.update(body.get("Volumes") or {})
            exposed = dict(icfg.get("ExposedPorts") or {})
            exposed.update(body.get("ExposedPorts") or {})
            hostname = body.get("Hostname") or ""
            if not hostname:
                hostname = socket.gethostname() if mode == "host" else cid[:12]
            config: dict[str, Any] = {
                "Hostname": hostname,
                "Domainname": body.get("Domainname") or "",
                "User": body.get("User") or icfg.get("User") or "",
                "AttachStdin": bool(body.get("AttachStdin", False)),
                "AttachStdout": bool(body.get("AttachStdout", False)),
                "AttachStderr": bool(body.get("AttachStderr", False)),
            }
            if exposed:
                config["ExposedPorts"] = exposed
            config.update({
                "Tty": bool(body.get("Tty", False)),
                "OpenStdin": bool(body.get("OpenStdin", False)),
                "StdinOnce": bool(body.get("StdinOnce", False)),
                "Env": create_env(icfg.get("Env"), body.get("Env")),
                "Cmd": list(cmd) if cmd else None,
            })
            if body.get("Healthcheck") or icfg.get("Healthcheck"):
                config["Healthcheck"] = body.get("Healthcheck") or icfg.get("Healthcheck")
            config.update({
                "Image": image_ref,
                "Volumes": volumes or None,
                "WorkingDir": body.get("WorkingDir") or icfg.get("WorkingDir") or "",
                "Entrypoint": list(entrypoint) if entrypoint else None,
                "OnBuild": None,
                "Labels": labels,
            })
            if body.get("MacAddress"):
                config["MacAddress"] = body["MacAddress"]
            stop_signal = body.get("StopSignal") or icfg.get("StopSignal")
            if stop_signal:
                signal_number(stop_signal)
                config["StopSignal"] = stop_signal
            if body.get("StopTimeout") is not None:
                config["StopTimeout"] = int(body["StopTimeout"])
            if name is None:
                name = self._generate_name(cid)
            c = Container(cid, name, engine.now_iso(), image.id, config, host_config)
            c.created_unix = engine.now()
            c.mounts = self._mounts(c, volumes)
            self.by_id[cid] = c
            self.by_name[name] = c
            for net in target_networks:
                epc = endpoints.get(net) or {}
                self._connect(net, c, epc)
            engine.emit("container", "create", cid, c.attributes())
            return c

    def _network(self, ref: str) -> Any:
        networks = self.engine.networks
        if hasattr(networks, "get"):
            return networks.get(ref)
        return None

    def _connect(self, net: str, c: Container, epc: dict[str, Any]) -> None:
        networks = self.engine.networks
        if hasattr(networks, "connect"):
            ipv4 = ((epc.get("IPAMConfig") or {}).get("IPv4Address")) or None
            networks.connect(networks.get(net), c, aliases=epc.get("Aliases"), ipv4=ipv4,
                             links=epc.get("Links"))
        else:  # no network store: a bare endpoint, so inspect keeps its shape
            ep = empty_endpoint()
            ep["Aliases"] = epc.get("Aliases")
            c.networks[net] = ep

    def _mounts(self, c: Container, volumes: dict[str, Any]) -> list[dict[str, Any]]:
        volstore = self.engine.volumes
        mounts: list[dict[str, Any]] = []
        taken: set[str] = set()

        def volume(name: str, dest: str, mode: str, rw: bool, driver: str = "local",
                   opts: dict | None = None, labels: dict | None = None) -> None:
            if hasattr(volstore, "ensure"):
                vol = volstore.ensure(name, driver=driver, driver_opts=opts, labels=labels)
                driver = getattr(vol, "driver", driver)
            mounts.append({
                "Type": "volume", "Name": name,
                "Source": f"/var/lib/docker/volumes/{name}/_data", "Destination": dest,
                "Driver": driver, "Mode": mode, "RW": rw, "Propagation": "",
            })
            taken.add(dest)

        for bind in c.host_config.get("Binds") or ():
            parts = bind.split(":")
            if len(parts) < 2:
                raise DaemonError(400, f"invalid volume specification: '{bind}'")
            src, dest = parts[0], parts[1]
            mode = parts[2] if len(parts) > 2 else ""
            rw = "ro" not in mode.split(",")
            if src.startswith("/"):
                propagation = next((m for m in mode.split(",") if m in _PROPAGATION_MODES), "rprivate")
                mounts.append({"Type": "bind", "Source": src, "Destination": dest, "Mode": mode,
                               "RW": rw, "Propagation": propagation})
                taken.add(dest)
            else:
                volume(src, dest, mode or "z", rw)
        for m in c.host_config.get("Mounts") or ():
            mtype = m.get("Type") or "volume"
            target = m.get("Target") or ""
            rw = not m.get("ReadOnly", False)
            if mtype == "bind":
                prop = (m.get("BindOptions") or {}).get("Propagation") or "rprivate"
                mounts.append({"Type": "bind", "Source": m.get("Source") or "", "Destination": target,
                               "Mode": "", "RW": rw, "Propagation": prop})
                taken.add(target)
            elif mtype == "volume":
                vo = m.get("VolumeOptions") or {}
                dc = vo.get("DriverConfig") or {}
                src = m.get("Source")
                if not src:
                    src = self._anonymous(c)
                volume(src, target, "z", rw, dc.get("Name") or "local", dc.get("Options"), vo.get("Labels"))
            else:  # tmpfs, npipe
                mounts.append({"Type": mtype, "Source": "", "Destination": target, "Mode": "",
                               "RW": rw, "Propagation": ""})
                taken.add(target)
        for dest in c.host_config.get("Tmpfs") or {}:
            taken.add(dest)
        for dest in volumes:
            if dest not in taken:
                volume(self._anonymous(c), dest, "", True)
        return mounts

    def _anonymous(self, c: Container) -> str:
        volstore = self.engine.volumes
        if hasattr(volstore, "create_anonymous"):
            name = volstore.create_anonymous().name
        else:
            name = self.engine.new_id()
        c.anonymous_volumes.append(name)
        return name

    # ports ---------------------------------------------------------------------------
    def _port_free(self, proto: str, port: int) -> bool:
        if (proto, port) in self.host_ports or (("udp" if proto == "tcp" else "tcp"), port) in self.host_ports:
            return False
        if not self.probe_host_ports:
            return True
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("", port))
        except OSError:
            return False
        return True

    def _ephemeral(self, proto: str) -> int:
        lo, hi = PORT_RANGE
        span = hi - lo + 1
        if self.probe_host_ports and not self._ports_spread:
            # engines in different processes (parallel test workers) would all start at the
            # bottom of the range and race for the same free ports: start each process apart
            self._ports_spread = True
            self._next_port = lo + (os.getpid() * 2654435761) % span
        for _ in range(span):
            port = self._next_port
            self._next_port = lo if port >= hi else port + 1
            if self._port_free(proto, port):
                return port
        raise DaemonError(500, "no available ports in the ephemeral range")

    @staticmethod
    def _overlaps(a: str, b: str) -> bool:
        wild = ("", "0.0.0.0", "::")
        return a in wild or b in wild or a == b

    def _allocate_ports(self, c: Container) -> dict[str, list[dict[str, str]]]:
        """Bind c's published ports (registering them); raises the daemon's 500 on conflict."""
        bindings: dict[str, list[dict[str, str]]] = {}
        for key, value in (c.host_config.get("PortBindings") or {}).items():
            key = key if "/" in key else f"{key}/tcp"
            bindings[key] = list(value or [{"HostIp": "", "HostPort": ""}])
        if c.host_config.get("PublishAllPorts"):
            for key in c.exposed_ports():
                bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
        result: dict[str, list[dict[str, str]]] = {}
        registered: list[tuple[tuple[str, int], tuple[str, str]]] = []
        try:
            for key, wanted in bindings.items():
                _, proto = _port_key(key)
                out: list[dict[str, str]] = []
                for b in wanted:
                    ip = (b or {}).get("HostIp") or ""
                    hp = str((b or {}).get("HostPort") or "")
                    if hp:
                        first, _, last = hp.partition("-")
                        candidates = range(int(first), int(last or first) + 1)
                        port = None
                        for p in candidates:
                            users = self.host_ports.get((proto, p), [])
                            if not any(self._overlaps(ip, uip) for uip, _ in users):
                                port = p
                                break
                        if port is None:
                            ep = c.networks.get(c.network_mode()) or {}
                            raise messages.port_already_allocated(
                                c.name, ep.get("EndpointID") or self.engine.new_id(),
                                ip or "0.0.0.0", candidates[0])
                    else:
                        port = self._ephemeral(proto)
                    entry = (ip, c.id)
                    if (proto, port) not in self.host_ports:
                        self._hold((proto, port))
                    self.host_ports.setdefault((proto, port), []).append(entry)
                    registered.append(((proto, port), entry))
                    if ip:
                        out.append({"HostIp": ip, "HostPort": str(port)})
                    else:
                        out.append({"HostIp": "0.0.0.0", "HostPort": str(port)})
                        out.append({"HostIp": "::", "HostPort": str(port)})
                result[key] = out
        except DaemonError:
            for pkey, entry in registered:
                self._unregister(pkey, entry)
            raise
        return result

    def _unregister(self, pkey: tuple[str, int], entry: tuple[str, str]) -> None:
        users = self.host_ports.get(pkey)
        if users and entry in users:
            users.remove(entry)
            if not users:
                del self.host_ports[pkey]
                held = self._held_ports.pop(pkey, None)
                if held is not None:
                    held.close()

    def _hold(self, pkey: tuple[str, int]) -> None:
        """With ``engine.hold_published_ports``, keep a published port bound on this machine
        while a container has it, as docker-proxy does: the kernel then hands it to no other
        socket (ephemeral ports of connections and of ``bind(0)`` included), while the
        container's own server, binding with SO_REUSEADDR as servers do, still gets it.  The
        socket does not listen."""
        if not (self.probe_host_ports and getattr(self.engine, "hold_published_ports", False)):
            return
        proto, port = pkey
        held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            held.bind(("", port))
        except OSError:
            held.close()
            return
        self._held_ports[pkey] = held

    def _release_ports(self, c: Container) -> None:
        for key, bound in c.ports.items():
            _, proto = _port_key(key)
            seen = set()
            for b in bound:
                port = int(b["HostPort"])
                ip = b["HostIp"]
                if ip in ("0.0.0.0", "::"):
                    ip = ""
                if (ip, port) in seen:
                    continue
                seen.add((ip, port))
                self._unregister((proto, port), (ip, c.id))
        c.ports = {}

    def published(self, c: Container) -> dict[str, list[tuple[str, int]]]:
        return {k: [(b["HostIp"], int(b["HostPort"])) for b in v] for k, v in c.ports.items()}

    # lifecycle -----------------------------------------------------------------------
    def start(self, ref: str | Container) -> bool:
        """Start; False when it was already running (the daemon's 304)."""
        engine = self.engine
        with engine.lock:
            c = ref if isinstance(ref, Container) else self.get(ref)
            if c.running:
                return False
            if c.removed:
                raise messages.no_such_container(c.id)
            self._start(c)
            engine.emit("container", "start", c.id, c.attributes())
            self._exit_at_start(c)
            self._report_exits()
            return True

    def _exit_at_start(self, c: Container) -> None:
        code = getattr(c.process, "exit_at_start", None)
        if code is not None and c.running:
            self._record_exit(c, code)

    def _check_bind_propagation(self, c: Container) -> None:
        """The daemon makes a shared or slave bind only where the host path's own mount allows
        it (``engine.host_mount_propagation``: "private", as on this project's test machine;
        hosts booted by systemd usually have "shared")."""
        host = getattr(self.engine, "host_mount_propagation", "private")
        for m in c.mounts:
            if m["Type"] != "bind":
                continue
            wanted = m.get("Propagation") or ""
            if wanted in ("rshared", "shared") and host != "shared":
                problem = f"path {m['Source']} is mounted on / but it is not a shared mount"
            elif wanted in ("rslave", "slave") and host not in ("shared", "slave"):
                problem = f"path {m['Source']} is mounted on / but it is not a shared or slave mount"
            else:
                continue
            c.error = problem
            c.exit_code = 128
            self.changed.notify_all()
            raise DaemonError(500, problem)

    def _start(self, c: Container) -> None:
        engine = self.engine
        mode = c.network_mode()
        networks = engine.networks
        volumes = engine.volumes
        self._check_bind_propagation(c)
        if hasattr(volumes, "mount"):
            for m in c.mounts:
                if m["Type"] == "volume":
                    volumes.mount(m["Name"], c.id, m["Destination"], m["RW"], m["Propagation"])
        if hasattr(networks, "on_start"):
            try:
                networks.on_start(c)
            except DaemonError as err:  # the daemon records any start failure in State
                c.error = err.message
                c.exit_code = 128
                self.changed.notify_all()
                raise
        c.sandbox_id = c.sandbox_id or engine.new_id()
        ports: dict[str, list[dict[str, str]]] = {}
        if mode not in ("host", "none") and not mode.startswith("container:"):
            try:
                ports = self._allocate_ports(c)
            except DaemonError as err:
                if hasattr(networks, "on_stop"):
                    networks.on_stop(c)
                c.error = err.message
                c.exit_code = 128
                self.changed.notify_all()
                raise
        c.ports = ports
        c.status = "running"
        c.error = ""
        c.exit_code = 0
        c.oom_killed = False
        c.started_at = engine.now_iso()
        c.finished_at = c.finished_at if c.exits else ZERO_TIME
        c.generation += 1
        ctx = RuntimeContext(self, c, c.generation, self.published(c))
        c.context = ctx
        runtime = self.runtime_for(c)
        try:
            process = runtime.start(ctx)
        except Exception as exc:  # the runtime could not start: as an exec failure
            self._release_ports(c)
            if hasattr(networks, "on_stop"):
                networks.on_stop(c)
            c.status = "created" if not c.exits else "exited"
            c.exit_code = 127
            c.error = f"failed to start container process: {exc}"
            c.generation += 1
            self.changed.notify_all()
            raise DaemonError(500, c.error) from exc
        c.process = process
        c.pid = getattr(process, "pid", 0) or 0
        self.changed.notify_all()

    def _record_exit(self, c: Container, code: int, oom: bool = False) -> None:
        """c's process is gone: State, ports, networks, the ``die`` event, waiters."""
        engine = self.engine
        if oom:
            c.oom_killed = True
            engine.emit("container", "oom", c.id, c.attributes())
        c.status = "exited"
        c.exit_code = code
        c.pid = 0
        c.process = None
        if c.context is not None:
            c.context.stopped.set()
            c.context = None
        c.finished_at = engine.now_iso()
        c.generation += 1
        c.exits += 1
        self._release_ports(c)
        engine.emit("container", "die", c.id, c.attributes(exitCode=str(code)))
        networks = engine.networks
        if hasattr(networks, "on_stop"):
            networks.on_stop(c)
        volumes = engine.volumes
        if hasattr(volumes, "unmount"):
            for m in c.mounts:
                if m["Type"] == "volume":
                    volumes.unmount(m["Name"], c.id)
        self._exited.append((c, code))
        self.changed.notify_all()

    def _report_exits(self) -> None:
        """Tell the swarm about the exits recorded so far (under the lock, once the container
        operation that caused them is complete, so its events come first)."""
        hook = getattr(getattr(self.engine, "swarm", None), "container_exited", None)
        while self._exited:
            c, code = self._exited.pop(0)
            if hook is not None:
                hook(c, code)

    def process_exited(self, c: Container, generation: int, code: int) -> None:
        """A runtime reports that its process ended by itself."""
        with self.engine.lock:
            if c.generation != generation or not c.running:
                return
            self._record_exit(c, code)
            self._report_exits()

    def _deliver(self, c: Container, signum: int) -> bool:
        """Send ``signum``; record the exit if the process died of it at once.  True if so."""
        process = c.process
        code = process.signal(signum) if process is not None else 128 + signum
        if code is not None and c.running:
            self._record_exit(c, code)
            return True
        return not c.running

    def kill(self, ref: str, sig: str | int | None = None) -> None:
        engine = self.engine
        with engine.lock:
            c = self.resolve(ref)
            if c is None:
                raise messages.cannot_kill(ref, messages.no_such_container(ref).message, 404)
            signum = signal_number(sig)
            if not c.running:
                raise messages.cannot_kill(ref, f"Container {c.id} is not running", 409)
            engine.emit("container", "kill", c.id, c.attributes(signal=str(signum)))
            if signum == int(_signal.SIGKILL) and c.status == "paused":
                self._resume(c, event=False)
            self._deliver(c, signum)
            self._report_exits()

    def stop(self, ref: str | Container, timeout: int | None = None) -> bool:
        """Stop; False when it was not running (the daemon's 304).  Blocks up to ``timeout``
        seconds for the process to end, without holding the engine lock."""
        engine = self.engine
        with engine.lock:
            c = ref if isinstance(ref, Container) else self.get(ref)
            if not c.running:
                return False
            self._stop_locked(c, timeout)
            engine.emit("container", "stop", c.id, c.attributes())
            self._report_exits()
            return True

    def stop_later(self, ref: str | Container, timeout: float | None = None,
                   remove: bool = False) -> None:
        """``docker stop`` (then ``docker rm`` when ``remove``) without blocking the caller.

        The stop signal is delivered now; a process that outlives it is waited for in a thread
        (up to ``timeout`` seconds, then SIGKILL), which then emits ``stop`` and removes the
        container.  Asking again while a stop is under way only adds the removal."""
        with self.engine.lock:
            c = ref if isinstance(ref, Container) else self.get(ref)
            if c.removed:
                return
            if remove:
                self._remove_after_stop.add(c.id)
            if c.id in self._stopping:
                return
            if not c.running:
                self._finish_stop_later(c)
                return
            if timeout is None:
                timeout = self._stop_timeout(c)
            generation, paused = self._begin_stop(c)
            if c.running and c.generation == generation and timeout != 0:
                self._stopping.add(c.id)
                threading.Thread(
                    target=self._stop_in_thread, args=(c, generation, paused, timeout),
                    daemon=True, name=f"fakedocker-stop-{c.short_id}",
                ).start()
                return
            self._end_stop(c, generation, paused, timeout)
            self.engine.emit("container", "stop", c.id, c.attributes())
            self._finish_stop_later(c)

    def _stop_in_thread(self, c: Container, generation: int, paused: bool, timeout: float) -> None:
        with self.engine.lock:
            try:
                self._end_stop(c, generation, paused, timeout)
                if not c.removed:
                    self.engine.emit("container", "stop", c.id, c.attributes())
            finally:
                self._stopping.discard(c.id)
            self._finish_stop_later(c)

    def _finish_stop_later(self, c: Container) -> None:
        if c.id in self._remove_after_stop:
            self._remove_after_stop.discard(c.id)
            if not c.removed:
                try:
                    self.remove(c.id, force=True)
                except DaemonError:
                    pass
        self._report_exits()

    @staticmethod
    def _stop_timeout(c: Container) -> float:
        timeout = c.config.get("StopTimeout")
        return 10 if timeout is None else timeout

    def _begin_stop(self, c: Container) -> tuple[int, bool]:
        """The first half of a stop: the ``kill`` event and the stop signal."""
        signum = c.stop_signal_number()
        generation = c.generation
        self.engine.emit("container", "kill", c.id, c.attributes(signal=str(signum)))
        paused = c.status == "paused"
        if not paused:
            self._deliver(c, signum)
        return generation, paused

    def _stop_locked(self, c: Container, timeout: float | None) -> None:
        # Called with the engine lock held (once); waits release it.
        if timeout is None:
            timeout = self._stop_timeout(c)
        generation, paused = self._begin_stop(c)
        self._end_stop(c, generation, paused, timeout)

    def _end_stop(self, c: Container, generation: int, paused: bool, timeout: float) -> None:
        """The second half: wait up to ``timeout`` for the exit, then SIGKILL."""
        engine = self.engine
        if c.running and c.generation == generation and timeout != 0:
            self.changed.wait_for(
                lambda: c.generation != generation or not c.running,
                timeout=None if timeout < 0 else timeout,
            )
        if c.running and c.generation == generation:
            engine.emit("container", "kill", c.id, c.attributes(signal=str(int(_signal.SIGKILL))))
            if paused:
                self._resume(c, event=True)
            if not self._deliver(c, int(_signal.SIGKILL)):
                # an asynchronous process: wait for its exit report, then give up on it
                self.changed.wait_for(lambda: c.generation != generation or not c.running, timeout=10)
                if c.running and c.generation == generation:
                    self._record_exit(c, 137)

    def restart(self, ref: str, timeout: int | None = None) -> None:
        engine = self.engine
        with engine.lock:
            c = self.get(ref)
            if c.running:
                self._stop_locked(c, timeout)
                engine.emit("container", "stop", c.id, c.attributes())
            if c.removed:
                raise messages.no_such_container(ref)
            if not c.running:
                self._start(c)
                engine.emit("container", "start", c.id, c.attributes())
            engine.emit("container", "restart", c.id, c.attributes())
            self._exit_at_start(c)
            self._report_exits()

    def pause(self, ref: str) -> None:
        with self.engine.lock:
            c = self.get(ref)
            if c.status == "paused":
                raise messages.container_already_paused(c.id)
            if not c.running:
                raise messages.container_not_running(c.id)
            c.status = "paused"
            if c.process is not None and hasattr(c.process, "pause"):
                c.process.pause()
            self.engine.emit("container", "pause", c.id, c.attributes())
            self.changed.notify_all()

    def _resume(self, c: Container, event: bool) -> None:
        c.status = "running"
        if c.process is not None and hasattr(c.process, "resume"):
            c.process.resume()
        if event:
            self.engine.emit("container", "unpause", c.id, c.attributes())

    def unpause(self, ref: str) -> None:
        with self.engine.lock:
            c = self.get(ref)
            if c.status != "paused":
                raise messages.container_not_paused(c.id)
            self._resume(c, event=True)
            self.changed.notify_all()

    def crash(self, container: str, exit_code: int, oom: bool = False) -> None:
        """Make a running container exit now with ``exit_code`` (``oom``: as the OOM killer)."""
        with self.engine.lock:
            c = self.get(container)
            if not c.running:
                raise messages.container_not_running(c.id)
            process = c.process
            self._record_exit(c, exit_code, oom=oom)
            if process is not None:
                try:
                    process.signal(int(_signal.SIGKILL))
                except Exception:
                    pass
            self._report_exits()

    def remove(self, ref: str, v: bool = False, force: bool = False, link: bool = False) -> None:
        engine = self.engine
        with engine.lock:
            c = self.get(ref)
            if link:  # only the legacy links are removed: the container stays
                return
            if c.running:
                if not force:
                    raise messages.remove_running_container(c.id)
                engine.emit("container", "kill", c.id, c.attributes(signal=str(int(_signal.SIGKILL))))
                if c.status == "paused":
                    self._resume(c, event=False)
                process = c.process
                self._record_exit(c, 137)
                if process is not None:
                    try:
                        process.signal(int(_signal.SIGKILL))
                    except Exception:
                        pass
            c.status = "removing"
            networks = engine.networks
            if hasattr(networks, "on_remove"):
                networks.on_remove(c)
            c.networks = {}
            del self.by_id[c.id]
            if self.by_name.get(c.name) is c:
                del self.by_name[c.name]
            for exec_id in c.exec_ids:
                self.execs.pop(exec_id, None)
            c.removed = True
            mounts = c.mounts
            c.mounts = []
            if v:
                self._remove_anonymous(c, mounts)
            engine.emit("container", "destroy", c.id, c.attributes())
            self.changed.notify_all()
            self._report_exits()

    def _remove_anonymous(self, c: Container, mounts: list[dict[str, Any]]) -> None:
        volstore = self.engine.volumes
        for name in c.anonymous_volumes:
            users = volstore.users(name) if hasattr(volstore, "users") else []
            if users:
                continue
            if hasattr(volstore, "remove"):
                try:
                    volstore.remove(name)
                except DaemonError:
                    pass
            elif name in getattr(volstore, "by_name", {}):
                del volstore.by_name[name]
                self.engine.emit("volume", "destroy", name, {"driver": "local"})

    def rename(self, ref: str, new_name: str) -> None:
        engine = self.engine
        with engine.lock:
            c = self.get(ref)
            if not new_name:
                raise DaemonError(400, "Neither old nor new names may be empty")
            if not _NAME_RE.fullmatch(new_name):
                err = messages.invalid_container_name("/" + new_name.lstrip("/"))
                raise DaemonError(err.status, "Error when allocating new name: " + err.message)
            new_name = new_name.lstrip("/")
            if new_name == c.name:
                raise DaemonError(400, "Renaming a container with the same name as its current name")
            existing = self.by_name.get(new_name)
            if existing is not None:
                err = messages.container_name_conflict(new_name, existing.id)
                raise DaemonError(err.status, "Error when allocating new name: " + err.message)
            old = c.name
            del self.by_name[old]
            c.name = new_name
            self.by_name[new_name] = c
            engine.emit("container", "rename", c.id, c.attributes(oldName="/" + old))

    def wait(self, ref: str, condition: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Block (without holding the lock) until ``condition`` holds; the /wait answer."""
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise DaemonError(400, f"invalid condition: {condition!r}")
        with self.engine.lock:
            c = self.get(ref)
            exits = c.exits
            if condition == "not-running":
                done: Callable[[], bool] = lambda: not c.running or c.removed  # noqa: E731
            elif condition == "next-exit":
                done = lambda: c.exits > exits or c.removed  # noqa: E731
            else:
                done = lambda: c.removed  # noqa: E731
            self.changed.wait_for(done, timeout=timeout)
            error = {"Message": c.error} if c.error else None
            return {"Error": error, "StatusCode": c.exit_code}

    def shutdown(self) -> None:
        """Kill every runtime still running (host processes, threads)."""
        with self.engine.lock:
            running = [c for c in self.by_id.values() if c.running]
            for c in running:
                process = c.process
                self._record_exit(c, 137)
                if process is not None:
                    try:
                        process.signal(int(_signal.SIGKILL))
                    except Exception:
                        pass
            self._exited.clear()  # the engine is closing: no task restarts
            for held in self._held_ports.values():
                held.close()
            self._held_ports.clear()

    # logs ----------------------------------------------------------------------------
    def append_log(self, c: Container | str, data: bytes | str, stream: int | str = 1) -> None:
        """Append output to a container's log (``stream`` 1/``stdout`` or 2/``stderr``)."""
        if isinstance(data, str):
            data = data.encode()
        if isinstance(stream, str):
            stream = 2 if stream == "stderr" else 1
        with self.engine.lock:
            if isinstance(c, str):
                c = self.get(c)
            t = self.engine.now()
            for line in data.splitlines(keepends=True):
                c.logs.append((t, stream, line))
            self.changed.notify_all()

    # files ---------------------------------------------------------------------------
    def file_tree(self, c: Container) -> dict[str, FileNode]:
        if c.files is None:
            t = self.engine.now()
            files = {}
            for d in ("/", "/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp",
                      "/usr", "/var"):
                files[d] = FileNode("dir", 0o1777 if d == "/tmp" else 0o755, t)
            files["/etc/hostname"] = FileNode("file", 0o644, t, (c.config["Hostname"] + "\n").encode())
            files["/etc/hosts"] = FileNode("file", 0o644, t, b"127.0.0.1\tlocalhost\n")
            for extra in [c.config.get("WorkingDir") or ""] + [m["Destination"] for m in c.mounts]:
                if extra and extra.startswith("/"):
                    self._mkdirs(files, extra, t)
            c.files = files
        return c.files

    @staticmethod
    def _mkdirs(files: dict[str, FileNode], path: str, t: float) -> None:
        parts = [p for p in path.split("/") if p]
        cur = ""
        for p in parts:
            cur += "/" + p
            if cur not in files:
                files[cur] = FileNode("dir", 0o755, t)

    @staticmethod
    def norm(path: str) -> str:
        parts: list[str] = []
        for p in path.split("/"):
            if p in ("", "."):
                continue
            if p == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(p)
        return "/" + "/".join(parts)

    def read_file(self, ref: str, path: str) -> bytes:
        """A file's content in the container's in-memory file tree (KeyError if absent)."""
        with self.engine.lock:
            node = self.file_tree(self.get(ref)).get(self.norm(path))
            if node is None or node.kind != "file":
                raise KeyError(path)
            return node.data

    def write_file(self, ref: str, path: str, data: bytes | str, mode: int = 0o644) -> None:
        """Create or replace a file (and its parent directories) in the container."""
        if isinstance(data, str):
            data = data.encode()
        with self.engine.lock:
            files = self.file_tree(self.get(ref))
            path = self.norm(path)
            t = self.engine.now()
            self._mkdirs(files, path.rsplit("/", 1)[0] or "/", t)
            files[path] = FileNode("file", mode, t, data)

    def iter_tree(self, files: dict[str, FileNode], root: str) -> Iterator[tuple[str, FileNode]]:
        prefix = root.rstrip("/") + "/"
        yield root, files[root]
        if files[root].kind == "dir":
            for path in sorted(p for p in files if p.startswith(prefix) and p != root):
                yield path, files[path]


def _repository(ref: str) -> str:
    try:
        return parse_reference(ref).repository
    except DaemonError:
        return ref


def shell_join(args: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in args)
