"""System routes: ping, version, info, events, disk usage."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..routing import Request, Response, route
from .containers import summary
from .images import created_unix

if TYPE_CHECKING:
    from ..engine import FakeEngine


@route("GET", "/_ping", "ping")
@route("HEAD", "/_ping", "ping")
def ping(engine: FakeEngine, req: Request) -> Response:
    return Response(200, b"OK", kind="raw", content_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"})


@route("OPTIONS", "/{path:path}", "options")
def options(engine: FakeEngine, req: Request) -> Response:
    # the daemon answers every OPTIONS request (CORS preflight) with an empty 200
    return Response(200, b"", kind="raw", content_type="")


@route("GET", "/version")
def version(engine: FakeEngine, req: Request) -> dict[str, Any]:
    """As the engine version the fake answers as (:mod:`fakedocker.versions`)."""
    profile = engine.profile
    common = {"GitCommit": profile.git_commit, "GoVersion": profile.go_version, "Os": "linux", "Arch": "amd64",
              "KernelVersion": platform.release(), "BuildTime": profile.build_time}
    return {
        "Platform": {"Name": ""},
        "Components": [
            {"Name": "Engine", "Version": engine.engine_version,
             "Details": {"ApiVersion": engine.api_version, "MinAPIVersion": engine.min_api_version,
                         "Experimental": "false", **common}},
            *[dict(component) for component in profile.components],
        ],
        "Version": engine.engine_version,
        "ApiVersion": engine.api_version,
        "MinAPIVersion": engine.min_api_version,
        **common,
    }


@route("GET", "/info")
def info(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        statuses = [c.status for c in engine.containers.by_id.values()]
        return {
            "ID": engine.daemon_id,
            "Containers": len(statuses),
            "ContainersRunning": statuses.count("running"),
            "ContainersPaused": statuses.count("paused"),
            "ContainersStopped": len(statuses) - statuses.count("running") - statuses.count("paused"),
            "Images": len(engine.images.by_id),
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"]],
            "Plugins": {"Volume": engine.volumes.driver_names(), "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
                        "Authorization": None, "Log": ["json-file", "local"]},
            "MemoryLimit": True,
            "SwapLimit": False,
            "CpuCfsPeriod": True,
            "CpuCfsQuota": True,
            "CPUShares": True,
            "CPUSet": True,
            "OomKillDisable": True,
            "IPv4Forwarding": True,
            "Debug": False,
            "NFd": 30,
            "NGoroutines": 40,
            "SystemTime": engine.now_iso(),
            "LoggingDriver": "json-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": "1",
            "KernelVersion": platform.release(),
            "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
            "OSVersion": "12",
            "OSType": "linux",
            "Architecture": "x86_64",
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"], "Mirrors": []},
            "NCPU": os.cpu_count() or 1,
            "MemTotal": 25_000_000_000,
            "DockerRootDir": "/var/lib/docker",
            "Name": "fakedocker",
            "Labels": [],
            "ExperimentalBuild": False,
            "ServerVersion": engine.engine_version,
            "Runtimes": {"runc": {"path": "runc"}},
            "GenericResources": [{"NamedResourceSpec": {"Kind": "gpu", "Value": gpu}} for gpu in engine.gpus]
            or None,
            "DefaultRuntime": "runc",
            "Swarm": engine.swarm.info(),
            "LiveRestoreEnabled": False,
            "Isolation": "",
            "InitBinary": "docker-init",
            "SecurityOptions": ["name=seccomp,profile=default"],
            "Warnings": None,
        }


# disk usage -------------------------------------------------------------------------------


@route("GET", "/system/df", "df")
def disk_usage(engine: FakeEngine, req: Request) -> dict[str, Any]:
    """``GET /system/df``: the image list with what ``/images/json`` leaves at -1 counted
    (``Containers``, ``SharedSize``: the bytes of layers other images have too), the
    container list with sizes, every volume with its ``UsageData`` (``Size`` 0 for a local
    volume, whose content fakedocker does not keep; -1 for another driver's, as the daemon
    cannot tell), no build cache."""
    with engine.lock:
        images = list(engine.images.by_id.values())
        containers = list(engine.containers.by_id.values())
        layer_users: dict[str, int] = {}
        layer_sizes: dict[str, int] = {}
        for image in images:
            for layer in image.layers:
                layer_users[layer.digest] = layer_users.get(layer.digest, 0) + 1
                layer_sizes[layer.digest] = layer.size
        image_rows = []
        for image in images:
            row = image.summary(created_unix(image), req.api_version or engine.api_version)
            row["Containers"] = sum(1 for c in containers if c.image_id == image.id)
            row["SharedSize"] = sum(layer.size for layer in image.layers if layer_users[layer.digest] > 1)
            image_rows.append(row)
        volume_rows = []
        for vol in engine.volumes.by_name.values():
            row = vol.inspect()
            row["UsageData"] = {"RefCount": len(engine.volumes.users(vol.name)),
                                "Size": 0 if vol.driver == "local" else -1}
            volume_rows.append(row)
        return {
            "LayersSize": sum(layer_sizes.values()),
            "Images": image_rows,
            "Containers": [summary(engine, c, size=True) for c in containers],
            "Volumes": volume_rows,
            "BuildCache": None,
            **({} if engine.profile.at_least("26.1") else {"BuilderSize": 0}),  # gone in 26.1
        }


# events -----------------------------------------------------------------------------------

_NAMED_TYPES = {"container", "network", "volume", "service", "node", "secret", "config", "plugin"}


def _event_matches(event: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    actor = event["Actor"]
    attrs = actor.get("Attributes") or {}
    etype = event["Type"]
    for key, wanted in filters.items():
        if not wanted:
            continue
        if key == "type":
            ok = etype in wanted
        elif key in ("event", "action"):
            action = event["Action"]
            ok = any(action == w or action.split(":", 1)[0] == w for w in wanted)
        elif key == "label":
            ok = any(
                (attrs.get(w.split("=", 1)[0]) == w.split("=", 1)[1]) if "=" in w else (w in attrs)
                for w in wanted
            )
        elif key == "image":
            ok = etype in ("container", "image") and any(
                w in (attrs.get("image"), attrs.get("name"), actor["ID"]) for w in wanted
            )
        elif key in _NAMED_TYPES:
            # the daemon's fuzzy match, whatever the event's type: the actor's ID or its name
            # attribute starts with a value (so service=NAME also takes its task containers'
            # events, and container=NAME a service named so)
            name = attrs.get("name") or ""
            ok = any(actor["ID"].startswith(w) or name.startswith(w) for w in wanted)
        elif key == "scope":
            ok = event.get("scope") in wanted
        else:
            ok = True
        if not ok:
            return False
    return True


def _as_time(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return None


@route("GET", "/events", "events")
def events(engine: FakeEngine, req: Request) -> Response:
    since = _as_time(req.arg("since"))
    until = _as_time(req.arg("until"))
    filters = req.filters()
    with engine.lock:
        start_index = len(engine.events) if since is None else 0
    return Response(200, _event_stream(engine, start_index, since, until, filters),
                    kind="stream", content_type="application/json")


def _event_stream(engine: FakeEngine, index: int, since: float | None, until: float | None,
                  filters: dict[str, list[str]]) -> Iterator[bytes]:
    while True:
        with engine.lock:
            batch = engine.events[index:]
            index = len(engine.events)
        for event in batch:
            t = event["timeNano"] / 1e9
            if since is not None and t < since:
                continue
            if until is not None and t > until:
                continue
            if _event_matches(event, filters):
                yield (json.dumps(event) + "\n").encode()
        if until is not None and engine.now() >= until:
            return
        with engine.lock:
            engine.transitions.apply_due()  # clocked steps (exits, health checks) come due
            if len(engine.events) == index:
                timeout = 0.2
                if until is not None:
                    timeout = max(0.0, min(timeout, until - engine.now()))
                engine.events_changed.wait(timeout)
        yield b""  # lets the writer notice a reader that has gone away
