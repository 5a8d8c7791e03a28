"""Genuine docker-py clients whose requests a FakeEngine answers, and ``patch()``.

The binding is per client instance: a client keeps talking to the engine it was made for,
whatever patches are entered or left afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import docker
from docker.api.client import APIClient

if TYPE_CHECKING:
    from .engine import FakeEngine

_ENGINE_ATTR = "_fakedocker_engine"


def bind(client: APIClient, engine: FakeEngine) -> None:
    """Route every request of ``client`` (before or after its ``__init__``) to ``engine``."""
    transport = engine.transport()
    setattr(client, _ENGINE_ATTR, engine)
    # An instance attribute shadows requests.Session.get_adapter: every URL, whatever its
    # scheme (http+docker://, http://, https://), is answered by the engine.
    client.get_adapter = lambda url: transport  # type: ignore[method-assign]
    # Proxy variables, .netrc and CA bundles from the environment mean nothing to an in-memory
    # transport; not reading them per request is most of requests' own overhead.
    client.trust_env = False


def engine_of(client: Any) -> FakeEngine | None:
    """The engine behind an APIClient or DockerClient, or None for a real one."""
    api = getattr(client, "api", client)
    return getattr(api, _ENGINE_ATTR, None)


def api_client(engine: FakeEngine, base_url: str = "unix:///var/run/docker.sock",
               version: str = "auto", **kwargs: Any) -> APIClient:
    client = APIClient.__new__(APIClient)
    bind(client, engine)
    _original_init(client, base_url=base_url, version=version, **kwargs)
    client.trust_env = False  # requests.Session.__init__ reset it
    return client


def docker_client(engine: FakeEngine, base_url: str = "unix:///var/run/docker.sock",
                  version: str = "auto", **kwargs: Any) -> docker.DockerClient:
    client = docker.DockerClient.__new__(docker.DockerClient)
    client.api = api_client(engine, base_url=base_url, version=version, **kwargs)
    return client


# the original docker-py constructor, while patching.patch has replaced it ------------------

#: APIClient.__init__ as docker-py has it, saved by the outermost active patch
_saved_init: list[Any] = []


def _original_init(client: APIClient, *args: Any, **kwargs: Any) -> None:
    init = _saved_init[0] if _saved_init else APIClient.__init__
    init(client, *args, **kwargs)
