"""A large image in the local registry, for a pull that takes a while (cached between runs).

    python benchmarks/big_image.py [--mb 320]      # make sure it is in the registry

The image is the single-user image plus one layer of random (incompressible) bytes, so a
container of it runs the light server like any other, and a pull downloads only that layer
(the base layers are present).  It is pushed to the loopback registry at 127.0.0.1:5000 as
``spawnbench/big:<MB>m`` once; later runs find it there.  After the push the local copy is
removed, so the next pull really downloads the layer.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

import docker
import docker.errors

REGISTRY = "127.0.0.1:5000"
REPOSITORY = "spawnbench/big"
BASE_IMAGE = "quay.io/jupyterhub/singleuser:6.1"


def tag_for(mb: int) -> str:
    return f"{mb}m"


def in_registry(mb: int, registry: str = REGISTRY) -> bool:
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{REPOSITORY}/tags/list", timeout=10) as reply:
            return tag_for(mb) in (json.load(reply).get("tags") or [])
    except OSError:
        return False


def remove_local(client: docker.DockerClient, repository_prefix: str) -> list[str]:
    """Remove every local tag of ``REPOSITORY`` under any registry address (``host:port/``)."""
    removed = []
    for image in client.images.list():
        for tag in image.tags:
            if tag.split("/", 1)[-1].startswith(REPOSITORY + ":") and tag.startswith(repository_prefix):
                try:
                    client.images.remove(tag, force=True)
                    removed.append(tag)
                except docker.errors.NotFound:
                    pass
    return removed


def ensure(client: docker.DockerClient, mb: int, base: str = BASE_IMAGE, log=print) -> str:
    """Make ``REGISTRY/REPOSITORY:<mb>m`` pullable; returns ``REPOSITORY:<tag>`` (no registry)."""
    name = f"{REPOSITORY}:{tag_for(mb)}"
    if in_registry(mb):
        return name
    ref = f"{REGISTRY}/{name}"
    log(f"building {ref} ({mb} MB of random data over {base}; once, then cached in the registry)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spawnbench-big-") as tmp:
        blob = Path(tmp) / "blob.bin"
        with open(blob, "wb") as out:
            for _ in range(mb):
                out.write(os.urandom(1 << 20))
        (Path(tmp) / "Dockerfile").write_text(
            f"FROM {base}\nCOPY blob.bin /opt/spawnbench/blob.bin\nLABEL org.spawnbench.big={mb}m\n")
        client.images.build(path=tmp, tag=ref, rm=True, forcerm=True, pull=False)
    for line in client.api.push(f"{REGISTRY}/{REPOSITORY}", tag=tag_for(mb), stream=True, decode=True):
        if "error" in line:
            raise RuntimeError(f"pushing {ref}: {line['error']}")
    client.images.remove(ref, force=True)
    log(f"pushed {ref} in {time.monotonic() - started:.0f} s")
    if not in_registry(mb):
        raise RuntimeError(f"{ref} is not in the registry after the push")
    return name


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=320)
    args = parser.parse_args()
    docker_client = docker.DockerClient(base_url="unix:///var/run/docker.sock", timeout=600)
    print(ensure(docker_client, args.mb))
