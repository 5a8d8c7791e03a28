"""Networks: the predefined bridge/host/none, user-defined ones, endpoints and addresses.

Interface used by other modules (containers, swarm):

- ``engine.networks.by_id: dict[str, Network]``; a Network has at least ``id``, ``name``,
  ``driver``, ``scope``, ``attachable``, ``labels``.
- ``engine.networks.resolve(ref) -> Network | None`` (full id, unique id prefix, or name);
  ``engine.networks.get(ref) -> Network`` raises ``messages.no_such_network``.
- ``engine.networks.connect(network, container, aliases=None, ipv4=None, links=None) -> dict``:
  attach ``container`` (its ``networks`` dict gets ``network.name -> EndpointSettings`` in the
  Engine API shape); a running container gets its address at once, others at start.
- ``engine.networks.disconnect(network, container, force=False)``.
- ``engine.networks.on_start(container)`` / ``on_stop(container)`` / ``on_remove(container)``:
  allocate addresses (IPAddress, Gateway, MacAddress, EndpointID...) on every attached network
  when the container starts, release them when it stops, forget the endpoints when removed.
- ``engine.networks.allocate_ip(network) -> str`` / ``release_ip(network, ip)``: addresses for
  swarm tasks.
"""

from __future__ import annotations

from typing import Any


class NetworkStore:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.by_id: dict[str, Any] = {}
