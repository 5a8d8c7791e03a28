"""A pull that really downloads, slowly, from the loopback registry: an image made of the
single-user image plus a layer of fresh random bytes (which the daemon cannot have), pushed under
a unique tag, and benchmarks/throttle_proxy.py (a bandwidth-capped relay) in front of the
registry.  For the tests that act while a pull runs (the progress bar, a spawn stopped mid-pull).

The host's own daemon builds and pushes (the registry listens on the host's loopback).  The
throttled registry is where the selected engine (tests/integration/engines.py) reaches it: the
throttle proxy's own loopback port for the host's daemon; for an engine in a node,
scripts/lib/tcp-relay.py on one of the engine's ``relay_ports`` of the host's address on the
nodes' network (which the engine treats as a plain-HTTP registry) in front of the proxy (which
listens on loopback only).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import engines
import pytest
import requests
from demo_hub import HTTP_TIMEOUT, IMAGE, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
THROTTLE_PROXY = REPO / "benchmarks" / "throttle_proxy.py"
TCP_RELAY = REPO / "scripts" / "lib" / "tcp-relay.py"
REGISTRY = "127.0.0.1:5000"  # where the host's daemon pushes


@contextlib.contextmanager
def fresh_image(client: docker.DockerClient, repository: str, layer_mb: int) -> Iterator[str]:
    """``<repository>:<unique tag>`` in the registry and not on the daemon: the single-user image
    plus ``layer_mb`` MiB of fresh random bytes (incompressible, never seen by the daemon, so a
    pull really downloads them).  ``client`` is the host's own daemon (it builds, and pushes to
    the registry on its loopback; an engine in a node pulls the same content through a relay).
    The tag is removed from the registry afterwards (best effort; the blobs stay until the
    registry's garbage collection)."""
    tag = secrets.token_hex(6)
    ref = f"{REGISTRY}/{repository}:{tag}"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="slowpull-") as tmp:
        with open(Path(tmp) / "blob.bin", "wb") as out:
            for _ in range(layer_mb):
                out.write(os.urandom(1 << 20))
        (Path(tmp) / "Dockerfile").write_text(
            f"FROM {IMAGE}\nCOPY blob.bin /opt/slowpull/blob.bin\nLABEL org.dockerspawner.slowpull={tag}\n")
        client.images.build(path=tmp, tag=ref, rm=True, forcerm=True, pull=False)
    try:
        for line in client.api.push(f"{REGISTRY}/{repository}", tag=tag, stream=True, decode=True):
            if "error" in line:
                pytest.fail(f"pushing {ref}: {line['error']}")
    finally:
        client.images.remove(ref, force=True)
    print(f"built and pushed {ref} ({layer_mb} MiB layer) in {time.monotonic() - started:.1f} s")
    try:
        yield f"{repository}:{tag}"
    finally:
        with contextlib.suppress(requests.RequestException):
            head = requests.head(
                f"http://{REGISTRY}/v2/{repository}/manifests/{tag}", timeout=HTTP_TIMEOUT,
                headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
            digest = head.headers.get("Docker-Content-Digest")
            if head.ok and digest:
                requests.delete(f"http://{REGISTRY}/v2/{repository}/manifests/{digest}", timeout=HTTP_TIMEOUT)


@contextlib.contextmanager
def listening_process(what: str, argv: list[str], log_path: Path) -> Iterator[subprocess.Popen]:
    """``argv`` running until the block ends (SIGTERM, then SIGKILL), once its output (in
    ``log_path``) says ``listening``; fails when it exits first."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def listening() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with {proc.returncode}: {log_path.read_text()}")
            return "listening" in log_path.read_text()

        wait_for(f"{what} to listen", listening, 15, interval=0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        print(f"--- {what} ---\n{log_path.read_text(errors='replace')}")


def free_relay_port(host: str, ports: tuple[int, ...]) -> int:
    """The first of ``ports`` nothing listens on at ``host`` (another test may hold the others;
    connections of an earlier relay in TIME_WAIT do not count, as tcp-relay.py reuses the address)."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    pytest.fail(f"every relay port of {host} ({ports}) is taken")


@contextlib.contextmanager
def throttled_registry(log_dir: Path, rate: float) -> Iterator[str]:
    """``HOST:PORT``: the registry behind throttle_proxy.py at ``rate`` bytes/s, where the
    selected engine reaches it as a plain-HTTP registry: the proxy's loopback port for the host's
    daemon; scripts/lib/tcp-relay.py on ``relay_host``:one of ``relay_ports`` in front of it for
    an engine in a node (see engines.Engine)."""
    engine = engines.selected()
    proxy_at = f"127.0.0.1:{free_port('127.0.0.1')}"
    with listening_process("throttle proxy", [sys.executable, str(THROTTLE_PROXY), "--listen", proxy_at,
                                              "--upstream", REGISTRY, "--rate", str(rate)],
                           log_dir / "throttle_proxy.log"):
        if not engine.relay_ports:
            yield proxy_at
            return
        listen = f"{engine.relay_host}:{free_relay_port(engine.relay_host, engine.relay_ports)}"
        with listening_process("relay to the throttle proxy", [sys.executable, str(TCP_RELAY), listen, proxy_at],
                               log_dir / "tcp_relay.log"):
            yield listen
