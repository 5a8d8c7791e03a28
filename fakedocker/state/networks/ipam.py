"""IPAM: the default address pools, a network's subnets and the addresses taken in them.

What the daemon does (Docker 20.10.24, checked by the parity tests):

- an address is the lowest free one of the subnet (or of its ``IPRange``), the gateway and
  auxiliary addresses excluded; swarm-scoped pools hand addresses out serially instead (the
  next after the last, wrapping), like swarmkit's allocator;
- a user-defined bridge network without a subnet takes the next free default pool after the
  last one handed out (172.18.0.0/16, ... 172.31.0.0/16, then 192.168.0.0/20,
  192.168.16.0/20, ...), round robin; overlay networks take 10.0.N.0/24 the same way.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any

from ... import messages

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

#: the daemon's default local address pools (172.17-31.0.0/16, then 192.168.0.0/16 in /20s)
LOCAL_POOLS: list[ipaddress.IPv4Network] = [
    ipaddress.IPv4Network(f"172.{i}.0.0/16") for i in range(17, 32)
] + [ipaddress.IPv4Network(f"192.168.{i * 16}.0/20") for i in range(16)]
#: swarm's default address pool (10.0.0.0/8 in /24s; the fake hands out 10.0.0-255.0/24)
SWARM_POOLS: list[ipaddress.IPv4Network] = [
    ipaddress.IPv4Network(f"10.0.{i}.0/24") for i in range(256)
]


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


def _next_free_pool(pools: list[ipaddress.IPv4Network], cursor: int,
                    taken: list[IPNetwork]) -> tuple[ipaddress.IPv4Network | None, int]:
    """The first pool from ``cursor`` on (wrapping) that overlaps nothing taken."""
    n = len(pools)
    for i in range(n):
        index = (cursor + i) % n
        candidate = pools[index]
        if not any(t.version == 4 and candidate.overlaps(t) for t in taken):
            return candidate, index + 1
    return None, cursor


def _default_pool(subnet: ipaddress.IPv4Network, serial: bool = False) -> Pool:
    pool = Pool(subnet, subnet.network_address + 1, serial=serial)
    assert pool.gateway is not None
    pool.reserve(pool.gateway)
    return pool


def _configs(ipam: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in ((ipam or {}).get("Config") or []) if c]


def take_address(network_name: str, pool: Pool, wanted: str, v6: bool) -> IPAddr:
    """``wanted`` (a static address) reserved in ``pool``, or the pool's next free address;
    the daemon's errors for a malformed, foreign or taken address and a full pool."""
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
    allocated = pool.allocate()
    if allocated is None:
        raise messages.no_available_address(network_name)
    return allocated


class AddressPools:
    """Where the next network's subnet comes from: the default pools, handed out round
    robin, or the subnets a request configures."""

    def __init__(self) -> None:
        # the predefined bridge has the first local pool
        self._local_cursor = 1
        self._swarm_cursor = 0
        #: where swarm networks' subnets come from: the swarm's DefaultAddrPool cut into
        #: SubnetSize pieces (:meth:`use_swarm_pools`)
        self.swarm_subnets: list[ipaddress.IPv4Network] = SWARM_POOLS

    def use_swarm_pools(self, pools: list[str] | None, subnet_size: int) -> None:
        """Cut swarm networks' subnets from ``pools`` (none: swarmkit's 10.0.0.0/8 by /24),
        the first 256 of each pool, in order."""
        subnets: list[ipaddress.IPv4Network] = []
        for text in pools or ():
            network = ipaddress.ip_network(text, strict=False)
            if isinstance(network, ipaddress.IPv4Network):
                subnets += itertools.islice(network.subnets(new_prefix=subnet_size), 256)
        self.swarm_subnets = subnets or SWARM_POOLS
        self._swarm_cursor = 0

    @staticmethod
    def default_bridge_pool() -> Pool:
        pool = Pool(LOCAL_POOLS[0], ipaddress.IPv4Address("172.17.0.1"), shown_gateway=False)
        assert pool.gateway is not None
        pool.reserve(pool.gateway)
        return pool

    def local_pools(self, driver: str, ipam: dict[str, Any] | None, enable_ipv6: bool,
                    taken: list[IPNetwork]) -> list[Pool]:
        """The pools of a new local network (``taken``: the subnets of the local ones)."""
        v4: list[Pool] = []
        v6: list[Pool] = []
        for cfg in _configs(ipam):
            if not cfg.get("Subnet"):
                continue
            pool = self.user_pool(cfg, taken)
            (v4 if pool.version == 4 else v6).append(pool)
            taken.append(pool.subnet)
        if driver == "bridge" and len(v4) > 1:
            raise messages.bridge_multiple_subnets()
        if not v4:
            subnet, cursor = _next_free_pool(LOCAL_POOLS, self._local_cursor, taken)
            if subnet is None:
                raise messages.no_available_pool()
            v4.append(_default_pool(subnet))
            self._local_cursor = cursor
        if enable_ipv6 and not v6:
            raise messages.no_available_pool(ipv6=True)
        return v4 + v6

    def swarm_pools(self, ipam: dict[str, Any] | None, taken: list[IPNetwork]) -> list[Pool]:
        """The pools of a new swarm-scoped network (``taken``: the swarm networks' subnets)."""
        pools: list[Pool] = []
        for cfg in _configs(ipam):
            if cfg.get("Subnet"):
                pool = self.user_pool(cfg, taken, serial=True)
                pool.shown_gateway = True  # swarm's allocator records the gateway it picks
                pools.append(pool)
        if not any(p.version == 4 for p in pools):
            subnet, self._swarm_cursor = _next_free_pool(self.swarm_subnets, self._swarm_cursor, taken)
            if subnet is None:
                raise messages.no_available_pool()
            pools.insert(0, _default_pool(subnet, serial=True))
        return pools

    @staticmethod
    def user_pool(cfg: dict[str, Any], taken: list[IPNetwork], serial: bool = False) -> Pool:
        """The pool an ``IPAM.Config`` entry with a ``Subnet`` describes (gateway: the one
        given or the subnet's first address; auxiliary addresses reserved)."""
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
