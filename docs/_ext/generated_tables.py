"""Tables the documentation prints from the code and data the tests use, so the two cannot drift.

``{differences-table}``: what differs from the reference on purpose, from
``docs/differences.toml`` (the reference differential's allow-list names its rows).

``{fakedocker-routes}``: each route of the Docker 20.10 daemon and whether fakedocker models it
(the docker-py method that calls it) or answers 501, from fakedocker's own router.
"""

from __future__ import annotations

from typing import Any

from doc_tables import DIFFERENCES, differences, markdown_table, route_rows
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


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
