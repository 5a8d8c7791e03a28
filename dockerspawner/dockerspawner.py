"""DockerSpawner: each user's server in its own Docker container.

The lifecycle is split into steps that deployments override (create_object, start_object,
stop_object, remove_object, get_object, get_command, get_env, get_ip_and_port, pull_image,
post_start_exec, check_allowed, template_namespace, move_certs); SwarmSpawner and
SystemUserSpawner override a few of them.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import tarfile
import warnings
from collections.abc import Mapping
from inspect import isawaitable
from textwrap import dedent, indent
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import DriverConfig, Mount
from jupyterhub.spawner import Spawner
from jupyterhub.traitlets import ByteSpecification, Callable, Command
from jupyterhub.utils import url_path_join
from requests.exceptions import ConnectionError as RequestsConnectionError
from tornado import web
from traitlets import Any as AnyTrait
from traitlets import (
    Bool,
    CaselessStrEnum,
    Dict,
    Float,
    Int,
    List,
    TraitError,
    Unicode,
    Union,
    default,
    observe,
    validate,
)

from . import errors, spec
from .client import ClientCache, DockerCalls, client_kwargs_for, remote_daemon_host
from .monitor import (
    GONE,
    MANAGED_FILTER,
    RUNNING,
    Monitor,
    MonitorRegistry,
    ObjectState,
    container_states,
)
from .naming import (
    default_name_template,
    escape_dns_safe,
    escape_legacy,
    image_name_for_template,
)
from .redaction import redact_text, redacted_create_kwargs
from .replacement import replacement_reasons
from .volumenamingstrategy import default_format_volume_name


class UnicodeOrFalse(Unicode):
    info_text = "a unicode string or False"

    def validate(self, obj: Any, value: Any) -> Any:
        if value is False:
            return value
        return super().validate(obj, value)


#: renamed options: old name -> (new name, the DockerSpawner version that renamed it)
_RENAMED_OPTIONS: dict[str, tuple[str, str]] = {
    "container_ip": ("host_ip", "0.9.*"),
    "container_port": ("port", "0.9.*"),
    "container_image": ("image", "0.9.*"),
    "container_prefix": ("prefix", "0.10.0"),
    "container_name_template": ("name_template", "0.10.0*"),
    "remove_containers": ("remove", "0.10.0"),
    "image_whitelist": ("allowed_images", "12.0"),
}
#: options replaced by tls_config; like the reference, they are ignored (with a warning)
_IGNORED_TLS_OPTIONS = ("tls", "tls_verify", "tls_ca", "tls_cert", "tls_key", "tls_assert_hostname")
#: renamed methods: old name -> (new name, the DockerSpawner version that renamed it)
_RENAMED_METHODS: dict[str, tuple[str, str]] = {
    "check_image_whitelist": ("check_allowed", "12.0"),
}
#: options with a callable form (spawner) -> value, evaluated when set (see _evaluate_limit)
_CALLABLE_LIMITS = ("mem_limit", "cpu_limit", "mem_guarantee", "cpu_guarantee")

_DEFAULT_IMAGE_TAG = ".".join(__import__("jupyterhub").__version__.split(".")[:2])


class DockerSpawner(Spawner):
    """A Spawner for JupyterHub that runs each user's server in a separate docker container."""

    # where the object's id lives in the create answer / state
    object_type = "container"
    object_id_key = "Id"

    # -- the client ------------------------------------------------------------------------
    client_kwargs = Dict(
        config=True,
        help="Extra keyword arguments to pass to the docker.APIClient constructor.",
    )
    tls_config = Dict(
        config=True,
        help="Arguments to pass to docker TLS configuration (see docker.tls.TLSConfig).",
    )
    docker_concurrency = Int(
        20,
        config=True,
        help="""How many Docker API calls this hub process has in flight at once, across all
        users.  Each server's own calls stay in order; other users' calls proceed in parallel,
        so a long pull or a slow stop for one user does not delay another's spawn.""",
    )

    # deprecated client options (forwarded into tls_config when it is empty)
    tls = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_verify = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_ca = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_cert = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_key = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_assert_hostname = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    use_docker_client_env = Bool(True, config=True, help="Deprecated. Docker env variables are always used if present.")
    hub_ip_connect = Unicode("", config=True, help="DEPRECATED since JupyterHub 0.8. Use c.JupyterHub.hub_connect_ip.")

    # -- image -------------------------------------------------------------------------------
    image = Unicode(
        f"quay.io/jupyterhub/singleuser:{_DEFAULT_IMAGE_TAG}",
        config=True,
        help="""The image to use for single-user servers.

        It should have the same version of jupyterhub as the Hub itself installed.  If the
        image's default command does not launch jupyterhub-singleuser, set c.Spawner.cmd.""",
    )
    container_image = Unicode(f"quay.io/jupyterhub/singleuser:{_DEFAULT_IMAGE_TAG}", config=True,
                              help="Deprecated, use DockerSpawner.image.")
    allowed_images = Union(
        [Unicode(), Dict(), List(), Callable()],
        config=True,
        help="""List or dict of images that users can run (or "*" for any image).

        If a dictionary, the keys are the options presented to users and the values the images
        launched.  If a list, it is cast to a dictionary with keys and values the same.  If a
        callable, it is called with the spawner and returns one of the above (may be async).

        If empty (default), the value from image is used and any attempt to specify the image
        via user_options is an error (HTTP 400).  To allow any image, set "*".""",
    )
    image_whitelist = Union([Dict(), List(), Callable()], config=True,
                            help="Deprecated, use DockerSpawner.allowed_images.")

    @default("allowed_images")
    def _default_allowed_images(self) -> dict:
        return {}

    pull_policy = CaselessStrEnum(
        ["always", "ifnotpresent", "never", "skip"],
        default_value="ifnotpresent",
        config=True,
        help="""The policy for pulling the user docker image.

        - ifnotpresent: pull if the image is not already present (default)
        - always: always pull the image to check for updates, even if it is present
        - never: never pull, raise if the image is not present
        - skip: never pull, skip the check entirely (default for swarm)""",
    )

    # -- names ----------------------------------------------------------------------------------
    escape = AnyTrait(
        config=True,
        help="""Override escaping with any callable of the form escape(str)->str.

        The default is DNS-safe: lowercase letters and digits pass, everything else becomes
        -XX (hex).  Set 'legacy' for the pre-12.0 scheme.  Anything else is refused when the
        configuration is loaded.""",
    )

    @default("escape")
    def _default_escape(self) -> Any:
        return escape_dns_safe

    @validate("escape")
    def _validate_escape(self, proposal: Any) -> Any:
        value = proposal.value
        if value is None:
            return escape_dns_safe
        if value == "legacy":
            return escape_legacy
        if not callable(value):
            raise TraitError(f"{type(self).__name__}.escape must be a callable escape(str) -> str or "
                             f"'legacy', got {value!r}")
        return value
    prefix = Unicode("jupyter", config=True, help="Prefix for container names. See name_template.")
    container_prefix = Unicode("", config=True, help="Deprecated, use DockerSpawner.prefix.")
    name_template = Unicode(
        config=True,
        help="""Name of the container or service: with {username}, {imagename}, {prefix},
        {servername} replacements; {raw_username} is the unescaped user name.

        Default: "{prefix}-{username}" for the default server, "{prefix}-{username}--{servername}"
        for named servers.""",
    )
    container_name_template = Unicode("", config=True, help="Deprecated, use DockerSpawner.name_template.")

    # -- lifecycle -------------------------------------------------------------------------------
    remove = Bool(
        False,
        config=True,
        help="""If True, delete containers when servers are stopped.

        This destroys any data in the container not stored in mounted volumes.  A server
        that exits or crashes on its own is removed too, once its exit code and last log lines
        have been read (the next poll, or the hub's next start).

        If False, a stopped container is started again on the next spawn, keeping its
        container layer.  It is replaced (named volumes kept, the reason logged) only when the
        administrator changed what an existing container cannot take: the image, the command,
        the limits, the volumes and mounts, the network, the user or the extra create/host
        arguments.  Changes JupyterHub makes itself (its URLs, its version, env_keep) never
        replace it.""",
    )
    remove_containers = Bool(False, config=True, help="Deprecated, use DockerSpawner.remove.")
    stop_grace_period = Int(
        None,
        allow_none=True,
        config=True,
        help="""Seconds a server gets to exit after SIGTERM before it is killed on stop.

        None (default) leaves it to Docker (the container's stop timeout, 10 s unless set).
        stop(now=True) never waits.""",
    )

    # -- network -------------------------------------------------------------------------------
    network_name = Unicode(
        "bridge",
        config=True,
        help="""Run the containers on this docker network.

        For an internal docker network, the Hub should be on the same network, as internal
        docker IP addresses are used.  For bridge networking, external ports are bound.""",
    )
    use_internal_ip = Bool(
        False,
        config=True,
        help="""Connect to the container's internal docker IP instead of a published port.

        Default is True when network_name is a user-defined docker network, False for bridge
        or host networking.""",
    )

    @default("use_internal_ip")
    def _default_use_internal_ip(self) -> bool:
        return self.network_name not in ("bridge", "host", "default") and not self.network_name.startswith(
            "container:"
        )

    use_internal_hostname = Bool(
        False,
        config=True,
        help="""Connect using the container's docker hostname instead of an IP address.

        Works with docker networks and must be used with internal_ssl; enabled by default when
        internal_ssl is enabled.""",
    )

    @default("use_internal_hostname")
    def _default_use_internal_hostname(self) -> bool:
        return bool(self.internal_ssl)

    links = Dict(config=True, help="Docker link mapping to add to the container, e.g. {'jupyterhub': 'jupyterhub'}.")
    host_ip = Unicode(
        "127.0.0.1",
        config=True,
        help="""The ip address on the host on which to expose the container's port.

        Typically 127.0.0.1; defaults to the daemon's host when DOCKER_HOST is a tcp:// URL.
        Only used when use_internal_ip = False.""",
    )

    @default("host_ip")
    def _default_host_ip(self) -> str:
        return remote_daemon_host(self.client_kwargs, os.environ) or "127.0.0.1"

    container_ip = Unicode("127.0.0.1", config=True, help="Deprecated, use DockerSpawner.host_ip")
    container_port = Int(8888, min=1, max=65535, config=True, help="Deprecated, use DockerSpawner.port.")

    @default("port")
    def _default_port(self) -> int:
        return 8888

    @default("ip")
    def _default_ip(self) -> str:
        return "0.0.0.0"

    # -- volumes ----------------------------------------------------------------------------------
    volumes = Dict(
        config=True,
        help="""Map from host file/directory (or volume name) to container mount point and
        (optionally) mode: a str target, or a dict with "bind" and "mode" (rw, ro, z or Z).

        {username} in either side is replaced (by format_volume_name).""",
    )
    read_only_volumes = Dict(
        config=True,
        help="Map from host file/directory to container file/directory, mounted read-only.",
    )
    mounts = List(
        config=True,
        help="""List of dicts with keys matching docker.types.Mount, for more advanced mounts.
        {username} in source and target is replaced as for volumes.""",
    )
    format_volume_name = AnyTrait(
        config=True,
        help="""Any callable(template, spawner) -> str used to name volumes.
        See dockerspawner.volumenamingstrategy.""",
    )

    @default("format_volume_name")
    def _default_format_volume_name(self) -> Any:
        return default_format_volume_name

    # -- resources -------------------------------------------------------------------------------
    # A callable form is called with the spawner when it is set (so reading the option, e.g. in
    # a pre_spawn_hook, gives this server's value), again when user_options change, and once
    # more when the server starts; an async callable is awaited at start.
    mem_limit = Union(
        [Callable(), ByteSpecification()],
        allow_none=True,
        default_value=None,
        config=True,
        help="""Maximum bytes a server may use (K, M, G, T suffixes), or a callable
        (spawner) -> value, e.g. a per-user limit:

            def per_user_mem_limit(spawner):
                return {"alice": "4G", "bob": "2G"}.get(spawner.user.name, "1G")
            c.DockerSpawner.mem_limit = per_user_mem_limit""",
    )
    cpu_limit = Union(
        [Callable(), Float()],
        allow_none=True,
        default_value=None,
        config=True,
        help="""CPU limit for containers: cpu_quota = cpu_limit * cpu_period (100 ms unless
        extra_host_config sets cpu_period), or a callable (spawner) -> float.""",
    )
    mem_guarantee = Union(
        [Callable(), ByteSpecification()],
        allow_none=True,
        default_value=None,
        config=True,
        help="""Memory a server is guaranteed: becomes the container's memory reservation
        (or a callable (spawner) -> value).""",
    )
    cpu_guarantee = Union(
        [Callable(), Float()],
        allow_none=True,
        default_value=None,
        config=True,
        help="CPUs a server is guaranteed: becomes CPU shares, 1.0 -> 1024 (or a callable (spawner) -> float).",
    )

    @validate(*_CALLABLE_LIMITS)
    def _evaluate_limit(self, proposal: Any) -> Any:
        name, value = proposal.trait.name, proposal.value
        if getattr(self, "_setting_resolved_limit", False):
            return value  # the value of a callable we keep
        if not callable(value):
            self._limit_sources.pop(name, None)
            return value
        self._limit_sources[name] = value
        try:
            return self._call_limit(name, value)
        except _DeferredLimit:
            return value  # async, or failed before the spawn: resolved (or refused) at start

    def _call_limit(self, name: str, function: Any) -> Any:
        try:
            result = function(self)
        except Exception as err:
            self.log.debug("%s for %s could not be evaluated yet: %s", name, self._log_name_safe, err)
            raise _DeferredLimit from err
        if isawaitable(result):
            if asyncio.iscoroutine(result):
                result.close()  # evaluated again (and awaited) at start
            raise _DeferredLimit
        return self._checked_limit(name, result)

    def _checked_limit(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name.startswith("mem"):
            return ByteSpecification().validate(self, value)
        return float(value)

    @observe("user_options")
    def _reevaluate_limits(self, change: Any) -> None:
        for name, function in list(self._limit_sources.items()):
            try:
                value = self._call_limit(name, function)
            except _DeferredLimit:
                continue
            self._set_resolved_limit(name, value)

    def _set_resolved_limit(self, name: str, value: Any) -> None:
        self._setting_resolved_limit = True
        try:
            setattr(self, name, value)
        finally:
            self._setting_resolved_limit = False

    async def resolve_limits(self) -> None:
        """Evaluate every callable limit for this spawn (awaiting async ones); a callable
        that fails stops the spawn with a message naming the option."""
        for name, function in list(self._limit_sources.items()):
            try:
                value = function(self)
                if isawaitable(value):
                    value = await value
                value = self._checked_limit(name, value)
            except Exception as err:
                raise errors.ConfigProblem(name, f"{type(err).__name__}: {err}") from None
            self._set_resolved_limit(name, value)

    # -- extra docker arguments ---------------------------------------------------------------
    extra_create_kwargs = Union(
        [Callable(), Dict()],
        config=True,
        help="""Additional args for container create, deep-merged over what the spawner builds
        and template-formatted.  A callable gets the spawner and may be async.""",
    )
    extra_host_config = Union(
        [Callable(), Dict()],
        config=True,
        help="""Additional args to create_host_config, deep-merged and template-formatted.
        A callable gets the spawner and may be async.""",
    )

    @default("extra_create_kwargs")
    def _default_extra_create_kwargs(self) -> dict:
        return {}

    @default("extra_host_config")
    def _default_extra_host_config(self) -> dict:
        return {}

    # -- commands ---------------------------------------------------------------------------------
    cmd = Command(
        allow_none=True,
        default_value=None,
        config=True,
        help="The command used to start the single-user server (None: the image's CMD).",
    )
    post_start_cmd = UnicodeOrFalse(
        False,
        config=True,
        help="A command executed in the container after it starts (like docker exec); its output is logged.",
    )

    # -- labels and clean-up ------------------------------------------------------------------------
    extra_labels = Dict(
        config=True,
        help="""Labels added to every container and service the spawner creates (and, for
        DockerSpawner, the named volumes it creates), on top
        of its own (org.jupyter.hub.user, .server-name, .image, .managed-by); values are
        templates like volume names ({username}, {servername}, ...).""",
    )
    no_new_privileges = Bool(
        False,
        config=True,
        help="""Start containers with the no-new-privileges security option: processes in them
        cannot gain privileges (setuid binaries, file capabilities), e.g. sudo stops working.""",
    )
    remove_volumes_on_delete = Bool(
        False,
        config=True,
        help="""When a user or a named server is deleted from JupyterHub (JupyterHub >= 5 calls
        delete_forever), remove the named volumes it used and its certificates volume.

        Off by default: data is never removed silently.  A volume the user's other servers also
        use (a template without {servername}) is removed only with the last of them.""",
    )

    # -- internal ssl ------------------------------------------------------------------------------
    move_certs_image = Unicode(
        "busybox:1.30.1",
        config=True,
        help="The image used to stage internal SSL certificates into the certs volume.",
    )
    certs_volume_name = Unicode(
        "{prefix}ssl-{username}",
        config=True,
        help="Name of the volume the internal SSL certificates are staged in (templated).",
    )

    # ==========================================================================================
    # deprecations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._object_id: str | None = None
        #: the name of the object this server has (from the state, or since it was created):
        #: found again under it even after prefix, name_template or escape change
        self._pinned_object_name: str | None = None
        #: the server name its objects were named after, kept across a rename
        self._naming_server_name: str | None = None
        self._limit_sources: dict[str, Any] = {}
        self._progress_events: list[dict[str, Any]] = []
        self._progress_done = False
        self._progress_owner: Any = None
        self._progress_changed = asyncio.Event()
        self._starting = False
        #: how the previous server of this spawner ended on its own (shown on the next spawn)
        self._previous_exit: str | None = None
        #: poll()'s answer for a server that ended on its own (its objects may be gone already)
        self._ended_status: Any = None
        super().__init__(*args, **kwargs)

    @property
    def _log_name_safe(self) -> str:
        try:
            return self._log_name
        except Exception:  # while the configuration loads, the user may not be set yet
            return type(self).__name__

    @observe(*_RENAMED_OPTIONS)
    def _forward_renamed(self, change: Any) -> None:
        new, version = _RENAMED_OPTIONS[change.name]
        if getattr(self, new) != change.new:  # the same value under both names needs no warning
            cls = type(self).__name__
            self.log.warning("%s.%s is deprecated in DockerSpawner %s, use %s.%s instead",
                             cls, change.name, version, cls, new)
            setattr(self, new, change.new)

    @observe(*_IGNORED_TLS_OPTIONS)
    def _ignore_tls_option(self, change: Any) -> None:
        self.log.warning("%s config ignored, use %s.tls_config dict to set full TLS configuration.",
                         change.name, type(self).__name__)

    @observe("use_docker_client_env")
    def _ignore_client_env_option(self, change: Any) -> None:
        self.log.warning("%s.use_docker_client_env is deprecated and ignored: Docker environment "
                         "variables are always used if defined.", type(self).__name__)

    @observe("hub_ip_connect")
    def _ignore_hub_ip_connect(self, change: Any) -> None:
        self.log.warning("Ignoring %s.hub_ip_connect=%r, which has been deprecated since JupyterHub 0.8: "
                         "use c.JupyterHub.hub_connect_ip instead.", type(self).__name__, change.new)

    # ==========================================================================================
    # the client and calls

    @property
    def client(self) -> Any:
        """The Docker client for this spawner's configuration (one per configuration per process)."""
        kwargs = client_kwargs_for(self.client_kwargs, self.tls_config, os.environ)
        key = json.dumps({k: repr(v) for k, v in sorted(kwargs.items())})
        return ClientCache.get(key, lambda: _make_client(kwargs))

    @property
    def daemon_address(self) -> str:
        """Where the daemon is (its socket or URL), for messages."""
        kwargs = client_kwargs_for(self.client_kwargs, {}, os.environ)
        return kwargs.get("base_url") or "unix:///var/run/docker.sock"

    @property
    def tls_client(self) -> tuple[str, str] | None:
        """The TLS client certificate and key, if both were given, else None."""
        if self.tls_cert and self.tls_key:
            return (self.tls_cert, self.tls_key)
        return None

    @property
    def executor(self) -> Any:
        """The bounded pool every Docker call of this hub process runs in."""
        return DockerCalls.executor(self.docker_concurrency)

    def docker(self, method: str, *args: Any, **kwargs: Any) -> asyncio.Future:
        """Call a docker client method in a background thread; returns a Future.

        Quick calls share the bounded pool (docker_concurrency); calls that mostly wait on the
        daemon (stop, wait, pull) run in a separate pool, so a 10 s grace period or a long pull
        never makes another user's spawn wait for a thread."""
        executor = DockerCalls.waiting_executor() if method in _WAITING_CALLS else self.executor
        return DockerCalls.submit(executor, getattr(self.client, method), *args, **kwargs)

    @property
    def monitor(self) -> Monitor:
        """The process-wide view of every managed object on this spawner's daemon, which
        poll() answers from (one list call per poll_interval, however many servers)."""
        client = self.client
        monitor = MonitorRegistry.get(
            (client, self.object_type),
            lambda: Monitor(self._managed_lister(client), self.poll_interval,
                            inspector=self._unlisted_inspector(client)),
        )
        # answers are never older than the shortest poll_interval of the spawners asking
        if 0 < self.poll_interval < monitor.max_age:
            monitor.max_age = self.poll_interval
        return monitor

    def _unlisted_inspector(self, client: Any) -> Any:
        executor = self.executor

        async def inspect_container(object_id: str) -> ObjectState:
            try:
                info = await DockerCalls.submit(executor, client.inspect_container, object_id)
            except NotFound:
                return ObjectState(GONE)
            state = info["State"]
            if state.get("Running"):
                return ObjectState(RUNNING)
            return ObjectState(state.get("Status", "exited"), f"exit code {state.get('ExitCode')}")

        return inspect_container

    def _managed_lister(self, client: Any) -> Any:
        executor = self.executor

        async def list_containers() -> dict[str, ObjectState]:
            listing = await DockerCalls.submit(executor, client.containers, all=True, filters=MANAGED_FILTER)
            return container_states(listing)

        return list_containers

    # ==========================================================================================
    # names and templates

    @property
    def escaped_name(self) -> str:
        """The user name escaped so it is safe for docker objects."""
        return self.escape(self.user.name)

    def _escape(self, text: str) -> str:
        return self.escape(text)

    @property
    def _server_name(self) -> str:
        return getattr(self, "name", "") or ""

    @property
    def _names_server_name(self) -> str:
        """The server name in object names: the one it had when its objects were made."""
        return self._naming_server_name if self._naming_server_name is not None else self._server_name

    def template_namespace(self) -> dict[str, Any]:
        """The namespace for name_template, volume names, notebook_dir, default_url, extra kwargs.

        ``{servername}`` is the server name lowercased and escaped, as in the reference (so a
        deployment's existing containers and volumes keep their names)."""
        namespace = super().template_namespace()
        server_name = self._names_server_name
        namespace.update(
            username=self.escaped_name,
            safe_username=self.escaped_name,
            raw_username=self.user.name,
            imagename=image_name_for_template(self.image),
            servername=self._escape(server_name.lower()),
            raw_servername=server_name,
            prefix=self.prefix,
        )
        return namespace

    def render_name(self, setting: str, template: str) -> str:
        """``template`` rendered for this server; a template of unknown fields is a
        :class:`~dockerspawner.errors.ConfigProblem` naming ``setting``."""
        try:
            return errors.render_name_template(template, self.template_namespace())
        except errors.TemplateFieldError as err:
            raise errors.ConfigProblem(setting, str(err)) from None

    @property
    def object_name(self) -> str:
        """The name of the container (or service): the one it already has, else name_template
        rendered."""
        if self._pinned_object_name:
            return self._pinned_object_name
        template = self.name_template or default_name_template(self._names_server_name)
        return self.render_name("name_template", template)

    @property
    def container_name(self) -> str:
        """Alias for object_name."""
        return self.object_name

    @property
    def object_id(self) -> str | None:
        return self._object_id

    @object_id.setter
    def object_id(self, value: str | None) -> None:
        self._object_id = value

    @property
    def container_id(self) -> str | None:
        """Alias for object_id."""
        return self.object_id

    @container_id.setter
    def container_id(self, value: str | None) -> None:
        self.object_id = value

    @property
    def internal_hostname(self) -> str:
        """The hostname the container has on docker networks (used with internal SSL)."""
        return self.object_name

    # ==========================================================================================
    # state

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        self.object_id = state.get("object_id") or state.get("container_id") or None
        # the name the object was created with, so a change of prefix, name_template or escape
        # does not lose track of it
        self._pinned_object_name = (state.get("object_name") or None) if self.object_id else None
        if state.get(_NAMING_SERVER_KEY) is not None:
            self._naming_server_name = state[_NAMING_SERVER_KEY]
        self._previous_exit = state.get(_PREVIOUS_EXIT_KEY) or self._previous_exit

    def get_state(self) -> dict:
        state = super().get_state()
        if self.object_id:
            state["object_id"] = self.object_id
            state["object_name"] = self.object_name
        if self._naming_server_name is not None:
            state[_NAMING_SERVER_KEY] = self._naming_server_name
        if self._previous_exit:
            state[_PREVIOUS_EXIT_KEY] = self._previous_exit
        return state

    def clear_state(self) -> None:
        """JupyterHub calls this after every stop and before every start: a container kept for
        resuming keeps its id and name; the progress of the last spawn is forgotten."""
        super().clear_state()
        if self.remove:
            self._forget_object()
        self._ended_status = None
        self._reset_progress()

    def _forget_object(self) -> None:
        self.object_id = None
        self._pinned_object_name = None

    async def rename(self, old_name: str, new_name: str) -> None:
        """JupyterHub (>= 6) renames a stopped server: its container and volumes keep the names
        they were made with (Docker cannot rename volumes), so the renamed server finds them."""
        if self._naming_server_name is None and await self._has_objects():
            self._naming_server_name = old_name
            self.log.info("Server %s renamed to %r: its container and volumes keep their names",
                          self._log_name, new_name)
        # JupyterHub discards this spawner after the rename; the next one loads this state
        self.orm_spawner.state = self.get_state()

    async def _has_objects(self) -> bool:
        if self.object_id:
            return True
        for name in self.named_volumes():
            try:
                await self.docker("inspect_volume", name)
                return True
            except NotFound:
                continue
        return False

    @property
    def will_resume(self) -> bool:
        """A stopped container is resumed on the next start unless remove is True."""
        return not self.remove

    # ==========================================================================================
    # images

    async def _resolve(self, value: Any) -> Any:
        if callable(value):
            value = value(self)
        if isawaitable(value):
            value = await value
        return value

    async def _allowed_images(self) -> dict[str, str] | str:
        allowed = await self._resolve(self.allowed_images)
        if allowed == "*":
            return "*"
        if not allowed:
            return {}
        if isinstance(allowed, str):
            return {allowed: allowed}
        if isinstance(allowed, list | tuple):
            return {image: image for image in allowed}
        return dict(allowed)

    @default("options_from_form")
    def _default_options_from_form(self) -> Any:
        def options_from_form(formdata: Mapping[str, list[str]]) -> dict[str, Any]:
            """The options form's data as user_options: ``image`` when one was chosen."""
            options: dict[str, Any] = {}
            if "image" in formdata:
                options["image"] = formdata["image"][0]
            return options

        return options_from_form

    @default("options_form")
    def _default_options_form(self) -> Any:
        async def form(spawner: DockerSpawner) -> str:
            allowed = await spawner._allowed_images()
            if allowed == "*" or len(allowed) <= 1:
                return ""
            options = "\n".join(
                f'<option value="{_html(key)}">{_html(key)}</option>' for key in allowed
            )
            return dedent(
                f"""
                <label for="image">Select an image:</label>
                <select class="form-control" name="image" required autofocus>
                {options}
                </select>
                """
            )

        return form

    async def check_allowed(self, image: str) -> str:
        """The image to run for the requested ``image`` option; HTTP 400 when not allowed."""
        allowed = await self._allowed_images()
        if allowed == "*":
            if not _IMAGE_REFERENCE.match(image):
                raise web.HTTPError(400, f"{image!r} is not a valid image reference.")
            return image
        if not allowed:
            raise web.HTTPError(
                400,
                f"Specifying an image is not allowed here (requested {image!r}); "
                "the server runs the configured image.",
            )
        if image not in allowed:
            raise web.HTTPError(
                400, f"Image {image!r} is not in the allowed list: {', '.join(sorted(allowed))}"
            )
        return allowed[image]

    async def _apply_image_option(self) -> None:
        requested = self.user_options.get("image") if isinstance(self.user_options, dict) else None
        if requested is None:
            return
        if not isinstance(requested, str) or not requested.strip():
            raise web.HTTPError(400, "The image option must be a non-empty string.")
        self.image = await self.check_allowed(requested)

    async def pull_image(self, image: str) -> None:
        """Pull ``image`` as pull_policy says: always, if not present, never (raise if absent), skip."""
        policy = self.pull_policy.lower()
        if policy == "skip":
            return
        if policy != "always":
            try:
                await self.docker("inspect_image", image)
                return
            except ImageNotFound:
                if policy == "never":
                    self.log.error("Image %s is not present and pull_policy is 'never'", image)
                    raise web.HTTPError(
                        500, f"Image {image} is not present on the Docker host and pulling is disabled."
                    ) from None
        repository, tag = _split_image(image)
        self.log.info("Pulling image %s", image)
        self.report_progress(PROGRESS_PULL_START, f"Pulling image {image}")
        loop = asyncio.get_running_loop()
        tracker = PullProgress(image)

        def pull_and_report() -> None:
            for line in self.client.pull(repository, tag=tag, stream=True, decode=True):
                if "error" in line or "errorDetail" in line:
                    detail = (line.get("errorDetail") or {}).get("message") or line.get("error")
                    raise DockerException(detail)
                event = tracker.update(line)
                if event is not None:
                    loop.call_soon_threadsafe(self.report_progress, *event)

        try:
            await DockerCalls.submit(DockerCalls.waiting_executor(), pull_and_report)
        except (RequestsConnectionError, DockerException) as err:
            if errors.daemon_unreachable(err):
                raise
            explanation = getattr(err, "explanation", None) or str(err)
            self.log.error("Pulling image %s failed: %s", image, explanation)
            raise web.HTTPError(500, f"Could not pull image {image}: {explanation}") from None
        self.report_progress(PROGRESS_PULL_END, f"Pulled image {image}")

    # ==========================================================================================
    # progress (the spawn-pending page's bar)

    def report_progress(self, percent: int | None, message: str) -> None:
        """Record a progress event for the spawn-pending page (``percent`` None: message only)."""
        event: dict[str, Any] = {"message": message}
        if percent is not None:
            event["progress"] = int(percent)
        if not self._progress_is_current():  # e.g. move_certs pulling, before start()
            self._claim_progress()
        self._progress_events.append(event)
        self._wake_progress()

    def _wake_progress(self) -> None:
        changed, self._progress_changed = self._progress_changed, asyncio.Event()
        changed.set()

    def _reset_progress(self) -> None:
        """Forget the last spawn's events: each spawn's progress starts empty (JupyterHub opens
        the progress stream before it calls start(), often on the same spawner object)."""
        self._progress_events = []
        self._progress_done = False
        self._wake_progress()

    def _claim_progress(self) -> None:
        """start() claims the event log for the spawn JupyterHub is running now (its
        ``_spawn_future``); the events of an earlier spawn are dropped."""
        owner = getattr(self, "_spawn_future", None)
        if self._progress_done or owner is not self._progress_owner:
            self._reset_progress()
        self._progress_owner = owner

    def _progress_is_current(self) -> bool:
        return self._progress_owner is getattr(self, "_spawn_future", None)

    async def progress(self):
        """Yield the spawn's progress events as they happen: the image pull (a percentage of
        the bytes of all layers), creating, starting, waiting for the server.

        JupyterHub may open this before start() runs, on a spawner that spawned before: until
        start() claims the log for this spawn, older events are not shown."""
        sent = 0
        events = self._progress_events
        while True:
            changed = self._progress_changed
            if self._progress_events is not events:  # a new spawn began: its events from the start
                events, sent = self._progress_events, 0
            current = self._progress_is_current()
            while current and sent < len(events):
                yield events[sent]
                sent += 1
            if current and self._progress_done:
                return
            try:
                await asyncio.wait_for(changed.wait(), 1)
            except asyncio.TimeoutError:
                pass

    # ==========================================================================================
    # building the container

    @default("env_keep")
    def _default_env_keep(self) -> list[str]:
        # the hub's own environment (PATH, a virtualenv, ...) means nothing inside an image
        return []

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        # Spawner.environment keeps the last word, as JupyterHub documents
        env.setdefault("JUPYTER_IMAGE_SPEC", self.image)
        return env

    async def get_command(self) -> list[str] | None:
        """The full command (cmd + args); the image's CMD when cmd is None."""
        if self.cmd:
            cmd = list(self.cmd)
        else:
            info = await self.docker("inspect_image", self.image)
            cmd = list(info["Config"].get("Cmd") or [])
            if not cmd and not self.get_args():
                return None
        return cmd + list(self.get_args())

    @property
    def volume_mount_points(self) -> list[str]:
        """Sorted container paths of every volume and read-only volume."""
        return sorted(bind["bind"] for bind in self.volume_binds.values())

    @property
    def volume_binds(self) -> dict[str, dict[str, str]]:
        """``{host_location: {"bind": container_location, "mode": mode}}`` (plus
        ``"propagation"`` when a volume sets one), from volumes, then the internal SSL
        certificates volume and read_only_volumes; names formatted by format_volume_name."""
        binds = spec.volume_binds(self.volumes, "rw", lambda t: self._fmt(t, "volumes"))
        read_only: dict[str, Any] = {}
        if self.internal_ssl:
            read_only[self.certs_volume_name] = _CERTS_DIR
        read_only.update(self.read_only_volumes)
        binds.update(spec.volume_binds(read_only, "ro", lambda t: self._fmt(t, "read_only_volumes")))
        return binds

    @property
    def mount_binds(self) -> list[Mount]:
        """The mounts setting as docker.types.Mount objects, names formatted."""
        result = []
        for mount in self.mounts:
            args = dict(mount)
            args["source"] = self._fmt(args.get("source", ""), "mounts")
            args["target"] = self._fmt(args["target"], "mounts")
            driver = args.get("driver_config")
            if isinstance(driver, Mapping) and not isinstance(driver, DriverConfig):
                # {"name": ..., "options": ...} as written in a config: the daemon reads it
                # case-insensitively; the canonical form is what the volume is created from
                fields = {str(k).lower(): v for k, v in driver.items()}
                args["driver_config"] = DriverConfig(fields.get("name"), fields.get("options"))
            result.append(Mount(**args))
        return result

    def _fmt(self, template: str, setting: str = "volumes") -> str:
        """A volume name or path, through format_volume_name; a template of unknown fields
        stops the spawn with a message naming ``setting``."""
        try:
            return self.format_volume_name(template, self)
        except (KeyError, IndexError, ValueError, AttributeError) as err:
            problem = None
            try:
                errors.render_name_template(template, self.template_namespace())
            except errors.TemplateFieldError as field_error:
                problem = field_error.problem
            raise errors.ConfigProblem(setting, f"{template!r} {problem or err}") from None

    def _resolved_limit(self, name: str) -> Any:
        """A limit's value for the request (start resolved callables before)."""
        value = getattr(self, name)
        return None if callable(value) else self._checked_limit(name, value)

    def labels(self) -> dict[str, str]:
        """Labels put on every container, service and volume this spawner creates."""
        labels = spec.render_templates(dict(self.extra_labels), self.template_namespace())
        labels.update({
            spec.LABEL_MANAGED_BY: spec.MANAGED_BY,
            spec.LABEL_USER: self.user.name,
            spec.LABEL_SERVER_NAME: self._server_name,
            spec.LABEL_IMAGE: self.image,
        })
        return {str(k): str(v) for k, v in labels.items()}

    def named_volumes(self, binds: Mapping[str, Any] | None = None) -> list[str]:
        """The named volumes (not host paths) this server mounts."""
        return list(self._volumes_to_create(binds))

    def _volumes_to_create(self, binds: Mapping[str, Any] | None = None,
                           mounts: Any = None) -> dict[str, dict[str, Any]]:
        """name -> create_volume arguments (driver, options) of each named volume mounted."""
        binds = self.volume_binds if binds is None else binds
        mounts = self.mount_binds if mounts is None else mounts
        volumes: dict[str, dict[str, Any]] = {}
        for source in binds:
            if not source.startswith("/"):
                volumes.setdefault(source, {})
        for mount in mounts:
            if mount.get("Type") == "volume" and mount.get("Source"):
                driver = (mount.get("VolumeOptions") or {}).get("DriverConfig") or {}
                args: dict[str, Any] = {}
                if driver.get("Name"):
                    args["driver"] = driver["Name"]
                if driver.get("Options"):
                    args["driver_opts"] = dict(driver["Options"])
                volumes[mount["Source"]] = args
        return volumes

    async def ensure_volumes(self, request: spec.ContainerRequest) -> None:
        """Create the server's named volumes with the spawner's labels (an existing volume is
        left as it is), so they can be found with docker volume ls --filter label=...; a mount
        with a driver_config gets a volume of that driver and options (e.g. NFS through the
        local driver), as Docker would make it."""
        for name, args in self._volumes_to_create(request.volume_binds, request.mounts).items():
            await self.docker("create_volume", name=name, labels=self.labels(), **args)

    async def container_request(self) -> spec.ContainerRequest:
        """Resolve everything the container spec needs (callables, templates, env)."""
        if any(callable(getattr(self, name)) for name in _CALLABLE_LIMITS):
            await self.resolve_limits()
        namespace = self.template_namespace()
        extra_create = spec.render_templates(await self._resolve(self.extra_create_kwargs) or {}, namespace)
        extra_host = spec.render_templates(await self._resolve(self.extra_host_config) or {}, namespace)
        mounts = list(self.mount_binds)
        binds = self.volume_binds
        network_mode = extra_host.get("network_mode", self.network_name)
        publish = None if (self.use_internal_ip or network_mode == "host") else self.host_ip
        return spec.ContainerRequest(
            image=self.image,
            name=self.object_name,
            port=self.port,
            command=await self.get_command(),
            environment=self.get_env(),
            labels=self.labels(),
            network_name=self.network_name,
            publish_host_ip=publish,
            volume_binds=binds,
            volume_mount_points=tuple(sorted(b["bind"] for b in binds.values())),
            mounts=tuple(mounts),
            volume_settings={"volumes": self.volumes, "read_only_volumes": self.read_only_volumes,
                             "mounts": self.mounts, "internal_ssl": bool(self.internal_ssl)},
            links=dict(self.links),
            mem_limit=self._resolved_limit("mem_limit"),
            mem_guarantee=self._resolved_limit("mem_guarantee"),
            cpu_limit=self._resolved_limit("cpu_limit"),
            cpu_guarantee=self._resolved_limit("cpu_guarantee"),
            extra_create_kwargs=extra_create,
            extra_host_config=extra_host,
            no_new_privileges=self.no_new_privileges,
            stop_grace_period=self.stop_grace_period,
        )

    # ==========================================================================================
    # lifecycle steps

    async def get_object(self) -> dict | None:
        """The inspect dict of this server's container, or None when it is gone."""
        ref = self.object_id or self.object_name
        try:
            return await self.docker("inspect_container", ref)
        except NotFound:
            if self.object_id:
                # the id may be stale (container replaced outside the hub): try the name
                try:
                    return await self.docker("inspect_container", self.object_name)
                except NotFound:
                    return None
            return None

    def _adopt_api_token(self, info: dict) -> None:
        """A resumed container keeps the environment it was created with: use its API token
        (JupyterHub then discards the one it made for this spawn)."""
        for entry in info.get("Config", {}).get("Env") or []:
            key, _, value = entry.partition("=")
            if key in ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN") and value:
                self.api_token = value
                return

    async def replacement_reason(self, info: dict) -> str | None:
        """Why an existing object (its inspect dict) must be replaced rather than started again,
        or None to resume it (see the remove option and :mod:`dockerspawner.replacement`)."""
        if self.remove:
            return "remove is True"
        if info["State"].get("Running"):
            return None  # a running server (e.g. a hub restarted mid-spawn) is taken over as it is
        changed = replacement_reasons(info, await self.container_request())
        if changed:
            return "the configuration changed (" + ", ".join(changed) + ")"
        return None

    async def create_object(self) -> dict:
        """Create the container; returns the create answer (with its Id)."""
        request = await self.container_request()
        kwargs = spec.build_create_kwargs(request, self.client.api_version)
        await self.ensure_volumes(request)
        self.log.debug("Creating container %s for %s: %s", request.name, self._log_name,
                       json.dumps(redacted_create_kwargs(kwargs), default=str, sort_keys=True))
        return await self.docker("create_container", **kwargs)

    async def start_object(self) -> None:
        """Start the container (docker start)."""
        await self.docker("start", self.object_id)

    async def stop_object(self, now: bool = False) -> None:
        """Stop the container (docker stop); does not remove it."""
        timeout = 0 if now else self.stop_grace_period
        if timeout is None:
            await self.docker("stop", self.object_id)
        else:
            await self.docker("stop", self.object_id, timeout=timeout)

    async def remove_object(self) -> None:
        """Remove the container (and its anonymous volumes)."""
        try:
            await self.docker("remove_container", self.object_id, v=True, force=True)
        except NotFound:
            pass
        except APIError as err:
            if err.status_code == 409 and "already in progress" in (err.explanation or ""):
                return
            raise

    def _redact(self, text: str) -> str:
        return redact_text(text, [self.api_token])

    async def post_start_exec(self) -> None:
        """Run post_start_cmd in the started container and log what it printed: stdout at
        debug level, stderr (and a failed exec) at warning level, token-like values hidden."""
        exec_info = await self.docker("exec_create", self.object_id, self.post_start_cmd)
        stdout, stderr = await self.docker("exec_start", exec_info["Id"], demux=True)
        result = await self.docker("exec_inspect", exec_info["Id"])
        stdout, stderr = stdout or b"", stderr or b""
        if not stderr and b"exec failed" in stdout:  # the runtime reports a failed exec on stdout
            stdout, stderr = b"", stdout
        for stream, text, level in (("stdout", stdout, "debug"), ("stderr", stderr, "warning")):
            output = self._redact(text.decode("utf-8", "replace").strip())
            if not output:
                continue
            if "\n" in output:
                output = "\n" + indent(output, "    ")
            getattr(self.log, level)("post_start %s in %s: %s", stream, self.object_name, output)
        code = result.get("ExitCode")
        if code:
            self.log.warning("post_start_cmd %r in %s exited with %s", self.post_start_cmd, self.object_name, code)

    def _published_host(self, bound_ip: str) -> str:
        """Where the hub reaches a port the daemon bound on ``bound_ip``: that address, or, when
        it bound every interface, the daemon's host (a tcp:// daemon's, else host_ip if it
        names one, else 127.0.0.1)."""
        if bound_ip not in ("0.0.0.0", "::", ""):
            return bound_ip
        remote = remote_daemon_host(self.client_kwargs, os.environ)
        if remote:
            return remote
        if self.host_ip not in ("0.0.0.0", "::", ""):
            return self.host_ip
        return "127.0.0.1"

    async def get_ip_and_port(self) -> tuple[str, int]:
        """Where the hub reaches the server.

        With use_internal_hostname, the container's hostname and the port; with use_internal_ip,
        its address on network_name; otherwise the published host port (via docker port).
        With network_mode host, override this to return (self.host_ip, self.port).
        """
        if self.use_internal_hostname:
            return self.internal_hostname, self.port
        if self.use_internal_ip:
            info = await self.get_object()
            if info is None:
                raise web.HTTPError(500, f"Container {self.object_name} disappeared while starting")
            networks = info["NetworkSettings"].get("Networks") or {}
            endpoint = networks.get(self.network_name) or {}
            ip = endpoint.get("IPAddress") or info["NetworkSettings"].get("IPAddress")
            if not ip:
                raise web.HTTPError(500, f"Container {self.object_name} has no address on network "
                                         f"{self.network_name!r}; is the network there (docker network ls)?")
            return ip, self.port
        bindings = await self.docker("port", self.object_id, self.port)
        if isinstance(bindings, dict):
            bindings = [bindings]
        if not bindings:
            info = await self.get_object()
            if info is not None and not info["State"].get("Running"):
                raise web.HTTPError(500, await self.exit_report(info))
            raise web.HTTPError(500, f"Port {self.port} of container {self.object_name} is not published")
        chosen = next((b for b in bindings if ":" not in b["HostIp"]), bindings[0])
        return self._published_host(chosen["HostIp"]), int(chosen["HostPort"])

    wait_for_server_interval = Float(
        0,
        config=True,
        help="""How often start() checks whether the new server answers HTTP before returning
        (0, the default, disables the check; 0.1 is a good value).  JupyterHub's own wait backs off up to 5 s between checks; when
        start() returns as the server comes up, the hub's first check succeeds at once.""",
    )

    async def wait_for_server(self, ip: str, port: int) -> None:
        """Return once the server answers HTTP at (ip, port), its container has exited (an error
        naming the exit code and its last log lines), or http_timeout has passed (JupyterHub
        then decides).  Not with internal SSL: the hub's own check speaks TLS."""
        if not self.wait_for_server_interval or self.internal_ssl:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_timeout
        path = url_path_join(self.server.base_url if self.server else "/", "api")
        checks = 0
        while loop.time() < deadline:
            if await _answers_http(ip, port, path):
                return
            checks += 1
            if checks % 10 == 0:  # about once a second: did it die?
                status = await self.fresh_status()
                if status is not None:
                    raise web.HTTPError(500, status if isinstance(status, str) else "Your server stopped while starting")
            await asyncio.sleep(self.wait_for_server_interval)

    async def fresh_status(self) -> Any:
        """poll()'s answer straight from the daemon: None while the container runs, else the
        exit report (0 when it is gone)."""
        info = await self.get_object()
        if info is None:
            return 0
        if not info["State"].get("Running"):
            return await self.exit_report(info)
        return None

    async def exit_report(self, info: dict, lines: int = 5) -> str:
        """"Your server's container exited … with code N: <its last log lines>" for a stopped
        container, logged once (token-like values hidden in both)."""
        state = info["State"]
        code = state.get("ExitCode")
        why = " (killed: out of memory)" if state.get("OOMKilled") else ""
        try:
            raw = await self.docker("logs", info["Id"], tail=lines)
            tail = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()
        except DockerException:
            tail = ""
        tail = self._redact(tail)
        during = "during startup " if (self._starting or self._spawn_pending) else ""
        message = f"Your server's container exited {during}with code {code}{why}"
        self.log.error("%s for %s; last log lines:\n%s", message, self._log_name, tail or "(none)")
        return message + (f". Last lines of its log:\n{tail}" if tail else ".")

    # ==========================================================================================
    # internal ssl

    def _certs_volume(self) -> str:
        return self._fmt(self.certs_volume_name)

    @default("ssl_alt_names")
    def _default_ssl_alt_names(self) -> list[str]:
        return [f"DNS:{self.internal_hostname}"]

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        """Stage the certificate files into the per-user certs volume; return their paths there.
        (JupyterHub calls this before start(); failures reach the user the same way.)"""
        try:
            return await self._move_certs(paths)
        except web.HTTPError:
            raise
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        except (RequestsConnectionError, DockerException) as err:
            raise errors.user_error(err, action="start", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None

    async def _move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        volume = self._certs_volume()
        await self.docker("create_volume", name=volume, labels=self.labels())
        await self.pull_image(self.move_certs_image)
        helper = await self.docker(
            "create_container",
            image=self.move_certs_image,
            name=f"{self.object_name}-certs-{os.getpid()}",
            command=["true"],
            labels=self.labels(),
            host_config=self.client.create_host_config(binds={volume: {"bind": _CERTS_DIR, "mode": "rw"}}),
        )
        try:
            archive = io.BytesIO()
            moved = {}
            with tarfile.open(fileobj=archive, mode="w") as tar:
                for key, path in paths.items():
                    name = os.path.basename(path)
                    with open(path, "rb") as f:
                        data = f.read()
                    # readable by whatever user the server runs as (the hub's copy is 0600 root)
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.uid, info.gid = len(data), 0o644, 0, 0
                    tar.addfile(info, io.BytesIO(data))
                    moved[key] = f"{_CERTS_DIR}/{name}"
            await self.docker("put_archive", helper["Id"], _CERTS_DIR, archive.getvalue())
        finally:
            await self.docker("remove_container", helper["Id"], force=True)
        return moved

    # ==========================================================================================
    # the JupyterHub spawner API

    async def start(self, image: str | None = None, extra_create_kwargs: Any = None,
                    extra_host_config: Any = None) -> tuple[str, int]:
        """Start the server's container, creating (or, with remove, recreating) it as needed."""
        self._claim_progress()
        self._starting = True
        try:
            return await self._start(image, extra_create_kwargs, extra_host_config)
        except web.HTTPError:
            raise
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        except Exception as err:
            if not errors.is_docker_failure(err):
                raise
            raise errors.user_error(err, action="start", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None
        finally:
            self._starting = False
            self._progress_done = True
            self._wake_progress()  # so progress() can finish

    async def _start(self, image: str | None, extra_create_kwargs: Any,
                     extra_host_config: Any) -> tuple[str, int]:
        if self._previous_exit:
            self.report_progress(None, f"Your previous server stopped on its own: {self._previous_exit}")
            self._previous_exit = None
        if image:
            self.image = image
        await self._apply_image_option()
        await self.resolve_limits()
        if extra_create_kwargs:
            self.extra_create_kwargs = spec.deep_merge(
                await self._resolve(self.extra_create_kwargs) or {}, extra_create_kwargs)
        if extra_host_config:
            self.extra_host_config = spec.deep_merge(
                await self._resolve(self.extra_host_config) or {}, extra_host_config)
        await self.check_settings()
        await self.pull_image(self.image)
        existing = await self.get_object()
        reason = await self.replacement_reason(existing) if existing is not None else None
        if reason is not None:
            self.object_id = existing[self.object_id_key]
            self.log.info("Replacing %s %s for %s: %s (named volumes are kept)", self.object_type,
                          self.object_name, self._log_name, reason)
            await self.remove_object()
            self.monitor.forget(self.object_id)
            self._forget_object()
            existing = None
        if existing is None:
            self.report_progress(PROGRESS_CREATE, f"Creating {self.object_type} {self.object_name}")
            created = await self.create_object()
            self._pinned_object_name = self.object_name
            self.object_id = created[self.object_id_key]
            self.log.info("Created %s %s (id %s) from image %s", self.object_type, self.object_name,
                          self.object_id[:7], self.image)
        else:
            self.object_id = existing[self.object_id_key]
            self._pinned_object_name = self._name_of(existing)
            self.log.info("Found existing %s %s (id %s)", self.object_type, self.object_name,
                          self.object_id[:7])
            self._adopt_api_token(existing)
        self.report_progress(PROGRESS_START, f"Starting {self.object_type} {self.object_name}")
        await self.start_object()
        self.monitor.note(self.object_id, ObjectState(RUNNING))
        if self.post_start_cmd:
            self.report_progress(PROGRESS_POST_START, "Running the post-start command")
            await self.post_start_exec()
        address = await self.get_ip_and_port()
        self.report_progress(PROGRESS_WAIT, "Waiting for the server to answer")
        await self.wait_for_server(*address)
        return address

    def _name_of(self, info: dict) -> str:
        return info["Name"].lstrip("/")

    async def check_settings(self) -> None:
        """Refuse, before anything is created, settings this spawner cannot honour (a
        subclass's hook; DockerSpawner honours all of its own)."""

    async def poll(self) -> Any:
        """None while the server runs (and while start() is still at work); its status once it
        stopped; 0 when it is gone.

        Answered from the shared monitor (no Docker call of its own, except to find an object
        whose id the state lost).  A server that stopped on its own is reported with its exit
        code and last log lines; with remove, its container is removed then, since JupyterHub
        does not call stop() for a server poll() found dead."""
        if self._starting:
            return None  # the Spawner contract: a spawn in progress counts as running
        if not self.object_id and self._ended_status is not None:
            return self._ended_status  # JupyterHub polls again after the first answer
        try:
            if not self.object_id:
                info = await self._lookup_by_name()
                if info is None:
                    return 0
                self.object_id = info[self.object_id_key]
            if self._spawn_pending:
                # after start() returned, while JupyterHub waits for HTTP: ask the daemon itself,
                # a snapshot may predate the start
                status = await self.fresh_status()
                if status is not None:
                    await self._ended_on_its_own(status)
                return status
            state = await self.monitor.state_of(self.object_id)
            if state.running:
                return None
            if state.state == GONE:
                self.log.warning("%s %s is gone", self.object_type.capitalize(), self.object_name)
                self._forget_object()
                return 0
            status = await self.fresh_status()
            if status is None:  # started again since the snapshot
                return None
            await self._ended_on_its_own(status)
            return status
        except (RequestsConnectionError, DockerException) as err:
            if not errors.daemon_unreachable(err):
                raise errors.user_error(err, action="poll", daemon=self.daemon_address, log=self.log,
                                        log_name=self._log_name) from None
            self.log.warning("Docker daemon at %s unreachable polling %s: %s", self.daemon_address,
                             self._log_name, err)
            return None

    async def _ended_on_its_own(self, status: Any) -> None:
        """poll() found the server stopped: keep the report for the next spawn, and with remove,
        remove what is left."""
        self._ended_status = status
        if isinstance(status, str):
            self._previous_exit = status.split("\n", 1)[0]
        if self.remove and self.object_id:
            await self.remove_object()
            self.log.info("Removed %s %s of %s, which stopped on its own", self.object_type,
                          self.object_name, self._log_name)
            self.monitor.forget(self.object_id)
            self._forget_object()

    async def delete_forever(self) -> None:
        """The user or named server is deleted from JupyterHub (JupyterHub >= 5).

        With remove_volumes_on_delete, remove the named volumes this server used and its
        certificates volume, except volumes another of the user's servers still uses."""
        if not self.remove_volumes_on_delete:
            return
        try:
            await self._delete_forever()
        except errors.ConfigProblem as problem:
            self.log.warning("Not removing the volumes of deleted %s: %s", self._log_name, problem)
        except (RequestsConnectionError, DockerException) as err:
            raise errors.user_error(err, action="delete", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None

    async def _delete_forever(self) -> None:
        info = await self.get_object()
        if info is not None:  # a stopped container kept for resuming goes with its server
            self.object_id = info[self.object_id_key]
            await self.remove_object()
            self._forget_object()
        ours = set(self.named_volumes()) | {self._certs_volume()}
        shared = set()
        for other in self._other_server_names():
            shared |= set(self._volume_names_for(other))
        for name in sorted(ours - shared):
            try:
                await self.docker("remove_volume", name)
                self.log.info("Removed volume %s of deleted %s", name, self._log_name)
            except NotFound:
                pass
            except APIError as err:
                self.log.warning("Could not remove volume %s of deleted %s: %s", name, self._log_name,
                                 err.explanation or err)
        for name in sorted(ours & shared):
            self.log.info("Keeping volume %s: another server of %s still uses it", name, self.user.name)

    def _other_server_names(self) -> list[str]:
        orm_user = getattr(self.user, "orm_user", None)
        spawners = getattr(orm_user, "orm_spawners", None) or {}
        return [name for name in spawners if name != self._server_name]

    def _volume_names_for(self, server_name: str) -> list[str]:
        """The named volumes the user's server ``server_name`` would mount."""
        original = self.orm_spawner
        pinned = self._naming_server_name
        try:
            self.orm_spawner = _ServerNameOnly(server_name, original)
            self._naming_server_name = None
            return self.named_volumes() + [self._certs_volume()]
        finally:
            self.orm_spawner = original
            self._naming_server_name = pinned

    async def stop(self, now: bool = False) -> None:
        """Stop the container; remove it too when remove is True."""
        try:
            await self._stop(now)
        except (RequestsConnectionError, DockerException) as err:
            raise errors.user_error(err, action="stop", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None
        finally:
            self._reset_progress()

    async def _lookup_by_name(self) -> dict | None:
        """get_object() for a spawner that has no object id: None as well when the name cannot
        be rendered (then nothing can have been created under it)."""
        try:
            return await self.get_object()
        except errors.ConfigProblem:
            return None

    async def _stop(self, now: bool) -> None:
        if not self.object_id:
            info = await self._lookup_by_name()
            if info is None:
                return
            self.object_id = info[self.object_id_key]
        self.log.info("Stopping %s %s (id %s)", self.object_type, self.object_name, self.object_id[:7])
        try:
            await self.stop_object(now=now)
        except NotFound:
            self.log.info("Container %s was already gone", self.object_name)
            self.monitor.forget(self.object_id)
            self._forget_object()
            return
        self.monitor.note(self.object_id, ObjectState("exited", "stopped by the hub"))
        if self.remove:
            await self.remove_object()
            self.monitor.forget(self.object_id)
            self._forget_object()


for _old_name, (_new_name, _version) in _RENAMED_METHODS.items():
    def _deprecated_method(self: DockerSpawner, *args: Any, _old: str = _old_name, _new: str = _new_name,
                           _since: str = _version, **kwargs: Any) -> Any:
        cls = type(self).__name__
        warnings.warn(f"{cls}.{_old} is deprecated in DockerSpawner {_since}. Please use {cls}.{_new} instead.",
                      DeprecationWarning, stacklevel=2)
        return getattr(self, _new)(*args, **kwargs)

    _deprecated_method.__name__ = _old_name
    _deprecated_method.__doc__ = f"Deprecated alias of {_new_name} (since DockerSpawner {_version})."
    setattr(DockerSpawner, _old_name, _deprecated_method)


#: an image reference: [registry[:port]/]path[:tag][@digest], lowercase path components
_IMAGE_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


def _make_client(kwargs: dict) -> Any:
    version = kwargs.get("version")
    negotiate = version is None or str(version).lower() == "auto"
    # made with a pinned version so no request leaves before trust_env is off
    client = docker.APIClient(**{**kwargs, "version": "1.24" if negotiate else version})
    # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE and proxy variables are for the hub's outbound HTTPS;
    # read by requests per call, they would replace tls_config's CA for the daemon
    client.trust_env = False
    if negotiate:
        client._version = client._retrieve_server_version()
    return client


async def _answers_http(host: str, port: int, path: str, timeout: float = 1.0) -> bool:
    """Whether an HTTP server answers a GET at host:port (any status counts).  A bare TCP
    connect is not enough: Docker's port proxy accepts connections before the server listens."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        return line.startswith(b"HTTP/")
    except (OSError, asyncio.TimeoutError):
        return False
    finally:
        writer.close()


#: client methods that wait on the daemon rather than ask it something
_WAITING_CALLS = frozenset({"stop", "wait", "pull", "remove_service"})


class _ServerNameOnly:
    """An orm_spawner stand-in that only changes the server name (for computing the volume
    names of a user's other servers)."""

    def __init__(self, name: str, original: Any):
        self.name = name
        self._original = original

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._original, attr)


PROGRESS_PULL_START = 5
PROGRESS_PULL_END = 65
PROGRESS_CREATE = 70
PROGRESS_START = 80
PROGRESS_POST_START = 85
PROGRESS_WAIT = 90


class PullProgress:
    """Folds the daemon's per-layer pull lines into one percentage of all bytes.

    A layer counts with its total once "Downloading" gives one; "Download complete", "Pull
    complete" and "Already exists" count it as done.  ``update`` returns a (percent, message)
    event when the whole-image percentage moved, else None.
    """

    def __init__(self, image: str):
        self.image = image
        self.layers: dict[str, list[int]] = {}  # id -> [current, total]
        self.announced: set[str] = set()
        self.done: set[str] = set()
        self._last = -1

    def update(self, line: dict[str, Any]) -> tuple[int, str] | None:
        status = line.get("status", "")
        layer = line.get("id")
        if layer and status == "Pulling fs layer":
            self.announced.add(layer)
        elif layer and status in ("Downloading",):
            detail = line.get("progressDetail") or {}
            if detail.get("total"):
                self.layers[layer] = [int(detail.get("current", 0)), int(detail["total"])]
        elif layer and status in ("Download complete", "Pull complete", "Already exists", "Verifying Checksum"):
            self.done.add(layer)
            if layer in self.layers:
                self.layers[layer][0] = self.layers[layer][1]
        known = sum(t for _, t in self.layers.values())
        if not known:
            return None
        current = sum(c for c, _ in self.layers.values())
        # layers announced but not started yet count as the average known layer, so the bar
        # does not jump back when their sizes become known (and it never moves backwards)
        waiting = len(self.announced - set(self.layers) - self.done)
        total = known + waiting * known / len(self.layers)
        fraction = current / total
        percent = PROGRESS_PULL_START + int(fraction * (PROGRESS_PULL_END - PROGRESS_PULL_START))
        if percent <= self._last:
            return None
        self._last = percent
        return percent, (f"Pulling image {self.image}: {int(fraction * 100)}% "
                         f"({_megabytes(current)} of {_megabytes(known) if not waiting else 'about ' + _megabytes(total)})")


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


#: where the internal SSL certificates are mounted, as in the reference
_CERTS_DIR = "/certs"
#: state keys
_NAMING_SERVER_KEY = "named_after_server"
_PREVIOUS_EXIT_KEY = "previous_exit"


class _DeferredLimit(Exception):
    """A callable limit that cannot be evaluated yet (async, or failing before the spawn)."""

_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def _html(text: str) -> str:
    return "".join(_HTML_ESCAPES.get(c, c) for c in str(text))


def _split_image(image: str) -> tuple[str, str]:
    """``repo[:tag]`` -> (repo, tag), keeping a registry's :port in the repository."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = image.rsplit(":", 1)
        return repository, tag
    return image, "latest"


__all__ = ["DockerSpawner"]
