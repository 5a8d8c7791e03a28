"""Swarm-scoped (overlay) networks: created through the API or by the swarm itself
(``ingress``), their VXLAN ids, the addresses the swarm hands its tasks and VIPs, and their
end when the node leaves the swarm (they exist only while ``cluster.active``).

Receives the network store (the table it adds networks to), the address pools and the
swarm's cluster (whether the node is in a swarm, and swarm-style ids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import messages
from ...timestamps import trim_fraction
from .ipam import AddressPools
from .model import INGRESS_SBOX, VXLAN_OPTION, Endpoint, Network, mac_for

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..swarm.cluster import Cluster
    from .store import NetworkStore

#: the first VXLAN id the daemon gives an overlay network
VXLAN_BASE = 4096


class SwarmNetworks:
    def __init__(self, engine: FakeEngine, store: NetworkStore, pools: AddressPools,
                 cluster: Cluster) -> None:
        self.engine = engine
        self.store = store
        self.pools = pools
        self.cluster = cluster
        self._vxlan_ids: set[int] = set()

    def drop_if_left(self) -> None:
        """Swarm networks exist only while the node is in a swarm."""
        if self.cluster.active:
            return
        if any(n.scope == "swarm" for n in self.store.by_id.values()):
            self.drop_all()

    def create(self, name: str, driver: str, options: dict[str, str] | None,
               ipam: dict[str, Any] | None, internal: bool, labels: dict[str, str] | None,
               enable_ipv6: bool, attachable: bool, ingress: bool) -> Network:
        """A new swarm-scoped network (the checks of the API route are the store's)."""
        engine = self.engine
        taken = [p.subnet for n in self.store.by_id.values() if n.scope == "swarm" for p in n.pools]
        pools = self.pools.swarm_pools(ipam, taken)
        vxlan = VXLAN_BASE
        while vxlan in self._vxlan_ids:
            vxlan += 1
        self._vxlan_ids.add(vxlan)
        opts = {VXLAN_OPTION: str(vxlan)}
        opts.update(options or {})
        net = Network(
            self.cluster.new_id(), name, driver, "swarm", trim_fraction(engine.now_iso()),
            attachable=bool(attachable), internal=bool(internal), ingress=bool(ingress),
            enable_ipv6=bool(enable_ipv6), labels=dict(labels or {}), options=opts,
            ipam_driver=(ipam or {}).get("Driver") or "default",
            ipam_options=(ipam or {}).get("Options") or None, pools=pools,
        )
        self.store.by_id[net.id] = net
        engine.emit("network", "create", net.id, net.attributes(), scope="swarm")
        engine.emit("network", "update", net.id, net.attributes(), scope="swarm")
        return net

    def create_swarm_network(self, name: str, driver: str = "overlay", ingress: bool = False,
                             subnet: str | None = None, gateway: str | None = None,
                             attachable: bool = False, labels: dict[str, str] | None = None,
                             options: dict[str, str] | None = None) -> Network:
        """A swarm-scoped network made by the swarm itself (``ingress``): no API checks; an
        ingress network gets its ``ingress-sbox`` endpoint at .2."""
        with self.engine.lock:
            ipam = None
            if subnet:
                cfg: dict[str, Any] = {"Subnet": subnet}
                if gateway:
                    cfg["Gateway"] = gateway
                ipam = {"Driver": "default", "Config": [cfg]}
            net = self.create(name, driver, options, ipam, False, labels, False, attachable, ingress)
            if ingress:
                pool4 = net.pool4()
                if pool4 is not None:
                    address = pool4.allocate()
                    if address is not None:
                        net.endpoints[INGRESS_SBOX] = Endpoint(
                            INGRESS_SBOX, "ingress-endpoint", self.engine.new_id(),
                            ipv4=str(address), ipv4_prefix=pool4.subnet.prefixlen,
                            gateway=str(pool4.gateway or ""), mac=mac_for(str(address)),
                        )
            return net

    def remove_swarm_network(self, network: Network | str) -> None:
        """The swarm drops one of its networks (no endpoint check)."""
        with self.engine.lock:
            net = network if isinstance(network, Network) else self.store.resolve(network)
            if net is None or net.id not in self.store.by_id:
                return
            for cid in list(net.endpoints):
                net.release_endpoint(cid)
            self.store.delete(net)

    def drop_all(self) -> None:
        """Forget every swarm-scoped network (the node left the swarm)."""
        with self.engine.lock:
            by_id = self.store.by_id
            for net in [n for n in by_id.values() if n.scope == "swarm"]:
                for cid in list(net.endpoints):
                    net.release_endpoint(cid)
                del by_id[net.id]
            self._vxlan_ids.clear()

    def release_vxlan(self, net: Network) -> None:
        vx = net.options.get(VXLAN_OPTION, "")
        if vx.isdigit():
            self._vxlan_ids.discard(int(vx))

    # addresses the swarm hands out -------------------------------------------------------
    def allocate_ip(self, network: Network | str) -> str:
        """A free IPv4 address of ``network`` (a Network or a reference), for a task or VIP."""
        with self.engine.lock:
            net = self.store.get(network)
            pool = net.pool4()
            if pool is None:
                raise messages.no_available_address(net.name)
            address = pool.allocate()
            if address is None:
                raise messages.no_available_address(net.name)
            return str(address)

    def release_ip(self, network: Network | str, ip: str) -> None:
        with self.engine.lock:
            net = network if isinstance(network, Network) else self.store.resolve(network)
            if net is None or not ip:
                return
            net.release_address(ip)
