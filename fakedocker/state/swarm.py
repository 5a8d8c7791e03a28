"""Swarm mode: the swarm, its single (local) node, services and tasks.

The fake is a one-node swarm, as ``docker swarm init`` makes on a single machine.  Everything
follows Docker Engine 20.10 (API 1.41); see ``tests/integration/REAL_DAEMON_NOTES.md``.

- ids are 25-char lowercase base-36 strings derived from ``engine.new_id()``;
- every write bumps one raft-like index, so ``Version.Index`` values grow across objects as
  they do on a real manager;
- tasks advance ``new -> pending -> assigned -> accepted -> preparing -> starting -> running``
  through ``engine.transitions`` (one step per ``engine.step_delay``), with the daemon's
  ``Status.Message`` per state; a task whose image can be neither found locally nor pulled
  from ``engine.registry`` ends ``rejected`` with ``No such image: <image>``, and the
  restart policy creates replacement tasks (bounded, see :data:`UNBOUNDED_ATTEMPTS`);
- a task that reaches ``starting`` gets a real container in ``engine.containers`` (named
  ``<service>.<slot>.<task id>``, the ``com.docker.swarm.*`` labels, its config from the
  ContainerSpec, host-mode ports bound on the node), started at ``running`` with the normal
  runtime selection (``engine.set_runtime``); when that container exits the task ends
  ``failed`` (``task: non-zero exit (N)``) or ``complete`` and the restart policy applies;
  tasks that shut down stop their container (``StopGracePeriod``), and tasks that go away
  (service removed, history pruned) remove it;
- ``fail_task`` makes a running task fail (test helper: its container exits with the code).

Interface used by other modules:

- ``engine.swarm.active`` (bool), ``engine.swarm.info()`` (the ``Swarm`` part of ``/info``);
- ``engine.swarm.new_swarm_id()``: a fresh 25-char swarm-style id (for swarm-scoped networks).
"""

from __future__ import annotations

import copy
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .. import messages
from ..routing import DaemonError
from ..transitions import Step
from .images import Image, Reference, parse_reference

#: with no ``RestartPolicy.MaxAttempts`` the real daemon retries forever; the fake stops after
#: this many tasks per slot (the daemon's default TaskHistoryRetentionLimit) to stay bounded.
UNBOUNDED_ATTEMPTS = 5

TASK_STATES = (
    "new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
    "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
)
_TERMINAL = {"complete", "shutdown", "failed", "rejected", "remove", "orphaned"}

DEFAULT_SWARM_SPEC: dict[str, Any] = {
    "Name": "default",
    "Labels": {},
    "Orchestration": {"TaskHistoryRetentionLimit": 5},
    "Raft": {
        "SnapshotInterval": 10000,
        "KeepOldSnapshots": 0,
        "LogEntriesForSlowFollowers": 500,
        "ElectionTick": 10,
        "HeartbeatTick": 1,
    },
    "Dispatcher": {"HeartbeatPeriod": 5000000000},
    "CAConfig": {"NodeCertExpiry": 7776000000000000},
    "TaskDefaults": {},
    "EncryptionConfig": {"AutoLockManagers": False},
}

_UPDATE_DEFAULTS = {
    "Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000,
    "MaxFailureRatio": 0, "Order": "stop-first",
}

TRUST_ROOT = (
    "-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUfakedockerfakedockerfakedockerMAoGCCqGSM49BAMC\n"
    "MBMxETAPBgNVBAMTCHN3YXJtLWNhMB4XDTI0MDEwMTAwMDAwMFoXDTQ0MDEwMTAw\n"
    "-----END CERTIFICATE-----\n"
)
_CERT_SUBJECT = "MBMxETAPBgNVBAMTCHN3YXJtLWNh"
_CERT_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZmFrZWRvY2tlcg=="

_DNS_NAME = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")
_MODE_KEYS = {"replicated": "Replicated", "global": "Global",
              "replicatedjob": "ReplicatedJob", "globaljob": "GlobalJob"}

_ADJECTIVES = ("admiring", "brave", "clever", "eager", "focused", "gallant", "happy", "jolly",
               "keen", "loving", "nifty", "quirky", "relaxed", "serene", "vibrant", "zealous")
_SURNAMES = ("allen", "babbage", "curie", "darwin", "euler", "feynman", "galileo", "hopper",
             "joliot", "knuth", "lovelace", "meitner", "noether", "pascal", "turing", "wright")


def base36(hexid: str, length: int = 25) -> str:
    n = int(hexid, 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(reversed(out))[:length].rjust(length, "0")


_MAP_KEYS = {"Labels", "Sysctls", "DriverOpts", "Options"}


def _clean(value: Any) -> Any:
    """Drop what Go's ``omitempty`` drops when the daemon echoes a spec back: nulls, false,
    empty strings, lists and maps.  Zero numbers stay (the daemon's optional numbers are
    pointers), and so do empty objects (pointers to empty structs: ``"Resources": {}``)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _clean(v)
            if v is None or v is False or v == "" or v == [] or (v == {} and k in _MAP_KEYS):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


_CONTAINER_SPEC_ORDER = (
    "Image", "Labels", "Command", "Args", "Hostname", "Env", "Dir", "User", "Groups",
    "Privileges", "Init", "StopSignal", "TTY", "OpenStdin", "ReadOnly", "Mounts",
    "StopGracePeriod", "Healthcheck", "Hosts", "DNSConfig", "Secrets", "Configs", "Isolation",
    "Sysctls", "CapabilityAdd", "CapabilityDrop", "Ulimits",
)
_MOUNT_ORDER = ("Type", "Source", "Target", "ReadOnly", "Consistency", "BindOptions",
                "VolumeOptions", "TmpfsOptions")
_TASK_TEMPLATE_ORDER = ("ContainerSpec", "PluginSpec", "NetworkAttachmentSpec", "Resources",
                        "RestartPolicy", "Placement", "Networks", "LogDriver", "ForceUpdate",
                        "Runtime")


def _ordered(d: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """``d`` with its keys in the daemon's (Go struct) order; unknown keys last."""
    out = {k: d[k] for k in order if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


def _order_task_template(tt: dict[str, Any]) -> dict[str, Any]:
    cs = tt.get("ContainerSpec")
    if isinstance(cs, dict):
        if isinstance(cs.get("Mounts"), list):
            cs["Mounts"] = [_ordered(m, _MOUNT_ORDER) if isinstance(m, dict) else m
                            for m in cs["Mounts"]]
        tt["ContainerSpec"] = _ordered(cs, _CONTAINER_SPEC_ORDER)
    return _ordered(tt, _TASK_TEMPLATE_ORDER)


def _merge(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif v not in (None, "", 0, False) or k not in out:
            out[k] = copy.deepcopy(v)
    return out


def _host_of(addr: str | None, default: str) -> str:
    if not addr:
        return default
    host = addr
    if addr.startswith("["):
        host = addr[1:].split("]", 1)[0]
    elif addr.count(":") == 1:
        host = addr.split(":", 1)[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "127.0.0.1" if host in ("lo", "localhost") else default
    return host


def _port_of(addr: str | None, default: int) -> int:
    if addr and addr.count(":") == 1:
        try:
            return int(addr.rsplit(":", 1)[1])
        except ValueError:
            return default
    return default


# networks as swarm sees them ------------------------------------------------------------------

@dataclass
class NetView:
    """A network a service or task is attached to, with the swarm-side details."""

    id: str
    name: str
    driver: str = "overlay"
    scope: str = "swarm"
    labels: dict[str, str] = field(default_factory=dict)
    subnet: str = "10.0.0.0/24"
    gateway: str = "10.0.0.1"
    created: str = ""
    version: int = 0
    ingress: bool = False
    vxlan: int = 4096
    store_obj: Any = None  # the NetworkStore's network, when there is one
    next_host: int = 2
    free: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> int:
        try:
            return ipaddress.ip_network(self.subnet, strict=False).prefixlen
        except ValueError:
            return 24

    def swarm_object(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"Name": self.name, "Labels": dict(self.labels)}
        if self.ingress:
            spec["Ingress"] = True
        spec.update({
            "DriverConfiguration": {"Name": self.driver},
            "IPAMOptions": {"Driver": {"Name": "default"}},
            "Scope": "swarm",
        })
        return {
            "ID": self.id,
            "Version": {"Index": self.version},
            "CreatedAt": self.created,
            "UpdatedAt": self.created,
            "Spec": spec,
            "DriverState": {
                "Name": self.driver,
                "Options": {"com.docker.network.driver.overlay.vxlanid_list": str(self.vxlan)},
            },
            "IPAMOptions": {
                "Driver": {"Name": "default"},
                "Configs": [{"Subnet": self.subnet, "Gateway": self.gateway}],
            },
        }


# objects ------------------------------------------------------------------------------------

@dataclass
class Node:
    id: str
    hostname: str
    created_at: str
    updated_at: str
    version: int
    addr: str
    manager_addr: str
    spec: dict[str, Any] = field(
        default_factory=lambda: {"Labels": {}, "Role": "manager", "Availability": "active"}
    )

    def inspect(self, engine: Any) -> dict[str, Any]:
        plugins = [{"Type": "Log", "Name": n} for n in (
            "awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local",
            "logentries", "splunk", "syslog")]
        plugins += [{"Type": "Network", "Name": n} for n in (
            "bridge", "host", "ipvlan", "macvlan", "null", "overlay")]
        plugins.append({"Type": "Volume", "Name": "local"})
        out: dict[str, Any] = {
            "ID": self.id,
            "Version": {"Index": self.version},
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Spec": copy.deepcopy(self.spec),
            "Description": {
                "Hostname": self.hostname,
                "Platform": {"Architecture": "x86_64", "OS": "linux"},
                "Resources": {"NanoCPUs": (os.cpu_count() or 1) * 1_000_000_000,
                              "MemoryBytes": 25_000_000_000},
                "Engine": {"EngineVersion": engine.engine_version, "Plugins": plugins},
                "TLSInfo": {"TrustRoot": TRUST_ROOT, "CertIssuerSubject": _CERT_SUBJECT,
                            "CertIssuerPublicKey": _CERT_KEY},
            },
            "Status": {"State": "ready", "Addr": self.addr},
        }
        if self.spec.get("Role") == "manager":
            out["ManagerStatus"] = {"Leader": True, "Reachability": "reachable",
                                    "Addr": self.manager_addr}
        return out


@dataclass
class Service:
    id: str
    spec: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    previous_spec: dict[str, Any] | None = None
    update_status: dict[str, Any] | None = None
    ports: list[dict[str, Any]] = field(default_factory=list)  # Endpoint.Ports
    vips: list[dict[str, Any]] = field(default_factory=list)
    networks: list[NetView] = field(default_factory=list)  # what tasks attach to
    vip_addrs: list[tuple[NetView, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec["Name"]

    @property
    def is_global(self) -> bool:
        return "Global" in self.spec["Mode"]

    @property
    def replicas(self) -> int:
        return int(self.spec["Mode"].get("Replicated", {}).get("Replicas", 0))

    def inspect(self, insert_defaults: bool = False) -> dict[str, Any]:
        spec = copy.deepcopy(self.spec)
        if insert_defaults:
            spec = _with_defaults(spec)
        out: dict[str, Any] = {
            "ID": self.id,
            "Version": {"Index": self.version},
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Spec": spec,
        }
        if self.previous_spec is not None:
            out["PreviousSpec"] = copy.deepcopy(self.previous_spec)
        endpoint: dict[str, Any] = {"Spec": copy.deepcopy(self.spec.get("EndpointSpec") or {})}
        if self.ports:
            endpoint["Ports"] = copy.deepcopy(self.ports)
        if self.vips:
            endpoint["VirtualIPs"] = copy.deepcopy(self.vips)
        out["Endpoint"] = endpoint
        if self.update_status is not None:
            out["UpdateStatus"] = dict(self.update_status)
        return out


def _with_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    tt = spec.setdefault("TaskTemplate", {})
    cs = tt.setdefault("ContainerSpec", {})
    cs.setdefault("StopGracePeriod", 10000000000)
    cs.setdefault("DNSConfig", {})
    tt.setdefault("Resources", {})
    tt["RestartPolicy"] = {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0,
                           **(tt.get("RestartPolicy") or {})}
    tt.setdefault("Placement", {})
    spec["UpdateConfig"] = {**_UPDATE_DEFAULTS, **(spec.get("UpdateConfig") or {})}
    spec["RollbackConfig"] = {**_UPDATE_DEFAULTS, **(spec.get("RollbackConfig") or {})}
    ordered = {k: spec[k] for k in ("Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig",
                                    "RollbackConfig", "Networks", "EndpointSpec") if k in spec}
    ordered.update({k: v for k, v in spec.items() if k not in ordered})
    return ordered


@dataclass
class Task:
    id: str
    service_id: str
    service_name: str
    slot: int | None
    spec: dict[str, Any]
    created_at: str
    updated_at: str
    version: int
    timestamp: str
    desired_state: str = "running"
    state: str = "new"
    message: str = "created"
    err: str | None = None
    node_id: str = ""
    container_status: dict[str, Any] | None = None
    port_status: dict[str, Any] | None = None
    host_ports: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[tuple[NetView, str]] = field(default_factory=list)
    attempt: int = 1
    generation: int = 0  # the service's spec generation the task was made for
    blocked: bool = False  # stuck in pending (no node can take it)
    final: bool = False  # ended and the restart policy gave up on its slot
    container_id: str = ""  # the task's container in engine.containers, once created

    @property
    def name(self) -> str:
        middle = str(self.slot) if self.slot else self.node_id
        return f"{self.service_name}.{middle}.{self.id}"

    def inspect(self) -> dict[str, Any]:
        status: dict[str, Any] = {"Timestamp": self.timestamp, "State": self.state,
                                  "Message": self.message}
        if self.err:
            status["Err"] = self.err
        if self.container_status is not None:
            status["ContainerStatus"] = dict(self.container_status)
        if self.port_status is not None:
            status["PortStatus"] = copy.deepcopy(self.port_status)
        out: dict[str, Any] = {
            "ID": self.id,
            "Version": {"Index": self.version},
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "Labels": {},
            "Spec": copy.deepcopy(self.spec),
            "ServiceID": self.service_id,
        }
        if self.slot:
            out["Slot"] = self.slot
        if self.node_id:
            out["NodeID"] = self.node_id
        out["Status"] = status
        out["DesiredState"] = self.desired_state
        if self.attachments:
            out["NetworksAttachments"] = [
                {"Network": net.swarm_object(), "Addresses": [addr] if addr else []}
                for net, addr in self.attachments
            ]
        return out


# the swarm ----------------------------------------------------------------------------------

class SwarmState:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.active = False
        self._index = 0
        self.cluster: dict[str, Any] = {}
        self.node: Node | None = None
        self.services: dict[str, Service] = {}
        self.tasks: dict[str, Task] = {}
        self._own_networks: dict[str, NetView] = {}  # swarm networks the NetworkStore lacks
        self._views: dict[str, NetView] = {}  # NetViews of NetworkStore networks, by id
        self._vxlan = 4096
        self._subnet_counter = 0
        self._pid = 4000
        self._generations: dict[str, int] = {}
        self._updating: set[str] = set()  # services whose replacement tasks are being made
        self.ingress: NetView | None = None
        self._task_of_container: dict[str, str] = {}  # container id -> task id
        self._exit_messages: dict[str, str] = {}  # task id -> Err fail_task asked for

    # ids, versions ------------------------------------------------------------------------
    def new_swarm_id(self) -> str:
        return base36(self.engine.new_id())

    def _bump(self) -> int:
        self._index += 1
        return self._index

    def _token(self, role: str) -> str:
        return f"SWMTKN-1-{base36(self.engine.new_id(), 50)}-{base36(self.engine.new_id())}"

    # info / swarm ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        with self.engine.lock:
            if not self.active or self.node is None:
                return {
                    "NodeID": "",
                    "NodeAddr": "",
                    "LocalNodeState": "inactive",
                    "ControlAvailable": False,
                    "Error": "",
                    "RemoteManagers": None,
                }
            return {
                "NodeID": self.node.id,
                "NodeAddr": self.node.addr,
                "LocalNodeState": "active",
                "ControlAvailable": True,
                "Error": "",
                "RemoteManagers": [{"NodeID": self.node.id, "Addr": self.node.manager_addr}],
                "Nodes": 1,
                "Managers": 1,
                "Cluster": self._cluster_object(),
            }

    def _cluster_object(self) -> dict[str, Any]:
        c = self.cluster
        return {
            "ID": c["ID"],
            "Version": {"Index": c["Version"]},
            "CreatedAt": c["CreatedAt"],
            "UpdatedAt": c["UpdatedAt"],
            "Spec": copy.deepcopy(c["Spec"]),
            "TLSInfo": {"TrustRoot": TRUST_ROOT, "CertIssuerSubject": _CERT_SUBJECT,
                        "CertIssuerPublicKey": _CERT_KEY},
            "RootRotationInProgress": False,
            "DefaultAddrPool": list(c["DefaultAddrPool"]) if c["DefaultAddrPool"] else None,
            "SubnetSize": c["SubnetSize"],
            "DataPathPort": c["DataPathPort"],
        }

    def require_manager(self) -> None:
        if not self.active:
            raise messages.not_a_swarm_manager()

    def inspect_swarm(self) -> dict[str, Any]:
        self.require_manager()
        out = self._cluster_object()
        out["JoinTokens"] = dict(self.cluster["JoinTokens"])
        return out

    def init(self, body: dict[str, Any]) -> str:
        if self.active:
            if body.get("ForceNewCluster") and self.node is not None:
                return self.node.id
            raise messages.already_in_swarm()
        listen = body.get("ListenAddr") or "0.0.0.0:2377"
        listen_port = _port_of(listen, 2377)
        advertise = body.get("AdvertiseAddr") or ""
        addr = _host_of(advertise, "127.0.0.1")
        if advertise and _port_of(advertise, 0):
            listen_port = _port_of(advertise, listen_port)
        data_path_port = int(body.get("DataPathPort") or 0) or 4789
        if not (1024 <= data_path_port <= 49151) and data_path_port != 4789:
            raise messages.swarm_invalid_data_path_port(data_path_port)
        now = self.engine.now_iso()
        cluster_id = self.new_swarm_id()
        node_version = self._bump()
        self.node = Node(
            id=self.new_swarm_id(), hostname=self._hostname(), created_at=now, updated_at=now,
            version=node_version, addr=addr, manager_addr=f"{addr}:{listen_port}",
        )
        self.cluster = {
            "ID": cluster_id,
            "Version": self._bump(),
            "CreatedAt": now,
            "UpdatedAt": now,
            "Spec": _merge(DEFAULT_SWARM_SPEC, body.get("Spec") or {}),
            "DefaultAddrPool": body.get("DefaultAddrPool") or None,
            "SubnetSize": int(body.get("SubnetSize") or 24),
            "DataPathPort": data_path_port,
            "JoinTokens": {"Worker": self._token("worker"), "Manager": self._token("manager")},
        }
        self.active = True
        self._create_ingress()
        return self.node.id

    def _hostname(self) -> str:
        return "fakedocker"

    def update(self, version: int | None, spec: dict[str, Any] | None, rotate_worker: bool,
               rotate_manager: bool) -> None:
        self.require_manager()
        if version != self.cluster["Version"]:
            raise messages.update_out_of_sequence()
        if spec:
            self.cluster["Spec"] = _merge(DEFAULT_SWARM_SPEC, spec)
        if rotate_worker:
            self.cluster["JoinTokens"]["Worker"] = self._token("worker")
        if rotate_manager:
            self.cluster["JoinTokens"]["Manager"] = self._token("manager")
        self.cluster["Version"] = self._bump()
        self.cluster["UpdatedAt"] = self.engine.now_iso()

    def leave(self, force: bool) -> None:
        if not self.active:
            raise messages.not_in_swarm()
        if not force:
            raise messages.leave_manager_needs_force()
        for service in list(self.services.values()):
            self._drop_service(service, immediate=True)
        self._remove_ingress()
        self.active = False
        self.node = None
        self.cluster = {}
        self._own_networks.clear()
        self._views.clear()

    def join(self, body: dict[str, Any]) -> None:
        if self.active:
            raise messages.already_in_swarm()
        if not body.get("RemoteAddrs"):
            raise messages.join_needs_remote_addr()
        raise messages.join_timeout()

    # networks ----------------------------------------------------------------------------
    def _new_subnet(self) -> tuple[str, str]:
        k = self._subnet_counter
        self._subnet_counter += 1
        return f"10.0.{k}.0/24", f"10.0.{k}.1"

    def _create_ingress(self) -> None:
        """The ``ingress`` overlay network every swarm starts with (10.0.0.0/24, its
        ``ingress-sbox`` endpoint at .2), made in the NetworkStore so ``docker network ls``
        shows it."""
        store = self.engine.networks
        obj = None
        create = getattr(store, "create_swarm_network", None)
        if callable(create):
            try:
                obj = create(name="ingress", driver="overlay", ingress=True)
            except (NotImplementedError, TypeError, DaemonError):
                obj = None
        if obj is not None:
            view = self._view_of(obj)
            view.ingress = True
        else:
            # fallback for a NetworkStore without swarm networks: the ingress network then
            # lives only in the swarm state
            subnet, gateway = self._new_subnet()
            view = NetView(
                id=self.new_swarm_id(), name="ingress", subnet=subnet, gateway=gateway,
                created=self.engine.now_iso(), version=self._bump(), ingress=True,
                vxlan=self._next_vxlan(), next_host=3,  # .2 is the ingress-sbox
            )
            self._own_networks[view.id] = view
        self.ingress = view

    def _remove_ingress(self) -> None:
        ingress = getattr(self, "ingress", None)
        if ingress is None:
            return
        remove = getattr(self.engine.networks, "remove_swarm_network", None)
        if ingress.store_obj is not None and callable(remove):
            try:
                remove(ingress.store_obj)
            except (NotImplementedError, TypeError, DaemonError):
                pass
        self.ingress = None

    def _next_vxlan(self) -> int:
        v = self._vxlan
        self._vxlan += 1
        return v

    def resolve_network(self, ref: str) -> NetView:
        for view in self._own_networks.values():
            if ref in (view.id, view.name):
                return view
        for view in self._own_networks.values():
            if view.id.startswith(ref):
                return view
        obj = None
        resolve = getattr(self.engine.networks, "resolve", None)
        if callable(resolve):
            try:
                obj = resolve(ref)
            except (NotImplementedError, DaemonError):
                obj = None
        if obj is None:
            raise messages.service_network_not_found(ref)
        return self._view_of(obj)

    def _view_of(self, obj: Any) -> NetView:
        view = self._views.get(obj.id)
        if view is None:
            subnet, gateway = self._store_subnet(obj)
            options = getattr(obj, "options", None) or {}
            vxlan = str(options.get("com.docker.network.driver.overlay.vxlanid_list", ""))
            view = NetView(
                id=obj.id, name=obj.name, driver=getattr(obj, "driver", "overlay"),
                scope=getattr(obj, "scope", "swarm"), labels=dict(getattr(obj, "labels", {}) or {}),
                subnet=subnet, gateway=gateway,
                created=getattr(obj, "created", "") or self.engine.now_iso(),
                version=self._bump(),
                vxlan=int(vxlan) if vxlan.isdigit() else self._next_vxlan(),
                ingress=bool(getattr(obj, "ingress", False)), store_obj=obj,
            )
            self._views[obj.id] = view
        return view

    def _store_subnet(self, obj: Any) -> tuple[str, str]:
        subnet = getattr(obj, "subnet", None)
        gateway = getattr(obj, "gateway", None)
        if not subnet:
            ipam = getattr(obj, "ipam", None)
            configs = (ipam or {}).get("Config") if isinstance(ipam, dict) else None
            if configs:
                subnet = configs[0].get("Subnet")
                gateway = configs[0].get("Gateway")
        if not subnet:
            return self._new_subnet()
        if not gateway:
            net = ipaddress.ip_network(subnet, strict=False)
            gateway = str(net.network_address + 1)
        return subnet, gateway

    def _allocate(self, view: NetView) -> str:
        if view.scope != "swarm":
            return ""
        if view.store_obj is not None:
            allocate = getattr(self.engine.networks, "allocate_ip", None)
            if callable(allocate):
                try:
                    ip = allocate(view.store_obj)
                except (NotImplementedError, DaemonError):
                    ip = None
                if ip:
                    return ip if "/" in ip else f"{ip}/{view.prefix}"
        if view.free:
            return view.free.pop(0)
        net = ipaddress.ip_network(view.subnet, strict=False)
        ip = net.network_address + view.next_host
        view.next_host += 1
        return f"{ip}/{view.prefix}"

    def _release(self, view: NetView, addr: str) -> None:
        if not addr:
            return
        if view.store_obj is not None:
            release = getattr(self.engine.networks, "release_ip", None)
            if callable(release):
                try:
                    release(view.store_obj, addr.split("/", 1)[0])
                    return
                except (NotImplementedError, DaemonError):
                    pass
        view.free.append(addr)
        view.free.sort(key=lambda a: ipaddress.ip_interface(a))

    # nodes -------------------------------------------------------------------------------
    def get_node(self, ref: str) -> Node:
        self.require_manager()
        node = self.node
        assert node is not None
        if ref in (node.id, node.hostname) or (ref and node.id.startswith(ref)):
            return node
        raise messages.no_such_node(ref)

    def list_nodes(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        self.require_manager()
        _check_filters(filters, {"id", "label", "membership", "name", "node.label", "role"})
        node = self.node
        assert node is not None
        checks = {
            "id": lambda w: node.id.startswith(w),
            "name": lambda w: node.hostname.startswith(w),
            "role": lambda w: node.spec.get("Role") == w,
            "membership": lambda w: w == "accepted",
            "node.label": lambda w: _label_match(node.spec.get("Labels") or {}, w),
            "label": lambda w: _label_match({}, w),
        }
        for key, wanted in filters.items():
            if wanted and not any(checks[key](w) for w in wanted):
                return []
        return [node.inspect(self.engine)]

    def update_node(self, ref: str, version: int | None, spec: dict[str, Any]) -> None:
        node = self.get_node(ref)
        if version != node.version:
            raise messages.update_out_of_sequence()
        spec = dict(spec or {})
        role = (spec.get("Role") or "manager").lower()
        availability = (spec.get("Availability") or "active").lower()
        if role not in ("manager", "worker"):
            raise messages.invalid_node_role(role)
        if availability not in ("active", "pause", "drain"):
            raise messages.invalid_node_availability(availability)
        if role == "worker":
            raise messages.demote_last_manager()
        new_spec: dict[str, Any] = {}
        if spec.get("Name"):
            new_spec["Name"] = spec["Name"]
        new_spec.update({"Labels": dict(spec.get("Labels") or {}), "Role": role,
                         "Availability": availability})
        attrs = {"name": node.hostname}
        old = node.spec
        if old.get("Availability") != availability:
            attrs.update({"availability.old": old.get("Availability", ""), "availability.new": availability})
        node.spec = new_spec
        node.version = self._bump()
        node.updated_at = self.engine.now_iso()
        self.engine.emit("node", "update", node.id, attrs, scope="swarm")

    def remove_node(self, ref: str, force: bool) -> None:
        node = self.get_node(ref)
        raise messages.remove_manager_node(node.id)

    # services ----------------------------------------------------------------------------
    def resolve_service(self, ref: str) -> Service | None:
        if ref in self.services:
            return self.services[ref]
        for service in self.services.values():
            if service.name == ref:
                return service
        matches = [s for s in self.services.values() if s.id.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def get_service(self, ref: str) -> Service:
        self.require_manager()
        service = self.resolve_service(ref)
        if service is None:
            raise messages.no_such_service(ref)
        return service

    def _normalise_spec(self, body: dict[str, Any], service_id: str | None) -> dict[str, Any]:
        tt = copy.deepcopy(body.get("TaskTemplate") or {})
        cs = tt.get("ContainerSpec")
        if not isinstance(cs, dict) or not cs.get("Image"):
            raise messages.service_image_missing()
        name = body.get("Name") or ""
        if service_id is None and not name:
            name = self._random_name()
        if service_id is None and (not _DNS_NAME.match(name) or len(name) > 63):
            raise messages.invalid_service_name()  # (an update with another name is a rename)
        tt = _clean(tt)
        cs = tt["ContainerSpec"]
        cs.setdefault("Isolation", "default")
        tt["ForceUpdate"] = int(tt.get("ForceUpdate") or 0)
        tt.setdefault("Runtime", "container")
        if tt.get("Networks"):
            tt["Networks"] = [self._network_ref(n) for n in tt["Networks"]]
        tt = _order_task_template(tt)
        mode = self._normalise_mode(body.get("Mode"))
        spec: dict[str, Any] = {
            "Name": name,
            "Labels": dict(body.get("Labels") or {}),
            "TaskTemplate": tt,
            "Mode": mode,
        }
        for key in ("UpdateConfig", "RollbackConfig"):
            if body.get(key) is not None:
                spec[key] = _clean(body[key])
        if body.get("Networks"):
            spec["Networks"] = [self._network_ref(n) for n in body["Networks"]]
        endpoint = body.get("EndpointSpec")
        if endpoint is not None:
            spec["EndpointSpec"] = self._normalise_endpoint(endpoint)
        return spec

    def _random_name(self) -> str:
        n = int(self.engine.new_id()[:8], 16)
        return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}_{_SURNAMES[(n // 16) % len(_SURNAMES)]}"

    def _network_ref(self, ref: Any) -> dict[str, Any]:
        if isinstance(ref, str):
            ref = {"Target": ref}
        out = _clean(dict(ref))
        out["Target"] = self.resolve_network(str(ref.get("Target") or "")).id
        return out

    @staticmethod
    def _normalise_mode(mode: Any) -> dict[str, Any]:
        if not mode:
            return {"Replicated": {"Replicas": 1}}
        out: dict[str, Any] = {}
        for key, value in mode.items():
            canonical = _MODE_KEYS.get(key.replace("-", "").replace("_", "").lower())
            if canonical is None:
                continue
            value = dict(value or {})
            if canonical == "Replicated":
                value = {"Replicas": int(value.get("Replicas", 1) if value.get("Replicas") is not None else 1)}
            out[canonical] = value
        return out or {"Replicated": {"Replicas": 1}}

    @staticmethod
    def _normalise_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"Mode": (endpoint.get("Mode") or "vip").lower()}
        ports = []
        for p in endpoint.get("Ports") or []:
            port: dict[str, Any] = {}
            if p.get("Name"):
                port["Name"] = p["Name"]
            port["Protocol"] = (p.get("Protocol") or "tcp").lower()
            port["TargetPort"] = int(p.get("TargetPort") or 0)
            if p.get("PublishedPort"):
                port["PublishedPort"] = int(p["PublishedPort"])
            port["PublishMode"] = (p.get("PublishMode") or "ingress").lower()
            ports.append(port)
        if ports:
            out["Ports"] = ports
        return out

    def _check_port_conflicts(self, spec: dict[str, Any], service_id: str | None) -> None:
        wanted = {
            (p["Protocol"], p["PublishedPort"])
            for p in (spec.get("EndpointSpec") or {}).get("Ports", [])
            if p.get("PublishedPort")
        }
        for other in self.services.values():
            if other.id == service_id:
                continue
            for p in other.ports:
                if p.get("PublishMode") == "ingress" and (p["Protocol"], p.get("PublishedPort")) in wanted:
                    raise messages.port_in_use_by_service(p["PublishedPort"], other.name, other.id)

    def _allocate_endpoint(self, service: Service, old: Service | None = None) -> None:
        """Endpoint.Ports (ingress ports get a published port from 30000 up), VIPs and the
        networks the service's tasks attach to."""
        spec = service.spec
        endpoint = spec.get("EndpointSpec") or {}
        used = {
            p.get("PublishedPort") for s in self.services.values() if s.id != service.id
            for p in s.ports if p.get("PublishMode") == "ingress"
        }
        previous = {(p["Protocol"], p["TargetPort"]): p.get("PublishedPort")
                    for p in (old.ports if old else [])}
        ports = []
        for p in endpoint.get("Ports", []):
            port = dict(p)
            if port["PublishMode"] == "ingress" and not port.get("PublishedPort"):
                candidate = previous.get((port["Protocol"], port["TargetPort"]))
                if not candidate or candidate in used:
                    candidate = 30000
                    while candidate in used:
                        candidate += 1
                port["PublishedPort"] = candidate
                used.add(candidate)
                port = {k: port[k] for k in ("Name", "Protocol", "TargetPort", "PublishedPort",
                                              "PublishMode") if k in port}
            ports.append(port)
        service.ports = ports
        nets: list[NetView] = []
        ingress = getattr(self, "ingress", None)
        if ingress is not None and any(p["PublishMode"] == "ingress" for p in ports):
            nets.append(ingress)
        for ref in (spec.get("Networks") or []) + (spec["TaskTemplate"].get("Networks") or []):
            view = self.resolve_network(ref["Target"])
            if view not in nets:
                nets.append(view)
        old_addrs = {v.id: a for v, a in (old.vip_addrs if old else [])}
        keep = {}
        vip_addrs: list[tuple[NetView, str]] = []
        if endpoint.get("Mode", "vip") == "vip":
            for view in nets:
                addr = old_addrs.get(view.id)
                if addr is None:
                    addr = self._allocate(view)
                else:
                    keep[view.id] = True
                vip_addrs.append((view, addr))
        for view, addr in (old.vip_addrs if old else []):
            if view.id not in keep:
                self._release(view, addr)
        service.vip_addrs = vip_addrs
        service.vips = [{"NetworkID": v.id, "Addr": a} if a else {"NetworkID": v.id}
                        for v, a in vip_addrs]
        service.networks = nets

    def create_service(self, body: dict[str, Any]) -> Service:
        self.require_manager()
        spec = self._normalise_spec(body, None)
        if any(s.name == spec["Name"] for s in self.services.values()):
            raise messages.service_name_conflict(spec["Name"])
        self._check_port_conflicts(spec, None)
        now = self.engine.now_iso()
        service = Service(id=self.new_swarm_id(), spec=spec, version=self._bump(),
                          created_at=now, updated_at=now)
        self.services[service.id] = service
        self._generations[service.id] = 0
        self.engine.emit("service", "create", service.id, {"name": service.name}, scope="swarm")
        self._allocate_endpoint(service)
        if service.ports or service.networks:
            # the allocator writes the endpoint back, as the daemon's "update" right after create
            service.version = self._bump()
            service.updated_at = self.engine.now_iso()
            self.engine.emit("service", "update", service.id, {"name": service.name}, scope="swarm")
        self._reconcile(service)
        return service

    def update_service(self, ref: str, version: int | None, body: dict[str, Any]) -> Service:
        service = self.get_service(ref)
        spec = self._normalise_spec(body, service.id)
        if set(spec["Mode"]) != set(service.spec["Mode"]):
            raise messages.service_mode_change()
        if spec["Name"] != service.name:
            raise messages.service_rename()
        if version != service.version:
            raise messages.update_out_of_sequence()
        self._check_port_conflicts(spec, service.id)
        old_spec = service.spec
        old = copy.copy(service)
        service.previous_spec = old_spec
        service.spec = spec
        service.version = self._bump()
        service.updated_at = self.engine.now_iso()
        self._allocate_endpoint(service, old)
        attrs: dict[str, str] = {"name": service.name}
        if not service.is_global and service.replicas != old.replicas:
            attrs.update({"replicas.old": str(old.replicas), "replicas.new": str(service.replicas)})
        old_image = old_spec["TaskTemplate"]["ContainerSpec"]["Image"]
        new_image = spec["TaskTemplate"]["ContainerSpec"]["Image"]
        if old_image != new_image:
            attrs.update({"image.old": old_image, "image.new": new_image})
        self.engine.emit("service", "update", service.id, attrs, scope="swarm")
        if self._task_spec(old_spec) != self._task_spec(spec) or old.networks != service.networks:
            self._rolling_update(service)
        self._reconcile(service)
        return service

    def remove_service(self, ref: str) -> None:
        service = self.get_service(ref)
        self._drop_service(service, immediate=False)

    def _drop_service(self, service: Service, immediate: bool) -> None:
        self.services.pop(service.id, None)
        for view, addr in service.vip_addrs:
            self._release(view, addr)
        service.vip_addrs = []
        self.engine.emit("service", "remove", service.id, {"name": service.name}, scope="swarm")
        tasks = [t for t in self.tasks.values() if t.service_id == service.id]
        for task in tasks:
            self._touch(task, desired="remove")
        if immediate:
            for task in tasks:
                self._forget(task)
            return

        def stop() -> None:
            for task in tasks:
                if task.id in self.tasks and task.state not in _TERMINAL:
                    self._set_state(task, "shutdown", "shutdown")
                    self._free(task)
                    self._stop_container(task)

        def forget() -> None:
            for task in tasks:
                self._forget(task)

        self.engine.transitions.schedule(
            f"swarm:remove:{service.id}",
            [Step(stop, self.engine.step_delay), Step(forget, self.engine.step_delay)],
        )

    def service_status(self, service: Service) -> dict[str, int]:
        tasks = [t for t in self.tasks.values() if t.service_id == service.id]
        running = sum(1 for t in tasks if t.state == "running" and t.desired_state == "running")
        desired = 1 if service.is_global else service.replicas
        return {"RunningTasks": running, "DesiredTasks": desired, "CompletedTasks": 0}

    def list_services(self, filters: dict[str, list[str]]) -> list[Service]:
        self.require_manager()
        _check_filters(filters, {"id", "label", "mode", "name"})
        out = []
        for service in self.services.values():
            if filters.get("id") and not any(service.id.startswith(w) for w in filters["id"]):
                continue
            if filters.get("name") and not any(service.name.startswith(w) for w in filters["name"]):
                continue
            if filters.get("label") and not all(
                _label_match(service.spec.get("Labels") or {}, w) for w in filters["label"]
            ):
                continue
            if filters.get("mode"):
                mode = "global" if service.is_global else "replicated"
                if mode not in filters["mode"]:
                    continue
            out.append(service)
        return out

    # tasks -------------------------------------------------------------------------------
    @staticmethod
    def _task_spec(spec: dict[str, Any]) -> dict[str, Any]:
        tt = copy.deepcopy(spec["TaskTemplate"])
        tt.pop("Runtime", None)
        return tt

    def get_task(self, ref: str) -> Task:
        self.require_manager()
        task = self.tasks.get(ref)
        if task is None:
            matches = [t for t in self.tasks.values() if t.id.startswith(ref)] if ref else []
            if len(matches) != 1:
                raise messages.no_such_task(ref)
            task = matches[0]
        return task

    def list_tasks(self, filters: dict[str, list[str]]) -> list[Task]:
        self.require_manager()
        _check_filters(filters, {"_up-to-date", "desired-state", "id", "label", "name", "node",
                                 "service"})
        service_ids = [self.get_service(ref).id for ref in filters.get("service", [])]
        node_ids = [self.get_node(ref).id for ref in filters.get("node", [])]
        desired = []
        for value in filters.get("desired-state", []):
            if value.lower() in TASK_STATES:
                desired.append(value.lower())
            elif value:
                raise messages.invalid_desired_state_filter(value)
        out = []
        for task in self.tasks.values():
            if filters.get("service") and task.service_id not in service_ids:
                continue
            if filters.get("node") and task.node_id not in node_ids:
                continue
            if desired and task.desired_state not in desired:
                continue
            if filters.get("id") and not any(task.id.startswith(w) for w in filters["id"]):
                continue
            if filters.get("name") and not any(task.name.startswith(w) for w in filters["name"]):
                continue
            if filters.get("label"):
                service = self.services.get(task.service_id)
                labels = dict(service.spec.get("Labels") or {}) if service else {}
                if not all(_label_match(labels, w) for w in filters["label"]):
                    continue
            out.append(task)
        return out

    def _touch(self, task: Task, desired: str | None = None) -> None:
        if desired is not None:
            task.desired_state = desired
        task.version = self._bump()
        task.updated_at = self.engine.now_iso()

    def _set_state(self, task: Task, state: str, message: str) -> None:
        task.state = state
        task.message = message
        task.timestamp = self.engine.now_iso()
        self._touch(task)

    def _new_task(self, service: Service, slot: int | None, attempt: int = 1,
                  desired: str = "running") -> Task:
        now = self.engine.now_iso()
        task = Task(
            id=self.new_swarm_id(), service_id=service.id, service_name=service.name, slot=slot,
            spec=self._task_spec(service.spec), created_at=now, updated_at=now,
            version=self._bump(), timestamp=now, desired_state=desired, attempt=attempt,
            generation=self._generations.get(service.id, 0),
        )
        if slot is None and self.node is not None:
            task.node_id = self.node.id
        self.tasks[task.id] = task
        self._prune_history(service, slot)
        self.engine.transitions.schedule(f"swarm:task:{task.id}", self._task_steps(task))
        return task

    def _current(self, service: Service) -> dict[int | None, Task]:
        """The task that currently stands for each slot (global: key None)."""
        out: dict[int | None, Task] = {}
        for task in self.tasks.values():
            if task.service_id != service.id or task.desired_state not in ("running", "ready"):
                continue
            out[task.slot] = task
        return out

    def _reconcile(self, service: Service) -> None:
        current = self._current(service)
        if service.is_global:
            if None not in current and not self._slot_exhausted(service, None):
                self._new_task(service, None)
            return
        wanted = service.replicas
        for slot in range(1, wanted + 1):
            if slot not in current and not self._slot_exhausted(service, slot):
                self._new_task(service, slot)
        for slot, task in current.items():
            if slot is not None and slot > wanted:
                self._touch(task, desired="remove")
                self._schedule_stop(task, forget=True)

    def _slot_exhausted(self, service: Service, slot: int | None) -> bool:
        """Whether a slot's tasks gave up (restart policy exhausted) for this spec generation."""
        gen = self._generations.get(service.id, 0)
        return any(
            t.service_id == service.id and t.slot == slot and t.generation == gen and t.final
            for t in self.tasks.values()
        )

    def _schedule_stop(self, task: Task, forget: bool) -> None:
        def stop() -> None:
            if task.id in self.tasks and task.state not in _TERMINAL:
                self._set_state(task, "shutdown", "shutdown")
                self._free(task)
                self._stop_container(task)

        steps = [Step(stop, self.engine.step_delay)]
        if forget:
            steps.append(Step(lambda: self._forget(task), self.engine.step_delay))
        self.engine.transitions.schedule(f"swarm:stop:{task.id}", steps)

    def _rolling_update(self, service: Service) -> None:
        """Replace every current task: the old one is told to shut down and a new one (desired
        ``ready`` until it is prepared, as the daemon shows) takes its slot."""
        self._generations[service.id] = self._generations.get(service.id, 0) + 1
        service.update_status = {"State": "updating", "StartedAt": self.engine.now_iso(),
                                 "Message": "update in progress"}
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.new": "updating"}, scope="swarm")
        old_tasks = sorted(self._current(service).items(), key=lambda kv: kv[0] or 0)
        for _slot, task in old_tasks:
            self._touch(task, desired="shutdown")
            self._schedule_stop(task, forget=False)
        self._updating.add(service.id)
        try:
            for slot, _task in old_tasks:
                if slot is None or slot <= service.replicas:
                    self._new_task(service, slot, desired="ready")
        finally:
            self._updating.discard(service.id)
        self._check_update_done(service)

    def _check_update_done(self, service: Service) -> None:
        status = service.update_status
        if not status or status.get("State") != "updating":
            return
        if service.id in self._updating:
            return
        gen = self._generations.get(service.id, 0)
        tasks = [t for t in self.tasks.values()
                 if t.service_id == service.id and t.generation == gen
                 and t.desired_state in ("running", "ready")]
        expected = 1 if service.is_global else service.replicas
        if len(tasks) < expected or any(t.state != "running" for t in tasks):
            return
        self._complete_update(service)

    def _complete_update(self, service: Service) -> None:
        status = service.update_status or {}
        service.update_status = {"State": "completed", "StartedAt": status.get("StartedAt", ""),
                                 "CompletedAt": self.engine.now_iso(), "Message": "update completed"}
        service.version = self._bump()
        self.engine.emit("service", "update", service.id,
                         {"name": service.name, "updatestate.old": "updating",
                          "updatestate.new": "completed"}, scope="swarm")

    def _prune_history(self, service: Service, slot: int | None) -> None:
        limit = int(((self.cluster.get("Spec") or {}).get("Orchestration") or {}).get(
            "TaskHistoryRetentionLimit", 5) or 5)
        in_slot = [t for t in self.tasks.values() if t.service_id == service.id and t.slot == slot]
        old = [t for t in in_slot if t.desired_state not in ("running", "ready") and t.state in _TERMINAL]
        excess = len(in_slot) - limit
        for task in sorted(old, key=lambda t: t.version)[: max(0, excess)]:
            self._forget(task)

    def _forget(self, task: Task) -> None:
        self._free(task)
        self.tasks.pop(task.id, None)
        self._remove_container(task)  # before the addresses go: its endpoints use them
        for view, addr in task.attachments:
            self._release(view, addr)
        task.attachments = [(v, "") for v, _ in task.attachments]

    def _free(self, task: Task) -> None:
        task.host_ports = []

    # the task state machine ----------------------------------------------------------------
    def _alive(self, task: Task, expected: str) -> bool:
        return (
            task.id in self.tasks and task.state == expected and not task.blocked
            and task.desired_state in ("running", "ready")
            and task.service_id in self.services
        )

    def _task_steps(self, task: Task) -> list[Step]:
        delay = self.engine.step_delay

        def pending() -> None:
            if not self._alive(task, "new"):
                return
            service = self.services[task.service_id]
            task.attachments = [(view, self._allocate(view)) for view in service.networks]
            task.port_status = {}
            self._set_state(task, "pending", "pending task scheduling")

        def assigned() -> None:
            if not self._alive(task, "pending"):
                return
            service = self.services[task.service_id]
            ports = self._host_ports(service, task)
            if ports is None:
                task.blocked = True
                task.err = "no suitable node (host-mode port already in use on 1 node)"
                task.timestamp = self.engine.now_iso()
                self._touch(task)
                return
            task.host_ports = ports
            assert self.node is not None
            task.node_id = self.node.id
            self._set_state(task, "assigned", "scheduler assigned task to node")

        def accepted() -> None:
            if self._alive(task, "assigned"):
                self._set_state(task, "accepted", "accepted")

        def preparing() -> None:
            if not self._alive(task, "accepted"):
                return
            task.desired_state = "running"
            self._pull_if_needed(task.spec["ContainerSpec"]["Image"])
            self._set_state(task, "preparing", "preparing")

        def starting() -> None:
            if not self._alive(task, "preparing"):
                return
            image = task.spec["ContainerSpec"]["Image"]
            if self.engine.images.resolve(image) is None:
                task.err = messages.task_image_missing(image)
                task.container_status = {"ContainerID": "", "PID": 0, "ExitCode": 0}
                self._set_state(task, "rejected", "preparing")
                self._after_exit(task, failed=True)
                return
            try:
                container = self._create_container(task)
            except DaemonError as err:
                task.err = err.message
                task.container_status = {"ContainerID": "", "PID": 0, "ExitCode": 0}
                self._set_state(task, "rejected", "preparing")
                self._after_exit(task, failed=True)
                return
            task.container_status = {"ContainerID": container.id, "PID": 0, "ExitCode": 0}
            self._set_state(task, "starting", "starting")

        def running() -> None:
            if not self._alive(task, "starting"):
                return
            container = self._container_of(task)
            if container is None:  # removed behind the swarm's back
                self._end_task(task, 137, "No such container: " + task.container_id)
                return
            self._make_room(task, container)
            try:
                self.engine.containers.start(container)
            except DaemonError as err:
                self._end_task(task, container.exit_code or 128,
                               f"starting container failed: {err.message}", message="starting")
                return
            if task.state != "starting" or not container.running:
                return  # it exited at once: container_exited ended the task
            assert task.container_status is not None
            task.container_status["PID"] = container.pid
            task.port_status = self._port_status(task, container)
            self._set_state(task, "running", "started")
            service = self.services.get(task.service_id)
            if service is not None:
                self._check_update_done(service)

        return [Step(fn, delay) for fn in (pending, assigned, accepted, preparing, starting, running)]

    def _host_ports(self, service: Service, task: Task) -> list[dict[str, Any]] | None:
        """The task's host-mode ports; None when a fixed one is taken by another task on the
        node.  A port without ``PublishedPort`` keeps 0 until the task's container is started:
        the container's binding (an ephemeral host port) then fills it in."""
        wanted = [p for p in service.ports if p.get("PublishMode") == "host"]
        if not wanted:
            return []
        in_use = {
            (p["Protocol"], p["PublishedPort"])
            for t in self.tasks.values() if t.id != task.id
            for p in t.host_ports if p.get("PublishedPort")
        }
        for p in wanted:
            if p.get("PublishedPort") and (p["Protocol"], p["PublishedPort"]) in in_use:
                return None
        return [{"Protocol": p["Protocol"], "TargetPort": p["TargetPort"],
                 "PublishedPort": int(p.get("PublishedPort") or 0), "PublishMode": "host"}
                for p in wanted]

    # task containers -----------------------------------------------------------------------
    def _container_of(self, task: Task) -> Any:
        if not task.container_id:
            return None
        return self.engine.containers.by_id.get(task.container_id)

    def _container_body(self, task: Task) -> dict[str, Any]:
        """The container the daemon's executor makes for a task (Docker 20.10 adapter)."""
        cs = task.spec["ContainerSpec"]
        labels = dict(cs.get("Labels") or {})
        labels.update({
            "com.docker.swarm.node.id": task.node_id,
            "com.docker.swarm.service.id": task.service_id,
            "com.docker.swarm.service.name": task.service_name,
            "com.docker.swarm.task": "",
            "com.docker.swarm.task.id": task.id,
            "com.docker.swarm.task.name": task.name,
        })
        exposed: dict[str, dict[str, Any]] = {}
        bindings: dict[str, list[dict[str, str]]] = {}
        for p in task.host_ports:
            key = f"{p['TargetPort']}/{p['Protocol']}"
            exposed[key] = {}
            bindings.setdefault(key, []).append(
                {"HostIp": "", "HostPort": str(p["PublishedPort"]) if p["PublishedPort"] else ""})
        host_config: dict[str, Any] = {
            "NetworkMode": "default",
            "PortBindings": bindings,
            "Isolation": cs.get("Isolation") or "default",
            "Ulimits": list(cs.get("Ulimits") or []),
        }
        if cs.get("Mounts"):
            host_config["Mounts"] = copy.deepcopy(cs["Mounts"])
        for key, target in (("ReadOnly", "ReadonlyRootfs"), ("Init", "Init"), ("Groups", "GroupAdd"),
                            ("CapabilityAdd", "CapAdd"), ("CapabilityDrop", "CapDrop"),
                            ("Sysctls", "Sysctls")):
            if cs.get(key):
                host_config[target] = copy.deepcopy(cs[key])
        if cs.get("Hosts"):  # "IP host..." -> "host:IP"
            extra = []
            for line in cs["Hosts"]:
                parts = line.split()
                extra += [f"{name}:{parts[0]}" for name in parts[1:]] if len(parts) > 1 else [line]
            host_config["ExtraHosts"] = extra
        dns = cs.get("DNSConfig") or {}
        for key, target in (("Nameservers", "Dns"), ("Search", "DnsSearch"), ("Options", "DnsOptions")):
            if dns.get(key):
                host_config[target] = list(dns[key])
        resources = task.spec.get("Resources") or {}
        limits, reservations = resources.get("Limits") or {}, resources.get("Reservations") or {}
        if limits.get("MemoryBytes"):
            host_config["Memory"] = int(limits["MemoryBytes"])
        if limits.get("NanoCPUs"):
            host_config["NanoCpus"] = int(limits["NanoCPUs"])
        if limits.get("Pids"):
            host_config["PidsLimit"] = int(limits["Pids"])
        if reservations.get("MemoryBytes"):
            host_config["MemoryReservation"] = int(reservations["MemoryBytes"])
        body: dict[str, Any] = {
            "Image": cs["Image"],
            "Hostname": cs.get("Hostname") or "",
            "User": cs.get("User") or "",
            "Env": list(cs.get("Env") or []) or None,
            "Entrypoint": list(cs.get("Command") or []) or None,
            "Cmd": list(cs.get("Args") or []) or None,
            "WorkingDir": cs.get("Dir") or "",
            "Labels": dict(sorted(labels.items())),
            "Tty": bool(cs.get("TTY")),
            "OpenStdin": bool(cs.get("OpenStdin")),
            "HostConfig": host_config,
        }
        if exposed:
            body["ExposedPorts"] = exposed
        for key in ("StopSignal", "Healthcheck"):
            if cs.get(key):
                body[key] = copy.deepcopy(cs[key])
        return body

    def _create_container(self, task: Task) -> Any:
        """Create the task's container (not started), attached to the task's networks with
        the task's addresses (or to ``bridge`` when the task has none)."""
        store = self.engine.containers
        container = store.create(self._container_body(task), name=task.name)
        task.container_id = container.id
        self._task_of_container[container.id] = task.id
        attach = getattr(self.engine.networks, "attach_task", None)
        networks = [(v, a) for v, a in task.attachments if v.store_obj is not None]
        if networks and callable(attach):
            container.networks.pop("bridge", None)
            hostname = task.spec["ContainerSpec"].get("Hostname")
            extra = {ref["Target"]: list(ref.get("Aliases") or [])
                     for ref in task.spec.get("Networks") or []}
            for view, addr in networks:
                aliases = [container.id[:12]] + ([hostname] if hostname else [])
                aliases += [a for a in extra.get(view.id, []) if a not in aliases]
                attach(view.store_obj, container, addr, aliases)
        return container

    def _port_status(self, task: Task, container: Any) -> dict[str, Any]:
        """PortStatus from the container's bindings (each host-mode port once per binding:
        0.0.0.0 and ::), and the task's host ports set to what the container holds."""
        ports: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for p in task.host_ports:
            bound = container.ports.get(f"{p['TargetPort']}/{p['Protocol']}") or []
            numbers = [int(b["HostPort"]) for b in bound]
            if p["PublishedPort"]:
                numbers = [n for n in numbers if n == p["PublishedPort"]] or numbers
            elif numbers:
                numbers = [n for n in numbers if n == numbers[0]]
            for n in numbers:
                ports.append({**p, "PublishedPort": n})
            held.append({**p, "PublishedPort": numbers[0] if numbers else p["PublishedPort"]})
        task.host_ports = held
        return {"Ports": ports} if ports else {}

    def _make_room(self, task: Task, container: Any) -> None:
        """A replaced task's container may still be stopping (the fake does not wait for the
        old task as ``stop-first`` does): kill the ones holding a fixed port this task needs."""
        wanted = {(p["Protocol"], p["PublishedPort"]) for p in task.host_ports if p["PublishedPort"]}
        if not wanted:
            return
        store = self.engine.containers
        for cid, tid in list(self._task_of_container.items()):
            other = self.tasks.get(tid)
            c = store.by_id.get(cid)
            if c is None or c is container or not c.running:
                continue
            if other is not None and other.desired_state in ("running", "ready"):
                continue
            held = {(key.partition("/")[2] or "tcp", int(b["HostPort"]))
                    for key, bound in c.ports.items() for b in bound}
            if held & wanted:
                store.kill(c.id)

    def _stop_container(self, task: Task) -> None:
        """The task shuts down: stop its container (``StopGracePeriod``, default 10 s)."""
        container = self._container_of(task)
        if container is not None and container.running:
            self.engine.containers.stop_later(container, self._grace(task))

    def _remove_container(self, task: Task) -> None:
        """The task goes away: its container is stopped (if need be) and removed."""
        container = self._container_of(task)
        self._task_of_container.pop(task.container_id, None)
        if container is not None:
            self.engine.containers.stop_later(container, self._grace(task), remove=True)

    @staticmethod
    def _grace(task: Task) -> float:
        grace = task.spec["ContainerSpec"].get("StopGracePeriod")
        return 10.0 if grace is None else int(grace) / 1e9

    def container_exited(self, container: Any, exit_code: int) -> None:
        """Called by the container store when a container exits: a task container ends its
        task (``failed`` / ``complete``) unless the task was already shutting down."""
        task = self.tasks.get(self._task_of_container.get(container.id, ""))
        if task is None or task.container_id != container.id:
            return
        if (task.state in ("starting", "running") and task.desired_state in ("running", "ready")
                and task.service_id in self.services):
            self._end_task(task, exit_code, self._exit_messages.pop(task.id, None))
            return
        status = dict(task.container_status or {"ContainerID": container.id})
        status.update({"PID": 0, "ExitCode": exit_code})
        task.container_status = status
        self._touch(task)

    def _end_task(self, task: Task, exit_code: int, err: str | None,
                  message: str | None = None) -> None:
        """The task's container ended with ``exit_code``: ``complete`` (0) or ``failed``, then
        the restart policy."""
        status = dict(task.container_status or {"ContainerID": task.container_id})
        status.update({"PID": 0, "ExitCode": exit_code})
        task.container_status = status
        task.port_status = {}
        if exit_code == 0 and message is None:
            task.err = err
            self._set_state(task, "complete", "finished")
        else:
            task.err = err or f"task: non-zero exit ({exit_code})"
            self._set_state(task, "failed", message or "started")
        self._after_exit(task, failed=task.state == "failed")

    def _pull_if_needed(self, image_ref: str) -> None:
        images = self.engine.images
        if images.resolve(image_ref) is not None:
            return
        try:
            ref = parse_reference(image_ref)
        except DaemonError:
            return
        if ref.domain in self.engine.registry.unreachable:
            return
        remote = self.engine.registry.lookup(ref)
        if remote is None:
            return
        from .images import image_id_for

        image_id = image_id_for(remote.config, remote.layers)
        image = images.by_id.get(image_id) or Image(
            image_id, dict(remote.config), self.engine.now_iso(), list(remote.layers)
        )
        images.add(image, ref)
        images.tag(image, Reference(ref.repository, None, remote.digest))
        self.engine.emit("image", "pull", str(ref), {"name": str(ref)})

    def _after_exit(self, task: Task, failed: bool) -> None:
        """A task ended (rejected, failed, complete): free it and apply the restart policy."""
        self._free(task)
        self._touch(task, desired="shutdown")
        service = self.services.get(task.service_id)
        if service is None:
            return
        policy = service.spec["TaskTemplate"].get("RestartPolicy") or {}
        condition = (policy.get("Condition") or "any").lower()
        max_attempts = int(policy.get("MaxAttempts") or 0)
        restart = condition == "any" or (condition == "on-failure" and failed)
        if max_attempts:
            restart = restart and task.attempt <= max_attempts
        else:
            restart = restart and task.attempt < UNBOUNDED_ATTEMPTS
        if not restart:
            task.final = True
            if service.update_status and service.update_status.get("State") == "updating":
                service.update_status = {**service.update_status, "State": "paused",
                                         "Message": f"update paused due to failure or early termination of task {task.id}"}
            return
        self._new_task(service, task.slot, attempt=task.attempt + 1, desired="ready")

    # test helpers --------------------------------------------------------------------------
    def fail_task(self, service_ref: str, message: str | None = None, exit_code: int = 1) -> str:
        """End ``service_ref``'s running task (the lowest slot) with ``exit_code``: ``failed``
        with ``Err`` = ``message`` (default: the daemon's ``task: non-zero exit (N)``), or
        ``complete`` for exit code 0.  The restart policy then applies.  Returns the task id."""
        with self.engine.lock:
            service = self.get_service(service_ref)
            running = sorted(
                (t for t in self.tasks.values() if t.service_id == service.id
                 and t.state == "running" and t.desired_state == "running"),
                key=lambda t: (t.slot or 0, t.version),
            )
            if not running:
                raise LookupError(f"service {service_ref} has no running task")
            task = running[0]
            container = self._container_of(task)
            if container is not None and container.running:
                # the container exits; container_exited ends the task
                if message is not None:
                    self._exit_messages[task.id] = message
                try:
                    self.engine.containers.crash(container.id, exit_code)
                finally:
                    self._exit_messages.pop(task.id, None)
                if task.state == "running":  # not reported (no swarm hook): end it here
                    self._end_task(task, exit_code, message)
            else:
                self._end_task(task, exit_code, message)
            return task.id


def _label_match(labels: dict[str, str], wanted: str) -> bool:
    if "=" in wanted:
        key, value = wanted.split("=", 1)
        return labels.get(key) == value
    return wanted in labels


def _check_filters(filters: dict[str, list[str]], accepted: set[str]) -> None:
    for key in filters:
        if key not in accepted:
            raise messages.invalid_filter(key)
