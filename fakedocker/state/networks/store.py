"""``engine.networks``: the table of networks (the predefined bridge/host/none, user-defined
ones, swarm-scoped ones), their lookup, create, remove, prune and list.

Attaching containers is :class:`~.attach.NetworkAttachments`' job and swarm-scoped networks
are :class:`~.swarm.SwarmNetworks`'; this store hands those calls on, so the routes,
containers and the swarm have one object to talk to.

Receives the swarm's cluster (whether the node is in a swarm; its node for ``Peers``).
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ... import messages
from ...timestamps import parse_rfc3339, trim_fraction
from ..filters import label_matches, parse_bool_filter, regex_search, reject_unknown_filters
from .attach import NetworkAttachments
from .ipam import AddressPools
from .model import (
    DEFAULT_BRIDGE_OPTIONS,
    LOCAL_DRIVERS,
    RESERVED_NAMES,
    SINGLE_INSTANCE_DRIVERS,
    SWARM_DRIVERS,
    Network,
)
from .swarm import SwarmNetworks

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers.model import Container
    from ..swarm.cluster import Cluster

_UNTIL_UNITS = {"s": 1, "m": 60, "h": 3600}


def _until_filter(values: list[str] | None, now: float) -> float | None:
    """The ``until`` filter (a timestamp, or a duration before now) as a time."""
    if not values:
        return None
    value = values[-1]
    try:
        return float(value)
    except ValueError:
        pass
    if value and value[-1] in _UNTIL_UNITS:
        try:
            return now - float(value[:-1]) * _UNTIL_UNITS[value[-1]]
        except ValueError:
            pass
    raise messages.invalid_until_filter(value)


class NetworkStore:
    def __init__(self, engine: FakeEngine, cluster: Cluster) -> None:
        self.engine = engine
        self.cluster = cluster
        self.by_id: dict[str, Network] = {}
        self.pools = AddressPools()
        self.attachments = NetworkAttachments(engine, self, cluster)
        self.swarm_networks = SwarmNetworks(engine, self, self.pools, cluster)
        self._add_predefined()

    def _add_predefined(self) -> None:
        engine = self.engine
        created = trim_fraction(engine.now_iso())
        none = Network(engine.new_id(), "none", "null", "local", created, predefined=True)
        host = Network(engine.new_id(), "host", "host", "local", created, predefined=True)
        bridge = Network(
            engine.new_id(), "bridge", "bridge", "local", created,
            options=dict(DEFAULT_BRIDGE_OPTIONS), pools=[self.pools.default_bridge_pool()],
            predefined=True,
        )
        for net in (bridge, host, none):
            self.by_id[net.id] = net

    # lookups ---------------------------------------------------------------------------
    def resolve(self, ref: str, scope: str | None = None) -> Network | None:
        """By full id, then name, then unique id prefix (400 when ambiguous)."""
        with self.engine.lock:
            self.swarm_networks.drop_if_left()
            nets = [n for n in self.by_id.values() if scope in (None, "", n.scope)]
            if not ref:
                return None
            for n in nets:
                if n.id == ref:
                    return n
            named = [n for n in nets if n.name == ref]
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                raise messages.network_ambiguous(ref, len(named), "name")
            prefixed = [n for n in nets if n.id.startswith(ref)]
            if len(prefixed) == 1:
                return prefixed[0]
            if len(prefixed) > 1:
                raise messages.network_ambiguous(ref, len(prefixed), "ID prefix")
            return None

    def get(self, ref: Network | str, scope: str | None = None) -> Network:
        if isinstance(ref, Network):
            return ref
        net = self.resolve(ref, scope)
        if net is None:
            raise messages.no_such_network(ref)
        return net

    def by_name(self, name: str) -> list[Network]:
        return [n for n in self.by_id.values() if n.name == name]

    def peers(self) -> list[dict[str, str]]:
        """An overlay network's ``Peers``: the one node."""
        node = self.cluster.node
        name = (node.hostname if node else None) or "fakedocker"
        ip = (node.addr if node else None) or "127.0.0.1"
        return [{"Name": name, "IP": ip}]

    # create ----------------------------------------------------------------------------
    def create(
        self,
        name: str,
        driver: str | None = None,
        options: dict[str, str] | None = None,
        ipam: dict[str, Any] | None = None,
        check_duplicate: bool | None = None,
        internal: bool = False,
        labels: dict[str, str] | None = None,
        enable_ipv6: bool = False,
        attachable: bool = False,
        scope: str | None = None,
        ingress: bool = False,
        config_only: bool = False,
        config_from: str = "",
    ) -> tuple[Network, str]:
        """``POST /networks/create``; returns the network and the ``Warning`` string."""
        engine = self.engine
        driver = driver or "bridge"
        with engine.lock:
            self.swarm_networks.drop_if_left()
            if not name:
                raise messages.invalid_network_name(name or "")
            swarm_active = self.cluster.active
            # the API router asks the cluster first: a swarm network (or, in a swarm, the
            # predefined bridge/host it knows about) with this name is a conflict
            if any(n.scope == "swarm" for n in self.by_name(name)) or (
                swarm_active and name in ("bridge", "host")
            ):
                raise messages.network_name_conflict(name)
            if driver in SWARM_DRIVERS or scope == "swarm":
                if not swarm_active:
                    raise messages.not_a_swarm_manager()
                if name in RESERVED_NAMES:
                    raise messages.predefined_network_swarm_create(name)
                return self.swarm_networks.create(name, driver, options, ipam, internal, labels,
                                                  enable_ipv6, attachable, ingress), ""
            if name in RESERVED_NAMES and not ingress:
                raise messages.predefined_network_create(name)
            warning = ""
            existing = self.by_name(name)
            if existing:
                if check_duplicate:
                    raise messages.network_name_conflict(name)
                warning = messages.network_name_warning(name, existing[0].id)
            if driver in SINGLE_INSTANCE_DRIVERS:
                raise messages.network_single_instance(driver)
            if driver not in LOCAL_DRIVERS:
                raise messages.network_plugin_not_found(driver)
            taken = [p.subnet for n in self.by_id.values() if n.scope == "local" for p in n.pools]
            pools = self.pools.local_pools(driver, ipam, enable_ipv6, taken)
            net = Network(
                engine.new_id(), name, driver, "local", trim_fraction(engine.now_iso()),
                attachable=bool(attachable), internal=bool(internal), ingress=bool(ingress),
                enable_ipv6=bool(enable_ipv6), labels=dict(labels or {}),
                options=dict(options or {}),
                ipam_driver=(ipam or {}).get("Driver") or "default",
                ipam_options=(ipam or {}).get("Options") or None,
                pools=pools, config_only=bool(config_only), config_from=config_from or "",
            )
            self.by_id[net.id] = net
            engine.emit("network", "create", net.id, net.attributes())
            return net, warning

    # remove / prune --------------------------------------------------------------------
    def remove(self, ref: str) -> None:
        with self.engine.lock:
            net = self.get(ref)
            if net.predefined:
                raise messages.predefined_network(net.name)
            if net.container_endpoints():
                raise messages.network_has_endpoints(net.name, net.id)
            self.delete(net)

    def delete(self, net: Network) -> None:
        """Drop ``net`` from the table, with its event (no checks)."""
        del self.by_id[net.id]
        if net.scope == "swarm":
            self.swarm_networks.release_vxlan(net)
            self.engine.emit("network", "remove", net.id, net.attributes(), scope="swarm")
        else:
            self.engine.emit("network", "destroy", net.id, net.attributes())

    def prune(self, filters: dict[str, list[str]] | None = None) -> list[str]:
        filters = filters or {}
        reject_unknown_filters(filters, ("label", "label!", "until"))
        until = _until_filter(filters.get("until"), self.engine.now())
        with self.engine.lock:
            deleted = []
            self.swarm_networks.drop_if_left()
            for net in list(self.by_id.values()):
                if net.predefined or net.ingress or net.endpoints:
                    continue
                if not all(label_matches(net.labels, w) for w in filters.get("label", ())):
                    continue
                if any(label_matches(net.labels, w) for w in filters.get("label!", ())):
                    continue
                if until is not None and int(parse_rfc3339(net.created)) > until:
                    continue
                self.delete(net)
                deleted.append(net.name)
            self.engine.emit("network", "prune", "", {"reclaimed": "0"})
            return deleted

    # list ------------------------------------------------------------------------------
    def list(self, filters: dict[str, list[str]] | None = None) -> list[Network]:
        filters = filters or {}
        reject_unknown_filters(filters, ("name", "id", "label", "driver", "type", "scope", "dangling"))
        for value in filters.get("type", ()):
            if value not in ("custom", "builtin"):
                raise messages.invalid_network_filter_value("type", value)
        dangling = None
        if "dangling" in filters:
            dangling = parse_bool_filter(filters["dangling"], messages.invalid_dangling_filter())
        with self.engine.lock:
            self.swarm_networks.drop_if_left()
            out = []
            for net in self.by_id.values():
                if filters.get("name") and not any(regex_search(p, net.name) for p in filters["name"]):
                    continue
                if filters.get("id") and not any(regex_search(p, net.id) for p in filters["id"]):
                    continue
                if not all(label_matches(net.labels, w) for w in filters.get("label", ())):
                    continue
                if filters.get("driver") and net.driver not in filters["driver"]:
                    continue
                if filters.get("scope") and net.scope not in filters["scope"]:
                    continue
                if filters.get("type"):
                    kind = "builtin" if net.predefined else "custom"
                    if kind not in filters["type"]:
                        continue
                if dangling is not None:
                    is_dangling = not net.predefined and not net.endpoints
                    if dangling != is_dangling:
                        continue
                out.append(net)
            return out

    # attachments (see attach.py) -------------------------------------------------------
    def connect(self, network: Network | str, container: Container,
                aliases: builtins.list[str] | None = None, ipv4: str | None = None,
                links: builtins.list[str] | None = None, *, ipv6: str | None = None,
                link_local_ips: builtins.list[str] | None = None,
                driver_opts: dict[str, str] | None = None) -> dict[str, Any]:
        return self.attachments.connect(network, container, aliases, ipv4, links, ipv6=ipv6,
                                        link_local_ips=link_local_ips, driver_opts=driver_opts)

    def connect_api(self, ref: str, container: Container,
                    endpoint_config: dict[str, Any] | None = None) -> None:
        self.attachments.connect_api(ref, container, endpoint_config)

    def disconnect(self, network: Network | str, container: Container, force: bool = False) -> None:
        self.attachments.disconnect(network, container, force=force)

    def on_start(self, container: Container) -> None:
        self.attachments.on_start(container)

    def on_stop(self, container: Container) -> None:
        self.attachments.on_stop(container)

    def on_remove(self, container: Container) -> None:
        self.attachments.on_remove(container)

    def attach_task(self, network: Network | str, container: Container, ip: str,
                    aliases: builtins.list[str] | None = None) -> dict[str, Any]:
        return self.attachments.attach_task(network, container, ip, aliases)

    # swarm-scoped networks (see swarm.py) ----------------------------------------------
    def create_swarm_network(self, name: str, driver: str = "overlay", ingress: bool = False,
                             subnet: str | None = None, gateway: str | None = None,
                             attachable: bool = False, labels: dict[str, str] | None = None,
                             options: dict[str, str] | None = None) -> Network:
        return self.swarm_networks.create_swarm_network(name, driver, ingress, subnet, gateway,
                                                        attachable, labels, options)

    def remove_swarm_network(self, network: Network | str) -> None:
        self.swarm_networks.remove_swarm_network(network)

    def allocate_ip(self, network: Network | str) -> str:
        return self.swarm_networks.allocate_ip(network)

    def release_ip(self, network: Network | str, ip: str) -> None:
        self.swarm_networks.release_ip(network, ip)
