"""The address pools of ``swarm init`` (``DefaultAddrPool``, ``SubnetSize``) and its data path
port, as Docker 20.10 validates and stores them (checked on a freshly initialised swarm):

- no ``DefaultAddrPool`` at all (JSON null or absent): swarmkit's defaults, ``["10.0.0.0/8"]``
  and ``SubnetSize`` 24, whatever ``SubnetSize`` was sent;
- an empty list: no pool (inspect shows ``null``) and the ``SubnetSize`` sent;
- pools: each trimmed of spaces and kept as written (``10.20.0.1/16`` too), with the
  ``SubnetSize`` sent.  With 0 the daemon stores 0 and its swarm networks, ingress
  included, get no subnet: not modelled (501; docker-py always sends a size with a pool);
- swarm networks' subnets are cut from the pools in order (ingress first), SubnetSize each;
- refusals are plain errors (500): a pool that is no CIDR, a subnet size over 29 or smaller
  than a pool's prefix, a data path port outside 1024-49151 (0 means 4789).

Pure functions of the request's values.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ... import messages

DEFAULT_POOL = ["10.0.0.0/8"]
DEFAULT_SUBNET_SIZE = 24
DEFAULT_DATA_PATH_PORT = 4789


def _prefix_length(cidr: str) -> int | None:
    """The prefix length of a CIDR as Go's ``net.ParseCIDR`` reads it (None: not a CIDR)."""
    address, slash, bits = cidr.partition("/")
    if not slash or not bits.isdigit():
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    length = int(bits)
    return length if length <= ip.max_prefixlen else None


def address_pools(pools: list[str] | None, subnet_size: int | None) -> tuple[list[str] | None, int]:
    """``(DefaultAddrPool, SubnetSize)`` as the cluster stores them; raises the daemon's
    refusal."""
    if pools is None:
        return list(DEFAULT_POOL), DEFAULT_SUBNET_SIZE
    size = int(subnet_size or 0)
    checked_size = size or DEFAULT_SUBNET_SIZE
    if checked_size > 29:
        raise messages.subnet_size_out_of_range(checked_size)
    trimmed = [str(p).strip() for p in pools]
    for pool in trimmed:
        ones = _prefix_length(pool)
        if ones is None:
            raise messages.invalid_base_pool(pool)
        if checked_size < ones:
            raise messages.subnet_size_too_small(pool, checked_size)
    if trimmed and not size:
        # the daemon takes it, then gives its swarm networks (ingress too) no subnet at all
        raise messages.not_modelled("a DefaultAddrPool with SubnetSize 0")
    return (trimmed or None), size


def data_path_port(value: Any) -> int:
    port = int(value or 0)
    if port == 0:
        return DEFAULT_DATA_PATH_PORT
    if not 1024 <= port <= 49151:
        raise messages.swarm_invalid_data_path_port(port)
    return port
