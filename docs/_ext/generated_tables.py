"""Tables the documentation prints from the code and data the tests use, so the two cannot drift.

``{differences-table}``: what differs from the reference on purpose, from
``docs/differences.toml`` (the reference differential's allow-list names its rows).

``{fakedocker-routes}``: each route of the Docker 20.10 daemon and whether fakedocker models it
(the docker-py method that calls it) or answers 501, from fakedocker's own router.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # the docs extra installs tomli there
    import tomli as tomllib

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

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


class _MarkdownDirective(SphinxDirective):
    has_content = False

    def markdown(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[Any]:
        container = nodes.container()
        self.state.nested_parse(StringList(self.markdown(), source=self.get_source_info()[0]),
                                self.content_offset, container)
        return list(container.children)


class DifferencesTable(_MarkdownDirective):
    def markdown(self) -> list[str]:
        self.env.note_dependency(str(DIFFERENCES))
        rows = [[d["what"], d["reference"], d["here"]] for d in differences()]
        return markdown_table(["", "reference (dockerspawner 14.0.0)", "here"], rows)


class FakedockerRoutes(_MarkdownDirective):
    def markdown(self) -> list[str]:
        rows = route_rows()
        modelled = sum(1 for row in rows if not row[1].startswith("501"))
        return [f"{modelled} of the {len(rows)} routes of Docker 20.10's Engine API (1.41) are modelled; "
                "the others answer 501 `fakedocker does not model <METHOD> <path>`, and a path the "
                "daemon does not serve answers its own 404 `page not found`.", ""] + markdown_table(
            ["route", "operation (docker-py's method name)"], rows)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("differences-table", DifferencesTable)
    app.add_directive("fakedocker-routes", FakedockerRoutes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
