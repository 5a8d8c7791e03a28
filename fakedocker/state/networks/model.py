"""The network model: a :class:`Network` with its address pools and endpoints, as inspect
shows it."""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass, field
from typing import Any

from ... import messages
from .ipam import Pool

#: names the daemon refuses to create (runconfig.IsPreDefinedNetwork)
RESERVED_NAMES = ("bridge", "host", "none", "default")
LOCAL_DRIVERS = ("bridge", "macvlan", "ipvlan")
SINGLE_INSTANCE_DRIVERS = ("host", "null")
SWARM_DRIVERS = ("overlay",)
#: the endpoint key of the ingress network's own sandbox (not a container)
INGRESS_SBOX = "ingress-sbox"
#: the option an overlay network's VXLAN id is shown in
VXLAN_OPTION = "com.docker.network.driver.overlay.vxlanid_list"

DEFAULT_BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": "docker0",
    "com.docker.network.driver.mtu": "1500",
}

#: the EndpointSettings fields that exist only while the container runs
OPERATIONAL_FIELDS = {
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


def parse_mac(text: str) -> str:
    """Go's ``net.ParseMAC`` (6, 8 or 20 bytes; ``:``, ``-`` or ``.``-separated), as its
    lowercase colon form; the daemon's 500 (at start) when malformed."""
    groups: list[str] | None = None
    if len(text) >= 14:
        if text[2] in ":-" and (len(text) + 1) % 3 == 0:
            groups = text.split(text[2])
            if any(len(g) != 2 for g in groups):
                groups = None
        elif text[4] == "." and (len(text) + 1) % 5 == 0:
            quads = text.split(".")
            if all(len(q) == 4 for q in quads):
                groups = [q[i:i + 2] for q in quads for i in (0, 2)]
    if (groups is None or len(groups) not in (6, 8, 20)
            or not all(c in string.hexdigits for g in groups for c in g)):
        raise messages.invalid_mac_address(text)
    return ":".join(g.lower() for g in groups)


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

    def release_address(self, text: str) -> None:
        """Give ``text`` (``10.0.1.3`` or ``10.0.1.3/24``) back to the pool it came from."""
        address = ipaddress.ip_address(text.split("/", 1)[0])
        for pool in self.pools:
            if pool.contains(address):
                pool.release(address)

    def release_endpoint(self, container_id: str) -> None:
        """Drop the container's endpoint and give its own addresses back."""
        endpoint = self.endpoints.pop(container_id, None)
        if endpoint is None:
            return
        for text in (endpoint.ipv4, endpoint.ipv6):
            if not text or (text == endpoint.ipv4 and not endpoint.pooled):
                continue
            self.release_address(text)

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
