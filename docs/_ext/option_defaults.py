"""Each option in the reference says the value a spawner starts with (autodoc-traits prints the
trait's declaration, e.g. ``Int(0)`` for ``port``, which the spawner then computes as 8888).

The default is read from a fresh spawner of the documented class with no ``DOCKER_*``
variables set (``host_ip`` follows ``DOCKER_HOST``); the image's tag, which follows the
installed JupyterHub, is written as ``<JupyterHub major.minor>``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from sphinx.application import Sphinx

_instances: dict[type, Any] = {}


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("DOCKER_")}
    try:
        yield
    finally:
        os.environ.update(saved)


def default_text(cls: type, name: str) -> str | None:
    """The default of ``cls``'s option ``name`` as the reference prints it, or None when it is
    computed per server (from the user's or server's name)."""
    import jupyterhub

    try:
        with clean_environment():
            if cls not in _instances:
                _instances[cls] = cls()
            value = getattr(_instances[cls], name)
    except Exception:
        return None
    if callable(value):
        qualname = getattr(value, "__qualname__", type(value).__qualname__)
        return f"{getattr(value, '__module__', '')}.{qualname.split('.<locals>')[0]}".lstrip(".")
    text = repr(value)
    major_minor = ".".join(jupyterhub.__version__.split(".")[:2])
    return text.replace(f"singleuser:{major_minor}", "singleuser:<JupyterHub major.minor>")


def add_default(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    parts = name.split(".")
    if what not in ("trait", "attribute") or len(parts) != 3 or parts[0] != "dockerspawner":
        return
    import dockerspawner

    cls = getattr(dockerspawner, parts[1], None)
    if cls is None or parts[2] not in cls.class_trait_names(config=True):
        return
    text = default_text(cls, parts[2])
    lines += ["", f"Default: ``{text}``" if text is not None else "Default: computed for each server."]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", add_default)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
