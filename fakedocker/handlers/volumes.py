"""Volume routes: list, create, inspect, remove, prune."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..routing import Request, Response, action_route, route
from ..state.go_json import VOLUME_CREATE, go_fields

if TYPE_CHECKING:
    from ..engine import FakeEngine


@route("GET", "/volumes", "volumes")
def list_volumes(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        vols = engine.volumes.list(req.filters())
        return {"Volumes": [v.inspect() for v in vols], "Warnings": None}


@route("POST", "/volumes/create", "create_volume")
def create_volume(engine: FakeEngine, req: Request) -> Response:
    body = go_fields(req.json() or {}, VOLUME_CREATE)
    with engine.lock:
        vol = engine.volumes.create(
            name=body.get("Name") or None,
            driver=body.get("Driver") or "local",
            driver_opts=body.get("DriverOpts") or None,
            labels=body.get("Labels") or None,
        )
        return Response(201, vol.inspect())


@route("POST", "/volumes/prune", "prune_volumes")
def prune_volumes(engine: FakeEngine, req: Request) -> dict[str, Any]:
    deleted = engine.volumes.prune(req.filters())
    return {"VolumesDeleted": deleted, "SpaceReclaimed": 0}


@route("GET", "/volumes/{name}", "inspect_volume")
def inspect_volume(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return engine.volumes.get(req.params["name"]).inspect()


remove_volume = action_route("DELETE", "/volumes/{name}", "remove_volume",
                             lambda engine, req: engine.volumes.remove(req.params["name"], force=req.flag("force")))
