"""Services' endpoints: the networks a service's tasks attach to, their VIPs and task
addresses, and ingress published ports.

- a network is seen by the swarm through a :class:`NetView` (its swarm object, as task
  attachments show it), made once per network;
- addresses (VIPs, task attachments) come from the network store's pools, and only on
  swarm-scoped networks;
- an ingress port without ``PublishedPort`` gets the lowest one from 30000 up that no other
  service publishes (swarmkit's dynamic range), and keeps it across updates.

Receives the cluster (ids, the raft index) and the network store.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from ..networks.model import VXLAN_OPTION
from ..networks.swarm import VXLAN_BASE

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..networks import Network, NetworkStore
    from .cluster import Cluster
    from .services import Service

#: the first port of swarmkit's dynamic range for ingress published ports
INGRESS_PORT_START = 30000


@dataclass
class NetView:
    """A network a service or task is attached to, with the swarm-side details."""

    network: Network
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
    vxlan: int = VXLAN_BASE

    @property
    def prefix(self) -> int:
        return ipaddress.ip_network(self.subnet, strict=False).prefixlen

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
                "Options": {VXLAN_OPTION: str(self.vxlan)},
            },
            "IPAMOptions": {
                "Driver": {"Name": "default"},
                "Configs": [{"Subnet": self.subnet, "Gateway": self.gateway}],
            },
        }


class Endpoints:
    def __init__(self, engine: FakeEngine, cluster: Cluster, networks: NetworkStore) -> None:
        self.engine = engine
        self.cluster = cluster
        self.networks = networks
        self.ingress: NetView | None = None
        self._views: dict[str, NetView] = {}  # by network id
        self._next_vxlan = VXLAN_BASE  # for views of networks that have no VXLAN id
        self._placeholder_subnets = 0  # for views of networks that have no IPv4 subnet

    # networks ----------------------------------------------------------------------------
    def create_ingress(self) -> None:
        """The ``ingress`` overlay network every swarm starts with (10.0.0.0/24, its
        ``ingress-sbox`` endpoint at .2), made in the network store so ``docker network ls``
        shows it."""
        network = self.networks.create_swarm_network(name="ingress", driver="overlay", ingress=True)
        view = self.view_of(network)
        view.ingress = True
        self.ingress = view

    def remove_ingress(self) -> None:
        if self.ingress is None:
            return
        self.networks.remove_swarm_network(self.ingress.network)
        self.ingress = None

    def forget_views(self) -> None:
        """The node left the swarm: its networks' views go with it."""
        self._views.clear()

    def resolve_network(self, ref: str) -> NetView:
        try:
            network = self.networks.resolve(ref)
        except DaemonError:  # an ambiguous name: the swarm knows no such network
            network = None
        if network is None:
            raise messages.service_network_not_found(ref)
        return self.view_of(network)

    def view_of(self, network: Network) -> NetView:
        view = self._views.get(network.id)
        if view is None:
            subnet, gateway = self._subnet_of(network)
            vxlan = network.options.get(VXLAN_OPTION, "")
            view = NetView(
                network=network, id=network.id, name=network.name, driver=network.driver,
                scope=network.scope, labels=dict(network.labels), subnet=subnet, gateway=gateway,
                created=network.created or self.engine.now_iso(),
                version=self.cluster.next_version(),
                vxlan=int(vxlan) if vxlan.isdigit() else self._take_vxlan(),
                ingress=network.ingress,
            )
            self._views[network.id] = view
        return view

    def _take_vxlan(self) -> int:
        vxlan = self._next_vxlan
        self._next_vxlan += 1
        return vxlan

    def _subnet_of(self, network: Network) -> tuple[str, str]:
        subnet, gateway = network.subnet, network.gateway
        if not subnet:  # no IPv4 pool (host, none): the swarm object still needs a subnet
            k = self._placeholder_subnets
            self._placeholder_subnets += 1
            return f"10.0.{k}.0/24", f"10.0.{k}.1"
        if not gateway:
            gateway = str(ipaddress.ip_network(subnet, strict=False).network_address + 1)
        return subnet, gateway

    # addresses ---------------------------------------------------------------------------
    def take_address(self, view: NetView) -> str:
        """An address for a task or VIP on ``view`` (``10.0.1.3/24``); "" off swarm-scoped
        networks, and on a full one."""
        if view.scope != "swarm":
            return ""
        try:
            ip = self.networks.allocate_ip(view.network)
        except DaemonError:  # no free address left in its pool
            return ""
        return f"{ip}/{view.prefix}"

    def release_address(self, view: NetView, addr: str) -> None:
        if addr:
            self.networks.release_ip(view.network, addr.split("/", 1)[0])

    # service endpoints -------------------------------------------------------------------
    @staticmethod
    def check_port_conflicts(spec: dict[str, Any], service_id: str | None,
                             services: Iterable[Service]) -> None:
        """The daemon's 400 for an ingress port another service already publishes."""
        wanted = {
            (p["Protocol"], p["PublishedPort"])
            for p in (spec.get("EndpointSpec") or {}).get("Ports", [])
            if p.get("PublishedPort")
        }
        for other in services:
            if other.id == service_id:
                continue
            for p in other.ports:
                if p.get("PublishMode") == "ingress" and (p["Protocol"], p.get("PublishedPort")) in wanted:
                    raise messages.port_in_use_by_service(p["PublishedPort"], other.name, other.id)

    def allocate(self, service: Service, services: Iterable[Service],
                 old: Service | None = None) -> None:
        """Endpoint.Ports (ingress ports get a published port), VIPs and the networks the
        service's tasks attach to; ``old``: the service before an update (its ports and VIPs
        carry over)."""
        spec = service.spec
        endpoint = spec.get("EndpointSpec") or {}
        used = {
            p.get("PublishedPort") for s in services if s.id != service.id
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
                    candidate = INGRESS_PORT_START
                    while candidate in used:
                        candidate += 1
                port["PublishedPort"] = candidate
                used.add(candidate)
                port = {k: port[k] for k in ("Name", "Protocol", "TargetPort", "PublishedPort",
                                              "PublishMode") if k in port}
            ports.append(port)
        service.ports = ports
        nets: list[NetView] = []
        if self.ingress is not None and any(p["PublishMode"] == "ingress" for p in ports):
            nets.append(self.ingress)
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
                    addr = self.take_address(view)
                else:
                    keep[view.id] = True
                vip_addrs.append((view, addr))
        for view, addr in (old.vip_addrs if old else []):
            if view.id not in keep:
                self.release_address(view, addr)
        service.vip_addrs = vip_addrs
        service.vips = [{"NetworkID": v.id, "Addr": a} if a else {"NetworkID": v.id}
                        for v, a in vip_addrs]
        service.networks = nets

    def release(self, service: Service) -> None:
        """The service is gone: its VIPs go back to their networks."""
        for view, addr in service.vip_addrs:
            self.release_address(view, addr)
        service.vip_addrs = []
