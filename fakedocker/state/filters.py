"""The daemon's list filters (``?filters={"label": [...]}``), shared by every resource."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .. import messages
from ..routing import DaemonError, int_value

if TYPE_CHECKING:
    from ..engine import FakeEngine
    from .containers import Container


def label_matches(labels: dict[str, str] | None, wanted: str) -> bool:
    """``key`` or ``key=value`` against a label map."""
    labels = labels or {}
    if "=" in wanted:
        key, value = wanted.split("=", 1)
        return key in labels and labels[key] == value
    return wanted in labels


def regex_search(pattern: str, text: str) -> bool:
    """The daemon's ``filters.Match``: a regular-expression search (an invalid one never matches)."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def parse_bool_filter(values: list[str], error: DaemonError) -> bool:
    value = values[-1].lower() if values else ""
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise error


def reject_unknown_filters(filters: dict[str, list[str]], accepted: Collection[str]) -> None:
    """The daemon's 400 ``invalid filter`` for the first key it does not accept."""
    for key in filters:
        if key not in accepted:
            raise messages.invalid_filter(key)


_DURATION = re.compile(r"^(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H%z",
                 "%Y-%m-%dT%H", "%Y-%m-%d%z", "%Y-%m-%d")


def parse_until(value: str, now: float) -> float:
    """The daemon's ``until`` filter value as a Unix time: a Go duration before ``now``
    (``10m``, ``1h30m``), a Unix time (``1700000000.5``) or an RFC 3339 date or time;
    otherwise its 500 ``failed to parse value as time or duration``."""
    text = value.strip()
    if _DURATION.match(text):
        return now - sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return float(text)
    stamp = text.replace("Z", "+0000")
    stamp = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", stamp)
    stamp = re.sub(r"(\.\d{6})\d+", r"\1", stamp)  # nanoseconds: Python reads micro
    for fmt in _TIME_FORMATS:
        try:
            t = datetime.strptime(stamp, fmt)
        except ValueError:
            continue
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return t.timestamp()
    raise messages.invalid_time_filter(value)


def prune_label_ok(labels: dict[str, str] | None, filters: dict[str, list[str]]) -> bool:
    """The prune endpoints' label test: every ``label`` must match; an object is spared
    when it matches every ``label!`` (moby's ``MatchKVList`` on each key)."""
    if not all(label_matches(labels, w) for w in filters.get("label", ())):
        return False
    negated = filters.get("label!", ())
    return not (negated and all(label_matches(labels, w) for w in negated))


# GET /containers/json ------------------------------------------------------------------------

@dataclass
class ContainerFilterContext:
    """What the container filters look up once per request, before the containers are tried:
    the ``before``/``since`` containers, the image ids ``ancestor`` names and the names of
    the networks ``network`` names."""

    before: Container | None = None
    since: Container | None = None
    ancestors: set[str] = field(default_factory=set)
    network_names: set[str] = field(default_factory=set)


#: a filter of ``GET /containers/json``: does the container pass, given the filter's values?
ContainerPredicate = Callable[["Container", list[str], ContainerFilterContext], bool]


def _created_before(c: Container, ref: Container) -> bool:
    return c.created_unix < ref.created_unix or (c.created_unix == ref.created_unix and c.created < ref.created)


def _created_after(c: Container, ref: Container) -> bool:
    return c.created_unix > ref.created_unix or (c.created_unix == ref.created_unix and c.created > ref.created)


def _before(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return ctx.before is None or _created_before(c, ctx.before)


def _since(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return ctx.since is None or _created_after(c, ctx.since)


def _accepted(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    """A filter the daemon accepts and the fake does not apply (``isolation``: Windows')."""
    return True


def _name(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    for p in values:
        try:
            if re.search(p, "/" + c.name):
                return True
        except re.error:
            if p in c.name:
                return True
    return False


def _id(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return any(c.id.startswith(i) for i in values)


def _label(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return all(label_matches(c.labels, w) for w in values)


def _status(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return c.status in values


def _health(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return c.health_status() in values


def _exited(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return c.status == "exited" and str(c.exit_code) in values


def _ancestor(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return c.image_id in ctx.ancestors or c.image in values


def _network(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    if not values:
        return True
    return bool(set(c.networks) & ctx.network_names) or any(
        ep.get("NetworkID", "").startswith(n) for ep in c.networks.values() for n in values if n)


def _volume(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return any(m.get("Name") in values or m.get("Destination") in values or m.get("Source") in values
               for m in c.mounts)


def _is_task(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    return (values[-1].lower() in ("1", "true")) == ("com.docker.swarm.task" in c.labels)


def _expose(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    exposed = set(c.exposed_ports()) | {k.partition("/")[0] for k in c.exposed_ports()}
    return bool(set(values) & exposed)


def _publish(c: Container, values: list[str], ctx: ContainerFilterContext) -> bool:
    published = {k.partition("/")[0] for k in c.ports} | set(c.ports)
    return bool(set(values) & published) or any(
        b["HostPort"] in values for v in c.ports.values() for b in v)


#: every filter ``GET /containers/json`` accepts and its test, in the order they are tried
CONTAINER_FILTERS: dict[str, ContainerPredicate] = {
    "before": _before,
    "since": _since,
    "name": _name,
    "id": _id,
    "label": _label,
    "status": _status,
    "health": _health,
    "exited": _exited,
    "ancestor": _ancestor,
    "network": _network,
    "volume": _volume,
    "is-task": _is_task,
    "expose": _expose,
    "publish": _publish,
    "isolation": _accepted,
}
CONTAINER_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}
HEALTH_STATUSES = {"starting", "healthy", "unhealthy", "none"}


def check_container_filters(filters: dict[str, list[str]]) -> None:
    """The daemon's 400s for a filter ``GET /containers/json`` does not take, a ``status`` that
    is no container state and a ``health`` that is no health status, in that order."""
    reject_unknown_filters(filters, CONTAINER_FILTERS)
    for s in filters.get("status", ()):
        if s not in CONTAINER_STATUSES:
            raise messages.invalid_filter(f"status={s}")
    for h in filters.get("health", ()):
        if h not in HEALTH_STATUSES:
            raise messages.invalid_health_filter(h)


def select_containers(engine: FakeEngine, filters: dict[str, list[str]], *, show_all: bool,
                      limit: str | None = None, before: str | None = None,
                      since: str | None = None) -> list[Container]:
    """The containers ``GET /containers/json`` lists, newest first: the ``filters`` checked
    (:func:`check_container_filters`), then each container tried against each of them.

    ``show_all``, ``limit`` (its text: the 400 for one that is not a number comes after the
    filters' own), ``before`` and ``since`` are the query's arguments; ``before`` and ``since``
    add to the filters of those names.  Any of ``before``, ``since``, a positive ``limit``, a
    ``status`` or an ``exited`` filter lists stopped containers too.  Call with the engine's
    lock held."""
    check_container_filters(filters)
    most = int_value("limit", limit, -1) or -1
    store = engine.containers
    filters = dict(filters)
    if before:
        filters["before"] = [before, *filters.get("before", [])]
    if since:
        filters["since"] = [since, *filters.get("since", [])]
    ctx = ContainerFilterContext()
    if filters.get("before"):
        ctx.before = store.get(filters["before"][-1])
    if filters.get("since"):
        ctx.since = store.get(filters["since"][-1])
    if ctx.before is not None or ctx.since is not None or most > 0 or "status" in filters or "exited" in filters:
        show_all = True
    if "ancestor" in filters:
        for ref in filters["ancestor"]:
            image = engine.images.resolve(ref)
            if image is not None:
                ctx.ancestors.add(image.id)
    for ref in filters.get("network") or ():
        net = engine.networks.resolve(ref)
        ctx.network_names.add(net.name if net is not None else ref)
    tests = [(test, filters[key]) for key, test in CONTAINER_FILTERS.items() if key in filters]
    out = []
    for c in sorted(store.by_id.values(), key=lambda c: (c.created_unix, c.created), reverse=True):
        if not show_all and not c.running:
            continue
        if all(test(c, values, ctx) for test, values in tests):
            out.append(c)
            if most > 0 and len(out) >= most:
                break
    return out
