"""Image tarballs: what ``docker save`` writes, what ``docker load`` reads, and the single
layer ``docker import`` makes of a root filesystem tar.

The save format is the daemon's (Docker 20.10): for every image its config blob
``<id-hex>.json``; for every layer a directory ``<v1-id>/`` with ``VERSION`` (``1.0``), a
legacy ``json`` and ``layer.tar``; ``manifest.json`` (``[{"Config", "RepoTags", "Layers"}]``)
and, when any image is saved by a tag, ``repositories`` (``{repo: {tag: <top v1-id>}}``).
Entries are sorted by name, as the daemon's directory walk writes them.

A loaded image's id is the digest of its config blob, as the daemon computes it, so a tarball
a real daemon saved loads with the same id it had there; a made-up image (whose config blob
has no ``created``, so that its id depends on its content only) keeps its creation time in
its top layer's legacy ``json``, where a load into fakedocker finds it again.  Layers are taken by the diff ids
the config names (fakedocker does not verify a layer's digest against its tar: the layers of
made-up images have no content, and save writes a placeholder of the right size for them).
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from docker.auth import INDEX_NAME, split_repo_name

from .. import messages
from ..routing import DaemonError
from ..timestamps import rfc3339_nano
from .images import Image, Layer, blob_digest

ZERO_TIME = "0001-01-01T00:00:00Z"
_PLACEHOLDER = ".fakedocker-layer"


def layer_size(tar_bytes: bytes) -> int:
    """The size the daemon reports for a layer: its regular files' bytes plus its symlinks'
    target lengths (what a walk of the unpacked layer adds up)."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return sum(m.size if m.isreg() else len(m.linkname) if m.issym() else 0 for m in tar)


def rootfs_layer(tar_bytes: bytes) -> Layer:
    """The one layer ``docker import`` makes of a root filesystem tar: its diff id is the
    digest of the bytes as sent (an empty body is an empty layer, as the daemon takes it)."""
    try:
        size = layer_size(tar_bytes) if tar_bytes else 0
    except tarfile.TarError:
        raise messages.tar_unexpected_eof() from None
    return Layer("sha256:" + hashlib.sha256(tar_bytes).hexdigest(), size, tar_bytes)


def _empty_tar() -> bytes:
    buf = io.BytesIO()
    tarfile.open(fileobj=buf, mode="w").close()
    return buf.getvalue()


def _layer_tar(layer: Layer) -> bytes:
    if layer.tar is not None:
        return layer.tar
    # a made-up layer: one file of the layer's size, so a load reports the same size
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(_PLACEHOLDER)
        info.size = layer.size
        tar.addfile(info, _Zeros(layer.size))
    return buf.getvalue()


class _Zeros(io.RawIOBase):
    def __init__(self, n: int):
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def _v1_ids(layers: list[Layer]) -> list[str]:
    """Legacy per-layer ids: each derived from its parent's and its own diff id."""
    ids, parent = [], ""
    for layer in layers:
        parent = hashlib.sha256(f"{parent}\n{layer.digest}".encode()).hexdigest()
        ids.append(parent)
    return ids


@dataclass
class SaveItem:
    image: Image
    tags: list[str]  # "repo:tag" the image is saved under (none: saved by id)


def write_save_tar(items: Iterable[SaveItem], mtime: float) -> bytes:
    """The tarball ``GET /images/get`` answers for ``items``."""
    items = list(items)
    files: dict[str, tuple[bytes | None, float]] = {}  # name -> (content, None: dir)
    manifest = []
    repositories: dict[str, dict[str, str]] = {}
    for item in items:
        image = item.image
        created = _unix(image.created, mtime)
        files[image.id.split(":", 1)[1] + ".json"] = (image.blob, created)
        v1_ids = _v1_ids(image.layers)
        for i, (layer, v1_id) in enumerate(zip(image.layers, v1_ids, strict=True)):
            legacy: dict[str, Any] = {"id": v1_id, "created": image.created}
            if i:
                legacy["parent"] = v1_ids[i - 1]
            if i == len(image.layers) - 1:
                legacy["config"] = image.config
            files[v1_id] = (None, created)
            files[f"{v1_id}/VERSION"] = (b"1.0", created)
            files[f"{v1_id}/json"] = (json.dumps(legacy, separators=(",", ":")).encode(), created)
            files[f"{v1_id}/layer.tar"] = (_layer_tar(layer), created)
        manifest.append({
            "Config": image.id.split(":", 1)[1] + ".json",
            "RepoTags": list(item.tags) or None,
            "Layers": [f"{v1_id}/layer.tar" for v1_id in v1_ids],
        })
        for tag in item.tags:
            repo, _, name = tag.rpartition(":")
            repositories.setdefault(repo, {})[name] = v1_ids[-1] if v1_ids else ""
    files["manifest.json"] = (_json_line(manifest or None), 0)
    if repositories:
        files["repositories"] = (_json_line(repositories), 0)
    return _tar_of(files)


_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def write_oci_save_tar(items: Iterable[SaveItem], mtime: float) -> bytes:
    """The tarball Docker 26 answers ``GET /images/get`` with: an OCI image layout (``blobs/``,
    ``index.json``, ``oci-layout``) that still has the ``manifest.json`` and ``repositories``
    of the older format, each path in them naming a blob."""
    items = list(items)
    files: dict[str, tuple[bytes | None, float]] = {}
    if items:
        files.update({"blobs": (None, mtime), "blobs/sha256": (None, mtime)})
    manifest, index = [], []
    repositories: dict[str, dict[str, str]] = {}

    def blob(content: bytes, t: float) -> tuple[str, str]:
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        path = "blobs/sha256/" + digest.split(":", 1)[1]
        files[path] = (content, t)
        return digest, path

    for item in items:
        image = item.image
        created = _unix(image.created, mtime)
        _, config_path = blob(image.blob, created)
        layers, sources = [], {}
        v1_ids = _v1_ids(image.layers)
        for i, (layer, v1_id) in enumerate(zip(image.layers, v1_ids, strict=True)):
            tar = _layer_tar(layer)
            path = "blobs/sha256/" + layer.digest.split(":", 1)[1]
            files[path] = (tar, created)
            layers.append({"mediaType": _OCI_LAYER, "digest": layer.digest, "size": len(tar)})
            sources[layer.digest] = {"mediaType": _OCI_LAYER, "size": len(tar), "digest": layer.digest}
            legacy = {"id": v1_id, "created": image.created, **({"parent": v1_ids[i - 1]} if i else {})}
            blob(json.dumps(legacy, separators=(",", ":")).encode(), created)  # the v1 json, kept
        oci_manifest = json.dumps({
            "schemaVersion": 2, "mediaType": _OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": image.id,
                       "size": len(image.blob)},
            "layers": layers,
        }, separators=(",", ":")).encode()
        digest, _ = blob(oci_manifest, 0)
        entry = {"mediaType": _OCI_MANIFEST, "digest": digest, "size": len(oci_manifest)}
        names: list[str | None] = list(item.tags) or [None]
        for tag in names:
            annotations = {}
            if tag is not None:
                repo, _, name = tag.rpartition(":")
                domain, path = split_repo_name(repo)
                full = f"{domain}/library/{path}" if domain == INDEX_NAME and "/" not in path else f"{domain}/{path}"
                annotations = {"annotations": {"io.containerd.image.name": f"{full}:{name}",
                                               "org.opencontainers.image.ref.name": name}}
                repositories.setdefault(repo, {})[name] = image.layers[-1].digest.split(":", 1)[1] \
                    if image.layers else ""
            index.append({**entry, **annotations})
        manifest.append({
            "Config": config_path,
            "RepoTags": list(item.tags) or None,
            "Layers": ["blobs/sha256/" + layer.digest.split(":", 1)[1] for layer in image.layers],
            "LayerSources": sources,
        })
    files["index.json"] = (json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                       "manifests": index or None}, separators=(",", ":")).encode(), mtime)
    files["manifest.json"] = (_json_line(manifest or None), 0)
    files["oci-layout"] = (b'{"imageLayoutVersion": "1.0.0"}', 0)
    if repositories:
        files["repositories"] = (_json_line(repositories), 0)
    return _tar_of(files)


def _tar_of(files: dict[str, tuple[bytes | None, float]]) -> bytes:
    """A tar of ``files`` (name -> (content, mtime); content None: a directory), sorted."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(files):
            content, t = files[name]
            info = tarfile.TarInfo(name)
            info.mtime = int(t)
            info.uname = info.gname = "root"
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _json_line(value: object) -> bytes:
    return (json.dumps(value, separators=(",", ":")) + "\n").encode()


def _unix(created: str, default: float) -> float:
    try:
        t = datetime.strptime(created[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return default
    return max(0.0, t.timestamp())


@dataclass
class LoadedImage:
    image: Image  # a new Image (the store keeps an existing one with the same id)
    tags: list[str]  # RepoTags of the manifest entry, as written there


def read_load_tar(data: bytes) -> list[LoadedImage]:
    """The images of a ``docker save`` tarball, raising the daemon's error for a body that
    is not one."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data or _empty_tar())) as tar:
            files = {m.name.lstrip("./").rstrip("/"): tar.extractfile(m) for m in tar.getmembers()}
            contents = {name: f.read() for name, f in files.items() if f is not None}
    except (tarfile.TarError, EOFError):
        raise messages.tar_unexpected_eof() from None

    def read(name: str) -> bytes:
        if name not in contents:
            raise messages.load_missing_file(name)
        return contents[name]

    if "manifest.json" not in contents:
        if "repositories" in contents:  # the legacy (pre-1.10) format
            raise messages.not_modelled("POST", "/images/load (a tarball without manifest.json)")
        raise messages.load_missing_repositories()
    manifest = json.loads(read("manifest.json") or b"null") or []
    return [_loaded_image(entry, read) for entry in manifest]


def _loaded_image(entry: dict, read) -> LoadedImage:
    blob = read(entry["Config"])
    config = json.loads(blob)
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    paths = entry.get("Layers") or []
    if len(diff_ids) != len(paths):
        raise messages.load_layer_count_mismatch(len(diff_ids), len(paths))
    layers = []
    for diff_id, path in zip(diff_ids, paths, strict=True):
        tar_bytes = read(path)
        layers.append(Layer(diff_id, _loaded_layer_size(tar_bytes),
                            None if _is_placeholder(tar_bytes) else tar_bytes))
    image = Image(
        blob_digest(blob),
        dict(config.get("config") or {}),
        config.get("created") or _legacy_created(paths, read),
        layers,
        architecture=config.get("architecture") or "",
        os=config.get("os") or "",
        comment=config.get("comment") or "",
        docker_version=config.get("docker_version") or "",
        config_blob=blob,
    )
    return LoadedImage(image, list(entry.get("RepoTags") or []))


def _legacy_created(paths: list[str], read) -> str:
    """The creation time of an image whose config has none: a made-up image fakedocker
    saved (its id is the digest of a config without one) keeps it in the top layer's legacy
    ``json``; otherwise the zero time, as the daemon shows it."""
    if paths:
        try:
            legacy = json.loads(read(posixpath.join(posixpath.dirname(paths[-1]), "json")))
        except (DaemonError, ValueError):
            legacy = {}
        if isinstance(legacy, dict) and isinstance(legacy.get("created"), str):
            return legacy["created"]
    return ZERO_TIME


def _loaded_layer_size(tar_bytes: bytes) -> int:
    try:
        return layer_size(tar_bytes) if tar_bytes else 0
    except tarfile.TarError:
        raise messages.tar_unexpected_eof() from None


def _is_placeholder(tar_bytes: bytes) -> bool:
    if not tar_bytes:
        return False
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        names = tar.getnames()
    return names == [_PLACEHOLDER]


def imported_config_blob(config: dict, layer: Layer, comment: str, created: float,
                         docker_version: str) -> bytes:
    """The config blob ``docker import`` writes (keys in the daemon's order)."""
    when = rfc3339_nano(created)
    return json.dumps(
        {
            "architecture": "amd64",
            "comment": comment,
            "config": config,
            "container_config": _EMPTY_CONTAINER_CONFIG,
            "created": when,
            "docker_version": docker_version,
            "history": [{"created": when, "comment": comment}],
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        },
        separators=(",", ":"),
    ).encode()


_EMPTY_CONTAINER_CONFIG = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
    "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
    "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
    "OnBuild": None, "Labels": None,
}
