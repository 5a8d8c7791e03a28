"""DockerSpawner's configuration surface: every option, its default, its callable form and
its validation — what an admin sets in ``jupyterhub_config.py``.  The lifecycle
(:mod:`dockerspawner.dockerspawner`) reads these; nothing here talks to Docker.

Options whose value may be a callable ``(spawner) -> value`` (mem_limit, cpu_limit,
mem_guarantee, cpu_guarantee) are evaluated when set, again when ``user_options`` change, and
once more when the server starts, so a hook reading ``spawner.mem_limit`` gets this server's
value, as with the reference.
"""

from __future__ import annotations

import asyncio
import os
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, ClassVar

from jupyterhub.traitlets import ByteSpecification, Callable, Command
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
    validate,
)

from . import errors
from .client import remote_daemon_host
from .deprecations import DeprecatedOptions
from .images import DEFAULT_IMAGE
from .naming import escape_dns_safe, escape_legacy
from .volumenamingstrategy import default_format_volume_name


class UnicodeOrFalse(Unicode):
    info_text = "a unicode string or False"

    def validate(self, obj: Any, value: Any) -> Any:
        if value is False:
            return value
        return super().validate(obj, value)


#: options with a callable form (spawner) -> value, evaluated when set (see _evaluate_limit)
CALLABLE_LIMITS = ("mem_limit", "cpu_limit", "mem_guarantee", "cpu_guarantee")


class _DeferredLimit(Exception):
    """A callable limit that cannot be evaluated yet (async, or failing before the spawn)."""


class DockerSpawnerConfig(DeprecatedOptions):
    """Every option of DockerSpawner (SwarmSpawner and SystemUserSpawner inherit them)."""

    if TYPE_CHECKING:  # what it reads of JupyterHub's Spawner
        internal_ssl: bool

        @property
        def _log_name(self) -> str: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: limit name -> the callable it was configured with (re-evaluated, see above)
        self._limit_sources: dict[str, Any] = {}
        super().__init__(*args, **kwargs)

    #: class -> its configurable traits (traitlets looks them up afresh for every instance it
    #: configures, which is most of what making a spawner costs: a hub restart makes thousands)
    _config_traits: dict[type, dict[str, Any]] = {}

    def traits(self, **metadata: Any) -> dict[str, Any]:
        if metadata != {"config": True}:
            return super().traits(**metadata)
        cls = type(self)  # add_traits() makes a new class, so a class's traits stay its own
        found = DockerSpawnerConfig._config_traits.get(cls)
        if found is None:
            found = DockerSpawnerConfig._config_traits[cls] = super().traits(config=True)
        return dict(found)

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
    poll_events = Bool(
        True,
        config=True,
        help="""Follow the daemon's event stream to see servers stop, crash or vanish.

        True (default): the hub lists its containers once, then one long-lived, labelled
        ``/events`` request per daemon keeps that view current, so polls answer from memory
        (no call per poll_interval; a background list every 10 intervals in case the daemon
        dropped events), and JupyterHub hears of a server that stopped as the event arrives
        instead of polling every server every interval.  If the stream cannot be opened or
        ends, the view is listed every poll_interval until it is followed again.  SwarmSpawner:
        task state changes are not events, so once per poll_interval one call asks for the
        tasks the swarm gave up, and the manager's service events tell of a removed service.
        False: list every poll_interval (for a proxy in front of the daemon that cuts
        long-lived requests).""",
    )


    # -- image -------------------------------------------------------------------------------
    image = Unicode(
        DEFAULT_IMAGE,
        config=True,
        help="""The image to use for single-user servers.

        It should have the same version of jupyterhub as the Hub itself installed.  If the
        image's default command does not launch jupyterhub-singleuser, set c.Spawner.cmd.""",
    )
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

    @default("allowed_images")
    def _default_allowed_images(self) -> dict:
        return {}

    profile_list = Union(
        [List(), Callable()],
        config=True,
        help="""Server profiles users choose from: a list of dicts (or a callable given the
        spawner, which may be async, returning one — e.g. by the user's groups).

        Each profile: ``display_name``, ``slug`` (default: from the display name),
        ``description``, ``default`` (True: preselected), ``spawner_override`` (a dict of
        spawner options it sets: image, mem_limit, cpu_limit, mem_guarantee, cpu_guarantee,
        volumes, environment, extra_host_config, gpus, ...; dict values merge into the
        configured ones; KubeSpawner's ``kubespawner_override`` is accepted) and optional
        ``profile_options``: ``{name: {"display_name", "choices": {slug: {"display_name",
        "default", "spawner_override"}}, "unlisted_choice": {"enabled", "display_name",
        "validation_regex", "validation_message", "spawner_override"}}}`` — a free-text
        choice's override may use ``{value}``.  KubeSpawner's schema where the concept is the
        same.

        The options form lists the profiles; the REST API takes ``{"profile": slug, "<option>":
        choice}`` (free text: ``"<option>--unlisted-choice": text``).  Anything not offered to
        the user is refused with HTTP 400; the selection is logged and recorded in user_options.
        A profile's image is allowed by being in the profile (allowed_images does not apply).""",
    )

    @default("profile_list")
    def _default_profile_list(self) -> list:
        return []

    gpus = Union(
        [Int(), Unicode(), Callable()],
        default_value=None,
        allow_none=True,
        config=True,
        help="""GPUs for the server: a number (that many devices of its own, from gpu_ids,
        never one a running server already has), "all" (every device, shared), or a callable
        given the spawner returning one of those (may be async).  None or 0: no GPUs.

        The container gets a device request (capabilities [["gpu"]]) for its ids, and a label
        ``org.jupyter.hub.gpus`` naming them, from which a restarted hub rebuilds who holds
        what; a server that stops or dies frees its GPUs.  When too few are free, the spawn
        fails at once with HTTP 503 ("all 4 GPUs are in use; try again later").
        SwarmSpawner refuses it (a service cannot be given devices of its own).""",
    )

    gpu_ids: List[Any] = List(
        default_value=None,
        allow_none=True,
        config=True,
        help="""The GPU device ids (or UUIDs) the gpus setting shares out.  None (default): the
        GPUs the Docker daemon reports (``docker info``: its node-generic-resources).""",
    )

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
    name_template = Unicode(
        config=True,
        help="""Name of the container or service: with {username}, {imagename}, {prefix},
        {servername} replacements; {raw_username} is the unescaped user name.

        Default: "{prefix}-{username}" for the default server, "{prefix}-{username}--{servername}"
        for named servers.""",
    )

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
    extra_networks = List(
        Unicode(),
        config=True,
        help="""Docker networks the container joins besides network_name (not in the reference).

        network_name stays the network the hub reaches the server on (use_internal_ip reads the
        address there); these are for the server's own reach, e.g. a database's network.  On an
        engine of API 1.44 or later (Docker 25+) the container is created on every network at
        once; on an older one it is connected to the extra networks after it is created, before
        it starts.  SwarmSpawner attaches the service's tasks to them.""",
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
    mounts: List[Any] = List(
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
        default_value=0,
        config=True,
        help="""Maximum bytes a server may use (K, M, G, T suffixes; 0, the default, is no
        limit), or a callable (spawner) -> value, e.g. a per-user limit::

            def per_user_mem_limit(spawner):
                return {"alice": "4G", "bob": "2G"}.get(spawner.user.name, "1G")
            c.DockerSpawner.mem_limit = per_user_mem_limit""",
    )
    cpu_limit = Union(
        [Callable(), Float()],
        allow_none=True,
        default_value=0.0,
        config=True,
        help="""CPU limit for containers: cpu_quota = cpu_limit * cpu_period (100 ms unless
        extra_host_config sets cpu_period), or a callable (spawner) -> float.  0 (the default)
        sets no quota; None also sends no cpu_period, as the reference does.""",
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

    @validate(*CALLABLE_LIMITS)
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

    _change_hooks: ClassVar[dict[str, str]] = {"user_options": "_reevaluate_limits"}

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
    # False is this trait's other value; traitlets' hints know str only
    post_start_cmd = UnicodeOrFalse(  # type: ignore[call-overload]
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

    wait_for_server_interval = Float(
        0.1,
        config=True,
        help="""How often (seconds) start() checks whether the new server answers HTTP before
        returning; 0 disables the check.  JupyterHub's own wait backs off up to 5 s between
        checks, so a server that comes up just after one of them is found seconds late; when
        start() returns as the server comes up, the hub's first check succeeds at once.  While
        waiting, a container that exits is reported with its exit code and last log lines.""",
    )

    @property
    def _log_name_safe(self) -> str:
        try:
            return self._log_name
        except Exception:  # while the configuration loads, the user may not be set yet
            return type(self).__name__

    @default("env_keep")
    def _default_env_keep(self) -> list[str]:
        # the hub's own environment (PATH, a virtualenv, ...) means nothing inside an image
        return []

    async def evaluate_setting(self, value: Any) -> Any:
        """A setting's value for this spawner: called with it when it is a callable, awaited
        when that returns an awaitable (extra_create_kwargs, allowed_images, ...)."""
        if callable(value):
            value = value(self)
        if isawaitable(value):
            value = await value
        return value
