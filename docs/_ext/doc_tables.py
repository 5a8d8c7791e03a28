"""The data behind the documentation's generated tables, as plain values (no Sphinx here: the
unit tests read it on every JupyterHub the project supports).

``differences()``: what differs from the reference on purpose, from ``docs/differences.toml``
(the reference differential's allow-list names its rows). ``route_rows()``: each route of the
Docker 20.10 daemon and what fakedocker answers it with, from fakedocker's own router.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the docs and test extras install tomli there
    import tomli as tomllib

DIFFERENCES = Path(__file__).resolve().parents[1] / "differences.toml"


def differences() -> list[dict[str, str]]:
    """The rows of docs/differences.toml, in order."""
    return tomllib.loads(DIFFERENCES.read_text())["difference"]


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown (GFM) table; cells may hold inline Markdown but no line breaks or ``|``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        for cell in row:
            if "\n" in cell or "|" in cell:
                raise ValueError(f"a table cell cannot hold a line break or '|': {cell!r}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def route_rows() -> list[list[str]]:
    import fakedocker.transport  # noqa: F401  (registers the handlers)
    from fakedocker.daemon_routes import modelled_routes
    from fakedocker.routing import ROUTER

    return [[f"`{method} {pattern}`", f"`{operation}`" if operation else "501 (not modelled)"]
            for method, pattern, operation in modelled_routes(ROUTER)]
