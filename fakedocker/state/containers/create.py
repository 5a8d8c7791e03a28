"""Creating containers: the request's Config and HostConfig merged with the image's and the
daemon's defaults, names, mounts (binds, ``Mounts``, image volumes) and the networks a new
container is attached to.

Receives the container table, the image store (the image and its config), the volume store
(named and anonymous volumes) and the network store (the networks named in the request).
"""

from __future__ import annotations

import re
import socket
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from .health import merge_healthcheck
from .model import Container, ContainerTable, create_env, signal_number

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..images import ImageStore
    from ..networks import NetworkStore
    from ..volumes import VolumeStore

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

_ADJECTIVES = ["admiring", "bold", "brave", "clever", "dreamy", "eager", "festive", "gallant",
               "happy", "jolly", "keen", "loving", "modest", "nifty", "peaceful", "quirky",
               "relaxed", "serene", "tender", "vibrant", "wizardly", "zealous"]
_SURNAMES = ["albattani", "bell", "curie", "darwin", "euler", "fermi", "galileo", "hopper",
             "hypatia", "johnson", "kepler", "lovelace", "meitner", "newton", "noether",
             "pasteur", "ritchie", "shannon", "tesla", "turing", "wozniak", "yalow"]


class ContainerFactory:
    def __init__(self, engine: FakeEngine, table: ContainerTable, images: ImageStore,
                 volumes: VolumeStore, networks: NetworkStore) -> None:
        self.engine = engine
        self.table = table
        self.images = images
        self.volumes = volumes
        self.networks = networks

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
                raise DaemonError(400, "Neither old nor new names may be empty")
            if not _NAME_RE.fullmatch(new_name):
                err = messages.invalid_container_name("/" + new_name.lstrip("/"))
                raise DaemonError(err.status, "Error when allocating new name: " + err.message)
            new_name = new_name.lstrip("/")
            if new_name == c.name:
                raise DaemonError(400, "Renaming a container with the same name as its current name")
            existing = by_name.get(new_name)
            if existing is not None:
                err = messages.container_name_conflict(new_name, existing.id)
                raise DaemonError(err.status, "Error when allocating new name: " + err.message)
            old = c.name
            del by_name[old]
            c.name = new_name
            by_name[new_name] = c
            engine.emit("container", "rename", c.id, c.attributes(oldName="/" + old))

    # create ----------------------------------------------------------------------------
    def create(self, body: dict[str, Any], name: str | None = None) -> Container:
        engine = self.engine
        with engine.lock:
            if name:
                name = self._check_name(name)
            image_ref = body.get("Image") or ""
            if not image_ref:
                raise messages.invalid_reference_format()
            image = self.images.resolve(image_ref)
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
                self.networks.get(net)  # raises the daemon's 404
            if mode.startswith("container:"):
                self.table.get(mode.split(":", 1)[1])

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
            self.table.by_id[cid] = c
            self.table.by_name[name] = c
            for net in target_networks:
                epc = endpoints.get(net) or {}
                ipv4 = ((epc.get("IPAMConfig") or {}).get("IPv4Address")) or None
                self.networks.connect(self.networks.get(net), c, aliases=epc.get("Aliases"),
                                      ipv4=ipv4, links=epc.get("Links"))
            engine.emit("container", "create", cid, c.attributes())
            return c

    # mounts ----------------------------------------------------------------------------
    def _mounts_for(self, c: Container, volumes: dict[str, Any]) -> list[dict[str, Any]]:
        """Its ``Mounts`` (inspect shape) from Binds, HostConfig.Mounts and the image's and
        request's Volumes; named volumes are created if missing, unnamed ones anonymous."""
        mounts: list[dict[str, Any]] = []
        taken: set[str] = set()

        def volume(name: str, dest: str, mode: str, rw: bool, driver: str = "local",
                   opts: dict | None = None, labels: dict | None = None) -> None:
            vol = self.volumes.ensure(name, driver=driver, driver_opts=opts, labels=labels)
            mounts.append({
                "Type": "volume", "Name": name,
                "Source": f"/var/lib/docker/volumes/{name}/_data", "Destination": dest,
                "Driver": vol.driver, "Mode": mode, "RW": rw, "Propagation": "",
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
