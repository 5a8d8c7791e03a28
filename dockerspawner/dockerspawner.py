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
import ssl
import tarfile
from collections.abc import Mapping
from inspect import isawaitable
from textwrap import dedent
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import Mount
from jupyterhub.spawner import Spawner
from jupyterhub.traitlets import ByteSpecification, Callable, Command
from jupyterhub.utils import url_path_join
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import SSLError as RequestsSSLError
from tornado import web
from traitlets import Any as AnyTrait
from traitlets import (
    Bool,
    CaselessStrEnum,
    Dict,
    Float,
    Int,
    List,
    Unicode,
    Union,
    default,
    observe,
)

from . import spec
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
    image_name_for_template,
    resolve_escape,
)
from .volumenamingstrategy import default_format_volume_name


class UnicodeOrFalse(Unicode):
    info_text = "a unicode string or False"

    def validate(self, obj: Any, value: Any) -> Any:
        if value is False:
            return value
        return super().validate(obj, value)


#: deprecated name -> (new name or None, version it was deprecated in)
_DEPRECATED_ALIASES: dict[str, tuple[str | None, str]] = {
    "container_image": ("image", "0.9"),
    "container_ip": ("host_ip", "0.9"),
    "container_port": ("port", "0.9"),
    "container_prefix": ("prefix", "0.10"),
    "container_name_template": ("name_template", "0.10"),
    "image_whitelist": ("allowed_images", "12.0"),
    "remove_containers": ("remove", "0.10"),
    "tls": (None, "0.9"),
    "tls_verify": (None, "0.9"),
    "tls_ca": (None, "0.9"),
    "tls_cert": (None, "0.9"),
    "tls_key": (None, "0.9"),
    "tls_assert_hostname": (None, "0.9"),
    "use_docker_client_env": (None, "0.9"),
    "hub_ip_connect": (None, "0.8"),
}

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
        None,
        allow_none=True,
        config=True,
        help="""Override escaping with any callable of the form escape(str)->str.

        The default is DNS-safe: lowercase letters and digits pass, everything else becomes
        -XX (hex).  Set 'legacy' for the pre-12.0 scheme.""",
    )
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

        This destroys any data in the container not stored in mounted volumes.""",
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
    mem_limit = Union(
        [Callable(), ByteSpecification()],
        allow_none=True,
        default_value=None,
        config=True,
        help="""Maximum bytes a server may use (K, M, G, T suffixes), or a callable
        (spawner) -> value.""",
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
        help="Memory a server is guaranteed: becomes the container's memory reservation.",
    )
    cpu_guarantee = Union(
        [Callable(), Float()],
        allow_none=True,
        default_value=None,
        config=True,
        help="CPUs a server is guaranteed: becomes CPU shares (1.0 -> 1024).",
    )

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
        self._deprecation_warned: set[str] = set()
        self._progress_events: list[dict[str, Any]] = []
        self._progress_done = False
        self._progress_changed = asyncio.Event()
        super().__init__(*args, **kwargs)

    def _warn_deprecated(self, name: str, new: str | None, version: str) -> None:
        if name in self._deprecation_warned:
            return
        self._deprecation_warned.add(name)
        cls = type(self).__name__
        target = f"use {cls}.{new}" if new else "it has no effect"
        if name.startswith("tls"):
            target = f"use {cls}.tls_config"
        if name == "hub_ip_connect":
            target = "use c.JupyterHub.hub_connect_ip"
        self.log.warning("%s.%s is deprecated in dockerspawner %s: %s.", cls, name, version, target)

    @observe(*_DEPRECATED_ALIASES)
    def _forward_deprecated(self, change: Any) -> None:
        new, version = _DEPRECATED_ALIASES[change.name]
        self._warn_deprecated(change.name, new, version)
        if new is not None:
            setattr(self, new, change.new)

    # ==========================================================================================
    # the client and calls

    @property
    def client(self) -> Any:
        """The Docker client for this spawner's configuration (one per configuration per process)."""
        kwargs = client_kwargs_for(self.client_kwargs, self._effective_tls_config(), os.environ)
        key = json.dumps({k: repr(v) for k, v in sorted(kwargs.items())})
        return ClientCache.get(key, lambda: _make_client(kwargs))

    def _effective_tls_config(self) -> dict:
        if self.tls_config:
            return dict(self.tls_config)
        tls: dict[str, Any] = {}
        if self.tls_verify is not None:
            tls["verify"] = self.tls_verify
        if self.tls_ca:
            tls["ca_cert"] = self.tls_ca
        if self.tls_cert and self.tls_key:
            tls["client_cert"] = (self.tls_cert, self.tls_key)
        if self.tls_assert_hostname is not None:
            tls["assert_hostname"] = self.tls_assert_hostname
        return tls

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
        return MonitorRegistry.get(
            (client, self.object_type),
            lambda: Monitor(self._managed_lister(client), self.poll_interval,
                            inspector=self._unlisted_inspector(client)),
        )

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
        return self._escape(self.user.name)

    def _escape(self, text: str) -> str:
        return resolve_escape(self.escape)(text)

    @property
    def _server_name(self) -> str:
        return getattr(self, "name", "") or ""

    def template_namespace(self) -> dict[str, Any]:
        """The namespace for name_template, volume names, notebook_dir, default_url, extra kwargs."""
        namespace = super().template_namespace()
        namespace.update(
            username=self.escaped_name,
            safe_username=self.escaped_name,
            raw_username=self.user.name,
            imagename=image_name_for_template(self.image),
            servername=self._escape(self._server_name),
            raw_servername=self._server_name,
            prefix=self.prefix,
        )
        return namespace

    @property
    def object_name(self) -> str:
        """The name of the container (or service)."""
        template = self.name_template or default_name_template(self._server_name)
        return template.format(**self.template_namespace())

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

    def get_state(self) -> dict:
        state = super().get_state()
        if self.object_id:
            state["object_id"] = self.object_id
        return state

    def clear_state(self) -> None:
        """JupyterHub calls this after every stop: a container kept for resuming keeps its id."""
        super().clear_state()
        if self.remove:
            self.object_id = None

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

    def options_from_form(self, formdata: Mapping[str, list[str]]) -> dict[str, Any]:
        """Turn the options form's data into user_options: ``image`` when one was chosen."""
        options: dict[str, Any] = {}
        if "image" in formdata:
            options["image"] = formdata["image"][0]
        return options

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
            if _daemon_unreachable(err):
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
        self._progress_events.append(event)
        self._wake_progress()

    def _wake_progress(self) -> None:
        changed, self._progress_changed = self._progress_changed, asyncio.Event()
        changed.set()

    def _reset_progress(self) -> None:
        self._progress_events = []
        self._progress_done = False

    async def progress(self):
        """Yield the spawn's progress events as they happen: the image pull (a percentage of
        the bytes of all layers), creating, starting, waiting for the server."""
        sent = 0
        while True:
            changed = self._progress_changed
            events = self._progress_events
            while sent < len(events):
                yield events[sent]
                sent += 1
            if self._progress_done:
                return
            try:
                await asyncio.wait_for(changed.wait(), 1)
            except asyncio.TimeoutError:
                pass

    # ==========================================================================================
    # building the container

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env.setdefault("JUPYTER_IMAGE_SPEC", self.image)
        env.setdefault("JUPYTER_IMAGE", self.image)
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
        """``{host_location: {"bind": container_location, "mode": mode}}``, names formatted."""
        binds = spec.default_volume_binds(self.volumes, self.read_only_volumes)
        return {
            self._fmt(host): {"bind": self._fmt(target["bind"]), "mode": target["mode"]}
            for host, target in binds.items()
        }

    @property
    def mount_binds(self) -> list[Mount]:
        """The mounts setting as docker.types.Mount objects, names formatted."""
        result = []
        for mount in self.mounts:
            args = dict(mount)
            args["source"] = self._fmt(args.get("source", ""))
            args["target"] = self._fmt(args["target"])
            result.append(Mount(**args))
        return result

    def _fmt(self, template: str) -> str:
        return self.format_volume_name(template, self)

    async def _resource_value(self, name: str) -> Any:
        value = await self._resolve(getattr(self, name))
        if value is None:
            return None
        if name.startswith("mem"):  # a callable may return "2G"
            return ByteSpecification().validate(self, value)
        return float(value)

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
        binds = self.volume_binds if binds is None else binds
        names = [source for source in binds if not source.startswith("/")]
        names += [m["Source"] for m in self.mount_binds if m.get("Type") == "volume" and m.get("Source")]
        return list(dict.fromkeys(names))

    async def ensure_volumes(self, request: spec.ContainerRequest) -> None:
        """Create the server's named volumes with the spawner's labels (an existing volume is
        left as it is), so they can be found with docker volume ls --filter label=..."""
        for name in self.named_volumes(request.volume_binds):
            await self.docker("create_volume", name=name, labels=self.labels())

    async def container_request(self) -> spec.ContainerRequest:
        """Resolve everything the container spec needs (callables, templates, env)."""
        namespace = self.template_namespace()
        extra_create = spec.render_templates(await self._resolve(self.extra_create_kwargs) or {}, namespace)
        extra_host = spec.render_templates(await self._resolve(self.extra_host_config) or {}, namespace)
        mounts = list(self.mount_binds)
        binds = self.volume_binds
        if self.internal_ssl and self.cert_paths:
            binds[self._certs_volume()] = {"bind": _CERTS_DIR, "mode": "ro"}
        if self.no_new_privileges:
            options = list(extra_host.get("security_opt") or [])
            if "no-new-privileges" not in options and "no-new-privileges:true" not in options:
                options.append("no-new-privileges")
            extra_host = {**extra_host, "security_opt": options}
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
            links=dict(self.links),
            mem_limit=await self._resource_value("mem_limit"),
            mem_guarantee=await self._resource_value("mem_guarantee"),
            cpu_limit=await self._resource_value("cpu_limit"),
            cpu_guarantee=await self._resource_value("cpu_guarantee"),
            extra_create_kwargs=extra_create,
            extra_host_config=extra_host,
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
        or None to resume it.

        A stopped container is resumed only if remove is False and it still matches the current
        configuration (image, command, environment, limits, volumes, extra arguments);
        otherwise it is replaced (its named volumes are kept)."""
        if self.remove:
            return "remove is True"
        if info["Name"].lstrip("/") != self.object_name:
            return f"it is named {info['Name'].lstrip('/')}, not {self.object_name}"
        if info["State"].get("Running"):
            return None  # a running server (e.g. a hub restarted mid-spawn) is taken over as it is
        request = await self.container_request()
        labels = info["Config"].get("Labels") or {}
        config = info["Config"]
        changes = []
        if config.get("Image") != request.image:
            changes.append(f"image {config.get('Image')} -> {request.image}")
        if request.command is not None and list(config.get("Cmd") or []) != list(request.command):
            changes.append("command")
        host = info.get("HostConfig") or {}
        if (host.get("Memory") or None) != (request.mem_limit or None):
            changes.append("mem_limit")
        if request.cpu_limit and not host.get("CpuQuota") or (host.get("CpuQuota") and not request.cpu_limit):
            changes.append("cpu_limit")
        stored = labels.get(spec.LABEL_CONFIG)
        if not changes and stored and stored != spec.config_fingerprint(request):
            changes.append("environment, volumes or extra arguments")
        if changes:
            return "its configuration changed (" + ", ".join(changes) + ")"
        return None

    async def create_object(self) -> dict:
        """Create the container; returns the create answer (with its Id)."""
        request = await self.container_request()
        kwargs = spec.build_create_kwargs(request, self.client.api_version)
        await self.ensure_volumes(request)
        self.log.debug("Creating container %s for %s: %s", request.name, self._log_name,
                       json.dumps(spec.redacted(kwargs), default=str, sort_keys=True))
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

    async def post_start_exec(self) -> None:
        """Run post_start_cmd in the started container and log what it printed."""
        exec_info = await self.docker("exec_create", self.object_id, self.post_start_cmd)
        output = await self.docker("exec_start", exec_info["Id"])
        result = await self.docker("exec_inspect", exec_info["Id"])
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        code = result.get("ExitCode")
        if code:
            self.log.warning("post_start_cmd %r for %s exited with %s: %s", self.post_start_cmd,
                             self._log_name, code, text.strip())
        else:
            self.log.info("post_start_cmd %r for %s: %s", self.post_start_cmd, self._log_name, text.strip())

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
        ip = chosen["HostIp"]
        if ip in ("0.0.0.0", "::", ""):
            ip = self.host_ip if self.host_ip not in ("0.0.0.0", "") else "127.0.0.1"
        return ip, int(chosen["HostPort"])

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
        """poll()'s answer straight from the daemon (used while a spawn is pending)."""
        info = await self.get_object()
        if info is None:
            return 0
        if not info["State"].get("Running"):
            return await self.exit_report(info)
        return None

    async def exit_report(self, info: dict, lines: int = 5) -> str:
        """"Your server exited with code N: <its last log lines>" for a stopped container."""
        state = info["State"]
        code = state.get("ExitCode")
        why = " (killed: out of memory)" if state.get("OOMKilled") else ""
        try:
            raw = await self.docker("logs", info["Id"], tail=lines)
            tail = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()
        except DockerException:
            tail = ""
        message = f"Your server's container exited during startup with code {code}{why}"
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
        """Stage the certificate files into the per-user certs volume; return their paths there."""
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
        self._reset_progress()
        try:
            return await self._start(image, extra_create_kwargs, extra_host_config)
        finally:
            self._progress_done = True
            self._wake_progress()  # so progress() can finish

    async def _start(self, image: str | None, extra_create_kwargs: Any,
                     extra_host_config: Any) -> tuple[str, int]:
        if image:
            self.image = image
        await self._apply_image_option()
        if extra_create_kwargs:
            self.extra_create_kwargs = spec.deep_merge(
                await self._resolve(self.extra_create_kwargs) or {}, extra_create_kwargs)
        if extra_host_config:
            self.extra_host_config = spec.deep_merge(
                await self._resolve(self.extra_host_config) or {}, extra_host_config)
        try:
            await self.pull_image(self.image)
            existing = await self.get_object()
            reason = await self.replacement_reason(existing) if existing is not None else None
            if reason is not None:
                self.object_id = existing[self.object_id_key]
                self.log.info("Replacing %s %s for %s: %s (named volumes are kept)", self.object_type,
                              self.object_name, self._log_name, reason)
                await self.remove_object()
                existing = None
            if existing is None:
                self.report_progress(PROGRESS_CREATE, f"Creating {self.object_type} {self.object_name}")
                created = await self.create_object()
                self.object_id = created[self.object_id_key]
                self.log.info("Created %s %s (id %s) from image %s", self.object_type, self.object_name,
                              self.object_id[:7], self.image)
            else:
                self.object_id = existing[self.object_id_key]
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
        except web.HTTPError:
            raise
        except (RequestsConnectionError, DockerException) as err:
            tls_error = _tls_failure(err)
            if tls_error is not None:
                self.log.error("TLS handshake with the Docker daemon at %s failed while starting %s: %s",
                               self.daemon_address, self._log_name, tls_error)
                raise web.HTTPError(
                    503, f"TLS handshake with the Docker daemon at {self.daemon_address} failed: {tls_error}"
                ) from None
            if _daemon_unreachable(err):
                self.log.error("Docker daemon at %s unreachable while starting %s: %s", self.daemon_address,
                               self._log_name, err)
                raise web.HTTPError(
                    503, f"The Docker daemon ({self.daemon_address}) is not reachable; try again later."
                ) from None
            message = getattr(err, "explanation", None) or str(err)
            self.log.error("Docker failed to start %s: %s", self._log_name, message)
            raise web.HTTPError(500, f"Docker could not start your server: {message}") from None

    async def poll(self) -> Any:
        """None while the server runs; its status once it stopped; 0 when it is gone.

        Answered from the shared monitor (no Docker call of its own, except to find an object
        whose id the state lost)."""
        try:
            if not self.object_id:
                info = await self.get_object()
                if info is None:
                    return 0
                self.object_id = info[self.object_id_key]
            if self._spawn_pending:
                # while starting, JupyterHub polls to see whether the server died: ask the
                # daemon itself, a snapshot may predate the start
                return await self.fresh_status()
            state = await self.monitor.state_of(self.object_id)
        except (RequestsConnectionError, DockerException) as err:
            if not _daemon_unreachable(err):
                raise
            self.log.warning("Docker daemon at %s unreachable polling %s: %s", self.daemon_address,
                             self._log_name, err)
            return None
        if state.running:
            return None
        if state.state == GONE:
            self.log.warning("%s %s is gone", self.object_type.capitalize(), self.object_name)
            return 0
        return f"{self.object_type} {state.state}: {state.detail}".strip()

    async def delete_forever(self) -> None:
        """The user or named server is deleted from JupyterHub (JupyterHub >= 5).

        With remove_volumes_on_delete, remove the named volumes this server used and its
        certificates volume, except volumes another of the user's servers still uses."""
        if not self.remove_volumes_on_delete:
            return
        info = await self.get_object()
        if info is not None:  # a stopped container kept for resuming goes with its server
            self.object_id = info[self.object_id_key]
            await self.remove_object()
            self.object_id = None
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
        try:
            self.orm_spawner = _ServerNameOnly(server_name, original)
            return self.named_volumes() + [self._certs_volume()]
        finally:
            self.orm_spawner = original

    async def stop(self, now: bool = False) -> None:
        """Stop the container; remove it too when remove is True."""
        if not self.object_id:
            info = await self.get_object()
            if info is None:
                return
            self.object_id = info[self.object_id_key]
        self.log.info("Stopping %s %s (id %s)", self.object_type, self.object_name, self.object_id[:7])
        try:
            await self.stop_object(now=now)
        except NotFound:
            self.log.info("Container %s was already gone", self.object_name)
            self.monitor.forget(self.object_id)
            self.object_id = None
            return
        self.monitor.note(self.object_id, ObjectState("exited", "stopped by the hub"))
        if self.remove:
            await self.remove_object()
            self.monitor.forget(self.object_id)
            self.object_id = None


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


def _tls_failure(err: BaseException | None) -> str | None:
    """The reason, when ``err`` comes from a failed TLS handshake with the daemon."""
    while err is not None:
        if isinstance(err, ssl.SSLError):
            return getattr(err, "reason", None) or str(err)
        if isinstance(err, RequestsSSLError):
            inner = err.args[0] if err.args else err
            reason = _tls_failure(inner.__cause__ or getattr(inner, "reason", None)) if inner is not err else None
            return reason or str(err)
        err = err.__cause__ or err.__context__
    return None


def _daemon_unreachable(err: BaseException) -> bool:
    """Whether ``err`` means the daemon could not be reached at all (socket gone, connection
    refused), as opposed to an answer from it."""
    while err is not None:
        if isinstance(err, RequestsConnectionError):
            return True
        if isinstance(err, DockerException) and "Error while fetching server API version" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


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


_CERTS_DIR = "/etc/jupyterhub/ssl"

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
