"""Mask what legitimately differs between runs and between the real and the fake daemon.

Pure functions only: the parity tests pass API answers through :func:`normalize` and
compare the results; errors are compared through :func:`error_signature`.
"""

from __future__ import annotations

import json
import re
from typing import Any

FULL_ID = re.compile(r"\b[0-9a-f]{64}\b")
SHORT_ID = re.compile(r"\b[0-9a-f]{12}\b")
SWARM_ID = re.compile(r"^[0-9a-z]{25}$")
ZERO_TIME = "0001-01-01T00:00:00Z"
TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
MAC = re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b", re.IGNORECASE)
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b")
# Addresses that a test chose itself mean something and stay visible.
KEPT_IPS = {"127.0.0.1", "0.0.0.0", ""}

EPHEMERAL_PORTS = range(32768, 61000)
PORT_KEYS = {"HostPort", "PublicPort"}

# Keys whose (non-zero) numeric values differ run to run.
PID_KEYS = {"Pid", "PID"}
SIZE_KEYS = {"Size", "VirtualSize", "SharedSize", "SizeRw", "SizeRootFs"}
# Keys whose integer values are Unix times.
UNIX_TIME_KEYS = {"Created", "time", "timeNano"}
# Lists whose order carries no meaning.
UNORDERED_KEYS = {"Mounts", "RepoTags", "RepoDigests", "Aliases", "Warnings", "Names"}


def mask_string(value: str) -> str:
    """Mask ids, timestamps, MAC and IP addresses inside one string."""
    if value == ZERO_TIME:
        return "<zero-time>"
    value = TIMESTAMP.sub("<time>", value)
    value = FULL_ID.sub("<id>", value)
    value = SHORT_ID.sub("<short-id>", value)
    value = MAC.sub("<mac>", value)
    value = IPV4.sub(lambda m: m.group(0) if m.group(0) in KEPT_IPS else "<ip>", value)
    return value


def sort_unordered(items: list[Any]) -> list[Any]:
    """Sort a list of JSON-able values by their canonical JSON form."""
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _normalize_value(key: str | None, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if key in PID_KEYS and value > 0:
            return "<pid>"
        if key in SIZE_KEYS and value >= 0:
            return "<size>"
        if key in UNIX_TIME_KEYS and value > 0:
            return "<unix-time>"
        if key in PORT_KEYS and value in EPHEMERAL_PORTS:
            return "<port>"
        return value
    if isinstance(value, str):
        if key in PORT_KEYS and value.isdigit() and int(value) in EPHEMERAL_PORTS:
            return "<port>"
        if key in {"ID", "NodeID", "ServiceID"} and SWARM_ID.match(value):
            return "<swarm-id>"
        return mask_string(value)
    if isinstance(value, dict):
        return {mask_string(k): _normalize_value(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_normalize_value(key, v) for v in value]
        if key in UNORDERED_KEYS:
            items = sort_unordered(items)
        return items
    return value


def normalize(value: Any) -> Any:
    """Return a masked copy of an API answer (dicts, lists, strings, numbers)."""
    return _normalize_value(None, value)


def drop_ipv6_bindings(bindings: list[dict] | None) -> list[dict] | None:
    """Drop the ``::`` duplicates a daemon adds on IPv6-enabled hosts (host dependent)."""
    if bindings is None:
        return None
    return [b for b in bindings if b.get("HostIp") != "::"]


def subset(value: dict, keys: list[str] | tuple[str, ...] | set[str]) -> dict:
    """The given keys of a dict (missing keys show as ``"<missing>"``)."""
    return {k: value.get(k, "<missing>") for k in keys}


def error_signature(exc: BaseException) -> tuple[str, int | None, str]:
    """(exception class name, HTTP status, explanation with ids masked) of a docker error."""
    status = getattr(exc, "status_code", None)
    explanation = getattr(exc, "explanation", None)
    if explanation is None:
        explanation = str(exc)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return type(exc).__name__, status, mask_string(str(explanation).strip())


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int | None, str] | None:
    """Call ``call(*args, **kwargs)``: the error_signature of the docker error it raises, or None.

    Streamed answers (generators) are consumed, so errors raised mid-stream count too.
    """
    import docker.errors

    try:
        answer = call(*args, **kwargs)
        if hasattr(answer, "__next__"):
            for _ in answer:
                pass
    except docker.errors.DockerException as exc:
        return error_signature(exc)
    return None
