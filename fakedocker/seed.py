"""What a fresh engine starts with, described as data: images present locally, images only in
its registry (pullable), volumes and networks.  ``fakedocker serve --seed FILE`` reads it from a
JSON or TOML file; ``--image`` / ``--registry-image`` add single images.

    {"images":   [{"ref": "busybox:1.36", "config": {"Cmd": ["sh"]}, "size": 2000000}],
     "registry": [{"ref": "alpine:3.10", "config": {"Cmd": ["/bin/sh"]}, "layers": 2}],
     "volumes":  [{"name": "data", "labels": {"team": "a"}}],
     "networks": [{"name": "backend", "driver": "bridge", "internal": true}]}

Every entry is checked before anything is made, and a mistake is named with its place
("registry[1]: unknown key 'tags' (known: config, layers, ref, size)").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: the keys each kind of entry takes (the first is required), and what they mean to the engine
IMAGE_KEYS = ("ref", "config", "size", "layers")
VOLUME_KEYS = ("name", "driver", "driver_opts", "labels")
NETWORK_KEYS = ("name", "driver", "internal", "attachable", "labels", "options", "ipam")
KINDS = {"images": IMAGE_KEYS, "registry": IMAGE_KEYS, "volumes": VOLUME_KEYS, "networks": NETWORK_KEYS}


class SeedError(ValueError):
    """A seed description that cannot be applied; the message names the entry."""


def load(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The seed in ``path`` (``.toml``: TOML, anything else: JSON), checked."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SeedError(f"{path}: {err.strerror}") from None
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            raise SeedError(f"{path}: TOML needs Python 3.11 or newer; use JSON") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SeedError(f"{path}: not valid TOML: {err}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise SeedError(f"{path}: not valid JSON: {err}") from None
    return check(data, str(path))


def check(data: Any, where: str = "seed") -> dict[str, list[dict[str, Any]]]:
    """``data`` as a seed: a mapping of kinds to lists of entries with known keys."""
    if not isinstance(data, dict):
        raise SeedError(f"{where}: expected a mapping of {', '.join(KINDS)}")
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise SeedError(f"{where}: unknown section {unknown[0]!r} (known: {', '.join(KINDS)})")
    seed: dict[str, list[dict[str, Any]]] = {}
    for kind, keys in KINDS.items():
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise SeedError(f"{where}: {kind} must be a list")
        for i, entry in enumerate(entries):
            place = f"{where}: {kind}[{i}]"
            if not isinstance(entry, dict):
                raise SeedError(f"{place}: expected a mapping")
            extra = sorted(set(entry) - set(keys))
            if extra:
                raise SeedError(f"{place}: unknown key {extra[0]!r} (known: {', '.join(sorted(keys))})")
            if not isinstance(entry.get(keys[0]), str) or not entry[keys[0]]:
                raise SeedError(f"{place}: {keys[0]!r} is required (a string)")
            if "config" in entry and not isinstance(entry["config"], dict):
                raise SeedError(f"{place}: 'config' must be a mapping (the image's Config)")
        seed[kind] = entries
    return seed


def image_option(spec: str) -> dict[str, Any]:
    """``REF`` or ``REF=CONFIG_JSON`` (a command-line image) as a seed entry."""
    ref, sep, config = spec.partition("=")
    entry: dict[str, Any] = {"ref": ref}
    if sep:
        try:
            entry["config"] = json.loads(config)
        except json.JSONDecodeError as err:
            raise SeedError(f"{spec}: the config after '=' is not valid JSON: {err}") from None
    return check({"images": [entry]}, spec)["images"][0]


def apply(engine: Any, seed: dict[str, list[dict[str, Any]]]) -> None:
    """Make what ``seed`` describes, through the engine's own API (so the daemon's errors for a
    bad reference, a name in use or an unknown driver are the ones raised)."""
    for entry in seed.get("images", []):
        engine.add_image(**entry)
    for entry in seed.get("registry", []):
        engine.registry.push(**entry)
    client = engine.api_client()
    try:
        for entry in seed.get("volumes", []):
            client.create_volume(**entry)
        for entry in seed.get("networks", []):
            client.create_network(**entry)
    finally:
        client.close()
