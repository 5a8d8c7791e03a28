"""The Dockerfile instructions ``docker import --change`` (and commit) apply to an image's
Config: ``CMD``, ``ENTRYPOINT``, ``ENV``, ``EXPOSE``, ``LABEL``, ``USER``, ``VOLUME``,
``WORKDIR`` and ``STOPSIGNAL``.  A pure function of values.

``HEALTHCHECK`` and ``ONBUILD`` are valid there too but not modelled (501); any other
instruction is the daemon's 400 ``<instruction> is not a valid change command``.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from typing import Any

from .. import messages

_NOT_MODELLED = ("healthcheck", "onbuild")


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """``config`` (a Config dict) with ``changes`` applied in order; ``config`` is not changed."""
    out = dict(config)
    for change in changes:
        if not change.strip():
            continue
        instruction, _, rest = change.strip().partition(" ")
        name = instruction.lower()
        rest = rest.strip()
        if name in _NOT_MODELLED:
            raise messages.not_modelled("POST", f"/images/create (the {instruction.upper()} change)")
        apply = _APPLY.get(name)
        if apply is None:
            raise messages.invalid_change_command(instruction)
        apply(out, rest)
    return out


def _json_or_none(rest: str) -> list[str] | None:
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return None


def _command(rest: str) -> list[str]:
    """The exec form (a JSON list) as it is, the shell form run by ``/bin/sh -c``."""
    exec_form = _json_or_none(rest)
    return exec_form if exec_form is not None else ["/bin/sh", "-c", rest]


def _cmd(config: dict[str, Any], rest: str) -> None:
    config["Cmd"] = _command(rest)


def _entrypoint(config: dict[str, Any], rest: str) -> None:
    config["Entrypoint"] = _command(rest)


def _pairs(rest: str) -> list[tuple[str, str]]:
    """``k=v k2="v 2"`` pairs, or the legacy ``KEY value with spaces`` form."""
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        key, _, value = rest.partition(" ")
        return [(key, value.strip())]
    return [(w.split("=", 1)[0], w.split("=", 1)[1] if "=" in w else "") for w in words]


def _env(config: dict[str, Any], rest: str) -> None:
    env = list(config.get("Env") or [])
    for key, value in _pairs(rest):
        env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
    config["Env"] = env


def _label(config: dict[str, Any], rest: str) -> None:
    labels = dict(config.get("Labels") or {})
    labels.update(_pairs(rest))
    config["Labels"] = labels


def _expose(config: dict[str, Any], rest: str) -> None:
    ports = dict(config.get("ExposedPorts") or {})
    for word in rest.split():
        ports[word if "/" in word else f"{word}/tcp"] = {}
    config["ExposedPorts"] = ports


def _volume(config: dict[str, Any], rest: str) -> None:
    volumes = dict(config.get("Volumes") or {})
    for path in _json_or_none(rest) or rest.split():
        volumes[path] = {}
    config["Volumes"] = volumes


def _workdir(config: dict[str, Any], rest: str) -> None:
    config["WorkingDir"] = posixpath.join("/", config.get("WorkingDir") or "/", rest)


def _user(config: dict[str, Any], rest: str) -> None:
    config["User"] = rest


def _stopsignal(config: dict[str, Any], rest: str) -> None:
    config["StopSignal"] = rest


_APPLY = {
    "cmd": _cmd, "entrypoint": _entrypoint, "env": _env, "label": _label, "expose": _expose,
    "volume": _volume, "workdir": _workdir, "user": _user, "stopsignal": _stopsignal,
}
