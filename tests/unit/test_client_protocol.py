"""The client protocol: docker-py and fakedocker both satisfy it, and the wrapper that
enforces it around every spawner test works."""

from __future__ import annotations

import inspect

import docker
import pytest
from strict_client import OutsideProtocol, StrictClient

import fakedocker
from dockerspawner.client import PROTOCOL_METHODS, DockerClient


def _compatible(protocol_method, implementation) -> list[str]:
    """Names of protocol parameters the implementation does not accept."""
    want = inspect.signature(protocol_method).parameters
    have = inspect.signature(implementation).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in have.values())
    takes_args = any(p.kind is p.VAR_POSITIONAL for p in have.values())
    missing = []
    for name, param in want.items():
        if name == "self":
            continue
        if param.kind is param.VAR_KEYWORD and takes_kwargs:
            continue
        if param.kind is param.VAR_POSITIONAL and takes_args:
            continue
        if name not in have and not takes_kwargs:
            missing.append(name)
    return missing


def test_protocol_names_the_spawners_calls():
    assert {"create_container", "start", "stop", "remove_container", "inspect_container", "pull",
            "inspect_image", "port", "exec_create", "exec_start", "exec_inspect", "put_archive",
            "create_service", "tasks"} <= PROTOCOL_METHODS


@pytest.mark.parametrize("name", sorted(PROTOCOL_METHODS))
def test_docker_py_and_fakedocker_satisfy_the_protocol(name):
    fake = fakedocker.FakeEngine().api_client()
    for client in (docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41"), fake):
        method = getattr(client, name)
        assert callable(method)
        assert _compatible(getattr(DockerClient, name), method) == [], name
    assert isinstance(fake, DockerClient)


def test_strict_client_refuses_other_attributes():
    api = fakedocker.FakeEngine().api_client()
    strict = StrictClient(api)
    assert strict.ping() is True
    assert strict.api_version == api.api_version == "1.45"  # negotiated with the fake (Docker 26.1)
    with pytest.raises(OutsideProtocol):
        strict.containers_prune  # noqa: B018
    with pytest.raises(OutsideProtocol):
        strict.close()
