"""Container routes: create, list, inspect, lifecycle, archive, stats, top, update (logs and
attach: :mod:`.output`)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from typing import Any

from .. import messages
from ..routing import DaemonError, Request, Response, route
from ..state.containers import Container
from ..state.filters import label_matches, parse_until, prune_label_ok, reject_unknown_filters
from ..timestamps import ZERO_TIME, parse_rfc3339
from ..versions import version_tuple

# create -------------------------------------------------------------------------------------

@route("POST", "/containers/create", "create_container")
def create_container(engine: Any, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise DaemonError(400, "invalid JSON in request body")
    c = engine.containers.create(body, req.arg("name") or None, api_version=req.api_version)
    return Response(201, {"Id": c.id, "Warnings": list(c.create_warnings)})


# inspect ------------------------------------------------------------------------------------

@route("GET", "/containers/{id}/json", "inspect_container")
def inspect_container(engine: Any, req: Request) -> dict[str, Any]:
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        info = c.inspect()
    if engine.profile.at_least("26.1") and version_tuple(req.api_version or engine.api_version) < (1, 44):
        # 26.1 keeps the short id out of Aliases (it is in DNSNames) but gives it back, last,
        # to a client older than API 1.44, on the networks whose DNS answers to it
        for endpoint in info["NetworkSettings"]["Networks"].values():
            if endpoint.get("DNSNames") and c.id[:12] not in (endpoint.get("Aliases") or []):
                endpoint["Aliases"] = [*(endpoint.get("Aliases") or []), c.id[:12]]
    return info


# list ---------------------------------------------------------------------------------------

def human_duration(seconds: float) -> str:
    """go-units HumanDuration, as ``docker ps`` statuses use it."""
    s = int(seconds)
    if seconds < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def _status_text(engine: Any, c: Container) -> str:
    now = engine.now()
    if c.status in ("running", "paused", "restarting"):
        text = "Up " + human_duration(now - parse_rfc3339(c.started_at))
        if c.status == "paused":
            text += " (Paused)"
        elif c.health is not None:
            status = c.health["Status"]
            text += f" (health: {status})" if status == "starting" else f" ({status})"
        return text
    if c.status == "exited":
        return f"Exited ({c.exit_code}) {human_duration(now - parse_rfc3339(c.finished_at))} ago"
    if c.status == "removing":
        return "Removal In Progress"
    if c.status == "dead":
        return "Dead"
    return "Created"


def _summary_ports(c: Container) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ns_ports = c.network_settings()["Ports"]
    for key, bound in ns_ports.items():
        port, _, proto = key.partition("/")
        if not bound:
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
            continue
        for b in bound:
            out.append({"IP": b["HostIp"], "PrivatePort": int(port), "PublicPort": int(b["HostPort"]),
                        "Type": proto or "tcp"})
    return out


def summary(engine: Any, c: Container, size: bool = False) -> dict[str, Any]:
    mode = c.host_config.get("NetworkMode") or "default"
    out = {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.image,
        "ImageID": c.image_id,
        "Command": shlex.join(c.path_args()),
        "Created": int(c.created_unix),
        "Ports": _summary_ports(c),
        "Labels": dict(c.labels),
        "State": c.status,
        "Status": _status_text(engine, c),
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": {name: dict(ep) for name, ep in c.networks.items()}},
        "Mounts": [
            {k: m[k] for k in ("Type", "Name", "Source", "Destination", "Driver", "Mode", "RW",
                               "Propagation") if k in m}
            for m in c.mounts
        ],
    }
    if size:
        # the daemon leaves SizeRw out while it is 0 (fakedocker keeps no writable layer)
        image = engine.images.by_id.get(c.image_id)
        out["SizeRootFs"] = image.size if image is not None else 0
    return out


_FILTER_KEYS = {"ancestor", "before", "exited", "health", "id", "isolation", "is-task", "label",
                "name", "network", "publish", "expose", "since", "status", "volume"}
_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}
_HEALTH = {"starting", "healthy", "unhealthy", "none"}


def _label_ok(labels: dict[str, str], wanted: list[str]) -> bool:
    return all(label_matches(labels, w) for w in wanted)


def _ancestor_ids(engine: Any, refs: list[str]) -> set[str]:
    ids = set()
    for ref in refs:
        image = engine.images.resolve(ref)
        if image is not None:
            ids.add(image.id)
    return ids


def _name_matches(c: Container, patterns: list[str]) -> bool:
    for p in patterns:
        try:
            if re.search(p, "/" + c.name):
                return True
        except re.error:
            if p in c.name:
                return True
    return False


@route("GET", "/containers/json", "containers")
def list_containers(engine: Any, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    for key in filters:
        if key not in _FILTER_KEYS:
            raise messages.invalid_filter(key)
    for s in filters.get("status", ()):
        if s not in _STATUSES:
            raise messages.invalid_filter(f"status={s}")
    for h in filters.get("health", ()):
        if h not in _HEALTH:
            raise messages.invalid_health_filter(h)
    show_all = req.flag("all")
    limit = req.int_arg("limit", -1) or -1
    size = req.flag("size")
    store = engine.containers
    with engine.lock:
        candidates = sorted(store.by_id.values(), key=lambda c: (c.created_unix, c.created), reverse=True)
        before = [req.arg("before")] if req.arg("before") else []
        since = [req.arg("since")] if req.arg("since") else []
        before += filters.get("before", [])
        since += filters.get("since", [])
        if before or since or limit > 0 or "status" in filters or "exited" in filters:
            show_all = True
        if before:
            ref = store.get(before[-1])
            candidates = [c for c in candidates if c.created_unix < ref.created_unix
                          or (c.created_unix == ref.created_unix and c.created < ref.created)]
        if since:
            ref = store.get(since[-1])
            candidates = [c for c in candidates if c.created_unix > ref.created_unix
                          or (c.created_unix == ref.created_unix and c.created > ref.created)]
        ancestors = _ancestor_ids(engine, filters["ancestor"]) if "ancestor" in filters else None
        networks = filters.get("network")
        net_names: set[str] = set()
        if networks:
            for ref in networks:
                net = engine.networks.resolve(ref)
                net_names.add(net.name if net is not None else ref)
        out = []
        for c in candidates:
            if not show_all and not c.running:
                continue
            if "name" in filters and not _name_matches(c, filters["name"]):
                continue
            if "id" in filters and not any(c.id.startswith(i) for i in filters["id"]):
                continue
            if "label" in filters and not _label_ok(c.labels, filters["label"]):
                continue
            if "status" in filters and c.status not in filters["status"]:
                continue
            if "health" in filters and c.health_status() not in filters["health"]:
                continue
            if "exited" in filters and (c.status != "exited"
                                        or str(c.exit_code) not in filters["exited"]):
                continue
            if ancestors is not None and c.image_id not in ancestors and c.image not in filters["ancestor"]:
                continue
            if networks and not (set(c.networks) & net_names or any(
                    ep.get("NetworkID", "").startswith(n) for ep in c.networks.values() for n in networks if n)):
                continue
            if "volume" in filters and not any(
                    m.get("Name") in filters["volume"] or m.get("Destination") in filters["volume"]
                    or m.get("Source") in filters["volume"] for m in c.mounts):
                continue
            if "is-task" in filters:
                is_task = "com.docker.swarm.task" in c.labels
                if (filters["is-task"][-1].lower() in ("1", "true")) != is_task:
                    continue
            if "publish" in filters or "expose" in filters:
                published = {k.partition("/")[0] for k in c.ports} | set(c.ports)
                exposed = set(c.exposed_ports()) | {k.partition("/")[0] for k in c.exposed_ports()}
                if "expose" in filters and not set(filters["expose"]) & exposed:
                    continue
                if "publish" in filters and not (set(filters["publish"]) & published or any(
                        b["HostPort"] in filters["publish"] for v in c.ports.values() for b in v)):
                    continue
            out.append(summary(engine, c, size))
            if limit > 0 and len(out) >= limit:
                break
        return out


# lifecycle ----------------------------------------------------------------------------------

@route("POST", "/containers/{id}/start", "start")
def start(engine: Any, req: Request) -> Response:
    started = engine.containers.start(req.params["id"])
    return Response(204 if started else 304, None)


def _timeout_arg(req: Request) -> int | None:
    return req.int_arg("t")


@route("POST", "/containers/{id}/stop", "stop")
def stop(engine: Any, req: Request) -> Response:
    stopped = engine.containers.stop(req.params["id"], _timeout_arg(req))
    return Response(204 if stopped else 304, None)


@route("POST", "/containers/{id}/restart", "restart")
def restart(engine: Any, req: Request) -> Response:
    engine.containers.restart(req.params["id"], _timeout_arg(req))
    return Response(204, None)


@route("POST", "/containers/{id}/kill", "kill")
def kill(engine: Any, req: Request) -> Response:
    engine.containers.kill(req.params["id"], req.arg("signal"))
    return Response(204, None)


@route("POST", "/containers/{id}/pause", "pause")
def pause(engine: Any, req: Request) -> Response:
    engine.containers.pause(req.params["id"])
    return Response(204, None)


@route("POST", "/containers/{id}/unpause", "unpause")
def unpause(engine: Any, req: Request) -> Response:
    engine.containers.unpause(req.params["id"])
    return Response(204, None)


@route("POST", "/containers/{id}/wait", "wait")
def wait(engine: Any, req: Request) -> Response:
    """The daemon answers 200 at once (headers flushed) and sends the body when the
    condition holds: a client's read timeout then ends in the body, not the headers."""
    condition = req.arg("condition")
    if (engine.profile.wait_refuses_unknown_condition
            and condition not in (None, "", "not-running", "next-exit", "removed")):
        raise messages.invalid_wait_condition(condition)
    done, answer = engine.containers.waiter(req.params["id"], condition)

    def body() -> Iterator[bytes]:
        while True:
            with engine.lock:
                if engine.transitions.wait(done, timeout=0.25, condition=engine.containers.changed):
                    result = answer()
                    break
            yield b""  # lets the writer notice a client that has gone away
        yield (json.dumps(result) + "\n").encode()

    return Response(200, body(), kind="stream", content_type="application/json")


@route("DELETE", "/containers/{id:path}", "remove_container")  # ?link=1 names /parent/alias
def remove_container(engine: Any, req: Request) -> Response:
    engine.containers.remove(req.params["id"], v=req.flag("v"), force=req.flag("force"),
                          link=req.flag("link"))
    return Response(204, None)


@route("POST", "/containers/{id}/rename", "rename")
def rename(engine: Any, req: Request) -> Response:
    engine.containers.rename(req.params["id"], req.arg("name") or "")
    return Response(204, None)


@route("POST", "/containers/{id}/resize", "resize")
def resize(engine: Any, req: Request) -> Response:
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not c.running:
            raise messages.container_not_running(c.id)
    return Response(200, None)


@route("POST", "/containers/prune", "prune_containers")
def prune_containers(engine: Any, req: Request) -> dict[str, Any]:
    """``POST /containers/prune``: every container not running or paused that was created
    before ``until`` and passes the ``label``/``label!`` filters."""
    filters = req.filters()
    reject_unknown_filters(filters, ("label", "label!", "until"))
    until = parse_until(filters["until"][-1], engine.now()) if filters.get("until") else None
    store = engine.containers
    deleted = []
    with engine.lock:
        for c in list(store.by_id.values()):
            if c.running:
                continue
            if until is not None and c.created_unix > until:
                continue
            if not prune_label_ok(c.labels, filters):
                continue
            store.remove(c.id)
            deleted.append(c.id)
        engine.emit("container", "prune", "", {"reclaimed": "0"})
    return {"ContainersDeleted": deleted or None, "SpaceReclaimed": 0}


@route("POST", "/containers/{id}/update", "update_container")
def update_container(engine: Any, req: Request) -> dict[str, Any]:
    body = req.json() or {}
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        policy = body.get("RestartPolicy")
        if policy is not None and c.host_config.get("AutoRemove") and policy.get("Name") not in ("", "no"):
            raise DaemonError(400, "Restart policy cannot be updated because AutoRemove is enabled for the container")
        for key, value in body.items():
            if key in c.host_config or key in ("RestartPolicy",):
                c.host_config[key] = value
        engine.emit("container", "update", c.id, c.attributes())
    return {"Warnings": None}


@route("GET", "/containers/{id}/top", "top")
def top(engine: Any, req: Request) -> dict[str, Any]:
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not c.running:
            raise messages.container_not_running(c.id)
        return {
            "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "Processes": [[c.config.get("User") or "root", str(c.pid), "1", "0",
                           c.started_at[11:16], "?", "00:00:00", shlex.join(c.path_args())]],
        }


def _stats(engine: Any, c: Container) -> dict[str, Any]:
    running = c.running
    limit = c.host_config.get("Memory") or 25_000_000_000
    cpu = {"cpu_usage": {"total_usage": 0, "percpu_usage": [0], "usage_in_kernelmode": 0,
                         "usage_in_usermode": 0},
           "system_cpu_usage": 0 if not running else int(engine.now() * 1e9),
           "online_cpus": 1, "throttling_data": {"periods": 0, "throttled_periods": 0,
                                                 "throttled_time": 0}}
    return {
        "read": engine.now_iso() if running else ZERO_TIME,
        "preread": ZERO_TIME,
        "pids_stats": {"current": 1} if running else {},
        "blkio_stats": {"io_service_bytes_recursive": None},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu,
        "precpu_stats": cpu,
        "memory_stats": {"usage": 1_000_000, "limit": limit, "stats": {}} if running else {},
        "name": "/" + c.name,
        "id": c.id,
        "networks": {"eth0": {"rx_bytes": 0, "rx_packets": 0, "rx_errors": 0, "rx_dropped": 0,
                              "tx_bytes": 0, "tx_packets": 0, "tx_errors": 0, "tx_dropped": 0}}
        if running and c.networks else {},
    }


@route("GET", "/containers/{id}/stats", "stats")
def stats(engine: Any, req: Request) -> Response:
    store = engine.containers
    with engine.lock:
        c = store.get(req.params["id"])
        first = _stats(engine, c)
    if not req.flag("stream", True) or req.flag("one-shot"):
        return Response(200, first)

    def gen() -> Iterator[bytes]:
        yield (json.dumps(first) + "\n").encode()
        while True:
            with engine.lock:
                if not c.running or c.removed:
                    return
                store.changed.wait(1.0)
                if not c.running or c.removed:
                    return
                data = _stats(engine, c)
            yield (json.dumps(data) + "\n").encode()

    return Response(200, gen(), kind="stream", content_type="application/json")


# archive ------------------------------------------------------------------------------------

_PATH_STAT = "X-Docker-Container-Path-Stat"


@route("GET", "/containers/{id}/archive", "get_archive")
def get_archive(engine: Any, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        c, path, node = files.existing(req.params["id"], req.arg("path"))
        stat = files.path_stat(path, node)
        data = files.archive(c, path)
    return Response(200, iter([data]), kind="stream", content_type="application/x-tar",
                    headers={_PATH_STAT: stat})


@route("HEAD", "/containers/{id}/archive", "archive_stat")
def archive_stat(engine: Any, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        _, path, node = files.existing(req.params["id"], req.arg("path"))
        return Response(200, b"", kind="raw", headers={_PATH_STAT: files.path_stat(path, node)})


@route("PUT", "/containers/{id}/archive", "put_archive")
def put_archive(engine: Any, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        c, path, node = files.existing(req.params["id"], req.arg("path"))
        if node.kind != "dir":
            raise messages.extraction_point_not_directory()
        files.extract(c, path, req.body)
    return Response(200, None)


@route("GET", "/containers/{id}/export", "export")
def export(engine: Any, req: Request) -> Response:
    # a missing container is the daemon's 404; the export itself (a tar of the whole root
    # filesystem) is not modelled
    with engine.lock:
        engine.containers.get(req.params["id"])
    raise messages.not_modelled("GET", "/containers/{name}/export")


@route("POST", "/containers/{id}/copy", "copy")
def copy(engine: Any, req: Request) -> Response:
    # removed in API 1.24: 20.10 still routes it and answers a bare 404; 26.1 routes it no more
    if engine.profile.at_least("26.1"):
        raise messages.page_not_found()
    return Response(404, b"", kind="raw", content_type="")


@route("GET", "/containers/{id}/changes", "diff")
def diff(engine: Any, req: Request) -> Any:
    with engine.lock:
        engine.containers.get(req.params["id"])
    return None
