"""Containers on networks: connect and disconnect (the plain attach a create does, and the
``/networks/{id}/connect`` route's checks), endpoints joined at start and left at exit, and
swarm task containers attached with their task's address.

A container's ``networks`` maps a network name to its EndpointSettings; a running container
also has an :class:`~.model.Endpoint` in each network it joined, with its addresses.

Receives the network store (lookups) and the swarm's cluster (a missing network is asked of
the cluster when the node is in a swarm).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ... import messages
from ...routing import DaemonError
from .ipam import IPAddr, take_address
from .model import (
    OPERATIONAL_FIELDS,
    Endpoint,
    Network,
    empty_endpoint_settings,
    mac_for,
    parse_mac,
)

if TYPE_CHECKING:
    from ...engine import FakeEngine
    from ..containers.model import Container
    from ..swarm.cluster import Cluster
    from .store import NetworkStore


def endpoint_config_error(net: Network, ep: dict[str, Any]) -> DaemonError | None:
    """Whether ``net`` takes this endpoint configuration (the daemon's
    validateNetworkingConfig, at start and at connect): aliases and static addresses only on
    user-defined networks, a static address only where the user configured a subnet of its
    family."""
    ipam_cfg = ep.get("IPAMConfig") or {}
    ipv4, ipv6 = ipam_cfg.get("IPv4Address") or "", ipam_cfg.get("IPv6Address") or ""
    if not net.user_defined:
        if ipv4 or ipv6:
            return messages.ip_on_predefined_network()
        if ep.get("Aliases"):
            return messages.alias_on_predefined_network()
        return None
    if net.scope == "swarm":  # the manager's allocator gives the daemon its subnets
        return None
    for wanted, version in ((ipv4, 4), (ipv6, 6)):
        if wanted and not any(p.user_subnet and p.version == version for p in net.pools):
            return messages.ip_without_subnet()
    return None


def endpoint_aliases(container: Container, aliases: list[str] | None, profile: Any) -> list[str] | None:
    """The aliases of an endpoint on a user-defined network: 20.10 adds the container's short
    id; 26.1 keeps those asked for (its ``DNSNames`` lists every name the network's DNS
    answers to)."""
    kept = list(aliases or [])
    if not profile.at_least("26.1") and container.id[:12] not in kept:
        kept.append(container.id[:12])
    return kept or None


def dns_names(container: Container, user_defined: bool, aliases: list[str] | None) -> list[str] | None:
    """26.1's ``DNSNames`` of an endpoint: the name, the aliases and the short id on a
    user-defined network (none on the default bridge)."""
    return [container.name, *(aliases or []), container.id[:12]] if user_defined else None


def primary_mac(container: Container, net: Network) -> str:
    """The container's ``MacAddress`` when ``net`` is its ``NetworkMode`` network ("" if
    none given or another network); the daemon's 500 when it is malformed."""
    text = container.config.get("MacAddress") or ""
    mode = container.host_config.get("NetworkMode") or "default"
    if not text or not (net.name == mode or (mode == "default" and net.name == "bridge")):
        return ""
    return parse_mac(text)


def check_link_local_ips(addresses: list[str]) -> None:
    """``IPAMConfig.LinkLocalIPs``: addresses, each a link-local one (the daemon's 500s)."""
    parsed = []
    for text in addresses:
        if not text:
            continue
        try:
            parsed.append(ipaddress.ip_address(text))
        except ValueError:
            raise messages.unparsable_link_local_ips(list(addresses)) from None
    for address in parsed:
        if not address.is_link_local:
            raise messages.not_link_local(str(address))


class NetworkAttachments:
    def __init__(self, engine: FakeEngine, store: NetworkStore, cluster: Cluster) -> None:
        self.engine = engine
        self.store = store
        self.cluster = cluster
        #: (network id, container id) -> the swarm task address the container's endpoint uses
        self._task_addresses: dict[tuple[str, str], str] = {}

    # connect / disconnect ----------------------------------------------------------------
    def connect(self, network: Network | str, container: Container,
                aliases: list[str] | None = None, ipv4: str | None = None,
                links: list[str] | None = None, *, ipv6: str | None = None,
                link_local_ips: list[str] | None = None,
                driver_opts: dict[str, str] | None = None) -> dict[str, Any]:
        """Attach ``container`` to ``network`` with this endpoint configuration.

        Whether the network takes these settings is checked by the caller
        (:meth:`connect_api`; a created container's networks at start). A running container
        is joined at once (``connect`` event); others at start.
        """
        engine = self.engine
        with engine.lock:
            net = self.store.get(network)
            ep = empty_endpoint_settings()
            ipam_cfg: dict[str, Any] = {}
            if ipv4:
                ipam_cfg["IPv4Address"] = ipv4
            if ipv6:
                ipam_cfg["IPv6Address"] = ipv6
            if link_local_ips:
                ipam_cfg["LinkLocalIPs"] = list(link_local_ips)
            ep["IPAMConfig"] = ipam_cfg or None
            ep["Links"] = list(links) if links else None
            ep["Aliases"] = list(aliases) if aliases else None
            ep["DriverOpts"] = dict(driver_opts) if driver_opts else None
            if engine.profile.at_least("26.1"):
                ep["DNSNames"] = dns_names(container, net.user_defined, aliases)
            container.networks[net.name] = ep
            if container.running:
                try:
                    self._join(net, container, ep)
                except DaemonError:
                    container.networks.pop(net.name, None)
                    raise
                engine.emit("network", "connect", net.id, net.attributes(container=container.id))
            return ep

    def connect_api(self, ref: str, container: Container,
                    endpoint_config: dict[str, Any] | None = None) -> None:
        """``POST /networks/{id}/connect``: the daemon's checks, then :meth:`connect`."""
        cfg = dict(endpoint_config or {})
        ipam_cfg = cfg.get("IPAMConfig") or {}
        with self.engine.lock:
            running = container.running
            net = self.store.resolve(ref)
            if net is None:
                if running:
                    raise self._missing_attach_error(ref)
                # a stopped container keeps the entry; its start will fail
                ep = empty_endpoint_settings()
                ep.update({k: v for k, v in cfg.items() if k in ep})
                container.networks[ref] = ep
                return
            if net.scope == "swarm" and not net.attachable:
                raise messages.attach_failed(
                    net.name, "rpc error: code = PermissionDenied desc = network "
                    f"{net.name} not manually attachable",
                )
            mode = container.network_mode()
            if mode.startswith("container:"):
                raise messages.conflict_shared_network()
            if mode != "host" and net.driver == "host":
                raise messages.conflict_host_network()
            aliases = list(cfg.get("Aliases") or [])
            ipv4 = ipam_cfg.get("IPv4Address") or None
            ipv6 = ipam_cfg.get("IPv6Address") or None
            if net.user_defined:
                aliases = endpoint_aliases(container, aliases, self.engine.profile) or []
            error = endpoint_config_error(net, {"IPAMConfig": ipam_cfg, "Aliases": aliases})
            if error is not None:
                raise error
            for other_name in list(container.networks):
                other = self._network_of_entry(other_name, container.networks[other_name])
                if other is None:
                    continue
                if other.id == net.id:
                    if running and container.id in net.endpoints:
                        raise messages.endpoint_exists(container.name, net.name)
                    if net.scope != "swarm":
                        return  # the daemon keeps the first configuration
                    continue
                if other.driver == "host" or net.driver == "host":
                    raise messages.conflict_shared_network()
                if other.name == "none" or net.name == "none":
                    raise messages.conflict_no_network()
            ep = self.connect(net, container, aliases=aliases, ipv4=ipv4,
                              links=cfg.get("Links") or None, ipv6=ipv6,
                              link_local_ips=ipam_cfg.get("LinkLocalIPs") or None,
                              driver_opts=cfg.get("DriverOpts") or None)
            if cfg.get("MacAddress") and not running:
                # shown as given until the container joins the network, not used then
                ep["MacAddress"] = cfg["MacAddress"]
                container.connect_macs.add(net.name)

    def disconnect(self, network: Network | str, container: Container, force: bool = False) -> None:
        """``POST /networks/{id}/disconnect`` for an existing container."""
        engine = self.engine
        with engine.lock:
            running = container.running
            if isinstance(network, Network):
                net: Network | None = network
            else:
                net = self.store.resolve(network)
                if net is None:
                    if (not running or force) and network in container.networks:
                        del container.networks[network]
                        return
                    raise messages.no_such_network(network)
            assert net is not None
            if container.network_mode() == "host" and net.driver == "host":
                raise messages.conflict_host_network()
            key = self._entry_key(net, container)
            if running and container.id in net.endpoints:
                net.release_endpoint(container.id)
                container.networks.pop(key or net.name, None)
                # the daemon logs it twice: once leaving the sandbox, once for the request
                attrs = net.attributes(container=container.id)
                engine.emit("network", "disconnect", net.id, attrs)
                engine.emit("network", "disconnect", net.id, dict(attrs))
                return
            if running and force:
                raise messages.no_such_endpoint(container.name)
            if key is None:
                raise messages.not_connected(container.id, net.name, running)
            del container.networks[key]
            engine.emit("network", "disconnect", net.id, net.attributes(container=container.id))

    def _missing_attach_error(self, ref: str) -> DaemonError:
        """Joining a network the daemon does not know: it asks the cluster, which fails."""
        if self.cluster.active:
            return messages.attach_failed(
                ref, f"rpc error: code = NotFound desc = network {ref} not found"
            )
        return messages.attach_no_cluster()

    @staticmethod
    def _entry_key(net: Network, container: Container) -> str | None:
        """The key of ``net``'s entry in the container's ``networks`` (by name or id)."""
        for name, ep in container.networks.items():
            if name == net.name or (ep.get("NetworkID") and ep.get("NetworkID") == net.id):
                return name
        return None

    def _network_of_entry(self, name: str, ep: dict[str, Any]) -> Network | None:
        nid = ep.get("NetworkID") or ""
        if nid and nid in self.store.by_id:
            return self.store.by_id[nid]
        try:
            return self.store.resolve(name)
        except DaemonError:
            return None

    # the container's life ----------------------------------------------------------------
    def on_start(self, container: Container) -> None:
        """Join every network of ``container``: addresses, endpoint ids, ``connect`` events.

        Raises the daemon's error (500 ``Could not attach to network`` for a missing network,
        403 ``Address already in use``, 500 invalid static address) after undoing what it did.
        """
        engine = self.engine
        with engine.lock:
            names = list(container.networks)
            if "bridge" in names:  # the daemon joins the default bridge first
                names.remove("bridge")
                names.insert(0, "bridge")
            joined: list[Network] = []
            try:
                for name in names:
                    ep = container.networks[name]
                    net = self._network_of_entry(name, ep)
                    if net is None:
                        raise self._missing_attach_error(name)
                    if container.id in net.endpoints:
                        continue
                    if net.user_defined:
                        ep["Aliases"] = endpoint_aliases(container, ep.get("Aliases"), engine.profile)
                    if engine.profile.at_least("26.1"):
                        ep["DNSNames"] = dns_names(container, net.user_defined, ep.get("Aliases"))
                    error = endpoint_config_error(net, ep)
                    if error is not None:
                        raise error
                    self._join(net, container, ep)
                    joined.append(net)
                    engine.emit("network", "connect", net.id, net.attributes(container=container.id))
            except DaemonError:
                for name in names:
                    net = self._network_of_entry(name, container.networks[name])
                    if net is None:
                        continue
                    if net in joined:
                        net.release_endpoint(container.id)
                        container.networks[name].update(OPERATIONAL_FIELDS)
                    engine.emit("network", "disconnect", net.id,
                                net.attributes(container=container.id))
                raise

    def on_stop(self, container: Container) -> None:
        """Leave every network: release the addresses, ``disconnect`` events."""
        engine = self.engine
        with engine.lock:
            for name, ep in list(container.networks.items()):
                net = self._network_of_entry(name, ep)
                if net is None or container.id not in net.endpoints:
                    ep.update(OPERATIONAL_FIELDS)
                    continue
                net.release_endpoint(container.id)
                ep.update(OPERATIONAL_FIELDS)
                engine.emit("network", "disconnect", net.id, net.attributes(container=container.id))

    def on_remove(self, container: Container) -> None:
        """The container is going away: leave what it still holds."""
        with self.engine.lock:
            if any(container.id in n.endpoints for n in self.store.by_id.values()):
                self.on_stop(container)
            for key in [k for k in self._task_addresses if k[1] == container.id]:
                del self._task_addresses[key]

    def attach_task(self, network: Network | str, container: Container, ip: str,
                    aliases: list[str] | None = None) -> dict[str, Any]:
        """Attach a (not yet running) swarm task container to ``network`` with the task's
        address ``ip`` (``10.0.1.3`` or ``10.0.1.3/24``), as the daemon's executor does:
        ``IPAMConfig.IPv4Address`` set, the short id (and the task's hostname) as aliases.
        The endpoint uses the address without taking it from the pool again: the swarm
        releases it."""
        with self.engine.lock:
            net = self.store.get(network)
            ep = empty_endpoint_settings()
            address = ip.split("/", 1)[0]
            if address:
                ep["IPAMConfig"] = {"IPv4Address": address}
                self._task_addresses[(net.id, container.id)] = address
            ep["Aliases"] = list(aliases) if aliases else None
            container.networks[net.name] = ep
            return ep

    def _join(self, net: Network, container: Container, ep: dict[str, Any]) -> None:
        """Give ``container`` an endpoint on ``net``; fills ``ep``'s operational fields."""
        ipam_cfg = ep.get("IPAMConfig") or {}
        # an endpoint's own MacAddress (kept from the request only where the engine and API
        # take one per endpoint), else the container-wide one on the mode's network
        given = ep.get("MacAddress") if net.name not in container.connect_macs else ""
        container.connect_macs.discard(net.name)
        mac = parse_mac(given) if given else primary_mac(container, net)
        check_link_local_ips(ipam_cfg.get("LinkLocalIPs") or [])
        endpoint = Endpoint(container.id, container.name, self.engine.new_id())
        task_address = self._task_addresses.get((net.id, container.id))
        if net.driver not in ("host", "null"):
            pool = net.pool4()
            if pool is not None:
                wanted = ipam_cfg.get("IPv4Address") or ""
                if task_address:
                    address: IPAddr = ipaddress.ip_address(task_address)
                    endpoint.pooled = False
                else:
                    address = take_address(net.name, pool, wanted, v6=False)
                endpoint.ipv4 = str(address)
                endpoint.ipv4_prefix = pool.subnet.prefixlen
                endpoint.gateway = str(pool.gateway) if pool.gateway is not None else ""
                endpoint.mac = mac or mac_for(endpoint.ipv4)
                if net.driver == "overlay":
                    # overlay endpoints have no gateway (traffic out goes via docker_gwbridge),
                    # and the daemon records the address it was given as the IPAM config
                    endpoint.gateway = ""
                    ep["IPAMConfig"] = {**ipam_cfg, "IPv4Address": endpoint.ipv4}
            pool6 = net.pool6()
            if pool6 is not None and net.enable_ipv6:
                try:
                    address6 = take_address(net.name, pool6, ipam_cfg.get("IPv6Address") or "", v6=True)
                except DaemonError:
                    if endpoint.ipv4 and pool is not None and endpoint.pooled:
                        pool.release(ipaddress.ip_address(endpoint.ipv4))
                    raise
                endpoint.ipv6 = str(address6)
                endpoint.ipv6_prefix = pool6.subnet.prefixlen
                endpoint.ipv6_gateway = str(pool6.gateway) if pool6.gateway is not None else ""
        net.endpoints[container.id] = endpoint
        ep.update({
            "NetworkID": net.id,
            "EndpointID": endpoint.endpoint_id,
            "Gateway": endpoint.gateway,
            "IPAddress": endpoint.ipv4,
            "IPPrefixLen": endpoint.ipv4_prefix,
            "IPv6Gateway": endpoint.ipv6_gateway,
            "GlobalIPv6Address": endpoint.ipv6,
            "GlobalIPv6PrefixLen": endpoint.ipv6_prefix,
            "MacAddress": endpoint.mac,
        })
