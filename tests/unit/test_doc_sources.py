"""The data the documentation's generated parts print, held to the code: each failure reason
has its troubleshooting section, each difference on purpose its row, and the routes table says
what fakedocker answers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dockerspawner import errors
from fakedocker.daemon_routes import modelled_routes, sample_path
from fakedocker.routing import ROUTER

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import doc_tables  # noqa: E402


def test_every_failure_reason_has_its_troubleshooting_section():
    page = (DOCS / "troubleshooting.md").read_text()
    missing = [code for code in errors.REASONS if f"Reason code: `{code}`" not in page]
    assert not missing, f"docs/troubleshooting.md has no section for the reasons {missing}"


def test_every_difference_on_purpose_is_a_complete_row():
    rows = doc_tables.differences()
    names = [row["what"] for row in rows]
    assert len(names) == len(set(names)), "a difference is listed twice"
    for row in rows:
        assert set(row) == {"what", "reference", "here"} and all(v.strip() for v in row.values()), row
    doc_tables.markdown_table(["", "reference", "here"], [list(r.values()) for r in rows])  # no | or line break


def test_the_routes_table_says_what_fakedocker_answers(engine):
    """Asked through docker-py, a route the table marks not modelled answers fakedocker's 501
    ("does not model"), and a modelled one answers anything else (the event stream, which
    would not end, aside)."""
    api = engine.api_client()
    rows = modelled_routes(ROUTER)
    assert len(rows) > 100 and sum(1 for *_, op in rows if op) > 70
    for method, pattern, operation in rows:
        if (method, pattern) == ("GET", "/events"):
            continue
        with api.request(method, api._url(sample_path(pattern)), stream=True, timeout=10) as answer:
            not_modelled = answer.status_code == 501 and "does not model" in answer.text
        assert not_modelled == (operation is None), (method, pattern, operation, answer.status_code)


@pytest.fixture
def engine():
    import fakedocker

    return fakedocker.FakeEngine()


def source_wording() -> str:
    """Every string literal of the spawners, adjacent literals joined and an f-string's fields
    cut out (a NUL stands for each), as the messages a user can see are written."""
    import ast

    pieces = []
    for path in sorted((DOCS.parent / "dockerspawner").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                pieces.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                pieces.append("".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values))
    return "\n".join(pieces)


#: wordings the page quotes as a user sees them, put together in the code from parts (an
#: f-string field holds a word of them): the part of each the code writes out
COMPOSED = {
    "GPUs are free and this server needs": "free and this server needs",
    "is not reachable, so your server could not be started": "is not reachable, so your server could ",
    "Docker could not start your server": "Docker could not \0 your server",
    "task rejected": "rejected",
    "Your server's container exited during startup with code": "Your server's container exited \0with code",
    "Your server's container exited with code": "Your server's container exited \0with code",
}
#: words in a quoted message that are the daemon's, relayed (a node's status message)
DAEMON_WORDS = {"heartbeat failure"}


def test_the_troubleshooting_page_quotes_the_messages_as_the_code_words_them():
    """Each fragment of a quoted message (between placeholders such as <image> and sentence
    breaks) is in the code: a message reworded in the code fails until the page follows."""
    import re

    wording = source_wording()
    page = (DOCS / "troubleshooting.md").read_text()
    quoted = [line for block in re.findall(r"```text\n(.*?)```", page, re.S) for line in block.splitlines()]
    assert len(quoted) >= 30
    missing = []
    for line in quoted:
        for fragment in re.split(r"'?<[^>]*>'?|: |\(|\)|; |\. |…", line):
            fragment = fragment.strip(" '.:;,")
            if len(fragment) >= 10 and fragment not in DAEMON_WORDS and COMPOSED.get(fragment, fragment) not in wording:
                missing.append(fragment)
    assert not missing, f"docs/troubleshooting.md quotes wordings the code does not have: {missing}"
