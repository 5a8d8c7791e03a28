"""A client wrapper that fails on any attribute outside the spawners' Docker protocol."""

from __future__ import annotations

from typing import Any

from dockerspawner.client import PROTOCOL_METHODS

#: plain attributes (not calls) the spawners may read
PROTOCOL_ATTRIBUTES = frozenset({"api_version"})


class OutsideProtocol(AssertionError):
    pass


class StrictClient:
    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name in PROTOCOL_METHODS or name in PROTOCOL_ATTRIBUTES:
            return getattr(self._client, name)
        raise OutsideProtocol(f"spawner used docker client attribute {name!r}, not in the protocol")
