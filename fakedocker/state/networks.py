"""Networks: the predefined bridge/host/none, user-defined ones, endpoints and addresses.

Interface used by other modules (containers, swarm):

- ``engine.networks.by_id: dict[str, Network]``; a Network has at least ``id``, ``name``,
  ``driver``, ``scope``, ``attachable``, ``labels``.
- ``engine.networks.resolve(ref) -> Network | None`` (full id, name, or unique id prefix —
  the daemon's order; a name or prefix that matches several networks raises the daemon's
  400 ``is ambiguous``); ``engine.networks.get(ref) -> Network`` raises
  ``messages.no_such_network``.
- ``engine.networks.connect(network, container, aliases=None, ipv4=None, links=None) -> dict``:
  attach ``container`` (its ``networks`` dict gets ``network.name -> EndpointSettings`` in the
  Engine API shape); a running container gets its address at once, others at start.  This is
  the plain attach a container create does (``Aliases`` stay as given); the
  ``POST /networks/{id}/connect`` route adds the API's extra checks and the short-id alias
  (:meth:`NetworkStore.connect_api`).
- ``engine.networks.disconnect(network, container, force=False)``.
- ``engine.networks.on_start(container)`` / ``on_stop(container)`` / ``on_remove(container)``:
  allocate addresses (IPAddress, Gateway, MacAddress, EndpointID...) on every attached network
  when the container starts, release them when it stops, forget the endpoints when removed.
  ``on_start`` raises the daemon's error (500 ``Could not attach to network`` for a missing
  network, 403 ``Address already in use``, 500 invalid static address) after undoing what it
  did; the container must stay unstarted (the daemon then shows ``State.ExitCode`` 128 and
  ``State.Error`` = the message).
- ``engine.networks.allocate_ip(network) -> str`` / ``release_ip(network, ip)``: addresses for
  swarm tasks (serial allocation on swarm-scoped networks, like swarmkit's allocator).
- ``engine.networks.attach_task(network, container, ip, aliases)``: attach a swarm task's
  container with the address the swarm allocated for the task (the endpoint uses it without
  taking it from the pool again, and leaves it to the swarm to release).
- ``engine.networks.create(name, driver=...) -> (Network, warning)``, ``remove(ref)``,
  ``network_settings(container, ports)`` (the whole inspect ``NetworkSettings`` of a
  container).
- for swarm: ``create_swarm_network(name, driver="overlay", ingress=False, subnet=None,
  gateway=None, attachable=False, labels=None, options=None) -> Network`` (no API checks;
  an ingress network gets its ``ingress-sbox`` endpoint at .2) and
  ``remove_swarm_network(network)``.  Swarm-scoped networks disappear by themselves once
  ``engine.swarm.active`` is false (the node left the swarm).

Behaviour checked against Docker 20.10.24 (API 1.41) — see the notes in the tests:
addresses are the lowest free one of the subnet (gateway excluded); user-defined bridge
networks take the next free default pool after the last one handed out (172.18.0.0/16,
172.19.0.0/16, ... 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20, ...), round robin;
overlay networks take 10.0.N.0/24 the same way.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import messages
from ..routing import DaemonError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

PREDEFINED = ("bridge", "host", "none")
#: names the daemon refuses to create (runconfig.IsPreDefinedNetwork)
RESERVED_NAMES = ("bridge", "host", "none", "default")
LOCAL_DRIVERS = ("bridge", "macvlan", "ipvlan")
SINGLE_INSTANCE_DRIVERS = ("host", "null")
SWARM_DRIVERS = ("overlay",)
VXLAN_BASE = 4096
INGRESS_SBOX = "ingress-sbox"

DEFAULT_BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": "docker0",
    "com.docker.network.driver.mtu": "1500",
}

#: the daemon's default local address pools (172.17-31.0.0/16, then 192.168.0.0/16 in /20s)
LOCAL_POOLS: list[ipaddress.IPv4Network] = [
    ipaddress.IPv4Network(f"172.{i}.0.0/16") for i in range(17, 32)
] + [ipaddress.IPv4Network(f"192.168.{i * 16}.0/20") for i in range(16)]
#: swarm's default address pool (10.0.0.0/8 in /24s; the fake hands out 10.0.0-255.0/24)
SWARM_POOLS: list[ipaddress.IPv4Network] = [
    ipaddress.IPv4Network(f"10.0.{i}.0/24") for i in range(256)
]

_OPERATIONAL = {
    "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
    "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "",
}


def empty_endpoint_settings() -> dict[str, Any]:
    """An EndpointSettings as the daemon shows it for a container that is not running."""
    return {
        "IPAMConfig": None, "Links": None, "Aliases": None, "NetworkID": "", "EndpointID": "",
        "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": None,
    }


def mac_for(ip: str) -> str:
    """The daemon's generated MAC: 02:42 and the four bytes of the IPv4 address."""
    packed = ipaddress.IPv4Address(ip).packed
    return "02:42:" + ":".join(f"{b:02x}" for b in packed)


def go_time(iso: str) -> str:
    """RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano)."""
    if "." not in iso:
        return iso
    head, frac = iso[:-1].split(".", 1)
    frac = frac.rstrip("0")
    return f"{head}.{frac}Z" if frac else f"{head}Z"


def swarm_object_id(hex_id: str) -> str:
    """A swarmkit-style id (25 lowercase base-36 characters) derived from a 64-hex id."""
    n = int(hex_id, 16)
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(25):
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(out)


@dataclass
class Pool:
    """One IPAM pool of a network: its subnet, gateway and the addresses in use."""

    subnet: IPNetwork
    gateway: IPAddr | None = None
    ip_range: IPNetwork | None = None
    aux: dict[str, str] | None = None
    shown_gateway: bool = True  # whether inspect's IPAM.Config lists the gateway
    user_subnet: bool = False
    allocated: set[int] = field(default_factory=set)
    serial: bool = False
    _cursor: int = 0

    @property
    def version(self) -> int:
        return self.subnet.version

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Subnet": str(self.subnet)}
        if self.ip_range is not None:
            out["IPRange"] = str(self.ip_range)
        if self.gateway is not None and self.shown_gateway:
            out["Gateway"] = str(self.gateway)
        if self.aux:
            out["AuxiliaryAddresses"] = dict(self.aux)
        return out

    def _bounds(self) -> tuple[int, int]:
        net = self.ip_range or self.subnet
        first, last = int(net.network_address), int(net.broadcast_address)
        lo = max(first, int(self.subnet.network_address) + 1)
        hi = min(last, int(self.subnet.broadcast_address) - (1 if self.version == 4 else 0))
        return lo, hi

    def allocate(self) -> IPAddr | None:
        lo, hi = self._bounds()
        if hi < lo:
            return None
        size = hi - lo + 1
        start = self._cursor if self.serial and lo <= self._cursor <= hi else lo
        for i in range(size):
            n = start + i
            if n > hi:
                n -= size
            if n not in self.allocated:
                self.allocated.add(n)
                if self.serial:
                    self._cursor = n + 1
                return ipaddress.ip_address(n)
        return None

    def reserve(self, address: IPAddr) -> bool:
        n = int(address)
        if n in self.allocated:
            return False
        self.allocated.add(n)
        return True

    def release(self, address: IPAddr) -> None:
        if self.gateway is not None and int(address) == int(self.gateway):
            return
        self.allocated.discard(int(address))

    def contains(self, address: IPAddr) -> bool:
        return address.version == self.version and address in self.subnet


@dataclass
class Endpoint:
    container_id: str
    name: str
    endpoint_id: str
    ipv4: str = ""
    ipv4_prefix: int = 0
    gateway: str = ""
    mac: str = ""
    ipv6: str = ""
    ipv6_prefix: int = 0
    ipv6_gateway: str = ""
    pooled: bool = True  # False: the address belongs to a swarm task, not to this endpoint


@dataclass
class Network:
    id: str
    name: str
    driver: str
    scope: str
    created: str
    attachable: bool = False
    internal: bool = False
    ingress: bool = False
    enable_ipv6: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ipam_driver: str = "default"
    ipam_options: dict[str, str] | None = None
    pools: list[Pool] = field(default_factory=list)
    predefined: bool = False
    config_only: bool = False
    config_from: str = ""
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def user_defined(self) -> bool:
        """The daemon's ``NetworkMode.IsUserDefined``: not bridge/host/none/default."""
        return self.name not in RESERVED_NAMES

    @property
    def has_user_subnet(self) -> bool:
        return any(p.user_subnet for p in self.pools)

    def pool4(self) -> Pool | None:
        return next((p for p in self.pools if p.version == 4), None)

    def pool6(self) -> Pool | None:
        return next((p for p in self.pools if p.version == 6), None)

    @property
    def subnet(self) -> str:
        pool = self.pool4()
        return str(pool.subnet) if pool else ""

    @property
    def gateway(self) -> str:
        pool = self.pool4()
        return str(pool.gateway) if pool and pool.gateway is not None else ""

    @property
    def prefixlen(self) -> int:
        pool = self.pool4()
        return pool.subnet.prefixlen if pool else 0

    def attributes(self, **extra: str) -> dict[str, str]:
        if self.scope == "swarm":
            return {"name": self.name, **extra}
        return {**extra, "name": self.name, "type": self.driver}

    def containers_map(self) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for cid, ep in self.endpoints.items():  # keyed by container id (or ``ingress-sbox``)
            out[cid] = {
                "Name": ep.name,
                "EndpointID": ep.endpoint_id,
                "MacAddress": ep.mac,
                "IPv4Address": f"{ep.ipv4}/{ep.ipv4_prefix}" if ep.ipv4 else "",
                "IPv6Address": f"{ep.ipv6}/{ep.ipv6_prefix}" if ep.ipv6 else "",
            }
        if not out and self.scope == "swarm":
            return None
        return out

    def container_endpoints(self) -> dict[str, Endpoint]:
        """The endpoints of containers (not the swarm's own sandboxes)."""
        return {k: v for k, v in self.endpoints.items() if k != INGRESS_SBOX}

    def inspect(self, with_containers: bool = True, peers: list[dict[str, str]] | None = None
                ) -> dict[str, Any]:
        labels: dict[str, str] | None = dict(self.labels)
        if with_containers:
            containers = self.containers_map()
            if self.scope == "swarm" and not self.labels and not self.endpoints:
                labels = None
        else:  # the list answer: never the endpoints
            containers = None if self.scope == "swarm" else {}
            if self.scope == "swarm" and not self.labels:
                labels = None
        out = {
            "Name": self.name,
            "Id": self.id,
            "Created": self.created,
            "Scope": self.scope,
            "Driver": self.driver,
            "EnableIPv6": self.enable_ipv6,
            "IPAM": {
                "Driver": self.ipam_driver,
                "Options": dict(self.ipam_options) if self.ipam_options is not None else None,
                "Config": [p.config() for p in self.pools],
            },
            "Internal": self.internal,
            "Attachable": self.attachable,
            "Ingress": self.ingress,
            "ConfigFrom": {"Network": self.config_from},
            "ConfigOnly": self.config_only,
            "Containers": containers,
            "Options": dict(self.options),
            "Labels": labels,
        }
        if with_containers and self.scope == "swarm" and self.endpoints and peers:
            out["Peers"] = peers
        return out


def _running(container: Any) -> bool:
    running = getattr(container, "running", None)
    if running is not None:
        return bool(running)
    return getattr(container, "status", "") in ("running", "paused", "restarting")


def _network_mode(container: Any) -> str:
    mode = getattr(container, "network_mode", None)
    if callable(mode):
        return mode()
    hc = getattr(container, "host_config", None) or {}
    mode = hc.get("NetworkMode") or "default"
    return "bridge" if mode == "default" else mode


class NetworkStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.by_id: dict[str, Network] = {}
        self._local_cursor = 0
        self._swarm_cursor = 0
        self._vxlan: set[int] = set()
        #: (network id, container id) -> the swarm task address the container's endpoint uses
        self._task_addresses: dict[tuple[str, str], str] = {}
        self._add_predefined()

    # predefined ------------------------------------------------------------------------
    def _add_predefined(self) -> None:
        engine = self.engine
        created = go_time(engine.now_iso())
        none = Network(engine.new_id(), "none", "null", "local", created, predefined=True)
        host = Network(engine.new_id(), "host", "host", "local", created, predefined=True)
        bridge_pool = Pool(
            LOCAL_POOLS[0], ipaddress.IPv4Address("172.17.0.1"), shown_gateway=False
        )
        bridge_pool.reserve(bridge_pool.gateway)
        bridge = Network(
            engine.new_id(), "bridge", "bridge", "local", created,
            options=dict(DEFAULT_BRIDGE_OPTIONS), pools=[bridge_pool], predefined=True,
        )
        for net in (bridge, host, none):
            self.by_id[net.id] = net
        self._local_cursor = 1

    # lookups ---------------------------------------------------------------------------
    def resolve(self, ref: str, scope: str | None = None) -> Network | None:
        """By full id, then name, then unique id prefix (400 when ambiguous)."""
        with self.engine.lock:
            self._sync_swarm()
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

    def get(self, ref: Any, scope: str | None = None) -> Network:
        if isinstance(ref, Network):
            return ref
        net = self.resolve(ref, scope)
        if net is None:
            raise messages.no_such_network(ref)
        return net

    def by_name(self, name: str) -> list[Network]:
        return [n for n in self.by_id.values() if n.name == name]

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
            self._sync_swarm()
            if not name:
                raise messages.invalid_network_name(name or "")
            swarm_active = bool(getattr(engine.swarm, "active", False))
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
                return self._create_swarm(name, driver, options, ipam, internal, labels,
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
            pools = self._local_pools(driver, ipam, enable_ipv6)
            net = Network(
                engine.new_id(), name, driver, "local", go_time(engine.now_iso()),
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

    def _create_swarm(self, name: str, driver: str, options: dict[str, str] | None,
                      ipam: dict[str, Any] | None, internal: bool,
                      labels: dict[str, str] | None, enable_ipv6: bool, attachable: bool,
                      ingress: bool) -> Network:
        engine = self.engine
        configs = [c for c in ((ipam or {}).get("Config") or []) if c]
        pools: list[Pool] = []
        taken = [p.subnet for n in self.by_id.values() if n.scope == "swarm" for p in n.pools]
        for cfg in configs:
            if cfg.get("Subnet"):
                pool = self._user_pool(cfg, taken, serial=True)
                pool.shown_gateway = True  # swarm's allocator records the gateway it picks
                pools.append(pool)
        if not any(p.version == 4 for p in pools):
            subnet, self._swarm_cursor = _next_pool(SWARM_POOLS, self._swarm_cursor, taken)
            if subnet is None:
                raise messages.no_available_pool()
            pool = Pool(subnet, subnet.network_address + 1, serial=True)
            pool.reserve(pool.gateway)
            pools.insert(0, pool)
        vxlan = VXLAN_BASE
        while vxlan in self._vxlan:
            vxlan += 1
        self._vxlan.add(vxlan)
        opts = {"com.docker.network.driver.overlay.vxlanid_list": str(vxlan)}
        opts.update(options or {})
        net = Network(
            self._swarm_id(), name, driver, "swarm", go_time(engine.now_iso()),
            attachable=bool(attachable), internal=bool(internal), ingress=bool(ingress),
            enable_ipv6=bool(enable_ipv6), labels=dict(labels or {}), options=opts,
            ipam_driver=(ipam or {}).get("Driver") or "default",
            ipam_options=(ipam or {}).get("Options") or None, pools=pools,
        )
        self.by_id[net.id] = net
        engine.emit("network", "create", net.id, net.attributes(), scope="swarm")
        engine.emit("network", "update", net.id, net.attributes(), scope="swarm")
        return net

    def _local_pools(self, driver: str, ipam: dict[str, Any] | None,
                     enable_ipv6: bool) -> list[Pool]:
        configs = [c for c in ((ipam or {}).get("Config") or []) if c]
        taken = [p.subnet for n in self.by_id.values() if n.scope == "local" for p in n.pools]
        v4: list[Pool] = []
        v6: list[Pool] = []
        for cfg in configs:
            if not cfg.get("Subnet"):
                continue
            pool = self._user_pool(cfg, taken)
            (v4 if pool.version == 4 else v6).append(pool)
            taken.append(pool.subnet)
        if driver == "bridge" and len(v4) > 1:
            raise messages.bridge_multiple_subnets()
        if not v4:
            subnet, cursor = _next_pool(LOCAL_POOLS, self._local_cursor, taken)
            if subnet is None:
                raise messages.no_available_pool()
            pool = Pool(subnet, subnet.network_address + 1)
            pool.reserve(pool.gateway)
            v4.append(pool)
            self._local_cursor = cursor
        if enable_ipv6 and not v6:
            raise messages.no_available_pool(ipv6=True)
        return v4 + v6

    @staticmethod
    def _user_pool(cfg: dict[str, Any], taken: list[IPNetwork], serial: bool = False) -> Pool:
        text = str(cfg["Subnet"])
        try:
            subnet = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise messages.invalid_subnet(text) from None
        if any(subnet.version == t.version and subnet.overlaps(t) for t in taken):
            raise messages.pool_overlaps()
        ip_range = None
        if cfg.get("IPRange"):
            try:
                ip_range = ipaddress.ip_network(str(cfg["IPRange"]), strict=False)
            except ValueError:
                raise messages.invalid_subnet(str(cfg["IPRange"])) from None
            if ip_range.version != subnet.version or not ip_range.subnet_of(subnet):  # type: ignore[arg-type]
                ip_range = None  # the daemon accepts it and allocates from the subnet
        shown = bool(cfg.get("Gateway"))
        if shown:
            try:
                gateway = ipaddress.ip_address(str(cfg["Gateway"]))
            except ValueError:
                raise messages.gateway_out_of_range(str(cfg["Gateway"])) from None
            if gateway.version != subnet.version or gateway not in subnet:
                raise messages.gateway_out_of_range(str(gateway))
        else:
            gateway = subnet.network_address + 1
        pool = Pool(subnet, gateway, ip_range=ip_range, aux=cfg.get("AuxiliaryAddresses") or None,
                    shown_gateway=shown, user_subnet=True, serial=serial)
        pool.reserve(gateway)
        for aux in (pool.aux or {}).values():
            try:
                pool.reserve(ipaddress.ip_address(aux))
            except ValueError:
                pass
        return pool

    # remove / prune --------------------------------------------------------------------
    def remove(self, ref: str) -> None:
        engine = self.engine
        with engine.lock:
            net = self.get(ref)
            if net.predefined:
                raise messages.predefined_network(net.name)
            if net.container_endpoints():
                raise messages.network_has_endpoints(net.name, net.id)
            self._forget(net)

    def peers(self) -> list[dict[str, str]]:
        node = getattr(self.engine.swarm, "node", None)
        name = getattr(node, "hostname", None) or "fakedocker"
        ip = getattr(node, "addr", None) or "127.0.0.1"
        return [{"Name": name, "IP": ip}]

    # swarm -------------------------------------------------------------------------------
    def _swarm_id(self) -> str:
        new = getattr(self.engine.swarm, "new_swarm_id", None)
        if callable(new):
            return new()
        return swarm_object_id(self.engine.new_id())

    def _sync_swarm(self) -> None:
        """Swarm networks exist only while the node is in a swarm."""
        if getattr(self.engine.swarm, "active", False):
            return
        if any(n.scope == "swarm" for n in self.by_id.values()):
            self.drop_swarm_networks()

    def create_swarm_network(self, name: str, driver: str = "overlay", ingress: bool = False,
                             subnet: str | None = None, gateway: str | None = None,
                             attachable: bool = False, labels: dict[str, str] | None = None,
                             options: dict[str, str] | None = None) -> Network:
        """A swarm-scoped network made by the swarm itself (``ingress``): no API checks."""
        with self.engine.lock:
            ipam = None
            if subnet:
                cfg: dict[str, Any] = {"Subnet": subnet}
                if gateway:
                    cfg["Gateway"] = gateway
                ipam = {"Driver": "default", "Config": [cfg]}
            net = self._create_swarm(name, driver, options, ipam, False, labels, False,
                                     attachable, ingress)
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

    def remove_swarm_network(self, network: Any) -> None:
        """The swarm drops one of its networks (no endpoint check)."""
        with self.engine.lock:
            net = network if isinstance(network, Network) else self.resolve(network)
            if net is None or net.id not in self.by_id:
                return
            for cid in list(net.endpoints):
                self._release(net, cid)
            self._forget(net)

    def _forget(self, net: Network) -> None:
        engine = self.engine
        del self.by_id[net.id]
        if net.scope == "swarm":
            vx = net.options.get("com.docker.network.driver.overlay.vxlanid_list", "")
            if vx.isdigit():
                self._vxlan.discard(int(vx))
            engine.emit("network", "remove", net.id, net.attributes(), scope="swarm")
        else:
            engine.emit("network", "destroy", net.id, net.attributes())

    def prune(self, filters: dict[str, list[str]] | None = None) -> list[str]:
        from .volumes import label_matches

        filters = filters or {}
        for key in filters:
            if key not in ("label", "label!", "until"):
                raise messages.invalid_filter(key)
        until = _until(filters.get("until"), self.engine.now())
        with self.engine.lock:
            deleted = []
            self._sync_swarm()
            for net in list(self.by_id.values()):
                if net.predefined or net.ingress or net.endpoints:
                    continue
                if not all(label_matches(net.labels, w) for w in filters.get("label", ())):
                    continue
                if any(label_matches(net.labels, w) for w in filters.get("label!", ())):
                    continue
                if until is not None and _created_ts(net.created) > until:
                    continue
                self._forget(net)
                deleted.append(net.name)
            self.engine.emit("network", "prune", "", {"reclaimed": "0"})
            return deleted

    def drop_swarm_networks(self) -> None:
        """Forget every swarm-scoped network (the node left the swarm)."""
        with self.engine.lock:
            for net in [n for n in self.by_id.values() if n.scope == "swarm"]:
                for cid in list(net.endpoints):
                    self._release(net, cid)
                del self.by_id[net.id]
            self._vxlan.clear()

    # list ------------------------------------------------------------------------------
    def list(self, filters: dict[str, list[str]] | None = None) -> list[Network]:
        from .volumes import label_matches, parse_bool_filter, regex_search

        filters = filters or {}
        allowed = ("name", "id", "label", "driver", "type", "scope", "dangling")
        for key in filters:
            if key not in allowed:
                raise messages.invalid_filter(key)
        for value in filters.get("type", ()):
            if value not in ("custom", "builtin"):
                raise messages.invalid_network_filter_value("type", value)
        dangling = None
        if "dangling" in filters:
            dangling = parse_bool_filter(filters["dangling"], messages.invalid_dangling_filter())
        with self.engine.lock:
            self._sync_swarm()
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

    # connect / disconnect ----------------------------------------------------------------
    def connect(self, network: Any, container: Any, aliases: list[str] | None = None,
                ipv4: str | None = None, links: list[str] | None = None, *,
                ipv6: str | None = None, link_local_ips: list[str] | None = None,
                driver_opts: dict[str, str] | None = None) -> dict[str, Any]:
        """Attach ``container`` to ``network`` with this endpoint configuration.

        Validates like the daemon does at create: aliases and static addresses only on
        user-defined networks, static addresses only where the user configured a subnet.
        A running container is joined at once (``connect`` event); others at start.
        """
        engine = self.engine
        with engine.lock:
            net = self.get(network)
            if not net.user_defined:
                if ipv4 or ipv6:
                    raise messages.ip_on_predefined_network()
                if aliases:
                    raise messages.alias_on_predefined_network()
            elif (ipv4 or ipv6) and not net.has_user_subnet:
                raise messages.ip_without_subnet()
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
            container.networks[net.name] = ep
            if _running(container):
                try:
                    self._join(net, container, ep)
                except DaemonError:
                    container.networks.pop(net.name, None)
                    raise
                engine.emit("network", "connect", net.id, net.attributes(container=container.id))
            return ep

    def connect_api(self, ref: str, container: Any,
                    endpoint_config: dict[str, Any] | None = None) -> None:
        """``POST /networks/{id}/connect``: the daemon's checks, then :meth:`connect`."""
        engine = self.engine
        cfg = dict(endpoint_config or {})
        ipam_cfg = cfg.get("IPAMConfig") or {}
        with engine.lock:
            running = _running(container)
            net = self.resolve(ref)
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
            mode = _network_mode(container)
            if mode.startswith("container:"):
                raise messages.conflict_shared_network()
            if mode != "host" and net.driver == "host":
                raise messages.conflict_host_network()
            aliases = list(cfg.get("Aliases") or [])
            ipv4 = ipam_cfg.get("IPv4Address") or None
            ipv6 = ipam_cfg.get("IPv6Address") or None
            if not net.user_defined:
                if ipv4 or ipv6:
                    raise messages.ip_on_predefined_network()
                if aliases:
                    raise messages.alias_on_predefined_network()
            else:
                if container.id[:12] not in aliases:
                    aliases.append(container.id[:12])
                if (ipv4 or ipv6) and not net.has_user_subnet:
                    raise messages.ip_without_subnet()
            for other_name in list(container.networks):
                other = self._network_of(other_name, container.networks[other_name])
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
            self.connect(net, container, aliases=aliases, ipv4=ipv4,
                         links=cfg.get("Links") or None, ipv6=ipv6,
                         link_local_ips=ipam_cfg.get("LinkLocalIPs") or None,
                         driver_opts=cfg.get("DriverOpts") or None)

    def disconnect(self, network: Any, container: Any, force: bool = False) -> None:
        """``POST /networks/{id}/disconnect`` for an existing container."""
        engine = self.engine
        with engine.lock:
            running = _running(container)
            if isinstance(network, Network):
                net: Network | None = network
            else:
                net = self.resolve(network)
                if net is None:
                    if (not running or force) and network in container.networks:
                        del container.networks[network]
                        return
                    raise messages.no_such_network(network)
            assert net is not None
            if _network_mode(container) == "host" and net.driver == "host":
                raise messages.conflict_host_network()
            key = self._entry_key(net, container)
            if running and container.id in net.endpoints:
                self._release(net, container.id)
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
        if getattr(self.engine.swarm, "active", False):
            return messages.attach_failed(
                ref, f"rpc error: code = NotFound desc = network {ref} not found"
            )
        return messages.attach_no_cluster()

    def _entry_key(self, net: Network, container: Any) -> str | None:
        for name, ep in container.networks.items():
            if name == net.name or (ep.get("NetworkID") and ep.get("NetworkID") == net.id):
                return name
        return None

    def _network_of(self, name: str, ep: dict[str, Any]) -> Network | None:
        nid = ep.get("NetworkID") or ""
        if nid and nid in self.by_id:
            return self.by_id[nid]
        try:
            return self.resolve(name)
        except DaemonError:
            return None

    # container lifecycle -----------------------------------------------------------------
    def on_start(self, container: Any) -> None:
        """Join every network of ``container``: addresses, endpoint ids, ``connect`` events."""
        engine = self.engine
        with engine.lock:
            names = list(container.networks)
            if "bridge" in names:
                names.remove("bridge")
                names.insert(0, "bridge")
            joined: list[Network] = []
            try:
                for name in names:
                    ep = container.networks[name]
                    net = self._network_of(name, ep)
                    if net is None:
                        raise self._missing_attach_error(name)
                    if container.id in net.endpoints:
                        continue
                    if net.user_defined:
                        aliases = list(ep.get("Aliases") or [])
                        if container.id[:12] not in aliases:
                            aliases.append(container.id[:12])
                        ep["Aliases"] = aliases
                    self._join(net, container, ep)
                    joined.append(net)
                    engine.emit("network", "connect", net.id, net.attributes(container=container.id))
            except DaemonError:
                for name in names:
                    net = self._network_of(name, container.networks[name])
                    if net is None:
                        continue
                    if net in joined:
                        self._release(net, container.id)
                        container.networks[name].update(_OPERATIONAL)
                    engine.emit("network", "disconnect", net.id,
                                net.attributes(container=container.id))
                raise

    def on_stop(self, container: Any) -> None:
        """Leave every network: release the addresses, ``disconnect`` events."""
        engine = self.engine
        with engine.lock:
            for name, ep in list(container.networks.items()):
                net = self._network_of(name, ep)
                if net is None or container.id not in net.endpoints:
                    ep.update(_OPERATIONAL)
                    continue
                self._release(net, container.id)
                ep.update(_OPERATIONAL)
                engine.emit("network", "disconnect", net.id, net.attributes(container=container.id))

    def on_remove(self, container: Any) -> None:
        """The container is going away: leave what it still holds."""
        with self.engine.lock:
            if any(container.id in n.endpoints for n in self.by_id.values()):
                self.on_stop(container)
            for key in [k for k in self._task_addresses if k[1] == container.id]:
                del self._task_addresses[key]

    def attach_task(self, network: Any, container: Any, ip: str,
                    aliases: list[str] | None = None) -> dict[str, Any]:
        """Attach a (not yet running) swarm task container to ``network`` with the task's
        address ``ip`` (``10.0.1.3`` or ``10.0.1.3/24``), as the daemon's executor does:
        ``IPAMConfig.IPv4Address`` set, the short id (and the task's hostname) as aliases."""
        with self.engine.lock:
            net = self.get(network)
            ep = empty_endpoint_settings()
            address = ip.split("/", 1)[0]
            if address:
                ep["IPAMConfig"] = {"IPv4Address": address}
                self._task_addresses[(net.id, container.id)] = address
            ep["Aliases"] = list(aliases) if aliases else None
            container.networks[net.name] = ep
            return ep

    def _join(self, net: Network, container: Any, ep: dict[str, Any]) -> None:
        """Give ``container`` an endpoint on ``net``; fills ``ep``'s operational fields."""
        ipam_cfg = ep.get("IPAMConfig") or {}
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
                    address = self._take(net, pool, wanted, v6=False)
                endpoint.ipv4 = str(address)
                endpoint.ipv4_prefix = pool.subnet.prefixlen
                endpoint.gateway = str(pool.gateway) if pool.gateway is not None else ""
                endpoint.mac = mac_for(endpoint.ipv4)
                if net.driver == "overlay":
                    # overlay endpoints have no gateway (traffic out goes via docker_gwbridge),
                    # and the daemon records the address it was given as the IPAM config
                    endpoint.gateway = ""
                    ep["IPAMConfig"] = {**ipam_cfg, "IPv4Address": endpoint.ipv4}
            pool6 = net.pool6()
            if pool6 is not None and net.enable_ipv6:
                try:
                    address6 = self._take(net, pool6, ipam_cfg.get("IPv6Address") or "", v6=True)
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

    @staticmethod
    def _take(net: Network, pool: Pool, wanted: str, v6: bool) -> IPAddr:
        if wanted:
            try:
                address = ipaddress.ip_address(wanted)
            except ValueError:
                if v6:
                    raise messages.address_not_in_subnet(wanted) from None
                raise messages.invalid_ipv4(wanted) from None
            if not pool.contains(address):
                raise messages.address_not_in_subnet(wanted)
            if not pool.reserve(address):
                raise messages.address_in_use()
            return address
        address = pool.allocate()
        if address is None:
            raise messages.no_available_address(net.name)
        return address

    def _release(self, net: Network, container_id: str) -> None:
        endpoint = net.endpoints.pop(container_id, None)
        if endpoint is None:
            return
        for text in (endpoint.ipv4, endpoint.ipv6):
            if not text or (text == endpoint.ipv4 and not endpoint.pooled):
                continue
            address = ipaddress.ip_address(text)
            for pool in net.pools:
                if pool.contains(address):
                    pool.release(address)

    # swarm tasks -------------------------------------------------------------------------
    def allocate_ip(self, network: Any) -> str:
        """A free IPv4 address of ``network`` (a Network or a reference), for a task or VIP."""
        with self.engine.lock:
            net = self.get(network)
            pool = net.pool4()
            if pool is None:
                raise messages.no_available_address(net.name)
            address = pool.allocate()
            if address is None:
                raise messages.no_available_address(net.name)
            return str(address)

    def release_ip(self, network: Any, ip: str) -> None:
        with self.engine.lock:
            net = network if isinstance(network, Network) else self.resolve(network)
            if net is None or not ip:
                return
            address = ipaddress.ip_address(ip.split("/", 1)[0])
            for pool in net.pools:
                if pool.contains(address):
                    pool.release(address)

    # container inspect ---------------------------------------------------------------------
    def network_settings(self, container: Any, ports: dict[str, Any] | None = None,
                         sandbox_id: str | None = None) -> dict[str, Any]:
        """A container's inspect ``NetworkSettings`` (top-level fields from its ``bridge``
        endpoint, as the daemon shows them)."""
        with self.engine.lock:
            bridge = container.networks.get("bridge") or empty_endpoint_settings()
            sandbox = sandbox_id if sandbox_id is not None else getattr(container, "sandbox_id", "")
            if _network_mode(container) == "host" and sandbox:
                key = "/var/run/docker/netns/default"
            else:
                key = f"/var/run/docker/netns/{sandbox[:12]}" if sandbox else ""
            return {
                "Bridge": "",
                "SandboxID": sandbox or "",
                "HairpinMode": False,
                "LinkLocalIPv6Address": "",
                "LinkLocalIPv6PrefixLen": 0,
                "Ports": ports if ports is not None else {},
                "SandboxKey": key,
                "SecondaryIPAddresses": None,
                "SecondaryIPv6Addresses": None,
                "EndpointID": bridge["EndpointID"],
                "Gateway": bridge["Gateway"],
                "GlobalIPv6Address": bridge["GlobalIPv6Address"],
                "GlobalIPv6PrefixLen": bridge["GlobalIPv6PrefixLen"],
                "IPAddress": bridge["IPAddress"],
                "IPPrefixLen": bridge["IPPrefixLen"],
                "IPv6Gateway": bridge["IPv6Gateway"],
                "MacAddress": bridge["MacAddress"],
                "Networks": {name: dict(ep) for name, ep in container.networks.items()},
            }


def _next_pool(pools: list[ipaddress.IPv4Network], cursor: int,
               taken: list[IPNetwork]) -> tuple[ipaddress.IPv4Network | None, int]:
    """The first pool from ``cursor`` on (wrapping) that overlaps nothing taken."""
    n = len(pools)
    for i in range(n):
        index = (cursor + i) % n
        candidate = pools[index]
        if not any(t.version == 4 and candidate.overlaps(t) for t in taken):
            return candidate, index + 1
    return None, cursor


def _created_ts(created: str) -> float:
    try:
        stamp = datetime.strptime(created[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return 0.0
    return stamp.replace(tzinfo=timezone.utc).timestamp()


def _until(values: list[str] | None, now: float) -> float | None:
    if not values:
        return None
    value = values[-1]
    try:
        return float(value)
    except ValueError:
        pass
    units = {"s": 1, "m": 60, "h": 3600}
    if value and value[-1] in units:
        try:
            return now - float(value[:-1]) * units[value[-1]]
        except ValueError:
            pass
    raise DaemonError(400, f"invalid filter 'until={value}'")
