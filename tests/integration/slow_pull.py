"""A pull that really downloads, slowly, from the loopback registry: an image made of the
single-user image plus a layer of fresh random bytes (which the daemon cannot have), pushed under
a unique tag, and benchmarks/throttle_proxy.py (a bandwidth-capped relay) in front of the
registry.  For the tests that act while a pull runs (the progress bar, a spawn stopped mid-pull).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import requests
from demo_hub import HTTP_TIMEOUT, IMAGE, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
THROTTLE_PROXY = REPO / "benchmarks" / "throttle_proxy.py"
REGISTRY = "127.0.0.1:5000"


@contextlib.contextmanager
def fresh_image(client: docker.DockerClient, repository: str, layer_mb: int) -> Iterator[str]:
    """``<repository>:<unique tag>`` in the registry and not on the daemon: the single-user image
    plus ``layer_mb`` MiB of fresh random bytes (incompressible, never seen by the daemon, so a
    pull really downloads them).  The tag is removed from the registry afterwards (best effort;
    the blobs stay until the registry's garbage collection)."""
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
def throttled_registry(log_dir: Path, rate: float) -> Iterator[str]:
    """``127.0.0.1:<port>``: the registry behind throttle_proxy.py at ``rate`` bytes/s."""
    listen = f"127.0.0.1:{free_port('127.0.0.1')}"
    log_path = log_dir / "throttle_proxy.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(THROTTLE_PROXY), "--listen", listen, "--upstream", REGISTRY,
             "--rate", str(rate)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def listening() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"throttle_proxy.py exited with {proc.returncode}: {log_path.read_text()}")
            return "listening" in log_path.read_text()

        wait_for("throttle_proxy.py to listen", listening, 15, interval=0.1)
        yield listen
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        print(f"--- throttle proxy ---\n{log_path.read_text(errors='replace')}")
