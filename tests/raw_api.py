"""Raw Engine API requests through docker-py's APIClient (bodies as a client other than
docker-py may send them), and what the daemon answers to them: shared by fakedocker's unit
tests (tests/unit/test_fake_*.py) and the parity scenarios that run the same on a real daemon
(tests/integration/test_parity_*.py).

Both suites put ``tests/`` on ``sys.path`` (pyproject.toml: ``pythonpath``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def post_json(api: Any, path: str, body: Any, **params: Any) -> Any:
    """``body`` POSTed to ``path`` as it is; the daemon's decoded answer."""
    return api._result(api._post_json(api._url(path), data=body, params=params), json=True)


def creator(image: str, cmd: list[str]) -> Callable[..., str]:
    """``create(api, name, body=None, **host_config)``: a container of ``image`` running
    ``cmd``, made from a raw create body (``body`` on top of those two) and host config keys;
    its id."""

    def create(api: Any, name: str, body: dict | None = None, **host_config: Any) -> str:
        full = {"Image": image, "Cmd": cmd, **(body or {})}
        if host_config:
            full["HostConfig"] = {**full.get("HostConfig", {}), **host_config}
        return api.create_container_from_config(full, name)["Id"]

    return create


def with_endpoint(network: str, settings: dict, mode: str | None = None) -> dict:
    """A create body joining ``network`` (the network mode, unless ``mode``) with these
    endpoint settings."""
    return {"HostConfig": {"NetworkMode": mode or network},
            "NetworkingConfig": {"EndpointsConfig": {network: settings}}}


def nets_of(api: Any, ref: str) -> dict:
    return api.inspect_container(ref)["NetworkSettings"]["Networks"]


def state_of(api: Any, ref: str) -> tuple[str, int, str]:
    s = api.inspect_container(ref)["State"]
    return s["Status"], s["ExitCode"], s["Error"]


def service_spec_as_kept(name: str, labels: dict, container_spec: dict, replicas: int,
                         update: dict, rollback: dict) -> dict:
    """The Spec the daemon shows of a replicated service created with this ``container_spec``
    (in the daemon's case), restart condition "none" and these UpdateConfig and RollbackConfig
    fields: with swarmkit's defaults, every field but the zero durations."""
    return {
        "Name": name,
        "Labels": labels,
        "TaskTemplate": {"ContainerSpec": {**container_spec, "Isolation": "default"},
                         "RestartPolicy": {"Condition": "none", "MaxAttempts": 0},
                         "ForceUpdate": 0, "Runtime": "container"},
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 0, "FailureAction": "pause", "MaxFailureRatio": 0, **update},
        "RollbackConfig": {"Parallelism": 0, "FailureAction": "pause", "MaxFailureRatio": 0, **rollback},
    }
