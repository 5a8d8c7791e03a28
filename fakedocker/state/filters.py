"""The daemon's list filters (``?filters={"label": [...]}``), shared by every resource."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timezone

from .. import messages
from ..routing import DaemonError


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
