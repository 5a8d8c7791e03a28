"""The daemon's list filters (``?filters={"label": [...]}``), shared by every resource."""

from __future__ import annotations

import re
from collections.abc import Collection

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
