"""Creating containers: the request's Config and HostConfig merged with the image's and the
daemon's defaults (its log driver: :mod:`.logconfig`), names, mounts (binds, ``Mounts``,
image volumes), and the networks and legacy links a new container has (:mod:`.netconfig`).

Receives the container table, the image store (the image and its config), the volume store
(named and anonymous volumes) and the network store (the networks named in the request).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from ...versions import version_tuple
from ..go_json import MOUNT as MOUNT_FIELDS  # noqa: F401  (re-exported)
from ..go_json import go_fields, mount_for
from ..mounts import container_mount_error, duplicate_destination
from ..networks.attach import dns_names
from ..networks.model import empty_endpoint_settings
from .health import merge_healthcheck
from .logconfig import resolve_log_config
from .model import Container, ContainerTable, create_env, signal_number
from .netconfig import (
    check_endpoints_config,
    check_net_mode,
    endpoint_create_problems,
    endpoint_macs,
    endpoint_settings,
    initial_network_keys,
    is_container_mode,
    is_user_defined,
    network_mode,
    parse_link,
)

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..images import ImageStore
    from ..networks import NetworkStore
    from ..volumes import VolumeStore

#: bind propagation modes a Binds entry may name after its mode
_PROPAGATION_MODES = frozenset({"rprivate", "private", "rshared", "shared", "rslave", "slave"})
_NAME_RE = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+")

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

#: the limits an engine that cannot limit resources creates containers without
RESOURCE_LIMIT_KEYS = ("Memory", "MemoryReservation", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod",
                       "CpuShares", "PidsLimit")


def with_daemon_defaults(requested: dict[str, Any], profile: Any = None) -> dict[str, Any]:
    """A request's HostConfig with the daemon's defaults filled in: for the fields it leaves
    out, and for the zero values a client such as the docker CLI sends for "unset" (``""``
    IpcMode / CgroupnsMode, ``0`` ShmSize, ``-1`` MemorySwappiness, ``0`` PidsLimit, ``null``
    masked and read-only paths; a privileged container has none of those)."""
    host_config = dict(DEFAULT_HOST_CONFIG)
    host_config.update(requested)
    for key in ("CgroupnsMode", "IpcMode", "ShmSize"):
        if not host_config.get(key):
            host_config[key] = DEFAULT_HOST_CONFIG[key]
    for key in ("MaskedPaths", "ReadonlyPaths"):
        if requested.get(key) is None:
            host_config[key] = None if host_config.get("Privileged") else list(DEFAULT_HOST_CONFIG[key])
    if profile is not None and profile.at_least("26.1") and requested.get("MaskedPaths") is None \
            and host_config["MaskedPaths"] is not None:
        host_config["MaskedPaths"].append("/sys/devices/virtual/powercap")  # masked from 25 on
    if host_config.get("MemorySwappiness") == -1:
        host_config["MemorySwappiness"] = None
    limit = host_config.get("PidsLimit")
    if isinstance(limit, int) and limit <= 0:
        host_config["PidsLimit"] = None
    return host_config


_ADJECTIVES = ["admiring", "bold", "brave", "clever", "dreamy", "eager", "festive", "gallant",
               "happy", "jolly", "keen", "loving", "modest", "nifty", "peaceful", "quirky",
               "relaxed", "serene", "tender", "vibrant", "wizardly", "zealous"]
_SURNAMES = ["albattani", "bell", "curie", "darwin", "euler", "fermi", "galileo", "hopper",
             "hypatia", "johnson", "kepler", "lovelace", "meitner", "newton", "noether",
             "pasteur", "ritchie", "shannon", "tesla", "turing", "wozniak", "yalow"]


@dataclass(eq=False, repr=False)
class ContainerFactory:
    engine: FakeEngine
    table: ContainerTable
    images: ImageStore
    volumes: VolumeStore
    networks: NetworkStore

    # names -----------------------------------------------------------------------------
    def _check_name(self, name: str) -> str:
        if not _NAME_RE.fullmatch(name):
            raise messages.invalid_container_name(name)
        name = name.lstrip("/")
        existing = self.table.by_name.get(name)
        if existing is not None:
            raise messages.container_name_conflict(name, existing.id)
        return name

    def _generate_name(self, cid: str) -> str:
        n = int(cid[:8], 16)
        base = f"{_ADJECTIVES[n % len(_ADJECTIVES)]}_{_SURNAMES[(n // 97) % len(_SURNAMES)]}"
        name, i = base, 1
        while name in self.table.by_name:
            i += 1
            name = f"{base}{i}"
        return name

    def rename(self, ref: str, new_name: str) -> None:
        engine = self.engine
        by_name = self.table.by_name
        with engine.lock:
            c = self.table.get(ref)
            if not new_name:
                raise messages.rename_empty_name()
            if not _NAME_RE.fullmatch(new_name):
                err = messages.invalid_container_name("/" + new_name.lstrip("/"))
                raise messages.rename_allocation_failed(err)
            new_name = new_name.lstrip("/")
            if new_name == c.name:
                raise messages.rename_same_name()
            existing = by_name.get(new_name)
            if existing is not None:
                err = messages.container_name_conflict(new_name, existing.id)
                raise messages.rename_allocation_failed(err)
            old = c.name
            del by_name[old]
            c.name = new_name
            by_name[new_name] = c
            engine.emit("container", "rename", c.id, c.attributes(oldName="/" + old))

    # create ----------------------------------------------------------------------------
    def create(self, body: dict[str, Any], name: str | None = None, api_version: str | None = None) -> Container:
        engine = self.engine
        with engine.lock:
            requested_host = body.get("HostConfig") or {}
            mount_list = go_fields(requested_host.get("Mounts") or [], mount_for(engine.api_version))
            for m in mount_list:  # the daemon checks settings before it looks at names or images
                problem = container_mount_error(m)
                if problem:
                    raise messages.invalid_mount(problem, m)
            request_api = api_version or engine.api_version
            # Docker 26 to an API 1.44 client: a MAC address per endpoint, checked at create
            mac_per_endpoint = engine.profile.at_least("26.1") and version_tuple(request_api) >= (1, 44)
            check_net_mode(body, requested_host, mac_per_endpoint)
            log_config = resolve_log_config(requested_host.get("LogConfig"))
            endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
            if engine.profile.at_least("26.1"):  # before the address syntax, in its own words
                self._check_endpoints_against_networks(endpoints)
            check_endpoints_config(endpoints, request_api, engine.api_version)
            if name:
                name = self._check_name(name)
            image_ref = body.get("Image") or ""
            if not image_ref:
                raise messages.invalid_reference_format()
            image = self.images.resolve(image_ref)
            if image is None:
                raise messages.no_such_image(image_ref)
            icfg = image.config
            host_config = with_daemon_defaults(requested_host, engine.profile)
            host_config["LogConfig"] = log_config
            host_config["NetworkMode"] = network_mode(host_config)
            if engine.profile.at_least("26.1"):
                # 26.1 stores what "default" and an empty restart policy mean
                if host_config["NetworkMode"] == "default":
                    host_config["NetworkMode"] = "bridge"
                    if "default" in endpoints and "bridge" not in endpoints:
                        endpoints = {("bridge" if k == "default" else k): v for k, v in endpoints.items()}
                if not (host_config.get("RestartPolicy") or {}).get("Name"):
                    host_config["RestartPolicy"] = {"Name": "no", "MaximumRetryCount": 0}
            if mount_list:
                host_config["Mounts"] = mount_list
            if host_config.get("NanoCpus"):
                if host_config.get("CpuPeriod"):
                    raise messages.conflicting_cpu_options("CPU Period")
                if host_config.get("CpuQuota"):
                    raise messages.conflicting_cpu_options("CPU Quota")
            if not engine.resource_limits:  # (rootless Podman on cgroups v1) dropped, no warning
                host_config.update({key: 0 for key in RESOURCE_LIMIT_KEYS})
            if host_config.get("Memory") and not host_config.get("MemorySwap"):
                host_config["MemorySwap"] = 2 * host_config["Memory"]
            mode = network_mode(host_config)
            if mac_per_endpoint:
                endpoints = endpoint_macs(endpoints, body.get("MacAddress") or "", mode)
            if is_container_mode(mode):
                self.table.get(mode.split(":", 1)[1])
            # networks are named, not looked up: a missing one fails at start
            network_keys = initial_network_keys(mode, endpoints, self._mode_network(mode))
            links = self._links_for(host_config.get("Links"), mode)
            host_config["Links"] = None  # inspect shows the registered links

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
                raise messages.no_command_specified()
            labels = dict(icfg.get("Labels") or {})
            labels.update(body.get("Labels") or {})
            volumes = dict(icfg.get("Volumes") or {})
            volumes.update(body.get("Volumes") or {})
            exposed = dict(icfg.get("ExposedPorts") or {})
            exposed.update(body.get("ExposedPorts") or {})
            hostname = body.get("Hostname") or ""
            if not hostname:
                hostname = socket.gethostname() if mode == "host" else cid[:12]
            # the keys in the order inspect shows them
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
            healthcheck = merge_healthcheck(body.get("Healthcheck"), icfg.get("Healthcheck"))
            if healthcheck:
                config["Healthcheck"] = healthcheck
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
            c.mounts = self._mounts_for(c, volumes)
            c.links = links
            if mac_per_endpoint and body.get("MacAddress"):
                c.create_warnings.append(messages.CONTAINER_WIDE_MAC_DEPRECATED)
            self.table.by_id[cid] = c
            self.table.by_name[name] = c
            for key, source in network_keys.items():
                c.networks[key] = endpoint_settings(endpoints.get(source) or {},
                                                    empty_endpoint_settings(), mac=mac_per_endpoint)
                if engine.profile.at_least("26.1"):
                    c.networks[key]["DNSNames"] = dns_names(c, is_user_defined(key), c.networks[key]["Aliases"])
            engine.emit("container", "create", cid, c.attributes())
            return c

    # networks and links ----------------------------------------------------------------
    def _check_endpoints_against_networks(self, endpoints: dict[str, Any]) -> None:
        """Docker 26: each endpoint's settings, checked at create against its network."""
        for key, epc in endpoints.items():
            try:
                net = self.networks.resolve(key)
            except DaemonError:
                continue
            problems = endpoint_create_problems(net, epc) if net is not None else []
            if problems and net is not None:
                raise messages.invalid_endpoint_settings(net.name, problems)

    def _mode_network(self, mode: str) -> tuple[str, str] | None:
        """(name, id) of the user-defined network a mode names, if it exists."""
        if not is_user_defined(mode):
            return None
        try:
            net = self.networks.resolve(mode)
        except DaemonError:  # ambiguous: the daemon's lookup fails, and it goes on
            return None
        return (net.name, net.id) if net is not None else None

    def _links_for(self, values: list[str] | None, mode: str) -> list[tuple[Container, str]]:
        """The legacy links a create registers: (linked container, alias); none on a
        user-defined network, where the daemon ignores HostConfig.Links."""
        if not values or is_user_defined(mode):
            return []
        links: list[tuple[Container, str]] = []
        for value in values:
            target, alias = parse_link(value)
            child = self.table.resolve(target)
            if child is None:
                raise messages.link_target_missing(target)
            owner, seen = child, {child.id}
            while is_container_mode(network_mode(owner.host_config)):
                nxt = self.table.resolve(network_mode(owner.host_config).split(":", 1)[1])
                if nxt is None or nxt.id in seen:
                    break
                owner = nxt
                seen.add(nxt.id)
            if network_mode(owner.host_config) == "host":
                raise messages.conflict_network_and_links("host type networking")
            links.append((child, alias))
        return links

    # mounts ----------------------------------------------------------------------------
    def _mounts_for(self, c: Container, volumes: dict[str, Any]) -> list[dict[str, Any]]:
        """Its ``Mounts`` (inspect shape) from Binds, HostConfig.Mounts and the image's and
        request's Volumes; named volumes are created if missing, unnamed ones anonymous."""
        mounts: list[dict[str, Any]] = []
        taken: set[str] = set()
        binds = c.host_config.get("Binds") or ()
        bind_driver = c.host_config.get("VolumeDriver") or "local"
        # each mount point is checked when its turn comes: the volumes of those before a
        # duplicate are made already, as the daemon makes them
        seen: list[str] = []

        def check_duplicate(dest: str) -> None:
            if duplicate_destination([*seen, dest]) is not None:
                raise messages.duplicate_mount_point(dest)
            seen.append(dest)

        def volume(name: str, dest: str, mode: str, rw: bool, driver: str = "local",
                   opts: dict | None = None, labels: dict | None = None) -> None:
            vol = self.volumes.ensure(name, driver=driver, driver_opts=opts, labels=labels)
            mounts.append({
                "Type": "volume", "Name": name,
                "Source": f"/var/lib/docker/volumes/{name}/_data", "Destination": dest,
                "Driver": vol.driver, "Mode": mode, "RW": rw, "Propagation": "",
            })
            taken.add(dest)

        for bind in binds:
            parts = bind.split(":")
            if len(parts) < 2:
                raise messages.invalid_volume_specification(bind)
            src, dest = parts[0], parts[1]
            check_duplicate(dest)
            mode = parts[2] if len(parts) > 2 else ""
            rw = "ro" not in mode.split(",")
            if src.startswith("/"):
                propagation = next((m for m in mode.split(",") if m in _PROPAGATION_MODES), "rprivate")
                mounts.append({"Type": "bind", "Source": src, "Destination": dest, "Mode": mode,
                               "RW": rw, "Propagation": propagation})
                taken.add(dest)
            else:
                volume(src, dest, mode or "z", rw, bind_driver)
        for m in c.host_config.get("Mounts") or ():
            mtype = m.get("Type") or "volume"
            target = m.get("Target") or ""
            check_duplicate(target)
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
                    src = self._new_anonymous_volume(c)
                volume(src, target, "z", rw, dc.get("Name") or "local", dc.get("Options"), vo.get("Labels"))
            else:  # tmpfs, npipe
                mounts.append({"Type": mtype, "Source": "", "Destination": target, "Mode": "",
                               "RW": rw, "Propagation": ""})
                taken.add(target)
        for dest in c.host_config.get("Tmpfs") or {}:
            taken.add(dest)
        for dest in volumes:
            if dest not in taken:
                volume(self._new_anonymous_volume(c), dest, "", True)
        return mounts

    def _new_anonymous_volume(self, c: Container) -> str:
        name = self.volumes.create_anonymous().name
        c.anonymous_volumes.append(name)
        return name
