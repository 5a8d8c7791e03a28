"""The fakedocker page's examples (docs/fakedocker.md) run as written."""

from __future__ import annotations

import re
from pathlib import Path

import fakedocker

PAGE = Path(__file__).resolve().parents[2] / "docs" / "fakedocker.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)


def test_the_page_has_the_examples():
    assert len(_python_blocks()) == 2


def test_pytest_example_runs_with_the_fixture():
    namespace: dict = {}
    exec(compile(_python_blocks()[0], "docs/fakedocker.md:test_cleanup.py", "exec"), namespace)
    with fakedocker.patch() as engine:
        namespace["test_remove_exited"](engine)


def test_plain_example_runs():
    namespace: dict = {}
    exec(compile(_python_blocks()[1], "docs/fakedocker.md:example", "exec"), namespace)
    assert namespace["count_images"]() == 0
    assert namespace["engine"].images.resolve("127.0.0.1:5000/big:1") is not None


def test_the_seed_file_example_seeds_an_engine():
    import tomllib

    from fakedocker import seed as seeding

    [block] = re.findall(r"```toml\n(.*?)```", PAGE.read_text(), flags=re.S)
    engine = fakedocker.FakeEngine()
    seeding.apply(engine, seeding.check(tomllib.loads(block)))
    api = engine.api_client()
    api.pull("127.0.0.1:5000/team/notebook", tag="2")
    assert api.inspect_image("127.0.0.1:5000/team/notebook:2")["Config"]["Cmd"] == ["start-notebook.sh"]
    assert api.inspect_volume("shared-cache")["Labels"] == {"team": "blue"}
    assert api.inspect_network("backend")["Internal"] is True
    engine.close()
