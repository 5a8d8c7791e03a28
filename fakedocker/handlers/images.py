"""Image routes: list, inspect, tag, remove, pull (streamed progress), push, import, save,
load and prune."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import DaemonError, Request, Response, route
from ..state.filters import (
    label_matches,
    parse_bool_filter,
    parse_until,
    prune_label_ok,
    reject_unknown_filters,
)
from ..state.image_archive import (
    SaveItem,
    imported_config_blob,
    read_load_tar,
    rootfs_layer,
    write_oci_save_tar,
    write_save_tar,
)
from ..state.image_changes import apply_changes
from ..state.images import (
    DEFAULT_CONFIG,
    Image,
    Reference,
    RegistryImage,
    blob_digest,
    image_id_for,
    parse_reference,
)
from ..transitions import Step

if TYPE_CHECKING:
    from ..engine import FakeEngine


def created_unix(image: Image) -> int:
    try:
        return int(datetime.strptime(image.created[:19], "%Y-%m-%dT%H:%M:%S").timestamp())
    except ValueError:
        return 0


def _reference_matches(image: Image, pattern: str) -> bool:
    for tag in image.repo_tags:
        repo = tag.rsplit(":", 1)[0]
        if fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(repo, pattern):
            return True
    return False


@route("GET", "/images/json", "images")
def list_images(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    with engine.lock:
        out = []
        for image in engine.images.by_id.values():
            if "reference" in filters and not any(
                _reference_matches(image, p) for p in filters["reference"]
            ):
                continue
            if "dangling" in filters:
                dangling = not image.repo_tags
                if (filters["dangling"][-1].lower() in ("1", "true")) != dangling:
                    continue
            if "label" in filters:
                labels = image.config.get("Labels") or {}
                if not all(label_matches(labels, w) for w in filters["label"]):
                    continue
            out.append(image.summary(created_unix(image), req.api_version or engine.api_version))
        return out


@route("GET", "/images/{name:path}/json", "inspect_image")
def inspect_image(engine: FakeEngine, req: Request) -> dict[str, Any]:
    name = req.params["name"]
    with engine.lock:
        image = engine.images.resolve(name)
        if image is None:
            try:
                normalized = parse_reference(name).tagged
            except DaemonError:
                normalized = name
            raise messages.no_such_image_inspect(name, normalized, engine.profile.image_not_found_doubled)
        return image.inspect(req.api_version or engine.api_version, engine.profile)


@route("POST", "/images/{name:path}/tag", "tag")
def tag_image(engine: FakeEngine, req: Request) -> Response:
    repo = req.arg("repo") or ""
    tag = req.arg("tag") or "latest"
    with engine.lock:
        image = engine.images.get(req.params["name"])
        ref = parse_reference(f"{repo}:{tag}")
        engine.images.tag(image, ref)
        engine.emit("image", "tag", image.id, {"name": ref.tagged})
    return Response(201, None)


def _containers_using(engine: FakeEngine, image: Image) -> list[Any]:
    return [c for c in engine.containers.by_id.values() if c.image_id == image.id]


@route("DELETE", "/images/{name:path}", "remove_image")
def remove_image(engine: FakeEngine, req: Request) -> list[dict[str, str]]:
    name = req.params["name"]
    force = req.flag("force")
    with engine.lock:
        image = engine.images.get(name)
        users = _containers_using(engine, image)
        running = [c for c in users if c.running]
        by_tag = _is_tag_reference(name, image)
        if by_tag:
            key = parse_reference(name).tagged
            if len(image.repo_tags) > 1 or (force and users):
                engine.images.untag(key)
                engine.emit("image", "untag", image.id, {"name": key})
                return [{"Untagged": key}]
            if users and not force:
                raise messages.image_in_use(name, users[0].id[:12], image.short_id)
        else:
            if running:
                raise messages.image_delete_running(image.short_id, running[0].id[:12])
            if users and not force:
                raise messages.image_delete_stopped_container(image.short_id, users[0].id[:12])
            if len(image.repo_tags) > 1 and not force:
                raise messages.image_delete_several_repositories(image.short_id)
        result = [{"Untagged": t} for t in image.repo_tags]
        result += [{"Untagged": d} for d in image.repo_digests]
        engine.images.remove(image)
        for t in image.repo_tags:
            engine.emit("image", "untag", image.id, {"name": t})
        if users:  # forced: the image stays for its containers, without tags
            image.repo_tags, image.repo_digests = [], []
            engine.images.add(image)
            return result
        result.append({"Deleted": image.id})
        result += [{"Deleted": layer.digest} for layer in image.layers]
        engine.emit("image", "delete", image.id, {"name": image.id})
        return result


def _is_tag_reference(name: str, image: Image) -> bool:
    return not (image.id == name or image.id[7:].startswith(name.removeprefix("sha256:")))


# pull -------------------------------------------------------------------------------------

def _human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.4g}{unit}" if unit != "B" else f"{int(n)}B"
        n /= 1000
    return f"{n}B"  # pragma: no cover


def _progress_bar(current: int, total: int) -> str:
    width = 50
    filled = int(width * current / total) if total else width
    arrow = "=" * max(0, filled - 1) + (">" if filled < width else "=")
    return f"[{arrow:<{width}}] {_human_size(current):>8}/{_human_size(total)}"


def _progress_line(status: str, id_: str | None = None, current: int | None = None,
          total: int | None = None) -> bytes:
    obj: dict[str, Any] = {"status": status}
    if current is not None and total is not None:
        obj["progressDetail"] = {"current": current, "total": total}
        obj["progress"] = _progress_bar(current, total)
    elif id_ is not None and status not in ("Pulling from",) and not status.startswith("Pulling from"):
        obj["progressDetail"] = {}
    if id_ is not None:
        obj["id"] = id_
    return (json.dumps(obj, separators=(",", ":")) + "\r\n").encode()


def _pull_ref(req: Request) -> Reference:
    from_image = req.arg("fromImage")
    if not from_image:
        raise messages.invalid_reference_format()
    tag = req.arg("tag") or ""
    if tag.startswith("sha256:"):
        return parse_reference(f"{from_image}@{tag}")
    return parse_reference(f"{from_image}:{tag}" if tag else from_image)


def _find_in_registry(engine: FakeEngine, ref: Reference) -> RegistryImage:
    if ref.domain in engine.registry.unreachable:
        raise messages.registry_unreachable(ref.domain)
    found = engine.registry.lookup(ref)
    if found is not None:
        return found
    if ref.domain == "docker.io":
        raise messages.repository_unknown(ref.repository)
    raise messages.manifest_unknown(str(ref))


@route("POST", "/images/create", "pull")
def pull(engine: FakeEngine, req: Request) -> Response:
    if req.arg("fromSrc") is not None and not req.arg("fromImage"):
        return import_image(engine, req)
    ref = _pull_ref(req)
    with engine.lock:
        remote = _find_in_registry(engine, ref)
        image_id = image_id_for(remote.config, remote.layers)
        present = engine.images.by_id.get(image_id)
        lines: list[bytes] = []
        steps: list[Step] = []
        header = _progress_line(f"Pulling from {ref.path if ref.domain != 'docker.io' else ref.repository}",
                       ref.tag or ref.digest or "latest")
        if ref.domain == "docker.io" and "/" not in ref.repository:
            header = _progress_line(f"Pulling from library/{ref.repository}", ref.tag or "latest")
        lines.append(header)
        done: list[bool] = [False]

        def finish_present(image: Image) -> None:
            engine.images.tag(image, ref)
            lines.append(_progress_line(f"Digest: {remote.digest}"))
            lines.append(_progress_line(f"Status: Image is up to date for {ref}"))
            done[0] = True

        if present is not None and ref.tagged in present.repo_tags or (
            present is not None and ref.digest
        ):
            finish_present(present)
            return _pull_response(engine, lines, done)

        known_layers = {layer.digest for image in engine.images.by_id.values() for layer in image.layers}
        for layer in remote.layers:
            if layer.digest in known_layers:
                lines.append(_progress_line("Already exists", layer.short))
            else:
                lines.append(_progress_line("Pulling fs layer", layer.short))
        bandwidth = engine.registry.bandwidth
        for layer in remote.layers:
            if layer.digest in known_layers:
                continue
            parts = 10
            chunk = max(1, layer.size // parts)
            for i in range(1, parts + 1):
                current = min(layer.size, chunk * i) if i < parts else layer.size
                delay = (chunk / bandwidth) if bandwidth else engine.step_delay
                steps.append(Step(_appender(lines, _progress_line("Downloading", layer.short, current, layer.size)), delay))
            steps.append(Step(_appender(lines, _progress_line("Verifying Checksum", layer.short)), 0.0))
            steps.append(Step(_appender(lines, _progress_line("Download complete", layer.short)), engine.step_delay))
        for layer in remote.layers:
            if layer.digest in known_layers:
                continue
            for current in (layer.size // 2, layer.size):
                steps.append(Step(_appender(lines, _progress_line("Extracting", layer.short, current, layer.size)),
                                  engine.step_delay))
            steps.append(Step(_appender(lines, _progress_line("Pull complete", layer.short)), 0.0))

        def complete() -> None:
            engine.images.add_pulled(ref, remote, engine.now_iso())
            lines.append(_progress_line(f"Digest: {remote.digest}"))
            lines.append(_progress_line(f"Status: Downloaded newer image for {ref}"))
            engine.emit("image", "pull", str(ref), {"name": str(ref)})
            done[0] = True

        steps.append(Step(complete, 0.0))
        engine.transitions.schedule(f"pull:{ref}", steps)
        return _pull_response(engine, lines, done)


def _appender(lines: list[bytes], line: bytes):
    return lambda: lines.append(line)


def _pull_response(engine: FakeEngine, lines: list[bytes], done: list[bool]) -> Response:
    return Response(200, _stream_lines(engine, lines, done), kind="stream", content_type="application/json")


def _stream_lines(engine: FakeEngine, lines: list[bytes], done: list[bool]) -> Iterator[bytes]:
    sent = 0
    while True:
        with engine.lock:
            def grown(n: int = sent) -> bool:
                return done[0] or len(lines) > n

            engine.transitions.wait(grown, timeout=0.25)
            batch = lines[sent:]
            sent = len(lines)
            finished = done[0] and sent == len(lines)
        yield from batch
        if finished:
            return
        if not batch:
            yield b""


@route("POST", "/images/{name:path}/push", "push")
def push(engine: FakeEngine, req: Request) -> Response:
    name = req.params["name"]
    tag = req.arg("tag")
    ref_text = f"{name}:{tag}" if tag else name
    with engine.lock:
        image = engine.images.get(ref_text)
        ref = parse_reference(ref_text)
        if ref.domain in engine.registry.unreachable:
            raise messages.registry_unreachable(ref.domain)
        digest = engine.registry.push(ref.tagged, config=image.config, size=image.size,
                                      layers=len(image.layers))
    lines = [_progress_line(f"The push refers to repository [{ref.repository}]")]
    lines += [_progress_line("Pushed", layer.short) for layer in image.layers]
    lines.append(_progress_line(f"{ref.tag or 'latest'}: digest: {digest} size: 527"))
    return Response(200, iter(lines), kind="stream", content_type="application/json")


# import, save, load -----------------------------------------------------------------------

def _json_line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, separators=(",", ":")) + "\r\n").encode()


def import_image(engine: FakeEngine, req: Request) -> Response:
    """``POST /images/create?fromSrc=-``: a root filesystem tar from the body becomes a
    one-layer image (``repo``/``tag`` name it, ``changes`` set its Config, ``message`` its
    comment).  Importing from a URL is not modelled: fakedocker dials nothing."""
    src = req.arg("fromSrc") or ""
    if src != "-":
        raise messages.not_modelled("POST", "/images/create?fromSrc=<URL>")
    repo, tag = req.arg("repo") or "", req.arg("tag") or ""
    ref = None
    if repo:
        ref = parse_reference(repo)
        if tag:
            ref = parse_reference(f"{ref.repository}:{tag}")
    config = apply_changes({**DEFAULT_CONFIG, "Env": None}, req.query.get("changes", []))
    layer = rootfs_layer(req.body)
    comment = req.arg("message") or f"Imported from {src}"
    with engine.lock:
        blob = imported_config_blob(config, layer, comment, engine.now(), engine.engine_version)
        image = Image(blob_digest(blob), config, engine.now_iso(), [layer], comment=comment,
                      docker_version=engine.engine_version, config_blob=blob)
        image = engine.images.add(image, ref)
        engine.emit("image", "import", image.id, {"name": image.id})
        if ref is not None:
            engine.emit("image", "tag", image.id, {"name": ref.tagged})
    return Response(200, iter([_json_line({"status": image.id})]), kind="stream",
                    content_type="application/json")


def _save_items(engine: FakeEngine, names: list[str]) -> list[SaveItem]:
    """What ``docker save names...`` writes: each image once, with the tags it was named by
    (a name without a tag stands for every tag of its repository; an id for no tag)."""
    items: dict[str, SaveItem] = {}

    def add(image: Image, tag: str | None) -> None:
        item = items.setdefault(image.id, SaveItem(image, []))
        if tag and tag not in item.tags:
            item.tags.append(tag)

    for name in names:
        image = engine.images.resolve(name)
        if image is not None and not _is_tag_reference(name, image):
            add(image, None)
            continue
        ref = parse_reference(name)
        if ref.tag is None and ref.digest is None:
            repo_tags = sorted(t for t in engine.images.tags if t.rsplit(":", 1)[0] == ref.repository)
            for key in repo_tags:
                add(engine.images.by_id[engine.images.tags[key]], key)
            if repo_tags:
                continue
        if image is None:
            named = ref.tag is not None or ref.digest is not None
            raise messages.reference_does_not_exist() if named else messages.no_such_image(name)
        add(image, None if ref.digest else ref.tagged)
    return list(items.values())


@route("GET", "/images/get", "get_image")
@route("GET", "/images/{name:path}/get", "get_image")
def save_images(engine: FakeEngine, req: Request) -> Response:
    names = [req.params["name"]] if "name" in req.params else req.query.get("names", [])
    with engine.lock:
        items = _save_items(engine, names)
        for item in items:
            engine.emit("image", "save", item.image.id, {"name": item.image.id})
        # 26.1 saves an OCI image layout (keeping manifest.json and repositories)
        writer = write_oci_save_tar if engine.profile.at_least("26.1") else write_save_tar
        data = writer(items, engine.now())
    # streamed as the daemon sends it (docker-py reads it from the socket)
    chunks = (data[i : i + 65536] for i in range(0, len(data), 65536))
    return Response(200, chunks, kind="stream", content_type="application/x-tar")


def _stream_error(message: str) -> bytes:
    return _json_line({"errorDetail": {"message": message}, "error": message})


@route("POST", "/images/load", "load_image")
def load_images(engine: FakeEngine, req: Request) -> Response:
    """``POST /images/load``: the images of a ``docker save`` tarball; errors in the tarball
    come as the stream's error line (with a 200), as the daemon sends them."""
    quiet = req.flag("quiet", default=True)  # the daemon's default: no progress lines
    lines: list[bytes] = []
    try:
        loaded = read_load_tar(req.body)
    except DaemonError as err:
        if err.status == 501:
            raise
        return _load_response([_stream_error(err.message_as(engine.profile.name))])
    with engine.lock:
        known = {layer.digest for image in engine.images.by_id.values() for layer in image.layers}
        for entry in loaded:
            refs = [parse_reference(tag) for tag in entry.tags]
            for layer in entry.image.layers:
                if not quiet and layer.digest not in known:
                    total = len(layer.tar) if layer.tar is not None else layer.size
                    lines.append(_progress_line("Loading layer", layer.short, total, total))
                known.add(layer.digest)
            image = engine.images.add(entry.image)
            for tag, ref in zip(entry.tags, refs, strict=True):
                previous = engine.images.tags.get(ref.tagged)
                if previous is not None and previous != image.id:
                    lines.append(_json_line({"stream": f"The image {tag} already exists, renaming the old "
                                                       f"one with ID {previous} to empty string\n"}))
                engine.images.tag(image, ref)
                lines.append(_json_line({"stream": f"Loaded image: {tag}\n"}))
            if not entry.tags:
                lines.append(_json_line({"stream": f"Loaded image ID: {image.id}\n"}))
            engine.emit("image", "load", image.id, {"name": image.id})
    return _load_response(lines)


def _load_response(lines: list[bytes]) -> Response:
    return Response(200, iter(lines), kind="stream", content_type="application/json")


# prune ------------------------------------------------------------------------------------

def _prune_selected(image: Image, filters: dict[str, list[str]], until: float | None) -> bool:
    if until is not None and created_unix(image) > until:
        return False
    return prune_label_ok(image.config.get("Labels"), filters)


@route("POST", "/images/prune", "prune_images")
def prune_images(engine: FakeEngine, req: Request) -> dict[str, Any]:
    """``POST /images/prune``: dangling images (``dangling=false``: every image) that no
    container uses, as the daemon removes them: each reference untagged in lexical order, an
    image in use keeping its last one; layers no other image has are deleted and counted."""
    filters = req.filters()
    reject_unknown_filters(filters, ("dangling", "label", "label!", "until"))
    dangling_only = True
    if "dangling" in filters:
        values = filters["dangling"]
        dangling_only = parse_bool_filter(values, messages.invalid_filter(f"dangling=[{' '.join(values)}]"))
    try:
        until = parse_until(filters["until"][-1], engine.now()) if filters.get("until") else None
    except DaemonError:
        raise messages.invalid_time_filter(filters["until"][-1], image_prune=True) from None
    deleted: list[dict[str, str]] = []
    with engine.lock:
        used = {c.image_id for c in engine.containers.by_id.values()}
        before = {layer.digest: layer.size for image in engine.images.by_id.values() for layer in image.layers}
        for image in list(engine.images.by_id.values()):
            if not _prune_selected(image, filters, until):
                continue
            refs = sorted(image.repo_tags + image.repo_digests)
            if dangling_only and image.repo_tags:
                continue
            deleted += _prune_one(engine, image, refs, in_use=image.id in used)
        remaining = {layer.digest for image in engine.images.by_id.values() for layer in image.layers}
        reclaimed = sum(size for digest, size in before.items() if digest not in remaining)
        engine.emit("image", "prune", "", {"reclaimed": str(reclaimed)})
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}


def _prune_one(engine: FakeEngine, image: Image, refs: list[str], in_use: bool) -> list[dict[str, str]]:
    """Remove ``image`` reference by reference, as the daemon's prune deletes it: all but the
    last reference are untagged; the last one, and the image, only if no container uses it
    (the daemon's delete refuses, and prune skips the image)."""
    out: list[dict[str, str]] = []
    for ref in refs[:-1]:
        _untag_reference(engine, image, ref)
        out.append({"Untagged": ref})
    if in_use:
        return out
    out += [{"Untagged": ref} for ref in refs[-1:]]
    engine.images.remove(image)
    for ref in refs[-1:]:
        engine.emit("image", "untag", image.id, {"name": ref})
    remaining = {layer.digest for other in engine.images.by_id.values() for layer in other.layers}
    out.append({"Deleted": image.id})
    out += [{"Deleted": layer.digest} for layer in image.layers if layer.digest not in remaining]
    engine.emit("image", "delete", image.id, {"name": image.id})
    return out


def _untag_reference(engine: FakeEngine, image: Image, ref: str) -> None:
    if "@" in ref:
        engine.images.digests.pop(ref, None)
        image.repo_digests = [d for d in image.repo_digests if d != ref]
    else:
        engine.images.untag(ref)
    engine.emit("image", "untag", image.id, {"name": ref})
