"""The documentation site, built once per session as the test command builds it: Sphinx with
warnings as errors and every reference checked (``-W -n``), so a broken link or a bad option
help text fails the build (and every test here)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def build_site(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-n", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600, cwd=REPO)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("site")
    built = build_site(out)
    if built.returncode != 0:
        pytest.fail(f"sphinx-build -W -n failed (exit {built.returncode}):\n{built.stderr[-6000:]}", pytrace=False)
    yield out
