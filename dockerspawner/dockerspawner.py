"""DockerSpawner: each user's server in its own Docker container.

The story of one spawn, in the order start() tells it: resolve (the image a user may pick, the
limits, the names and everything else the container is made of: :mod:`.images`,
:mod:`.config`, :mod:`.resolve`), build (pure: :mod:`.spec`), act (a few calls on the client
protocol: pull, create or find, start, address, wait).  poll() answers from the shared monitor,
stop() stops (and with remove, removes), and Docker's failures become user errors in one place
(:mod:`.errors`).

The steps deployments override keep the reference's names (create_object, start_object,
stop_object, remove_object, get_object, get_command, get_env, get_ip_and_port, pull_image,
post_start_exec, check_allowed, template_namespace, move_certs); SwarmSpawner and
SystemUserSpawner override a few of them.
"""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import Future
from typing import Any

from docker.errors import APIError, DockerException, NotFound
from jupyterhub.spawner import Spawner
from jupyterhub.utils import url_path_join
from requests.exceptions import ConnectionError as RequestsConnectionError
from tornado import web

from . import created_container, errors, spec
from .certs import CertificateStaging
from .cleanup import VolumeCleanup
from .client import DockerAccess, published_host, remote_daemon_host
from .config import DockerSpawnerConfig
from .deprecations import add_renamed_methods
from .gpu_choice import GpuAssignment
from .images import ImageChoice
from .monitor import RUNNING_STATE, ObjectState
from .post_start import run_post_start
from .profile_choice import ProfileChoice
from .progress import (
    PROGRESS_CREATE,
    PROGRESS_POST_START,
    PROGRESS_START,
    PROGRESS_WAIT,
    ProgressReporting,
)
from .readiness import wait_until_answering
from .redaction import redact_text, redacted_create_kwargs
from .replacement import replacement_reasons
from .resolve import ServerResolution
from .server_objects import ServerObjects
from .status import ServerStatus
from .views import ContainerView


class DockerSpawner(ServerStatus, ServerObjects, ServerResolution, ProfileChoice, GpuAssignment, ImageChoice,
                    CertificateStaging, ProgressReporting, VolumeCleanup, DockerAccess, DockerSpawnerConfig,
                    Spawner):
    """A Spawner for JupyterHub that runs each user's server in a separate docker container."""

    # where the object's id lives in the create answer / state
    object_type = "container"
    object_id_key = "Id"
    #: how the shared monitor lists and inspects this spawner's objects
    monitor_view = ContainerView

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._starting = False
        #: poll()'s answer for a server that ended on its own (its objects may be gone already)
        self._ended_status: Any = None
        super().__init__(*args, **kwargs)

    # ==========================================================================================
    # state (the object's id and name, the volumes' names: server_objects)

    def clear_state(self) -> None:
        """JupyterHub calls this after every stop and before every start: a container kept for
        resuming keeps its id and name (the volumes' names are always kept); the progress of
        the last spawn is forgotten."""
        super().clear_state()
        if self.remove:
            self._forget_object()
        self._ended_status = None
        self._options_applied = False
        self.progress_log.reset()

    @property
    def will_resume(self) -> bool:
        """A stopped container is resumed on the next start unless remove is True."""
        return not self.remove

    # ==========================================================================================
    # lifecycle steps

    async def ensure_volumes(self, request: spec.ContainerRequest) -> None:
        """Create the server's named volumes with the spawner's labels (an existing volume is
        left as it is), so they can be found with docker volume ls --filter label=...; a mount
        with a driver_config gets a volume of that driver and options (e.g. NFS through the
        local driver), as Docker would make it."""
        for name, args in self._volumes_to_create(request.volume_binds, request.mounts).items():
            await self.docker("create_volume", name=name, labels=self.labels(), **args)

    def _adopt_api_token(self, info: dict) -> None:
        """A resumed container keeps the environment it was created with: use its API token
        (JupyterHub then discards the one it made for this spawn)."""
        for entry in info.get("Config", {}).get("Env") or []:
            key, _, value = entry.partition("=")
            if key in ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN") and value:
                self.api_token = value
                return

    async def replacement_reason(self, info: dict, request: spec.ContainerRequest | None = None) -> str | None:
        """Why an existing object (its inspect dict) must be replaced rather than started again,
        or None to resume it (see the remove option and :mod:`dockerspawner.replacement`).
        ``request``: the spawn's, resolved once (resolved here when not given)."""
        if self.remove:
            return "remove is True"
        if info["State"].get("Running"):
            return None  # a running server (e.g. a hub restarted mid-spawn) is taken over as it is
        changed = replacement_reasons(info, request if request is not None else await self.container_request())
        if changed:
            return "the configuration changed (" + ", ".join(changed) + ")"
        return None

    async def create_object(self, request: spec.ContainerRequest | None = None) -> dict:
        """Create the container from the spawn's request (resolved here when not given);
        returns the create answer (with its Id)."""
        if request is None:
            request = await self.container_request()
        api_version = (await self.docker_client()).api_version
        kwargs = spec.build_create_kwargs(request, api_version)
        await self.ensure_volumes(request)
        await created_container.check_networks(self.docker, request.extra_networks, self.daemon_address)
        self.log.debug("Creating container %s for %s: %s", request.name, self._log_name,
                       json.dumps(redacted_create_kwargs(kwargs), default=str, sort_keys=True))
        created = await self.docker("create_container", **kwargs)
        await created_container.complete(self.docker, created["Id"], host_config=kwargs.get("host_config") or {},
                                         networks=spec.networks_after_create(request, api_version),
                                         engine=self.daemon_address)
        return created

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
        """Run post_start_cmd in the started container and log what it printed (see
        :mod:`dockerspawner.post_start`)."""
        assert self.object_id is not None  # the container started just now
        await run_post_start(self.docker, self.object_id, self.post_start_cmd, name=self.object_name,
                             log=self.log, redact=self._redact)

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
                raise errors.spawn_failure(500, f"Container {self.object_name} disappeared while starting",
                                           reason=errors.REASON_EXITED)
            networks = info["NetworkSettings"].get("Networks") or {}
            endpoint = networks.get(self.network_name) or {}
            ip = endpoint.get("IPAddress") or info["NetworkSettings"].get("IPAddress")
            if not ip:
                raise errors.spawn_failure(500, f"Container {self.object_name} has no address on network "
                                                f"{self.network_name!r}; is the network there (docker network ls)?",
                                           reason=errors.REASON_CONFIG)
            return ip, self.port
        bindings = await self.docker("port", self.object_id, self.port)
        if isinstance(bindings, dict):
            bindings = [bindings]
        if not bindings:
            info = await self.get_object()
            if info is not None and not info["State"].get("Running"):
                raise errors.exited_failure(await self.exit_report(info))
            raise errors.spawn_failure(500, f"Port {self.port} of container {self.object_name} is not published",
                                       reason=errors.REASON_CONFIG)
        chosen = next((b for b in bindings if ":" not in b["HostIp"]), bindings[0])
        daemon_host = remote_daemon_host(self.client_kwargs, os.environ)
        return published_host(chosen["HostIp"], daemon_host, self.host_ip), int(chosen["HostPort"])

    async def wait_for_server(self, ip: str, port: int) -> None:
        """Return once the server answers HTTP at (ip, port), its container has exited (an error
        naming the exit code and its last log lines), or http_timeout has passed (JupyterHub
        then decides).  Not with internal SSL: the hub's own check speaks TLS."""
        if not self.wait_for_server_interval or self.internal_ssl:
            return
        path = url_path_join(self.server.base_url if self.server else "/", "api")
        await wait_until_answering(ip, port, path, timeout=self.http_timeout,
                                   interval=self.wait_for_server_interval, status=self.fresh_status)

    # ==========================================================================================
    # user options

    #: whether this spawn's user options were applied (in JupyterHub's apply_user_options step)
    _options_applied = False

    async def apply_options(self) -> set[str]:
        """Apply the user's choices: their profile and its options (with profile_list), else the
        image option.  HTTP 400 for a choice not offered.  The user_options keys it used."""
        selection = await self.apply_profile()
        if selection is not None:
            return set(selection.user_options)  # with profiles, an image comes only through them
        await self._apply_image_option()
        return {"image"} if isinstance(self.user_options, dict) and "image" in self.user_options else set()

    async def _run_apply_user_options(self, user_options: dict) -> None:
        """JupyterHub >= 5.3 applies user options in a step of its own, before pre_spawn_hook:
        ours (profile, image, the GPUs a profile gives) are applied there, then the admin's own
        ``apply_user_options`` hook, which a callable gets all of them, a dict the keys it names
        and the ones we did not use.  Options nobody used are still reported by JupyterHub."""
        try:
            handled = await self.apply_options()
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        self._options_applied = True
        options = dict(user_options or {})
        hook = self.apply_user_options
        if not callable(hook):
            named = set(hook) if isinstance(hook, dict) else set()
            options = {key: value for key, value in options.items() if key not in handled or key in named}
        await super()._run_apply_user_options(options)

    # ==========================================================================================
    # the JupyterHub spawner API

    async def start(self, image: str | None = None, extra_create_kwargs: Any = None,
                    extra_host_config: Any = None) -> tuple[str, int]:
        """Start the server's container, creating (or, with remove, recreating) it as needed."""
        self.progress_log.claim(self._spawn_owner())
        self._starting = True
        self._creating = False
        self.calls_in_flight = set()
        try:
            return await self._start(image, extra_create_kwargs, extra_host_config)
        except asyncio.CancelledError:
            # JupyterHub cancels a pending spawn the user stopped, then calls poll() and stop():
            # both wait until what this spawn left running in threads has finished and what it
            # made is gone (see _discard_cancelled_spawn)
            self._discarding = asyncio.ensure_future(
                self._discard_cancelled_spawn(self.calls_in_flight, created=self._creating))
            raise
        except web.HTTPError:
            raise
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        except Exception as err:
            if not errors.is_docker_failure(err):
                raise
            if not self.object_id and errors.daemon_answered(err):
                # refused before this server had an object: nothing of it exists, and the poll
                # JupyterHub makes to clean up need not ask the daemon, which may refuse again
                self._ended_status = 0
            raise errors.user_error(err, action="start", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None
        finally:
            self._starting = False
            self._creating = False
            self.calls_in_flight = None
            self._options_applied = False
            self.release_gpu_reservation()
            self.progress_log.finish()  # so progress() can finish

    async def _start(self, image: str | None, extra_create_kwargs: Any,
                     extra_host_config: Any) -> tuple[str, int]:
        if self._previous_exit:
            self.report_progress(None, f"Your previous server stopped on its own: {self._previous_exit}")
            self._previous_exit = None
        if image:
            self.image = image
        if not self._options_applied:  # JupyterHub < 5.3, or start() called on its own
            await self.apply_options()
        await self.resolve_limits()
        if extra_create_kwargs:
            self.extra_create_kwargs = spec.deep_merge(
                await self.evaluate_setting(self.extra_create_kwargs) or {}, extra_create_kwargs)
        if extra_host_config:
            self.extra_host_config = spec.deep_merge(
                await self.evaluate_setting(self.extra_host_config) or {}, extra_host_config)
        await self.check_settings()
        image_info = await self.pull_image(self.image)
        await self.claim_object_name()
        existing = await self.get_object()
        await self.assign_gpus(existing)  # before the request, which carries them
        # the spawn's request, resolved once (callable settings, templates): what is checked,
        # compared with a kept container and created is one value
        request = await self.container_request(image_info)
        await self.check_request(request)
        reason = await self.replacement_reason(existing, request) if existing is not None else None
        if existing is not None and reason is not None:
            self.object_id = existing[self.object_id_key]
            self.log.info("Replacing %s %s for %s: %s (named volumes are kept)", self.object_type,
                          self.object_name, self._log_name, reason)
            await self.remove_object()
            self.monitor.forget(self.object_id)
            self._forget_object()
            existing = None
        if existing is None:
            self.report_progress(PROGRESS_CREATE, f"Creating {self.object_type} {self.object_name}")
            self._creating = True  # from here on, what has this server's name was made by this spawn
            created = await self.create_object(request)
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
        self.monitor.note(self.object_id, RUNNING_STATE)
        if self.post_start_cmd:
            self.report_progress(PROGRESS_POST_START, "Running the post-start command")
            await self.post_start_exec()
        address = await self.get_ip_and_port()
        self.report_progress(PROGRESS_WAIT, "Waiting for the server to answer")
        await self.wait_for_server(*address)
        return address

    async def check_settings(self) -> None:
        """Refuse, before anything is pulled or created, settings this spawner cannot honour
        (a subclass's hook; DockerSpawner honours all of its own)."""

    async def check_request(self, request: spec.ContainerRequest) -> None:
        """Refuse, before anything is created, a resolved request this spawner cannot honour
        (a subclass's hook; DockerSpawner honours every request)."""

    #: whether the running spawn has begun to create the server's object (a cancel removes it)
    _creating = False
    #: the clean-up of a cancelled spawn, while it runs (poll() and stop() wait for it)
    _discarding: asyncio.Future | None = None

    async def _discard_cancelled_spawn(self, calls: set[Future] | None, *, created: bool) -> None:
        """A spawn was cancelled (the user stopped it while pending).  Wait for the Docker calls
        it left running in their threads (a create or start the cancel could not stop), then
        remove the container or service it created; a kept one it was resuming stays, for
        JupyterHub's stop()."""
        try:
            running = [asyncio.wrap_future(call) for call in list(calls or ()) if not call.done()]
            if running:
                await asyncio.wait(running)
            if not created:
                return
            info = await self.get_object()
            if info is None:
                return
            self.object_id = info[self.object_id_key]
            await self.remove_object()
            self.monitor.forget(self.object_id)
            self.log.info("Removed %s %s: the spawn of %s that made it was cancelled", self.object_type,
                          self.object_name, self._log_name)
            self._forget_object()
        except (RequestsConnectionError, DockerException, errors.ConfigProblem) as err:
            self.log.warning("Could not remove what the cancelled spawn of %s made: %s", self._log_name, err)
        finally:
            self._discarding = None

    async def _after_discard(self) -> None:
        """Wait for a cancelled spawn's clean-up, if one is running."""
        discarding = self._discarding
        if discarding is not None:
            await asyncio.shield(discarding)

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

    async def stop(self, now: bool = False) -> None:
        """Stop the container; remove it too when remove is True.

        With the daemon unreachable, one log line says so and stop() returns: JupyterHub gives
        the server up whatever stop() raises (and logs a traceback when it raises), and the
        next start finds the container by its name, running or not."""
        try:
            await self._stop(now)
        except (RequestsConnectionError, DockerException) as err:
            failure = errors.user_error(err, action="stop", daemon=self.daemon_address, log=self.log,
                                        log_name=self._log_name)
            if not errors.daemon_unreachable(err):
                raise failure from None
        finally:
            self.progress_log.reset()

    async def _lookup_by_name(self) -> dict | None:
        """get_object() for a spawner that has no object id: None as well when the name cannot
        be rendered (then nothing can have been created under it)."""
        try:
            return await self.get_object()
        except errors.ConfigProblem:
            return None

    async def _stop(self, now: bool) -> None:
        await self._after_discard()
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


add_renamed_methods(DockerSpawner)


__all__ = ["DockerSpawner"]
