"""Network routes: list, create, inspect, remove, prune, connect, disconnect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import Request, Response, action_route, route
from ..state.go_json import NETWORK_CREATE, go_fields

if TYPE_CHECKING:
    from ..engine import FakeEngine


@route("GET", "/networks", "networks")
def list_networks(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    with engine.lock:
        return [n.inspect(with_containers=False) for n in engine.networks.list(req.filters())]


@route("POST", "/networks/create", "create_network")
def create_network(engine: FakeEngine, req: Request) -> Response:
    body = go_fields(req.json() or {}, NETWORK_CREATE)
    with engine.lock:
        net, warning = engine.networks.create(
            name=body.get("Name") or "",
            driver=body.get("Driver") or None,
            options=body.get("Options") or None,
            ipam=body.get("IPAM") or None,
            # 26.1 checks for a duplicate name whatever the request says
            check_duplicate=bool(body.get("CheckDuplicate")) or engine.profile.at_least("26.1"),
            internal=bool(body.get("Internal")),
            labels=body.get("Labels") or None,
            enable_ipv6=bool(body.get("EnableIPv6")),
            attachable=bool(body.get("Attachable")),
            scope=body.get("Scope") or None,
            ingress=bool(body.get("Ingress")),
            config_only=bool(body.get("ConfigOnly")),
            config_from=((body.get("ConfigFrom") or {}).get("Network") or ""),
        )
        return Response(201, {"Id": net.id, "Warning": warning})


@route("POST", "/networks/prune", "prune_networks")
def prune_networks(engine: FakeEngine, req: Request) -> dict[str, Any]:
    deleted = engine.networks.prune(req.filters())
    return {"NetworksDeleted": deleted or None}


@route("GET", "/networks/{id}", "inspect_network")
def inspect_network(engine: FakeEngine, req: Request) -> dict[str, Any]:
    scope = req.arg("scope") or None
    with engine.lock:
        net = engine.networks.get(req.params["id"], scope=scope)
        return net.inspect(peers=engine.networks.peers())


remove_network = action_route("DELETE", "/networks/{id}", "remove_network",
                              lambda engine, req: engine.networks.remove(req.params["id"]))


@route("POST", "/networks/{id}/connect", "connect_container_to_network")
def connect(engine: FakeEngine, req: Request) -> Response:
    body = req.json() or {}
    ref = body.get("Container") or ""
    with engine.lock:
        container = engine.containers.resolve(ref)
        if container is None:
            raise messages.no_such_container(ref)
        engine.networks.connect_api(req.params["id"], container, body.get("EndpointConfig"))
    return Response(200, None)


@route("POST", "/networks/{id}/disconnect", "disconnect_container_from_network")
def disconnect(engine: FakeEngine, req: Request) -> Response:
    body = req.json() or {}
    ref = body.get("Container") or ""
    force = bool(body.get("Force"))
    with engine.lock:
        container = engine.containers.resolve(ref)
        if container is None:
            if force:
                engine.networks.get(req.params["id"])
                raise messages.no_such_endpoint(ref)
            raise messages.no_such_container(ref)
        engine.networks.disconnect(req.params["id"], container, force=force)
    return Response(200, None)
