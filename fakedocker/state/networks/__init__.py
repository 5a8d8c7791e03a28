"""Networks: the predefined bridge/host/none, user-defined and swarm-scoped ones, endpoints
and addresses (checked against Docker 20.10.24, API 1.41; see the notes in the tests).

- :mod:`.ipam`: address pools, subnets, address allocation;
- :mod:`.model`: the :class:`Network` and its endpoints;
- :mod:`.attach`: connect/disconnect, endpoints joined at container start, task attachments;
- :mod:`.swarm`: swarm-scoped (overlay, ingress) networks and the addresses the swarm takes;
- :mod:`.store`: ``engine.networks``, the table of networks and the facade over the others.
"""

from .attach import NetworkAttachments
from .ipam import LOCAL_POOLS, SWARM_POOLS, AddressPools, Pool
from .model import (
    INGRESS_SBOX,
    RESERVED_NAMES,
    Endpoint,
    Network,
    empty_endpoint_settings,
    mac_for,
)
from .store import NetworkStore
from .swarm import SwarmNetworks

__all__ = [
    "INGRESS_SBOX", "LOCAL_POOLS", "RESERVED_NAMES", "SWARM_POOLS", "AddressPools", "Endpoint",
    "Network", "NetworkAttachments", "NetworkStore", "Pool", "SwarmNetworks",
    "empty_endpoint_settings", "mac_for",
]
