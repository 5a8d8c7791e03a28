"""Pure builders: what the spawner resolved, turned into Docker API arguments.

No I/O and no trait lookups: every input is in the value object, so the same input always
gives the same output and property tests can exercise it directly.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docker import types as docker_types
from docker.types import HostConfig, Mount

from .replacement import LABEL_CONFIG, fingerprint_label

#: labels on every object the spawner creates (documented in the README)
LABEL_MANAGED_BY = "org.jupyter.hub.managed-by"
LABEL_USER = "org.jupyter.hub.user"
LABEL_SERVER_NAME = "org.jupyter.hub.server-name"
LABEL_IMAGE = "org.jupyter.hub.image"
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
    #: networks joined besides network_name (extra_networks)
    extra_networks: tuple[str, ...] = ()
    publish_host_ip: str | None = "127.0.0.1"  # None: do not publish (internal ip, host network)
    volume_binds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    volume_mount_points: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    #: the volume settings as configured (templates): what decides whether a kept container
    #: still fits, so that a change of escape or prefix alone does not replace it
    volume_settings: Mapping[str, Any] | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    mem_limit: int | None = None
    mem_guarantee: int | None = None
    cpu_limit: float | None = 0.0  # None: no cpu_period either (the reference's explicit None)
    cpu_guarantee: float | None = None
    extra_create_kwargs: Mapping[str, Any] = field(default_factory=dict)
    extra_host_config: Mapping[str, Any] = field(default_factory=dict)
    no_new_privileges: bool = False
    stop_grace_period: int | None = None  # seconds; None: Docker's default
    #: docker-py DeviceRequest fields (GPUs: see dockerspawner.gpus)
    device_requests: tuple[Mapping[str, Any], ...] = ()


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
    """Format every string inside ``value`` (dicts, lists, tuples) with ``namespace``.

    A string that is not a template of these fields (``${HOME}``, a JSON label value) is left
    as written, so extra arguments may hold braces."""
    if isinstance(value, str):
        try:
            return value.format(**namespace)
        except (KeyError, IndexError, ValueError, AttributeError):
            return value
    if isinstance(value, Mapping):
        return {render_templates(k, namespace): render_templates(v, namespace) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(render_templates(v, namespace) for v in value)
    return value


NO_NEW_PRIVILEGES = "no-new-privileges"


def build_host_config_kwargs(req: ContainerRequest) -> dict[str, Any]:
    """The keyword arguments of ``create_host_config`` for ``req``.

    As the reference builds it: binds, links and mounts always (empty when unused), the CPU
    period unless cpu_limit is None (100 ms unless extra_host_config sets one) with a quota when
    cpu_limit is set, then extra_host_config deep-merged over all of it."""
    period = req.extra_host_config.get("cpu_period") or DEFAULT_CPU_PERIOD
    kwargs: dict[str, Any] = {
        "binds": {host: dict(spec) for host, spec in req.volume_binds.items()},
        "links": dict(req.links),
        "mounts": list(req.mounts),
    }
    if req.cpu_limit is not None:
        kwargs["cpu_period"] = period
    if req.mem_limit:
        kwargs["mem_limit"] = req.mem_limit
    if req.mem_guarantee:
        kwargs["mem_reservation"] = req.mem_guarantee
    if req.cpu_limit:
        kwargs["cpu_quota"] = int(req.cpu_limit * period)
    if req.cpu_guarantee:
        kwargs["cpu_shares"] = max(2, int(req.cpu_guarantee * 1024))
    if req.publish_host_ip is not None:
        kwargs["port_bindings"] = {req.port: (req.publish_host_ip,)}
    if req.device_requests:
        kwargs["device_requests"] = [dict(r) for r in req.device_requests]
    kwargs = deep_merge(kwargs, req.extra_host_config)
    kwargs.setdefault("network_mode", req.network_name)
    if req.no_new_privileges:
        options = list(kwargs.get("security_opt") or [])
        if not any(o.split(":")[0].split("=")[0] == NO_NEW_PRIVILEGES for o in options):
            options.append(NO_NEW_PRIVILEGES)
        kwargs["security_opt"] = options
    return kwargs


#: the Engine API version from which a create may name several networks (Docker 25)
SEVERAL_NETWORKS_API = (1, 44)


def api_at_least(api_version: str, wanted: tuple[int, int]) -> bool:
    """Whether the Engine API version ``api_version`` ("1.45") is ``wanted`` or later (False
    for a version that does not parse)."""
    try:
        return tuple(int(part) for part in str(api_version).split(".")[:2]) >= wanted
    except ValueError:
        return False


def several_networks_at_create(api_version: str) -> bool:
    """Whether a create may name several networks at this API version."""
    return api_at_least(api_version, SEVERAL_NETWORKS_API)


def networks_after_create(req: ContainerRequest, api_version: str) -> list[str]:
    """The extra networks a created container is still to be connected to (before it starts):
    all of them below API 1.44, none from it on."""
    if several_networks_at_create(api_version):
        return []
    return [name for name in dict.fromkeys(req.extra_networks) if name != req.network_name]


def build_create_kwargs(req: ContainerRequest, api_version: str) -> dict[str, Any]:
    """The keyword arguments of ``create_container`` for ``req`` (host config included)."""
    host_config = HostConfig(version=api_version, **build_host_config_kwargs(req))
    labels = {LABEL_MANAGED_BY: MANAGED_BY}
    labels.update(req.labels)
    labels[LABEL_CONFIG] = fingerprint_label(req)
    kwargs: dict[str, Any] = {
        "image": req.image,
        "name": req.name,
        "environment": dict(req.environment),
        "labels": labels,
        "ports": [req.port],
        "volumes": list(req.volume_mount_points),
    }
    if req.command is not None:
        kwargs["command"] = list(req.command)
    if req.user is not None:
        kwargs["user"] = req.user
    if req.working_dir is not None:
        kwargs["working_dir"] = req.working_dir
    if req.extra_networks and several_networks_at_create(api_version):
        # the extra networks with the main one, in one create (a networking_config of
        # extra_create_kwargs merges over it)
        names = [host_config.get("NetworkMode") or req.network_name, *req.extra_networks]
        kwargs["networking_config"] = {"EndpointsConfig": {name: {} for name in dict.fromkeys(names)}}
    extra = dict(req.extra_create_kwargs)
    extra_host = extra.pop("host_config", None) or {}
    merged = deep_merge(kwargs, extra)
    # a host_config in extra_create_kwargs keeps its own keys; every key the spawner sets
    # (limits, binds, ports, network, extra_host_config) wins over it, as in the reference
    merged["host_config"] = {**dict(extra_host), **host_config}
    return merged


def volume_binds(volumes: Mapping[str, Any], mode: str = "rw",
                 format_name: Any = str) -> dict[str, dict[str, str]]:
    """``{host: {"bind": path, "mode": m[, "propagation": p]}}`` from a ``volumes`` or
    ``read_only_volumes`` setting (values: a container path, or a dict with ``bind`` and
    optionally ``mode`` and ``propagation``); ``format_name`` renders both sides."""
    binds: dict[str, dict[str, str]] = {}
    for host, target in volumes.items():
        bind = {"bind": target, "mode": mode}
        if isinstance(target, Mapping):
            bind = {"bind": target["bind"], "mode": target.get("mode", mode)}
            if target.get("propagation"):
                bind["propagation"] = target["propagation"]
        bind["bind"] = format_name(bind["bind"])
        binds[format_name(host)] = bind
    return binds


def is_read_only(bind: Mapping[str, Any]) -> bool:
    """Whether a volume_binds entry mounts read-only (``mode`` ro, or the ``ro`` key)."""
    if "ro" in bind:
        return bool(bind["ro"])
    return "ro" in str(bind.get("mode", "")).split(",")


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
            read_only=is_read_only(bind),
            driver_config=driver,
            propagation=bind.get("propagation") if is_path else None,
        ))
    mounts.extend(req.mounts)
    return mounts


#: extra_host_config keys a service expresses in its ContainerSpec (host config name -> spec name)
_HOST_CONFIG_IN_CONTAINER_SPEC = {
    "cap_add": "cap_add", "cap_drop": "cap_drop", "sysctls": "sysctls", "init": "init",
    "read_only": "read_only", "group_add": "groups",
}
#: ... in its Resources
_HOST_CONFIG_IN_RESOURCES = {"mem_limit": "mem_limit", "mem_reservation": "mem_reservation"}
#: ... nowhere, because the service needs no equivalent (cpu_limit becomes exact NanoCPUs)
_HOST_CONFIG_WITHOUT_EFFECT = frozenset({"cpu_period"})
_DNS_KEYS = {"dns": "nameservers", "dns_search": "search", "dns_opt": "options"}
#: extra_create_kwargs keys that are create_service arguments
_SERVICE_CREATE_KEYS = frozenset({"labels", "mode", "update_config", "rollback_config", "networks",
                                  "endpoint_spec", "endpoint_config"})
#: ... and container create arguments a ContainerSpec has (create name -> spec name)
_CREATE_IN_CONTAINER_SPEC = {"user": "user", "working_dir": "workdir", "hostname": "hostname",
                             "stop_signal": "stop_signal", "tty": "tty", "stdin_open": "open_stdin",
                             "healthcheck": "healthcheck"}


@dataclass(frozen=True)
class ServiceTranslation:
    """The container request's DockerSpawner-style settings, as a service expresses them."""

    container_spec: dict[str, Any]
    resources: dict[str, Any]
    create: dict[str, Any]
    refused: tuple[str, ...]  # one message per setting a service cannot express


def translate_for_service(req: ContainerRequest, *, no_new_privileges_supported: bool) -> ServiceTranslation:
    """Map ``extra_host_config``, ``extra_create_kwargs``, ``links``, ``no_new_privileges`` and
    ``stop_grace_period`` onto a service; what has no equivalent is refused, never dropped."""
    container: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    create: dict[str, Any] = {}
    refused: list[str] = []
    dns: dict[str, Any] = {}
    for key, value in req.extra_host_config.items():
        if key in _HOST_CONFIG_IN_CONTAINER_SPEC:
            container[_HOST_CONFIG_IN_CONTAINER_SPEC[key]] = value
        elif key in _HOST_CONFIG_IN_RESOURCES:
            resources[_HOST_CONFIG_IN_RESOURCES[key]] = value
        elif key == "extra_hosts":
            hosts = value
            if isinstance(value, list | tuple):
                hosts = dict(entry.split(":", 1) for entry in value)
            container["hosts"] = hosts
        elif key in _DNS_KEYS:
            dns[_DNS_KEYS[key]] = value
        elif key == "network_mode" and value == req.network_name:
            continue  # the documented SwarmSpawner example sets it to network_name
        elif key in _HOST_CONFIG_WITHOUT_EFFECT:
            continue
        elif key == "network_mode":
            refused.append(f"extra_host_config['network_mode'] = {value!r}: a service joins "
                           f"network_name ({req.network_name!r}); set network_name instead")
        else:
            refused.append(f"extra_host_config[{key!r}]: a swarm service has no such setting "
                           "(express it with extra_container_spec or extra_task_spec, or remove it)")
    if dns:
        container["dns_config"] = docker_types.DNSConfig(**dns)
    for key, value in req.extra_create_kwargs.items():
        if key in _SERVICE_CREATE_KEYS:
            create[key] = value
        elif key in _CREATE_IN_CONTAINER_SPEC:
            container[_CREATE_IN_CONTAINER_SPEC[key]] = value
        elif key == "environment" and isinstance(value, Mapping):
            container["env"] = dict(value)
        else:
            refused.append(f"extra_create_kwargs[{key!r}]: not an argument of a swarm service "
                           "(use extra_container_spec or extra_task_spec)")
    if req.links:
        refused.append("links: swarm services have no Docker links; put the hub and the servers "
                       "on network_name and reach them by name")
    if req.no_new_privileges:
        if no_new_privileges_supported:
            container["privileges"] = {"NoNewPrivileges": True}
        else:
            refused.append("no_new_privileges: this daemon's swarm services cannot set it "
                           "(it needs Docker Engine API 1.46 or newer)")
    if req.stop_grace_period is not None:
        container["stop_grace_period"] = int(req.stop_grace_period * 1_000_000_000)
    return ServiceTranslation(container, resources, create, tuple(refused))


def build_service_kwargs(req: ContainerRequest, opts: ServiceOptions,
                         translation: ServiceTranslation | None = None) -> dict[str, Any]:
    """The keyword arguments of ``create_service`` for one server (settings
    :func:`translate_for_service` refused are left out: the spawner refuses them first)."""
    if translation is None:
        translation = translate_for_service(req, no_new_privileges_supported=True)
    labels = {LABEL_MANAGED_BY: MANAGED_BY}
    labels.update(req.labels)
    environment = {**translation.container_spec.get("env", {}), **req.environment}
    container_kwargs: dict[str, Any] = {
        "image": req.image,
        "env": environment,
        "labels": dict(labels),
        "mounts": build_service_mounts(req, opts),
    }
    if req.command is not None:
        container_kwargs["args"] = list(req.command)  # like `docker run IMAGE CMD`: entrypoint kept
    if req.user is not None:
        container_kwargs["user"] = req.user
    if req.working_dir is not None:
        container_kwargs["workdir"] = req.working_dir
    container_kwargs.update({k: v for k, v in translation.container_spec.items() if k != "env"})
    container_kwargs.update(opts.extra_container_spec)

    # MemoryBytes 0 (no limit) when none is set, as the reference sends it
    resources: dict[str, Any] = {"mem_limit": req.mem_limit or 0}
    if req.mem_guarantee:
        resources["mem_reservation"] = req.mem_guarantee
    if req.cpu_limit:
        resources["cpu_limit"] = int(req.cpu_limit * 1e9)
    if req.cpu_guarantee:
        resources["cpu_reservation"] = int(req.cpu_guarantee * 1e9)
    resources.update(translation.resources)
    resources.update(opts.extra_resources_spec)

    task_kwargs: dict[str, Any] = {
        "container_spec": docker_types.ContainerSpec(**container_kwargs),
        "resources": docker_types.Resources(**resources),
        # a server that exits is reported to the hub, not silently restarted
        "restart_policy": docker_types.RestartPolicy(condition="none"),
    }
    if opts.extra_placement_spec:
        task_kwargs["placement"] = docker_types.Placement(**opts.extra_placement_spec)
    networks = [name for name in dict.fromkeys([req.network_name, *req.extra_networks]) if name not in LOCAL_NETWORKS]
    if networks:
        task_kwargs["networks"] = networks
    task_kwargs.update(opts.extra_task_spec)

    endpoint_kwargs: dict[str, Any] = {}
    if opts.publish_mode:
        endpoint_kwargs["ports"] = {None: (req.port, "tcp", opts.publish_mode)}
    endpoint_kwargs.update(opts.extra_endpoint_spec)

    create = dict(translation.create)
    service_labels = {**(create.pop("labels", None) or {}), **labels}
    kwargs = {
        "task_template": docker_types.TaskTemplate(**task_kwargs),
        "name": req.name,
        "labels": service_labels,
        "endpoint_spec": docker_types.EndpointSpec(**endpoint_kwargs),
    }
    kwargs.update(create)
    return kwargs
