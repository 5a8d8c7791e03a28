"""Pure builders: what the spawner resolved, turned into Docker API arguments.

No I/O and no trait lookups: every input is in the value object, so the same input always
gives the same output and property tests can exercise it directly.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docker import types as docker_types
from docker.types import HostConfig, Mount

#: labels on every object the spawner creates (documented in the README)
LABEL_MANAGED_BY = "org.jupyter.hub.managed-by"
LABEL_USER = "org.jupyter.hub.user"
LABEL_SERVER_NAME = "org.jupyter.hub.server-name"
LABEL_IMAGE = "org.jupyter.hub.image"
LABEL_CONFIG = "org.jupyter.hub.config"  # fingerprint of what the container was created from
MANAGED_BY = "dockerspawner"

DEFAULT_CPU_PERIOD = 100_000  # microseconds: 100 ms


@dataclass(frozen=True)
class ContainerRequest:
    """Everything a container spec depends on, already resolved by the spawner."""

    image: str
    name: str
    port: int
    command: list[str] | None = None
    user: str | None = None  # "uid:gid", a name, or None for the image's USER
    working_dir: str | None = None  # None: the image's WORKDIR
    environment: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    network_name: str = "bridge"
    publish_host_ip: str | None = "127.0.0.1"  # None: do not publish (internal ip, host network)
    volume_binds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    volume_mount_points: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    mem_limit: int | None = None
    mem_guarantee: int | None = None
    cpu_limit: float | None = None
    cpu_guarantee: float | None = None
    extra_create_kwargs: Mapping[str, Any] = field(default_factory=dict)
    extra_host_config: Mapping[str, Any] = field(default_factory=dict)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``; nested dicts merge, everything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render_templates(value: Any, namespace: Mapping[str, Any]) -> Any:
    """Format every string inside ``value`` (dicts, lists, tuples) with ``namespace``."""
    if isinstance(value, str):
        return value.format(**namespace)
    if isinstance(value, Mapping):
        return {render_templates(k, namespace): render_templates(v, namespace) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(render_templates(v, namespace) for v in value)
    return value


def build_host_config_kwargs(req: ContainerRequest) -> dict[str, Any]:
    """The keyword arguments of ``create_host_config`` for ``req``."""
    kwargs: dict[str, Any] = {"network_mode": req.network_name}
    if req.publish_host_ip is not None:
        kwargs["port_bindings"] = {req.port: (req.publish_host_ip,)}
    if req.volume_binds:
        kwargs["binds"] = {host: dict(spec) for host, spec in req.volume_binds.items()}
    if req.mounts:
        kwargs["mounts"] = list(req.mounts)
    if req.links:
        kwargs["links"] = dict(req.links)
    if req.mem_limit:
        kwargs["mem_limit"] = req.mem_limit
    if req.mem_guarantee:
        kwargs["mem_reservation"] = req.mem_guarantee
    if req.cpu_guarantee:
        kwargs["cpu_shares"] = max(2, int(req.cpu_guarantee * 1024))
    kwargs = deep_merge(kwargs, req.extra_host_config)
    if req.cpu_limit:
        period = kwargs.get("cpu_period") or DEFAULT_CPU_PERIOD
        kwargs.setdefault("cpu_period", period)
        kwargs["cpu_quota"] = int(req.cpu_limit * period)
    return kwargs


def build_create_kwargs(req: ContainerRequest, api_version: str) -> dict[str, Any]:
    """The keyword arguments of ``create_container`` for ``req`` (host config included)."""
    host_config = HostConfig(version=api_version, **build_host_config_kwargs(req))
    labels = {LABEL_MANAGED_BY: MANAGED_BY}
    labels.update(req.labels)
    labels[LABEL_CONFIG] = config_fingerprint(req)
    kwargs: dict[str, Any] = {
        "image": req.image,
        "name": req.name,
        "environment": dict(req.environment),
        "labels": labels,
        "ports": [req.port],
        "host_config": host_config,
    }
    if req.command is not None:
        kwargs["command"] = list(req.command)
    if req.user is not None:
        kwargs["user"] = req.user
    if req.working_dir is not None:
        kwargs["working_dir"] = req.working_dir
    if req.volume_mount_points:
        kwargs["volumes"] = list(req.volume_mount_points)
    extra = dict(req.extra_create_kwargs)
    extra_host = extra.pop("host_config", None)
    merged = deep_merge(kwargs, extra)
    if extra_host:  # a host_config in extra_create_kwargs merges into ours, not over it
        merged["host_config"] = deep_merge(host_config, extra_host)
    return merged


def default_volume_binds(volumes: Mapping[str, Any], read_only_volumes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{host: {"bind": path, "mode": m}}`` from the ``volumes`` and ``read_only_volumes`` settings."""
    binds: dict[str, dict[str, str]] = {}
    for host, target in volumes.items():
        if isinstance(target, Mapping):
            binds[host] = {"bind": target["bind"], "mode": target.get("mode", "rw")}
        else:
            binds[host] = {"bind": target, "mode": "rw"}
    for host, target in read_only_volumes.items():
        binds[host] = {"bind": target, "mode": "ro"}
    return binds


# swarm services --------------------------------------------------------------------------------

#: networks that are node-local: a service cannot join them by name
LOCAL_NETWORKS = frozenset({"bridge", "host", "default", "none"})


@dataclass(frozen=True)
class ServiceOptions:
    """What only a swarm service has, on top of the container request."""

    publish_mode: str | None = "host"  # None: do not publish (the hub reaches the task directly)
    volume_driver: str = ""
    volume_driver_options: Mapping[str, str] = field(default_factory=dict)
    extra_container_spec: Mapping[str, Any] = field(default_factory=dict)
    extra_task_spec: Mapping[str, Any] = field(default_factory=dict)
    extra_resources_spec: Mapping[str, Any] = field(default_factory=dict)
    extra_placement_spec: Mapping[str, Any] = field(default_factory=dict)
    extra_endpoint_spec: Mapping[str, Any] = field(default_factory=dict)


def build_service_mounts(req: ContainerRequest, opts: ServiceOptions) -> list[Mount]:
    """The service's mounts: volumes and read-only volumes (host paths as binds, names as
    volumes on ``volume_driver``), then the ``mounts`` setting."""
    mounts: list[Mount] = []
    for source, bind in req.volume_binds.items():
        is_path = source.startswith("/")
        driver = None
        if not is_path and (opts.volume_driver or opts.volume_driver_options):
            driver = docker_types.DriverConfig(opts.volume_driver or "local", dict(opts.volume_driver_options) or None)
        mounts.append(Mount(
            target=bind["bind"],
            source=source,
            type="bind" if is_path else "volume",
            read_only=bind.get("mode") == "ro",
            driver_config=driver,
        ))
    mounts.extend(req.mounts)
    return mounts


def build_service_kwargs(req: ContainerRequest, opts: ServiceOptions) -> dict[str, Any]:
    """The keyword arguments of ``create_service`` for one server."""
    labels = {LABEL_MANAGED_BY: MANAGED_BY}
    labels.update(req.labels)
    container_kwargs: dict[str, Any] = {
        "image": req.image,
        "env": dict(req.environment),
        "labels": dict(labels),
        "mounts": build_service_mounts(req, opts),
    }
    if req.command is not None:
        container_kwargs["args"] = list(req.command)  # like `docker run IMAGE CMD`: entrypoint kept
    if req.user is not None:
        container_kwargs["user"] = req.user
    if req.working_dir is not None:
        container_kwargs["workdir"] = req.working_dir
    container_kwargs.update(opts.extra_container_spec)

    resources: dict[str, Any] = {}
    if req.mem_limit:
        resources["mem_limit"] = req.mem_limit
    if req.mem_guarantee:
        resources["mem_reservation"] = req.mem_guarantee
    if req.cpu_limit:
        resources["cpu_limit"] = int(req.cpu_limit * 1e9)
    if req.cpu_guarantee:
        resources["cpu_reservation"] = int(req.cpu_guarantee * 1e9)
    resources.update(opts.extra_resources_spec)

    task_kwargs: dict[str, Any] = {
        "container_spec": docker_types.ContainerSpec(**container_kwargs),
        "resources": docker_types.Resources(**resources),
        # a server that exits is reported to the hub, not silently restarted
        "restart_policy": docker_types.RestartPolicy(condition="none"),
    }
    if opts.extra_placement_spec:
        task_kwargs["placement"] = docker_types.Placement(**opts.extra_placement_spec)
    if req.network_name not in LOCAL_NETWORKS:
        task_kwargs["networks"] = [req.network_name]
    task_kwargs.update(opts.extra_task_spec)

    endpoint_kwargs: dict[str, Any] = {}
    if opts.publish_mode:
        endpoint_kwargs["ports"] = {None: (req.port, "tcp", opts.publish_mode)}
    endpoint_kwargs.update(opts.extra_endpoint_spec)

    return {
        "task_template": docker_types.TaskTemplate(**task_kwargs),
        "name": req.name,
        "labels": labels,
        "endpoint_spec": docker_types.EndpointSpec(**endpoint_kwargs),
    }


# fingerprints and redaction -------------------------------------------------------------------

#: environment variables whose values are secrets (never logged) or change on every spawn
SECRET_NAME = re.compile(r"token|secret|passw|credential|private|(^|_)key$|_key_|auth", re.IGNORECASE)


def config_fingerprint(req: ContainerRequest) -> str:
    """A short hash of everything a container is created from, except secrets (API tokens
    change between spawns): a stopped container whose fingerprint differs from the current
    configuration's is replaced rather than resumed."""
    stable = {
        "image": req.image,
        "command": req.command,
        "user": req.user,
        "working_dir": req.working_dir,
        "environment": {k: v for k, v in sorted(req.environment.items()) if not SECRET_NAME.search(k)},
        "network": req.network_name,
        "publish": req.publish_host_ip,
        "binds": {k: dict(v) for k, v in sorted(req.volume_binds.items())},
        "mounts": [dict(m) for m in req.mounts],
        "links": dict(req.links),
        "limits": [req.mem_limit, req.mem_guarantee, req.cpu_limit, req.cpu_guarantee],
        "extra_create": req.extra_create_kwargs,
        "extra_host": req.extra_host_config,
    }
    blob = json.dumps(stable, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def redacted(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``create_container`` kwargs fit for a log: secret-looking environment values hidden."""
    shown = dict(kwargs)
    env = shown.get("environment")
    if isinstance(env, Mapping):
        shown["environment"] = {k: ("<redacted>" if SECRET_NAME.search(k) else v) for k, v in env.items()}
    return shown
