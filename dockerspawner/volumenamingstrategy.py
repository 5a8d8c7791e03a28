"""Volume naming strategies for ``DockerSpawner.format_volume_name``.

A strategy is any callable ``(template: str, spawner) -> str``.  Both strategies here fill the
template from the spawner's template namespace, where ``{username}`` is already the escaped,
name-safe user name (``{raw_username}`` is the name as the user typed it).
"""

from __future__ import annotations

from typing import Any


def default_format_volume_name(template: str, spawner: Any) -> str:
    """Fill ``template`` from ``spawner.template_namespace()``."""
    return template.format(**spawner.template_namespace())


def escaped_format_volume_name(template: str, spawner: Any) -> str:
    """Like :func:`default_format_volume_name`, with ``{username}`` forced to the escaped name
    (for spawner subclasses whose namespace puts the raw name there)."""
    namespace = dict(spawner.template_namespace())
    namespace["username"] = spawner.escaped_name
    return template.format(**namespace)
