"""Images: references, the local image store and the fake registry images are pulled from."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from docker.auth import INDEX_NAME, split_repo_name
from docker.utils import parse_repository_tag

from .. import messages
from ..versions import version_tuple

DEFAULT_CONFIG: dict[str, Any] = {
    "Hostname": "",
    "Domainname": "",
    "User": "",
    "AttachStdin": False,
    "AttachStdout": False,
    "AttachStderr": False,
    "Tty": False,
    "OpenStdin": False,
    "StdinOnce": False,
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": None,
    "Image": "",
    "Volumes": None,
    "WorkingDir": "",
    "Entrypoint": None,
    "OnBuild": None,
    "Labels": None,
}

_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_DIGEST = re.compile(r"^[a-z0-9]+:[a-f0-9]{32,}$")
_HEX_ID = re.compile(r"^(?:sha256:)?([a-f0-9]{1,64})$")


@dataclass(frozen=True)
class Reference:
    """A parsed image reference.  ``repository`` is in Docker's familiar form (``busybox``,
    ``jupyterhub/singleuser``, ``127.0.0.1:5000/x``), as RepoTags show it."""

    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def domain(self) -> str:
        return split_repo_name(self.repository)[0]

    @property
    def path(self) -> str:
        """The repository path within its registry (``library/busybox`` for Docker Hub)."""
        domain, remote = split_repo_name(self.repository)
        if domain != INDEX_NAME:
            return remote
        return self.repository if "/" in self.repository else "library/" + self.repository

    @property
    def tagged(self) -> str:
        """``repository:tag`` (``:latest`` when no tag was given)."""
        return f"{self.repository}:{self.tag or 'latest'}"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return self.tagged


def parse_reference(ref: str) -> Reference:
    """Parse ``ref`` the way the daemon does, raising the daemon's 400 for malformed ones."""
    if not ref or ref != ref.strip():
        raise messages.invalid_reference_format()
    name, at, digest = ref.partition("@")
    if at and not _DIGEST.match(digest):
        raise messages.invalid_reference_format()
    name, tag = parse_repository_tag(name)
    if tag is not None and not _TAG.match(tag):
        raise messages.invalid_reference_format()
    domain, path = split_repo_name(name)
    path_parts = path.split("/")
    for component in path_parts:
        if not _COMPONENT.match(component):
            if component.lower() != component and _COMPONENT.match(component.lower()):
                official = domain in (INDEX_NAME, "index.docker.io") and len(path_parts) == 1
                raise messages.repository_name_not_lowercase(f"library/{path}" if official else path)
            raise messages.invalid_reference_format()
    # familiar form: docker.io/library/x -> x, docker.io/u/x -> u/x
    if path != name and domain in (INDEX_NAME, "index.docker.io"):
        path_parts = path_parts[1:] if path_parts[0] == "library" and len(path_parts) == 2 else path_parts
        name = "/".join(path_parts)
    return Reference(name, tag, digest or None)


def synthetic_config_blob(config: dict, layers: list[Layer], architecture: str = "amd64",
                          os: str = "linux") -> bytes:
    """The config blob of an image fakedocker made up (added or pulled): what its id is the
    digest of, and what ``docker save`` writes for it.  It has no ``created``, so an image's
    id depends on its content only."""
    return json.dumps(
        {"architecture": architecture, "config": config, "os": os,
         "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]}},
        separators=(",", ":"),
    ).encode()


def blob_digest(blob: bytes) -> str:
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def image_id_for(config: dict, layers: list[Layer]) -> str:
    """An image id derived from its content, as the daemon derives it from the config blob."""
    return blob_digest(synthetic_config_blob(config, layers))


@dataclass
class Layer:
    digest: str  # sha256:... (the layer's diff id)
    size: int
    #: the layer's tar as loaded or imported (None: a made-up layer, which has no content)
    tar: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def short(self) -> str:
        return self.digest.split(":", 1)[1][:12]


def make_layers(seed: str, size: int, count: int | None = None) -> list[Layer]:
    """Deterministic layers for an image of ``size`` bytes (split in up to 3 layers)."""
    if count is None:
        count = 1 if size < 10_000_000 else 3
    count = max(1, count)
    sizes = [size // count] * count
    sizes[-1] += size - sum(sizes)
    return [
        Layer("sha256:" + hashlib.sha256(f"{seed}/layer{i}".encode()).hexdigest(), s)
        for i, s in enumerate(sizes)
    ]


@dataclass
class Image:
    id: str
    config: dict[str, Any]
    created: str
    layers: list[Layer]
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    architecture: str = "amd64"
    os: str = "linux"
    comment: str = ""
    docker_version: str = ""
    #: the config blob the id is the digest of, when it came from outside (load, import)
    config_blob: bytes | None = field(default=None, repr=False)

    @property
    def blob(self) -> bytes:
        if self.config_blob is not None:
            return self.config_blob
        return synthetic_config_blob(self.config, self.layers, self.architecture, self.os)

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def short_id(self) -> str:
        return self.id.split(":", 1)[1][:12]

    def inspect(self, api_version: str = "1.41", profile: Any = None) -> dict[str, Any]:
        """``GET /images/{name}/json`` for a client of ``api_version`` (1.44 on: no
        ``ContainerConfig``, ``VirtualSize`` or ``Container``), from an engine of ``profile``
        (26.1 has no ``Container`` at any API version)."""
        answer = self._inspect()
        if profile is not None and not profile.image_container_field:
            answer.pop("Container")
        if version_tuple(api_version) >= (1, 44):
            for key in ("ContainerConfig", "VirtualSize", "Container"):
                answer.pop(key, None)
        return answer

    def _inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "RepoTags": list(self.repo_tags),
            "RepoDigests": list(self.repo_digests),
            "Parent": "",
            "Comment": self.comment,
            "Created": self.created,
            "Container": "",
            "ContainerConfig": {**DEFAULT_CONFIG, "Env": None, "Cmd": None},
            "DockerVersion": self.docker_version,
            "Author": "",
            "Config": dict(self.config),
            "Architecture": self.architecture,
            "Os": self.os,
            "Size": self.size,
            "VirtualSize": self.size,
            "GraphDriver": {"Data": {}, "Name": "overlay2"},
            "RootFS": {"Type": "layers", "Layers": [layer.digest for layer in self.layers]},
            "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
        }

    def summary(self, created_unix: int, api_version: str = "1.41") -> dict[str, Any]:
        """An entry of ``GET /images/json``: from API 1.44 on, plain lists (no ``<none>``
        placeholders, no null) and no ``VirtualSize``."""
        api_1_44 = version_tuple(api_version) >= (1, 44)
        digests: list[str] | None
        tags: list[str] | None
        if api_1_44:
            digests, tags = list(self.repo_digests), list(self.repo_tags)
        else:
            digests = list(self.repo_digests) or (None if self.repo_tags else ["<none>@<none>"])
            tags = list(self.repo_tags) or (None if self.repo_digests else ["<none>:<none>"])
        entry = {
            "Containers": -1,
            "Created": created_unix,
            "Id": self.id,
            "Labels": (self.config.get("Labels") or None),
            "ParentId": "",
            "RepoDigests": digests,
            "RepoTags": tags,
            "SharedSize": -1,
            "Size": self.size,
            "VirtualSize": self.size,
        }
        if api_1_44:
            del entry["VirtualSize"]
        return entry


def full_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """An image Config with the daemon's defaults for what ``config`` leaves out."""
    merged = dict(DEFAULT_CONFIG)
    merged.update(config or {})
    return merged


class ImageStore:
    """The images present on the daemon, and their tags."""

    def __init__(self) -> None:
        self.by_id: dict[str, Image] = {}
        self.tags: dict[str, str] = {}  # "repo:tag" -> image id
        self.digests: dict[str, str] = {}  # "repo@sha256:..." -> image id

    def add(self, image: Image, ref: Reference | None = None) -> Image:
        existing = self.by_id.get(image.id)
        if existing is not None:
            image = existing
        else:
            self.by_id[image.id] = image
        if ref is not None:
            self.tag(image, ref)
        return image

    def add_pulled(self, ref: Reference, remote: RegistryImage, created: str) -> Image:
        """The image ``ref`` names in the registry, now present and tagged (by ``ref`` and by
        its manifest digest), as a pull leaves it."""
        image_id = image_id_for(remote.config, remote.layers)
        image = self.by_id.get(image_id) or Image(
            image_id, dict(remote.config), created, list(remote.layers)
        )
        self.add(image, ref)
        self.tag(image, Reference(ref.repository, None, remote.digest))
        return image

    def tag(self, image: Image, ref: Reference) -> None:
        if ref.digest:
            key = f"{ref.repository}@{ref.digest}"
            self.digests[key] = image.id
            if key not in image.repo_digests:
                image.repo_digests.append(key)
            return
        key = ref.tagged
        previous = self.tags.get(key)
        if previous is not None and previous != image.id and previous in self.by_id:
            old = self.by_id[previous]
            old.repo_tags = [t for t in old.repo_tags if t != key]
        self.tags[key] = image.id
        if key not in image.repo_tags:
            image.repo_tags.append(key)

    def untag(self, key: str) -> None:
        image_id = self.tags.pop(key, None)
        if image_id and image_id in self.by_id:
            image = self.by_id[image_id]
            image.repo_tags = [t for t in image.repo_tags if t != key]

    def resolve(self, ref: str) -> Image | None:
        """The image ``ref`` names (tag, digest, full id or unique id prefix), or None."""
        m = _HEX_ID.match(ref)
        if m:
            hexid = m.group(1)
            if len(hexid) == 64:
                image = self.by_id.get("sha256:" + hexid)
                if image is not None:
                    return image
            else:
                matches = [i for i in self.by_id.values() if i.id[7:].startswith(hexid)]
                if len(matches) == 1:
                    return matches[0]
        try:
            parsed = parse_reference(ref)
        except messages.DaemonError:
            return None
        if parsed.digest:
            image_id = self.digests.get(f"{parsed.repository}@{parsed.digest}")
        else:
            image_id = self.tags.get(parsed.tagged)
        return self.by_id.get(image_id) if image_id else None

    def get(self, ref: str) -> Image:
        image = self.resolve(ref)
        if image is None:
            raise messages.no_such_image(ref)
        return image

    def remove(self, image: Image) -> None:
        self.by_id.pop(image.id, None)
        for tag in image.repo_tags:
            self.tags.pop(tag, None)
        for digest in image.repo_digests:
            self.digests.pop(digest, None)


@dataclass
class RegistryImage:
    config: dict[str, Any]
    layers: list[Layer]
    digest: str  # manifest digest

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)


class Registry:
    """Every registry the fake daemon can pull from, keyed by reference.

    ``bandwidth`` (bytes per second, None: unlimited) paces pulls when the engine's
    transitions run on a timer; ``unreachable`` holds registry hosts that fail to resolve.
    """

    def __init__(self) -> None:
        self.images: dict[str, RegistryImage] = {}
        self.bandwidth: float | None = None
        self.unreachable: set[str] = set()

    def push(self, ref: str, config: dict[str, Any] | None = None, size: int = 5_000_000,
             layers: int | None = None) -> str:
        """Make ``ref`` pullable; returns the manifest digest."""
        parsed = parse_reference(ref)
        layer_list = make_layers(f"{parsed.tagged}/{json.dumps(config, sort_keys=True)}/{size}", size, layers)
        digest = "sha256:" + hashlib.sha256(
            json.dumps([parsed.tagged, config, [lay.digest for lay in layer_list]], sort_keys=True).encode()
        ).hexdigest()
        self.images[parsed.tagged] = RegistryImage(full_config(config), layer_list, digest)
        return digest

    def remove(self, ref: str) -> None:
        self.images.pop(parse_reference(ref).tagged, None)

    def lookup(self, ref: Reference) -> RegistryImage | None:
        if ref.digest:
            for key, image in self.images.items():
                if key.rsplit(":", 1)[0] == ref.repository and image.digest == ref.digest:
                    return image
            return None
        return self.images.get(ref.tagged)
