"""Resolving what one server's container is made of: its names (escaping, templates, the name
it already has), its environment, command, volumes and mounts, labels and limits, gathered into
the :class:`~dockerspawner.spec.ContainerRequest` the pure builders turn into Docker's
arguments.  Reads the configuration and the image; creates nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from docker.types import DriverConfig, Mount

from . import errors, ownership, spec
from .certs import CERTS_DIR
from .config import CALLABLE_LIMITS
from .gpus import LABEL_GPUS
from .naming import default_name_template, image_name_for_template, shortened
from .step import SpawnerStep


def alias(name: str) -> property:
    """Another name of the attribute ``name`` (the reference's container_* / service_* names)."""
    return property(lambda self: getattr(self, name), lambda self, value: setattr(self, name, value),
                    doc=f"Alias for {name}.")


class ServerResolution(SpawnerStep):
    """DockerSpawner's resolve step (a mixin)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        user: Any
        orm_spawner: Any
        port: int
        internal_ssl: bool
        escape: Any
        format_volume_name: Any
        image: str
        prefix: str
        name_template: str
        cmd: Any
        volumes: dict[str, Any]
        read_only_volumes: dict[str, Any]
        mounts: list[Any]
        certs_volume_name: str
        extra_labels: dict[str, Any]
        extra_create_kwargs: Any
        extra_host_config: Any
        network_name: str
        extra_networks: list[str]
        use_internal_ip: bool
        host_ip: str
        links: dict[str, Any]
        no_new_privileges: bool
        stop_grace_period: int | None
        _pinned_object_name: str | None
        _naming_server_name: str | None

        def get_args(self) -> list[str]: ...
        def recorded_volume_name(self, template: str) -> str | None: ...
        def record_volume_name(self, template: str, name: str) -> None: ...
        def other_servers(self, volumes: bool = False) -> ownership.OtherServers: ...
        def _checked_limit(self, name: str, value: Any) -> Any: ...
        async def resolve_limits(self) -> None: ...
        async def evaluate_setting(self, value: Any) -> Any: ...
        def gpu_request_fields(self) -> dict[str, Any]: ...

    @property
    def escaped_name(self) -> str:
        """The user name escaped so it is safe for docker objects."""
        return self.escape(self.user.name)

    def _escape(self, text: str) -> str:
        return self.escape(text)

    @property
    def _server_name(self) -> str:
        return getattr(self, "name", "") or ""

    #: while set, names render as for this server name of the user (see ServerObjects.named_as)
    _rendering_server_name: str | None = None

    @property
    def _names_server_name(self) -> str:
        """The server name in object names: another server's while rendering for it, else the
        one an earlier version kept a renamed server's names after, else its own."""
        if self._rendering_server_name is not None:
            return self._rendering_server_name
        return self._naming_server_name if self._naming_server_name is not None else self._server_name

    def template_namespace(self) -> dict[str, Any]:
        """The namespace for name_template, volume names, notebook_dir, default_url, extra kwargs.

        ``{servername}`` is the server name lowercased and escaped, as in the reference (so a
        deployment's existing containers and volumes keep their names)."""
        namespace = super().template_namespace()  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
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
        return self.rendered_object_name(self._names_server_name)

    #: the longest name the daemon takes for this kind of object (None: no limit that matters)
    object_name_limit: int | None = None

    def rendered_object_name(self, server_name: str) -> str:
        """name_template rendered for ``server_name``; a name longer than the daemon takes is
        shortened with a hash of the whole (names the daemon takes stay as rendered)."""
        template = self.name_template or default_name_template(server_name)
        return shortened(self.render_name("name_template", template), self.object_name_limit)

    container_name = alias("object_name")
    container_id = alias("object_id")

    @property
    def internal_hostname(self) -> str:
        """The hostname the container has on docker networks (used with internal SSL)."""
        return self.object_name

    def get_env(self) -> dict[str, str]:
        env = super().get_env()  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
        # Spawner.environment keeps the last word, as JupyterHub documents
        env.setdefault("JUPYTER_IMAGE_SPEC", self.image)
        return env

    async def get_command(self, image_info: dict | None = None) -> list[str] | None:
        """The full command (cmd + args); the image's CMD when cmd is None (from
        ``image_info``, the image's inspect this spawn already has, else asked for)."""
        if self.cmd:
            cmd = list(self.cmd)
        else:
            info = image_info if image_info is not None else await self.docker("inspect_image", self.image)
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
        binds = spec.volume_binds(self.volumes, "rw", lambda t: self.volume_name(t, "volumes"))
        read_only: dict[str, Any] = {}
        if self.internal_ssl:
            read_only[self.certs_volume_name] = CERTS_DIR
        read_only.update(self.read_only_volumes)
        binds.update(spec.volume_binds(read_only, "ro", lambda t: self.volume_name(t, "read_only_volumes")))
        return binds

    @property
    def mount_binds(self) -> list[Mount]:
        """The mounts setting as docker.types.Mount objects, names formatted."""
        result = []
        for mount in self.mounts:
            args = dict(mount)
            args["source"] = self.volume_name(args.get("source", ""), "mounts")
            args["target"] = self.format_volume_template(args["target"], "mounts")
            driver = args.get("driver_config")
            if isinstance(driver, Mapping) and not isinstance(driver, DriverConfig):
                # {"name": ..., "options": ...} as written in a config: the daemon reads it
                # case-insensitively; the canonical form is what the volume is created from
                fields = {str(k).lower(): v for k, v in driver.items()}
                # a missing name stays None, as docker-py takes it (its stubs say str)
                args["driver_config"] = DriverConfig(fields.get("name"), fields.get("options"))  # type: ignore[arg-type]
            result.append(Mount(**args))
        return result

    def volume_name(self, template: str, setting: str = "volumes") -> str:
        """The volume (or host path) a volume template gives this server: the name its state
        records for the template, else the template rendered — or, where that name is a volume
        another of the user's servers owns (a template with the server name, rendered for a new
        server after a rename), a name of its own (see :mod:`dockerspawner.ownership`).  A
        volume's name is recorded, so the server keeps it whatever happens to its name."""
        recorded = self.recorded_volume_name(template)
        if recorded is not None:
            return recorded
        rendered = self.format_volume_template(template, setting)
        if not rendered or rendered.startswith("/"):
            return rendered  # a host path (or an empty source): nothing to own
        name = rendered
        if ownership.uses_server_name(template):
            owner = self.other_servers(volumes=True).volume_names.get(rendered)
            if owner is not None:
                name = ownership.own_name(rendered, user=self.user.name, server=self._server_name,
                                          server_id=getattr(self.orm_spawner, "id", None))
                self.log.info("Volume %s belongs to server %r of %s: %s mounts volume %s instead", rendered,
                              owner, self.user.name, self._log_name, name)
        self.record_volume_name(template, name)
        return name

    def _volume_templates(self) -> list[str]:
        """The templates of every named volume this server may mount."""
        templates = [str(t) for t in [*self.volumes, *self.read_only_volumes] if not str(t).startswith("/")]
        templates += [str(m.get("source")) for m in self.mounts if m.get("source") and m.get("type", "volume") == "volume"]
        if self.internal_ssl:
            templates.append(self.certs_volume_name)
        return templates

    def format_volume_template(self, template: str, setting: str = "volumes") -> str:
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

    async def container_request(self, image_info: dict | None = None) -> spec.ContainerRequest:
        """Resolve everything the container spec needs (callables, templates, env): once per
        spawn, in ``_start``.  ``image_info``: the image's inspect, if the spawn has it."""
        if any(callable(getattr(self, name)) for name in CALLABLE_LIMITS):
            await self.resolve_limits()
        namespace = self.template_namespace()
        extra_create = spec.render_templates(await self.evaluate_setting(self.extra_create_kwargs) or {}, namespace)
        extra_host = spec.render_templates(await self.evaluate_setting(self.extra_host_config) or {}, namespace)
        mounts = list(self.mount_binds)
        binds = self.volume_binds
        network_mode = extra_host.get("network_mode", self.network_name)
        publish = None if (self.use_internal_ip or network_mode == "host") else self.host_ip
        gpu_fields = self.gpu_request_fields()
        labels = self.labels()
        if gpu_fields["gpu_label"]:
            labels[LABEL_GPUS] = gpu_fields["gpu_label"]
        return spec.ContainerRequest(
            image=self.image,
            name=self.object_name,
            port=self.port,
            command=await self.get_command(image_info),
            environment=self.get_env(),
            labels=labels,
            network_name=self.network_name,
            extra_networks=tuple(self.extra_networks),
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
            device_requests=gpu_fields["device_requests"],
        )
