"""Image routes: list, inspect, tag, remove, pull (streamed progress), push."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .. import messages
from ..routing import DaemonError, Request, Response, route
from ..state.filters import label_matches
from ..state.images import Image, Reference, RegistryImage, image_id_for, parse_reference
from ..transitions import Step


def _created_unix(image: Image) -> int:
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
def list_images(engine: Any, req: Request) -> list[dict[str, Any]]:
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
            out.append(image.summary(_created_unix(image)))
        return out


@route("GET", "/images/{name:path}/json", "inspect_image")
def inspect_image(engine: Any, req: Request) -> dict[str, Any]:
    name = req.params["name"]
    with engine.lock:
        image = engine.images.resolve(name)
        if image is None:
            try:
                normalized = parse_reference(name).tagged
            except DaemonError:
                normalized = name
            raise messages.no_such_image_inspect(name, normalized)
        return image.inspect()


@route("POST", "/images/{name:path}/tag", "tag")
def tag_image(engine: Any, req: Request) -> Response:
    repo = req.arg("repo") or ""
    tag = req.arg("tag") or "latest"
    with engine.lock:
        image = engine.images.get(req.params["name"])
        ref = parse_reference(f"{repo}:{tag}")
        engine.images.tag(image, ref)
        engine.emit("image", "tag", image.id, {"name": ref.tagged})
    return Response(201, None)


def _containers_using(engine: Any, image: Image) -> list[Any]:
    return [c for c in engine.containers.by_id.values() if c.image_id == image.id]


@route("DELETE", "/images/{name:path}", "remove_image")
def remove_image(engine: Any, req: Request) -> list[dict[str, str]]:
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
                raise DaemonError(
                    409,
                    f"conflict: unable to delete {image.short_id} (must be forced) - image is "
                    f"being used by stopped container {users[0].id[:12]}",
                )
            if len(image.repo_tags) > 1 and not force:
                raise DaemonError(
                    409,
                    f"conflict: unable to delete {image.short_id} (must be forced) - image is "
                    "referenced in multiple repositories",
                )
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


def _find_in_registry(engine: Any, ref: Reference) -> RegistryImage:
    if ref.domain in engine.registry.unreachable:
        raise messages.registry_unreachable(ref.domain)
    found = engine.registry.lookup(ref)
    if found is not None:
        return found
    if ref.domain == "docker.io":
        raise messages.repository_unknown(ref.repository)
    raise messages.manifest_unknown(str(ref))


@route("POST", "/images/create", "pull")
def pull(engine: Any, req: Request) -> Response:
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

        def finish_present() -> None:
            engine.images.tag(present, ref)
            lines.append(_progress_line(f"Digest: {remote.digest}"))
            lines.append(_progress_line(f"Status: Image is up to date for {ref}"))
            done[0] = True

        if present is not None and ref.tagged in present.repo_tags or (
            present is not None and ref.digest
        ):
            finish_present()
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


def _pull_response(engine: Any, lines: list[bytes], done: list[bool]) -> Response:
    return Response(200, _stream_lines(engine, lines, done), kind="stream", content_type="application/json")


def _stream_lines(engine: Any, lines: list[bytes], done: list[bool]) -> Iterator[bytes]:
    sent = 0
    while True:
        with engine.lock:
            engine.transitions.wait(lambda n=sent: done[0] or len(lines) > n, timeout=0.25)
            batch = lines[sent:]
            sent = len(lines)
            finished = done[0] and sent == len(lines)
        yield from batch
        if finished:
            return
        if not batch:
            yield b""


@route("POST", "/images/{name:path}/push", "push")
def push(engine: Any, req: Request) -> Response:
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
