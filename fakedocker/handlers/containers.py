"""Container routes: create, list, inspect, lifecycle, archive, stats, top, update (logs and
attach: :mod:`.output`)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import Request, Response, action_route, route
from ..state.containers import Container
from ..state.filters import parse_until, prune_label_ok, reject_unknown_filters, select_containers
from ..timestamps import ZERO_TIME, parse_rfc3339
from ..versions import version_tuple

if TYPE_CHECKING:
    from ..engine import FakeEngine

# create -------------------------------------------------------------------------------------

@route("POST", "/containers/create", "create_container")
def create_container(engine: FakeEngine, req: Request) -> Response:
    body = req.json()
    if not isinstance(body, dict):
        raise messages.invalid_json_body()
    c = engine.containers.create(body, req.arg("name") or None, api_version=req.api_version)
    return Response(201, {"Id": c.id, "Warnings": list(c.create_warnings)})


# inspect ------------------------------------------------------------------------------------

@route("GET", "/containers/{id}/json", "inspect_container")
def inspect_container(engine: FakeEngine, req: Request) -> dict[str, Any]:
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


def _status_text(engine: FakeEngine, c: Container) -> str:
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


def summary(engine: FakeEngine, c: Container, size: bool = False) -> dict[str, Any]:
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


@route("GET", "/containers/json", "containers")
def list_containers(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    size = req.flag("size")
    with engine.lock:
        chosen = select_containers(engine, filters, show_all=req.flag("all"), limit=req.arg("limit"),
                                   before=req.arg("before"), since=req.arg("since"))
        return [summary(engine, c, size) for c in chosen]


# lifecycle ----------------------------------------------------------------------------------

@route("POST", "/containers/{id}/start", "start")
def start(engine: FakeEngine, req: Request) -> Response:
    started = engine.containers.start(req.params["id"])
    return Response(204 if started else 304, None)


def _timeout_arg(req: Request) -> int | None:
    return req.int_arg("t")


@route("POST", "/containers/{id}/stop", "stop")
def stop(engine: FakeEngine, req: Request) -> Response:
    stopped = engine.containers.stop(req.params["id"], _timeout_arg(req))
    return Response(204 if stopped else 304, None)


restart = action_route("POST", "/containers/{id}/restart", "restart",
                       lambda engine, req: engine.containers.restart(req.params["id"], _timeout_arg(req)))
kill = action_route("POST", "/containers/{id}/kill", "kill",
                    lambda engine, req: engine.containers.kill(req.params["id"], req.arg("signal")))
pause = action_route("POST", "/containers/{id}/pause", "pause",
                     lambda engine, req: engine.containers.pause(req.params["id"]))
unpause = action_route("POST", "/containers/{id}/unpause", "unpause",
                       lambda engine, req: engine.containers.unpause(req.params["id"]))


@route("POST", "/containers/{id}/wait", "wait")
def wait(engine: FakeEngine, req: Request) -> Response:
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
def remove_container(engine: FakeEngine, req: Request) -> Response:
    engine.containers.remove(req.params["id"], v=req.flag("v"), force=req.flag("force"),
                          link=req.flag("link"))
    return Response(204, None)


rename = action_route("POST", "/containers/{id}/rename", "rename",
                      lambda engine, req: engine.containers.rename(req.params["id"], req.arg("name") or ""))


@route("POST", "/containers/{id}/resize", "resize")
def resize(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not c.running:
            raise messages.container_not_running(c.id)
    return Response(200, None)


@route("POST", "/containers/prune", "prune_containers")
def prune_containers(engine: FakeEngine, req: Request) -> dict[str, Any]:
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
def update_container(engine: FakeEngine, req: Request) -> dict[str, Any]:
    body = req.json() or {}
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        policy = body.get("RestartPolicy")
        if policy is not None and c.host_config.get("AutoRemove") and policy.get("Name") not in ("", "no"):
            raise messages.restart_policy_with_auto_remove()
        for key, value in body.items():
            if key in c.host_config or key in ("RestartPolicy",):
                c.host_config[key] = value
        engine.emit("container", "update", c.id, c.attributes())
    return {"Warnings": None}


@route("GET", "/containers/{id}/top", "top")
def top(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        c = engine.containers.get(req.params["id"])
        if not c.running:
            raise messages.container_not_running(c.id)
        return {
            "Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "Processes": [[c.config.get("User") or "root", str(c.pid), "1", "0",
                           c.started_at[11:16], "?", "00:00:00", shlex.join(c.path_args())]],
        }


def _stats(engine: FakeEngine, c: Container) -> dict[str, Any]:
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
def stats(engine: FakeEngine, req: Request) -> Response:
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
def get_archive(engine: FakeEngine, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        c, path, node = files.existing(req.params["id"], req.arg("path"))
        stat = files.path_stat(path, node)
        data = files.archive(c, path)
    return Response(200, iter([data]), kind="stream", content_type="application/x-tar",
                    headers={_PATH_STAT: stat})


@route("HEAD", "/containers/{id}/archive", "archive_stat")
def archive_stat(engine: FakeEngine, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        _, path, node = files.existing(req.params["id"], req.arg("path"))
        return Response(200, b"", kind="raw", headers={_PATH_STAT: files.path_stat(path, node)})


@route("PUT", "/containers/{id}/archive", "put_archive")
def put_archive(engine: FakeEngine, req: Request) -> Response:
    files = engine.containers.files
    with engine.lock:
        c, path, node = files.existing(req.params["id"], req.arg("path"))
        if node.kind != "dir":
            raise messages.extraction_point_not_directory()
        files.extract(c, path, req.body)
    return Response(200, None)


@route("GET", "/containers/{id}/export", "export")
def export(engine: FakeEngine, req: Request) -> Response:
    # a missing container is the daemon's 404; the export itself (a tar of the whole root
    # filesystem) is not modelled
    with engine.lock:
        engine.containers.get(req.params["id"])
    raise messages.not_modelled("GET", "/containers/{name}/export")


@route("POST", "/containers/{id}/copy", "copy")
def copy(engine: FakeEngine, req: Request) -> Response:
    # removed in API 1.24: 20.10 still routes it and answers a bare 404; 26.1 routes it no more
    if engine.profile.at_least("26.1"):
        raise messages.page_not_found()
    return Response(404, b"", kind="raw", content_type="")


@route("GET", "/containers/{id}/changes", "diff")
def diff(engine: FakeEngine, req: Request) -> Any:
    with engine.lock:
        engine.containers.get(req.params["id"])
    return None
