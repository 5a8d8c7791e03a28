"""The data the documentation's generated parts print, held to the code: each failure reason
has its troubleshooting section, each difference on purpose its row, and the routes table says
what fakedocker answers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dockerspawner import errors
from fakedocker.daemon_routes import modelled_routes
from fakedocker.routing import ROUTER

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import generated_tables  # noqa: E402


def test_every_failure_reason_has_its_troubleshooting_section():
    page = (DOCS / "troubleshooting.md").read_text()
    missing = [code for code in errors.REASONS if f"Reason code: `{code}`" not in page]
    assert not missing, f"docs/troubleshooting.md has no section for the reasons {missing}"


def test_every_difference_on_purpose_is_a_complete_row():
    rows = generated_tables.differences()
    names = [row["what"] for row in rows]
    assert len(names) == len(set(names)), "a difference is listed twice"
    for row in rows:
        assert set(row) == {"what", "reference", "here"} and all(v.strip() for v in row.values()), row
    generated_tables.markdown_table(["", "reference", "here"], [list(r.values()) for r in rows])  # no | or line break


def test_the_routes_table_says_what_fakedocker_answers(engine):
    """A route the table marks not modelled answers 501 through docker-py; a modelled one is
    the router's, under the operation the table names (what fault injection keys by)."""
    api = engine.api_client()
    rows = modelled_routes(ROUTER)
    assert len(rows) > 100 and sum(1 for *_, op in rows if op) > 70
    for method, pattern, operation in rows:
        path = pattern.replace("{name}", "x").replace("{id}", "x").replace("{checkpoint}", "x")
        if operation is None:
            answer = api.request(method, api._url(path))
            assert answer.status_code == 501 and "does not model" in answer.text, (method, pattern)
        else:
            found = ROUTER.match(method, path)
            assert found is not None and found[0].operation == operation, (method, pattern)


@pytest.fixture
def engine():
    import fakedocker

    return fakedocker.FakeEngine()
