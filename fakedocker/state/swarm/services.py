"""Services: their specs as the daemon normalises and echoes them, create, update (which
says whether the tasks must be replaced), remove and list.

What a service's tasks do is the orchestrator's job; the facade (:mod:`.state`) calls it after
each change here.  Receives the cluster (ids, the raft index) and the endpoints (networks,
VIPs, published ports).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import messages
from ..filters import label_matches, reject_unknown_filters
from ..mounts import service_mount_type
from .placement import check_constraints

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from .cluster import Cluster
    from .endpoints import Endpoints, NetView

_UPDATE_DEFAULTS = {
    "Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000,
    "MaxFailureRatio": 0, "Order": "stop-first",
}
# swarmkit's rule; written so that Python's backtracking matcher stays linear on a long name
_DNS_NAME = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9])*$")
_MODE_KEYS = {"replicated": "Replicated", "global": "Global",
              "replicatedjob": "ReplicatedJob", "globaljob": "GlobalJob"}

_ADJECTIVES = ("admiring", "brave", "clever", "eager", "focused", "gallant", "happy", "jolly",
               "keen", "loving", "nifty", "quirky", "relaxed", "serene", "vibrant", "zealous")
_SURNAMES = ("allen", "babbage", "curie", "darwin", "euler", "feynman", "galileo", "hopper",
             "joliot", "knuth", "lovelace", "meitner", "noether", "pascal", "turing", "wright")

#: maps whose emptiness Go's ``omitempty`` drops (other empty objects are pointers: kept)
_MAP_KEYS = {"Labels", "Sysctls", "DriverOpts", "Options"}

# Go struct field orders: the daemon echoes a spec's keys in these orders
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
_SPEC_ORDER = ("Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig", "RollbackConfig",
               "Networks", "EndpointSpec")


def _omit_empty(value: Any) -> Any:
    """Drop what Go's ``omitempty`` drops when the daemon echoes a spec back: nulls, false,
    empty strings, lists and maps.  Zero numbers stay (the daemon's optional numbers are
    pointers), and so do empty objects (pointers to empty structs: ``"Resources": {}``)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _omit_empty(v)
            if v is None or v is False or v == "" or v == [] or (v == {} and k in _MAP_KEYS):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_omit_empty(v) for v in value]
    return value


def _in_order(d: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """``d`` with its keys in the daemon's (Go struct) order; unknown keys last."""
    out = {k: d[k] for k in order if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


def _order_task_template(tt: dict[str, Any]) -> dict[str, Any]:
    cs = tt.get("ContainerSpec")
    if isinstance(cs, dict):
        if isinstance(cs.get("Mounts"), list):
            cs["Mounts"] = [_in_order(m, _MOUNT_ORDER) if isinstance(m, dict) else m
                            for m in cs["Mounts"]]
        tt["ContainerSpec"] = _in_order(cs, _CONTAINER_SPEC_ORDER)
    return _in_order(tt, _TASK_TEMPLATE_ORDER)


def _update_config(value: dict[str, Any]) -> dict[str, Any]:
    """An UpdateConfig/RollbackConfig as the daemon echoes it after its round trip through
    swarmkit: Parallelism, FailureAction, MaxFailureRatio and Order always there (enums in
    lower case), Delay and Monitor when not zero."""
    out: dict[str, Any] = {"Parallelism": int(value.get("Parallelism") or 0)}
    if value.get("Delay"):
        out["Delay"] = int(value["Delay"])
    out["FailureAction"] = str(value.get("FailureAction") or "pause").lower()
    if value.get("Monitor"):
        out["Monitor"] = int(value["Monitor"])
    out["MaxFailureRatio"] = value.get("MaxFailureRatio") or 0
    out["Order"] = str(value.get("Order") or "stop-first").lower()
    return out


def _restart_policy(value: dict[str, Any]) -> dict[str, Any]:
    """A RestartPolicy after the same round trip: MaxAttempts always there, Delay and Window
    when given (zero included: they are pointers)."""
    out: dict[str, Any] = {k: value[k] for k in ("Condition", "Delay") if k in value}
    out["MaxAttempts"] = int(value.get("MaxAttempts") or 0)
    if "Window" in value:
        out["Window"] = value["Window"]
    return out


def _with_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as ``?insertDefaults=true`` shows it."""
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
    return _in_order(spec, _SPEC_ORDER)


def task_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The TaskTemplate a service's tasks are made from (``Runtime`` is the service's)."""
    tt = copy.deepcopy(spec["TaskTemplate"])
    tt.pop("Runtime", None)
    return tt


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
    #: bumped by every update that replaces the tasks; a task records the one it was made for
    generation: int = 0

    @property
    def name(self) -> str:
        return self.spec["Name"]

    @property
    def is_global(self) -> bool:
        return "Global" in self.spec["Mode"]

    @property
    def replicas(self) -> int:
        return int(self.spec["Mode"].get("Replicated", {}).get("Replicas", 0))

    @property
    def desired_tasks(self) -> int:
        return 1 if self.is_global else self.replicas

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


class ServiceStore:
    def __init__(self, engine: FakeEngine, cluster: Cluster, endpoints: Endpoints) -> None:
        self.engine = engine
        self.cluster = cluster
        self.endpoints = endpoints
        self.by_id: dict[str, Service] = {}

    # lookups ---------------------------------------------------------------------------
    def resolve(self, ref: str) -> Service | None:
        if ref in self.by_id:
            return self.by_id[ref]
        for service in self.by_id.values():
            if service.name == ref:
                return service
        matches = [s for s in self.by_id.values() if s.id.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def get(self, ref: str) -> Service:
        self.cluster.require_manager()
        service = self.resolve(ref)
        if service is None:
            raise messages.no_such_service(ref)
        return service

    def list(self, filters: dict[str, list[str]]) -> list[Service]:
        self.cluster.require_manager()
        reject_unknown_filters(filters, {"id", "label", "mode", "name"})
        out = []
        for service in self.by_id.values():
            if filters.get("id") and not any(service.id.startswith(w) for w in filters["id"]):
                continue
            if filters.get("name") and not any(service.name.startswith(w) for w in filters["name"]):
                continue
            if filters.get("label") and not all(
                label_matches(service.spec.get("Labels") or {}, w) for w in filters["label"]
            ):
                continue
            if filters.get("mode"):
                mode = "global" if service.is_global else "replicated"
                if mode not in filters["mode"]:
                    continue
            out.append(service)
        return out

    # changes ---------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> Service:
        self.cluster.require_manager()
        spec = self._normalise_spec(body, None)
        if any(s.name == spec["Name"] for s in self.by_id.values()):
            raise messages.service_name_conflict(spec["Name"])
        self.endpoints.check_port_conflicts(spec, None, self.by_id.values())
        now = self.engine.now_iso()
        service = Service(id=self.cluster.new_id(), spec=spec, version=self.cluster.next_version(),
                          created_at=now, updated_at=now)
        self.by_id[service.id] = service
        self.engine.emit("service", "create", service.id, {"name": service.name}, scope="swarm")
        self.endpoints.allocate(service, self.by_id.values())
        if service.ports or service.networks:
            # the allocator writes the endpoint back, as the daemon's "update" right after create
            service.version = self.cluster.next_version()
            service.updated_at = self.engine.now_iso()
            self.engine.emit("service", "update", service.id, {"name": service.name}, scope="swarm")
        return service

    def update(self, ref: str, version: int | None, body: dict[str, Any]) -> tuple[Service, bool]:
        """The updated service, and whether its tasks must be replaced (their spec or
        networks changed)."""
        service = self.get(ref)
        spec = self._normalise_spec(body, service.id)
        if set(spec["Mode"]) != set(service.spec["Mode"]):
            raise messages.service_mode_change()
        if spec["Name"] != service.name:
            raise messages.service_rename()
        if version != service.version:
            raise messages.update_out_of_sequence()
        self.endpoints.check_port_conflicts(spec, service.id, self.by_id.values())
        old_spec = service.spec
        old = copy.copy(service)
        service.previous_spec = old_spec
        service.spec = spec
        service.version = self.cluster.next_version()
        service.updated_at = self.engine.now_iso()
        self.endpoints.allocate(service, self.by_id.values(), old)
        attrs: dict[str, str] = {"name": service.name}
        if not service.is_global and service.replicas != old.replicas:
            attrs.update({"replicas.old": str(old.replicas), "replicas.new": str(service.replicas)})
        old_image = old_spec["TaskTemplate"]["ContainerSpec"]["Image"]
        new_image = spec["TaskTemplate"]["ContainerSpec"]["Image"]
        if old_image != new_image:
            attrs.update({"image.old": old_image, "image.new": new_image})
        self.engine.emit("service", "update", service.id, attrs, scope="swarm")
        replace = task_spec(old_spec) != task_spec(spec) or old.networks != service.networks
        return service, replace

    def remove(self, service: Service) -> None:
        """Forget ``service`` and give back its VIPs (its tasks are the orchestrator's)."""
        self.by_id.pop(service.id, None)
        self.endpoints.release(service)
        self.engine.emit("service", "remove", service.id, {"name": service.name}, scope="swarm")

    # specs -----------------------------------------------------------------------------
    def _normalise_spec(self, body: dict[str, Any], service_id: str | None) -> dict[str, Any]:
        tt = copy.deepcopy(body.get("TaskTemplate") or {})
        cs = tt.get("ContainerSpec")
        if not isinstance(cs, dict) or not cs.get("Image"):
            raise messages.service_image_missing()
        name = body.get("Name") or ""
        if service_id is None and not name:
            name = self._random_name()
        if service_id is None and not _DNS_NAME.match(name):
            raise messages.invalid_service_name()  # (an update with another name is a rename)
        if service_id is None and len(name) > 63:
            raise messages.service_name_too_long()
        check_constraints((tt.get("Placement") or {}).get("Constraints"))
        for mount in cs.get("Mounts") or []:
            if isinstance(mount, dict):
                mount_type = service_mount_type(mount)
                if mount_type is None:
                    raise messages.invalid_service_mount_type(str(mount.get("Type")))
                mount["Type"] = mount_type
        tt = _omit_empty(tt)
        cs = tt["ContainerSpec"]
        cs.setdefault("Isolation", "default")
        tt["ForceUpdate"] = int(tt.get("ForceUpdate") or 0)
        tt.setdefault("Runtime", "container")
        if isinstance(tt.get("RestartPolicy"), dict):
            tt["RestartPolicy"] = _restart_policy(tt["RestartPolicy"])
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
                spec[key] = _update_config(_omit_empty(body[key]))
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
        """A network attachment of the spec, its ``Target`` resolved to the network's id."""
        if isinstance(ref, str):
            ref = {"Target": ref}
        out = _omit_empty(dict(ref))
        out["Target"] = self.endpoints.resolve_network(str(ref.get("Target") or "")).id
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
