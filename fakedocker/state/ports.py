"""The node's published ports: the one table of which container holds which host port.

Containers bind their published ports here when they start and give them back when they
exit; the swarm asks it which containers still hold the host-mode ports a new task needs
(:meth:`HostPorts.holds`).  What it models of the daemon:

- a binding without ``HostPort`` gets an ephemeral port from :data:`PORT_RANGE`, the next one
  after the last handed out (round robin), skipping ports that are busy on this machine when
  :attr:`HostPorts.probe` is on (a bind() test: the fake's containers may run real servers);
- a fixed port (or range) conflicts with any holder whose host IP overlaps (the wildcard
  overlaps everything); the caller turns :class:`PortAlreadyAllocated` into the daemon's 500;
- a binding without ``HostIp`` is shown twice, for ``0.0.0.0`` and ``::``, as the daemon
  shows its dual-stack docker-proxy.
"""

from __future__ import annotations

import os
import socket

from .. import messages
from ..routing import DaemonError

#: the daemon's ephemeral range (Linux's default ip_local_port_range)
PORT_RANGE = (32768, 60999)

#: ``(protocol, host port)``
PortKey = tuple[str, int]
#: ``{"HostIp": ..., "HostPort": ...}``, as PortBindings and NetworkSettings.Ports write them
Binding = dict[str, str]

_WILDCARDS = ("", "0.0.0.0", "::")


class PortAlreadyAllocated(Exception):
    """A fixed host port (every port of a fixed range) is held by another container."""

    def __init__(self, host_ip: str, port: int):
        super().__init__(f"{host_ip}:{port}")
        self.host_ip = host_ip
        self.port = port


def split_port_key(spec: str) -> tuple[str, str]:
    """``"80/udp"`` -> ``("80", "udp")``; the protocol defaults to tcp."""
    port, _, proto = str(spec).partition("/")
    return port, (proto or "tcp")


def _host_ips_overlap(a: str, b: str) -> bool:
    return a in _WILDCARDS or b in _WILDCARDS or a == b


class HostPorts:
    def __init__(self) -> None:
        #: (proto, host port) -> [(host ip, owner id)] of every binding held
        self.table: dict[PortKey, list[tuple[str, str]]] = {}
        #: the ephemeral port tried next
        self.next_port = PORT_RANGE[0]
        #: check with a bind() that an ephemeral port is free on the host before handing it out
        self.probe = True
        #: keep each held port bound on this machine while a container has it (see
        #: :meth:`_hold_on_host`): for tests whose containers run real servers on those ports
        self.hold_on_host = False
        self._start_spread = False
        self._held_sockets: dict[PortKey, socket.socket] = {}

    # binding ---------------------------------------------------------------------------
    def bind(self, owner: str, requested: dict[str, list[Binding]]) -> dict[str, list[Binding]]:
        """Hold ``requested`` (``"80/tcp"`` -> bindings, ``HostPort`` "" for an ephemeral one)
        for ``owner``; returns what it holds, as ``NetworkSettings.Ports`` shows it.  On
        :class:`PortAlreadyAllocated` (or an exhausted ephemeral range) nothing stays held."""
        result: dict[str, list[Binding]] = {}
        registered: list[tuple[PortKey, tuple[str, str]]] = []
        try:
            for key, wanted in requested.items():
                _, proto = split_port_key(key)
                out: list[Binding] = []
                for b in wanted:
                    ip = (b or {}).get("HostIp") or ""
                    hp = str((b or {}).get("HostPort") or "")
                    if hp:
                        port = self._first_free_of(proto, ip, hp)
                    else:
                        port = self._ephemeral_port(proto)
                    entry = (ip, owner)
                    if (proto, port) not in self.table:
                        self._hold_on_host((proto, port))
                    self.table.setdefault((proto, port), []).append(entry)
                    registered.append(((proto, port), entry))
                    if ip:
                        out.append({"HostIp": ip, "HostPort": str(port)})
                    else:
                        out.append({"HostIp": "0.0.0.0", "HostPort": str(port)})
                        out.append({"HostIp": "::", "HostPort": str(port)})
                result[key] = out
        except (PortAlreadyAllocated, DaemonError):
            for pkey, entry in registered:
                self._unbind(pkey, entry)
            raise
        return result

    def release(self, owner: str, bound: dict[str, list[Binding]]) -> None:
        """Give back what :meth:`bind` returned for ``owner``."""
        for key, bindings in bound.items():
            _, proto = split_port_key(key)
            seen = set()
            for b in bindings:
                port = int(b["HostPort"])
                ip = b["HostIp"]
                if ip in ("0.0.0.0", "::"):
                    ip = ""
                if (ip, port) in seen:  # the 0.0.0.0 and :: entries of one binding
                    continue
                seen.add((ip, port))
                self._unbind((proto, port), (ip, owner))

    def holds(self, owner: str, keys: set[PortKey]) -> bool:
        """Whether ``owner`` holds any of ``keys``."""
        return any(owner == holder for key in keys for _, holder in self.table.get(key, ()))

    def close(self) -> None:
        """Let go of the ports held on this machine (the engine is closing)."""
        for held in self._held_sockets.values():
            held.close()
        self._held_sockets.clear()

    # internals -------------------------------------------------------------------------
    def _first_free_of(self, proto: str, ip: str, host_port: str) -> int:
        """The first port of ``host_port`` (``"8080"`` or ``"8080-8090"``) no overlapping
        host IP holds."""
        first, _, last = host_port.partition("-")
        candidates = range(int(first), int(last or first) + 1)
        for p in candidates:
            users = self.table.get((proto, p), [])
            if not any(_host_ips_overlap(ip, uip) for uip, _ in users):
                return p
        raise PortAlreadyAllocated(ip or "0.0.0.0", candidates[0])

    def _free_on_host(self, proto: str, port: int) -> bool:
        other = "udp" if proto == "tcp" else "tcp"
        if (proto, port) in self.table or (other, port) in self.table:
            return False
        if not self.probe:
            return True
        kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("", port))
        except OSError:
            return False
        return True

    def _ephemeral_port(self, proto: str) -> int:
        lo, hi = PORT_RANGE
        span = hi - lo + 1
        if self.probe and not self._start_spread:
            # engines in different processes (parallel test workers) would all start at the
            # bottom of the range and race for the same free ports: start each process apart
            self._start_spread = True
            self.next_port = lo + (os.getpid() * 2654435761) % span
        for _ in range(span):
            port = self.next_port
            self.next_port = lo if port >= hi else port + 1
            if self._free_on_host(proto, port):
                return port
        raise messages.no_available_ports()

    def _unbind(self, pkey: PortKey, entry: tuple[str, str]) -> None:
        users = self.table.get(pkey)
        if users and entry in users:
            users.remove(entry)
            if not users:
                del self.table[pkey]
                held = self._held_sockets.pop(pkey, None)
                if held is not None:
                    held.close()

    def _hold_on_host(self, pkey: PortKey) -> None:
        """With :attr:`hold_on_host`, keep a published port bound on this machine while a
        container has it, as docker-proxy does: the kernel then hands it to no other socket
        (ephemeral ports of connections and of ``bind(0)`` included), while the container's
        own server, binding with SO_REUSEADDR as servers do, still gets it.  The socket does
        not listen."""
        if not (self.probe and self.hold_on_host):
            return
        proto, port = pkey
        held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            held.bind(("", port))
        except OSError:
            held.close()
            return
        self._held_sockets[pkey] = held
