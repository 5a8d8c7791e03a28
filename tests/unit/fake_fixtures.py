"""Engines and clients for the fakedocker unit tests (``tests/unit/test_fake_*.py``).

A test module names the images its engine starts with and binds the fixtures to the names its
tests take::

    engine, api, client = fake_engine_fixtures({"busybox:1.36": {"Cmd": ["sh"]}})

This ``engine`` is not the spawner tests' (``conftest.py``: patched into docker-py, its
single-user containers serving HTTP); binding it in a module overrides that one for the
module's own tests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import fakedocker

Images = Mapping[str, "dict[str, Any] | None"]


def new_engine(images: Images, swarm: bool = False, **kwargs: Any) -> fakedocker.FakeEngine:
    """A FakeEngine (``kwargs`` as FakeEngine takes them) with ``images`` (ref -> Config)
    present; with ``swarm``, its swarm initialised through the API, as provision.sh does.

    It answers as Docker 20.10 unless told: these tests state 20.10's answers, as the parity
    scenarios checked them; what 26.1 (the default) answers differently is tested in
    test_fake_versions.py and beside Docker 26 by the parity scenarios."""
    kwargs.setdefault("engine_version", "20.10")
    engine = fakedocker.FakeEngine(**kwargs)
    for ref, config in images.items():
        engine.add_image(ref, config=config)
    if swarm:
        engine.api_client().init_swarm(advertise_addr="127.0.0.1")
    return engine


def fake_engine_fixtures(images: Images, swarm: bool = False) -> tuple[Any, Any, Any]:
    """The fixtures ``(engine, api, client)``: a fresh :func:`new_engine` per test, closed
    after it, and a ``docker.APIClient`` and a ``docker.DockerClient`` it answers."""

    @pytest.fixture
    def engine():
        with new_engine(images, swarm=swarm) as e:
            yield e

    @pytest.fixture
    def api(engine):
        return engine.api_client()

    @pytest.fixture
    def client(engine):
        return engine.docker_client()

    return engine, api, client
