"""Swarm routes: the swarm, nodes, services and tasks (state in :mod:`fakedocker.state.swarm`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import messages
from ..routing import Request, Response, route
from ..state import go_json
from ..state.swarm import logs as service_log
from .output import log_time

if TYPE_CHECKING:
    from ..engine import FakeEngine


def _version_arg(req: Request) -> int | None:
    return req.int_arg("version")


def _json_object(req: Request, schema: go_json.Schema) -> dict[str, Any]:
    """The request's JSON object as the daemon decodes it into ``schema``'s struct."""
    body = req.json()
    return go_json.go_fields(body, schema) if isinstance(body, dict) else {}


# swarm --------------------------------------------------------------------------------------

@route("GET", "/swarm", "inspect_swarm")
def inspect_swarm(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return engine.swarm.inspect_swarm()


@route("POST", "/swarm/init", "init_swarm")
def init_swarm(engine: FakeEngine, req: Request) -> str:
    body = _json_object(req, go_json.INIT_REQUEST)
    with engine.lock:
        return engine.swarm.init(body)


@route("POST", "/swarm/join", "join_swarm")
def join_swarm(engine: FakeEngine, req: Request) -> Response:
    body = _json_object(req, go_json.JOIN_REQUEST)
    with engine.lock:
        engine.swarm.join(body)
    return Response(200, None)  # pragma: no cover  (join always fails on the fake)


@route("POST", "/swarm/leave", "leave_swarm")
def leave_swarm(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        engine.swarm.leave(req.flag("force"))
    return Response(200, None)


@route("POST", "/swarm/update", "update_swarm")
def update_swarm(engine: FakeEngine, req: Request) -> Response:
    body = _json_object(req, go_json.SWARM_SPEC)
    with engine.lock:
        engine.swarm.update(
            _version_arg(req), body or None,
            req.flag("rotateWorkerToken"), req.flag("rotateManagerToken"),
            req.flag("rotateManagerUnlockKey"),
        )
    return Response(200, None)


@route("GET", "/swarm/unlockkey", "get_unlock_key")
def get_unlock_key(engine: FakeEngine, req: Request) -> dict[str, str]:
    with engine.lock:
        return {"UnlockKey": engine.swarm.unlock_key()}


@route("POST", "/swarm/unlock", "unlock_swarm")
def unlock_swarm(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        engine.swarm.unlock()
    return Response(200, None)  # pragma: no cover  (the fake's managers are never locked)


# nodes --------------------------------------------------------------------------------------

@route("GET", "/nodes", "nodes")
def list_nodes(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    with engine.lock:
        return engine.swarm.list_nodes(filters)


@route("GET", "/nodes/{id}", "inspect_node")
def inspect_node(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return engine.swarm.get_node(req.params["id"]).inspect(engine)


@route("POST", "/nodes/{id}/update", "update_node")
def update_node(engine: FakeEngine, req: Request) -> Response:
    body = _json_object(req, go_json.NODE_SPEC)
    with engine.lock:
        engine.swarm.update_node(req.params["id"], _version_arg(req), body)
    return Response(200, None)


@route("DELETE", "/nodes/{id}", "remove_node")
def remove_node(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        engine.swarm.remove_node(req.params["id"], req.flag("force"))
    return Response(200, None)  # pragma: no cover  (the only node is the last manager)


# services -----------------------------------------------------------------------------------

@route("POST", "/services/create", "create_service")
def create_service(engine: FakeEngine, req: Request) -> Response:
    body = _json_object(req, go_json.service_spec_for(engine.api_version))
    with engine.lock:
        service = engine.swarm.create_service(body)
        # 26.1 answers a (null) Warnings too
        return Response(201, {"ID": service.id, **({"Warnings": None} if engine.profile.at_least("26.1") else {})})


@route("GET", "/services", "services")
def list_services(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    status = req.flag("status")
    with engine.lock:
        out = []
        for service in engine.swarm.list_services(filters):
            data = service.inspect()
            if status:
                data["ServiceStatus"] = engine.swarm.service_status(service)
            out.append(data)
        return out


@route("GET", "/services/{id}", "inspect_service")
def inspect_service(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return engine.swarm.get_service(req.params["id"]).inspect(req.flag("insertDefaults"))


@route("POST", "/services/{id}/update", "update_service")
def update_service(engine: FakeEngine, req: Request) -> dict[str, Any]:
    body = _json_object(req, go_json.service_spec_for(engine.api_version))
    with engine.lock:
        engine.swarm.update_service(req.params["id"], _version_arg(req), body)
        return {"Warnings": None}


@route("DELETE", "/services/{id}", "remove_service")
def remove_service(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        engine.swarm.remove_service(req.params["id"])
    return Response(200, None)


@route("GET", "/services/{id}/logs", "service_logs")
def service_logs(engine: FakeEngine, req: Request) -> Response:
    """The service's task containers' logs (see :mod:`fakedocker.state.swarm.logs`); with
    ``follow``, new lines (of new tasks too) until the service is removed."""
    with engine.lock:
        service = engine.swarm.get_service(req.params["id"])
        tty = bool(service.spec["TaskTemplate"]["ContainerSpec"].get("TTY"))
    streams = frozenset(s for s, wanted in ((1, req.flag("stdout")), (2, req.flag("stderr"))) if wanted)
    if not streams:
        raise messages.no_log_stream_chosen(500)
    tail_arg = req.arg("tail", "all")
    options = service_log.LogOptions(
        streams=streams, since=log_time(req.arg("since")),
        tail=None if tail_arg in (None, "", "all") else req.int_arg("tail"),
        timestamps=req.flag("timestamps"), details=req.flag("details"), tty=tty)
    follow = req.flag("follow")
    changed = engine.containers.changed
    seen: dict[str, int] = {}

    def batch(first: bool) -> bytes:
        parts = []
        for task, container in engine.swarm.log_sources(service):
            entries = container.logs[seen.get(container.id, 0):]
            seen[container.id] = len(container.logs)
            parts.append(service_log.encode(service_log.select(entries, options, tail=first),
                                            service_log.task_context(task), options,
                                            engine.now_iso))
        return b"".join(parts)

    with engine.lock:
        initial = batch(first=True)

    def gen() -> Iterator[bytes]:
        yield initial
        while follow:
            with engine.lock:
                if service.id not in engine.swarm.services.by_id:
                    return
                changed.wait(0.25)
                data = batch(first=False)
            yield data  # empty: lets the writer notice a client that went away

    return Response(200, gen(), kind="stream")


# tasks --------------------------------------------------------------------------------------

@route("GET", "/tasks", "tasks")
def list_tasks(engine: FakeEngine, req: Request) -> list[dict[str, Any]]:
    filters = req.filters()
    with engine.lock:
        return [task.inspect() for task in engine.swarm.list_tasks(filters)]


@route("GET", "/tasks/{id}", "inspect_task")
def inspect_task(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return engine.swarm.get_task(req.params["id"]).inspect()


