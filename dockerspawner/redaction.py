"""Secrets out of log lines: create arguments, container output, post_start_cmd output.

Everything a spawner logs about a container may hold the server's API token (its environment,
``jupyter server`` printing ``?token=…`` URLs, a command echoing its environment).  These pure
functions hide such values before anything reaches the log or the spawn page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: environment variable names whose values are secrets
SECRET_NAME = re.compile(r"token|secret|passw|credential|private|(^|_)key$|_key_|auth", re.IGNORECASE)
REDACTED = "<redacted>"

# NAME=value / NAME: value where NAME looks secret (env dumps, config echoes)
_ASSIGNMENT = re.compile(
    r"(?P<name>\b(?:[A-Za-z_][A-Za-z0-9_.-]*)?(?:token|secret|passw(?:or)?d?|credential|api[_-]?key|auth)"
    r"[A-Za-z0-9_.-]*)(?P<sep>\s*[=:]\s*)(?P<quote>[\"']?)(?P<value>[^\s\"'&;,]{6,})",
    re.IGNORECASE,
)
# ?token=… / &token=… in URLs (jupyter server prints its URL with the token)
_QUERY = re.compile(r"(?P<lead>[?&](?:token|access_token|api_key)=)(?P<value>[^\s&#\"']+)", re.IGNORECASE)
# Authorization headers
_AUTH_HEADER = re.compile(r"(?P<lead>\b(?:token|bearer|basic)\s+)(?P<value>[A-Za-z0-9+/=._~-]{16,})", re.IGNORECASE)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret and every token-looking value replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _QUERY.sub(lambda m: m["lead"] + REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: m["lead"] + REDACTED, text)
    text = _ASSIGNMENT.sub(lambda m: m["name"] + m["sep"] + m["quote"] + REDACTED, text)
    return text


def redacted_environment(env: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if SECRET_NAME.search(k) else v) for k, v in env.items()}


def redacted_create_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``create_container`` / ``create_service`` kwargs fit for a log: secret-looking
    environment values hidden."""
    shown = dict(kwargs)
    env = shown.get("environment")
    if isinstance(env, Mapping):
        shown["environment"] = redacted_environment(env)
    elif isinstance(env, list | tuple):
        shown["environment"] = [
            f"{k}={REDACTED}" if SECRET_NAME.search(k) else f"{k}={v}"
            for k, _, v in (str(e).partition("=") for e in env)
        ]
    return shown
