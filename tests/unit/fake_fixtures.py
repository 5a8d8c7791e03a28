"""Engines and clients for the fakedocker unit tests (``tests/unit/test_fake_*.py``).

A test module names the images its engine starts with and binds the fixtures to the names its
tests take::

    engine, api, client = fake_engine_fixtures({"busybox:1.36": {"Cmd": ["sh"]}})

This ``engine`` is not the spawner tests' (``conftest.py``: patched into docker-py, its
single-user containers serving HTTP); binding it in a module overrides that one for the
module's own tests only.

Also what several of those modules do alike: a fresh client per hypothesis example
(:func:`fresh_api`), the ``name`` filter's patterns, and counting the engine's calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import docker
import pytest
from hypothesis import strategies as st

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


@contextlib.contextmanager
def fresh_api(images: Images | None = None) -> Iterator[docker.APIClient]:
    """A ``docker.APIClient`` of a :func:`new_engine` of its own, closed afterwards: for a
    hypothesis test, whose examples must not share the function-scoped ``engine``."""
    with new_engine(images or {}) as engine:
        yield engine.api_client()


#: what the property tests give a list's ``name`` filter: short regular expressions
NAME_PATTERNS = st.from_regex(r"[a-z0-9.]{1,3}", fullmatch=True)


def calls_counted(engine: fakedocker.FakeEngine, api: docker.APIClient,
                  calls: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    """Each ``(method, *args)`` of ``calls`` made through ``api``, in order; how many calls of
    each method the engine counted."""
    for method, *args in calls:
        getattr(api, method)(*args)
    return {method: engine.calls[method] for method, *_ in calls}
