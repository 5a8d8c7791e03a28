"""The swarm itself: whether this node is in one, the cluster object (spec, join tokens),
the single (local) node, swarm-style ids and the raft-like index every swarm write bumps.

The fake is a one-node swarm, as ``docker swarm init`` makes on a single machine: the node
is the leader and only manager, cannot be demoted or removed, and ``join`` always fails.
Receives nothing but the engine (ids, clock, events).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import messages
from ..filters import label_matches, reject_unknown_filters
from .addr_pool import address_pools, data_path_port

if TYPE_CHECKING:
    from ...engine import FakeEngine

#: the node's hostname (``docker node ls``)
NODE_HOSTNAME = "fakedocker"

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

TRUST_ROOT = (
    "-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUfakedockerfakedockerfakedockerMAoGCCqGSM49BAMC\n"
    "MBMxETAPBgNVBAMTCHN3YXJtLWNhMB4XDTI0MDEwMTAwMDAwMFoXDTQ0MDEwMTAw\n"
    "-----END CERTIFICATE-----\n"
)
_CERT_SUBJECT = "MBMxETAPBgNVBAMTCHN3YXJtLWNh"
_CERT_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZmFrZWRvY2tlcg=="
_TLS_INFO = {"TrustRoot": TRUST_ROOT, "CertIssuerSubject": _CERT_SUBJECT,
             "CertIssuerPublicKey": _CERT_KEY}


def base36(hexid: str, length: int = 25) -> str:
    """A swarmkit-style id: ``length`` lowercase base-36 digits of a hex id."""
    n = int(hexid, 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(reversed(out))[:length].rjust(length, "0")


def _merge_spec(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    """``over`` on ``base`` as the daemon fills a swarm spec: zero values keep the default."""
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge_spec(out[k], v)
        elif v not in (None, "", 0, False) or k not in out:
            out[k] = copy.deepcopy(v)
    return out


def _autolock(spec: dict[str, Any]) -> bool:
    return bool((spec.get("EncryptionConfig") or {}).get("AutoLockManagers"))


def _host_of(addr: str | None, default: str) -> str:
    """The IP address in ``ListenAddr``/``AdvertiseAddr`` (``ip``, ``ip:port``, ``[v6]:port``;
    an interface name: ``default``, loopback's: 127.0.0.1)."""
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
    #: ``ready``, or ``down`` once the node stops answering (``engine.swarm.lose_node()``)
    state: str = "ready"

    def inspect(self, engine: FakeEngine) -> dict[str, Any]:
        plugins = [{"Type": "Log", "Name": n} for n in (
            "awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local",
            "logentries", "splunk", "syslog")]
        plugins += [{"Type": "Network", "Name": n} for n in (
            "bridge", "host", "ipvlan", "macvlan", "null", "overlay")]
        plugins += [{"Type": "Volume", "Name": n} for n in engine.volumes.driver_names()]
        status: dict[str, Any] = {"State": self.state}
        if self.state == "down":
            status["Message"] = "heartbeat failure"
        status["Addr"] = self.addr
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
                "TLSInfo": dict(_TLS_INFO),
            },
            "Status": status,
        }
        if self.spec.get("Role") == "manager":
            out["ManagerStatus"] = {"Leader": True, "Reachability": "reachable",
                                    "Addr": self.manager_addr}
        return out


class Cluster:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        #: whether this node is in a swarm (tests set it to fake one without ``init``)
        self.active = False
        self.node: Node | None = None
        self.record: dict[str, Any] = {}  # the cluster object: ID, Version, Spec, JoinTokens...
        self._index = 0

    # ids and versions -------------------------------------------------------------------
    def new_id(self) -> str:
        """A fresh 25-char swarm-style id."""
        return base36(self.engine.new_id())

    def next_version(self) -> int:
        """The next raft index: ``Version.Index`` values grow across every swarm object, as
        on a real manager."""
        self._index += 1
        return self._index

    def _join_token(self) -> str:
        return f"SWMTKN-1-{base36(self.engine.new_id(), 50)}-{base36(self.engine.new_id())}"

    def history_limit(self) -> int:
        """``Orchestration.TaskHistoryRetentionLimit``: tasks kept per slot."""
        return int(((self.record.get("Spec") or {}).get("Orchestration") or {}).get(
            "TaskHistoryRetentionLimit", 5) or 5)

    # the swarm ---------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """The ``Swarm`` part of ``/info``."""
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
        c = self.record
        return {
            "ID": c["ID"],
            "Version": {"Index": c["Version"]},
            "CreatedAt": c["CreatedAt"],
            "UpdatedAt": c["UpdatedAt"],
            "Spec": copy.deepcopy(c["Spec"]),
            "TLSInfo": dict(_TLS_INFO),
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
        out["JoinTokens"] = dict(self.record["JoinTokens"])
        return out

    def init(self, body: dict[str, Any]) -> str:
        """``docker swarm init``: the cluster and its node (the caller adds ``ingress``)."""
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
        pools, subnet_size = address_pools(body.get("DefaultAddrPool"), body.get("SubnetSize"))
        port = data_path_port(body.get("DataPathPort"))
        now = self.engine.now_iso()
        cluster_id = self.new_id()
        node_version = self.next_version()
        self.node = Node(
            id=self.new_id(), hostname=NODE_HOSTNAME, created_at=now, updated_at=now,
            version=node_version, addr=addr, manager_addr=f"{addr}:{listen_port}",
        )
        self.record = {
            "ID": cluster_id,
            "Version": self.next_version(),
            "CreatedAt": now,
            "UpdatedAt": now,
            "Spec": _merge_spec(DEFAULT_SWARM_SPEC, body.get("Spec") or {}),
            "DefaultAddrPool": pools,
            "SubnetSize": subnet_size,
            "DataPathPort": port,
            "JoinTokens": {"Worker": self._join_token(), "Manager": self._join_token()},
        }
        # (InitRequest's own AutoLockManagers is ignored by the daemon: the spec's counts)
        self.record["UnlockKey"] = self._unlock_key() if _autolock(self.record["Spec"]) else ""
        self.active = True
        return self.node.id

    def update(self, version: int | None, spec: dict[str, Any] | None, rotate_worker: bool,
               rotate_manager: bool, rotate_unlock_key: bool = False) -> None:
        self.require_manager()
        if version != self.record["Version"]:
            raise messages.update_out_of_sequence()
        was_locking = _autolock(self.record["Spec"])
        if spec:
            self.record["Spec"] = _merge_spec(DEFAULT_SWARM_SPEC, spec)
        if not _autolock(self.record["Spec"]):
            self.record["UnlockKey"] = ""
        elif rotate_unlock_key or not was_locking:  # a new key when rotated or newly locking
            self.record["UnlockKey"] = self._unlock_key()
        if rotate_worker:
            self.record["JoinTokens"]["Worker"] = self._join_token()
        if rotate_manager:
            self.record["JoinTokens"]["Manager"] = self._join_token()
        self.record["Version"] = self.next_version()
        self.record["UpdatedAt"] = self.engine.now_iso()

    def unlock_key(self) -> str:
        """``GET /swarm/unlockkey``: the managers' key while autolock is on, else ""."""
        self.require_manager()
        return self.record.get("UnlockKey", "")

    def unlock(self) -> None:
        """``POST /swarm/unlock``: a running manager of the fake is never locked (locking
        happens when an autolocked manager's daemon restarts)."""
        self.require_manager()
        raise messages.swarm_not_locked()

    def _unlock_key(self) -> str:
        """A fresh ``SWMKEY-1-...`` key: 32 bytes, base64 without padding, as swarmkit makes."""
        raw = bytes.fromhex(self.engine.new_id())
        return "SWMKEY-1-" + base64.b64encode(raw).decode().rstrip("=")

    def check_leave(self, force: bool) -> None:
        """The daemon's refusals of ``docker swarm leave``."""
        if not self.active:
            raise messages.not_in_swarm()
        if not force:
            raise messages.leave_manager_needs_force()

    def reset(self) -> None:
        """The node has left: no swarm, no node."""
        self.active = False
        self.node = None
        self.record = {}

    def join(self, body: dict[str, Any]) -> None:
        if self.active:
            raise messages.already_in_swarm()
        if not body.get("RemoteAddrs"):
            raise messages.join_needs_remote_addr()
        raise messages.join_timeout()

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
        reject_unknown_filters(filters, {"id", "label", "membership", "name", "node.label", "role"})
        node = self.node
        assert node is not None
        checks = {
            "id": lambda w: node.id.startswith(w),
            "name": lambda w: node.hostname.startswith(w),
            "role": lambda w: node.spec.get("Role") == w,
            "membership": lambda w: w == "accepted",
            "node.label": lambda w: label_matches(node.spec.get("Labels") or {}, w),
            "label": lambda w: label_matches({}, w),
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
        node.version = self.next_version()
        node.updated_at = self.engine.now_iso()
        self.engine.emit("node", "update", node.id, attrs, scope="swarm")

    def remove_node(self, ref: str, force: bool) -> None:
        node = self.get_node(ref)
        raise messages.remove_manager_node(node.id)
