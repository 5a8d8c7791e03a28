"""docs/options.md is generated from the spawners' traits (scripts/gen-options-doc); it must match
what the generator makes from the code as it is now."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gen-options-doc"
DOC = REPO / "docs" / "options.md"
REGENERATE = ".venv/bin/python scripts/gen-options-doc"


def load_generator():
    loader = importlib.machinery.SourceFileLoader("gen_options_doc", str(SCRIPT))
    spec = importlib.util.spec_from_loader("gen_options_doc", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_options_doc", module)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


def _first_difference(expected: str, actual: str) -> str:
    for number, (want, got) in enumerate(zip(expected.splitlines(), actual.splitlines(), strict=False), 1):
        if want != got:
            return f"first difference at line {number}:\n  generated: {want!r}\n  in file:   {got!r}"
    return "the files differ in length"


def test_options_doc_is_up_to_date(generator, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.1.2.3:2376")  # must not leak into the defaults
    expected = generator.render()
    committed = DOC.read_text()
    marker = generator.JUPYTERHUB_SECTION
    ours_expected, _, jupyterhub_expected = expected.partition(marker)
    ours_committed, _, jupyterhub_committed = committed.partition(marker)
    # the spawners' own sections do not depend on the JupyterHub version: always compared
    assert ours_committed == ours_expected, (
        f"docs/options.md is stale (the spawners' options changed): run `{REGENERATE}` and "
        f"commit the result; {_first_difference(ours_expected, ours_committed)}"
    )
    # the JupyterHub section is compared only under the JupyterHub version it was generated with
    version_line = f"Generated with JupyterHub {generator.JH_MAJOR_MINOR};"
    if version_line not in jupyterhub_committed:
        pytest.skip("docs/options.md's JupyterHub section was generated with another JupyterHub version")
    assert jupyterhub_committed == jupyterhub_expected, (
        f"docs/options.md is stale (JupyterHub section): run `{REGENERATE}`; "
        f"{_first_difference(jupyterhub_expected, jupyterhub_committed)}"
    )


def test_every_option_is_documented(generator):
    """A new trait shows up in the generated text (the generator walks the classes)."""
    from dockerspawner import DockerSpawner, SwarmSpawner, SystemUserSpawner

    text = generator.render()
    for cls in (DockerSpawner, SwarmSpawner, SystemUserSpawner):
        for name in cls.class_own_traits(config=True):
            assert f"`{name}`" in text, f"{cls.__name__}.{name} missing from the generated doc"
    assert "Deprecated aliases" in text
    assert "| `image_whitelist` |" in text and "`allowed_images`" in text
    assert "`c.SwarmSpawner.publish_mode = CaselessStrEnum('host')`" in text
    assert "| `pull_policy` | `CaselessStrEnum('ifnotpresent')` | `CaselessStrEnum('skip')` |" in text


def test_defaults_do_not_follow_the_environment(generator, monkeypatch):
    """DOCKER_HOST changes host_ip's run-time default, never the documented one."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.1.2.3:2376")
    assert "`c.DockerSpawner.host_ip = Unicode('127.0.0.1')`" in generator.render()
