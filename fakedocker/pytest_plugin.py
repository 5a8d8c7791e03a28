"""pytest plugin (entry point ``pytest11``): the ``fake_docker`` fixture.

``fake_docker`` yields a fresh :class:`fakedocker.FakeEngine` with :func:`fakedocker.patch`
active, so any ``docker.APIClient(...)``, ``docker.DockerClient(...)`` or
``docker.from_env()`` made during the test talks to it.
"""

from __future__ import annotations

import pytest

from .engine import FakeEngine
from .patching import patch


@pytest.fixture
def fake_docker():
    engine = FakeEngine()
    with patch(engine):
        try:
            yield engine
        finally:
            engine.close()
