"""The reference's deprecated names: options renamed long ago (forwarded to their new name),
options it ignores (the ``tls*`` family, ``use_docker_client_env``, ``hub_ip_connect``) and the
renamed method ``check_image_whitelist``.  Each warns in the reference's words, so an admin
switching implementations sees the same log lines."""

from __future__ import annotations

import warnings
from logging import Logger
from typing import TYPE_CHECKING, Any, ClassVar

from jupyterhub.traitlets import Callable
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, HasTraits, Int, List, Unicode, Union

from .images import DEFAULT_IMAGE

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


class DeprecatedOptions(HasTraits):
    """The deprecated options of DockerSpawner, and what setting one does (traits only: the
    spawner classes, which derive from JupyterHub's Spawner, are the configurable ones, so
    these are set as c.DockerSpawner.<name>)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        log: Logger

    # replaced by tls_config (ignored, as in the reference)
    tls = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_verify = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_ca = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_cert = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_key = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    tls_assert_hostname = AnyTrait(None, allow_none=True, config=True, help="Deprecated, use DockerSpawner.tls_config dict to set any TLS options.")
    use_docker_client_env = Bool(True, config=True, help="Deprecated. Docker env variables are always used if present.")
    hub_ip_connect = Unicode("", config=True, help="DEPRECATED since JupyterHub 0.8. Use c.JupyterHub.hub_connect_ip.")
    container_image = Unicode(DEFAULT_IMAGE, config=True,
                              help="Deprecated, use DockerSpawner.image.")
    image_whitelist = Union([Dict(), List(), Callable()], config=True,
                            help="Deprecated, use DockerSpawner.allowed_images.")
    container_prefix = Unicode("", config=True, help="Deprecated, use DockerSpawner.prefix.")
    container_name_template = Unicode("", config=True, help="Deprecated, use DockerSpawner.name_template.")
    remove_containers = Bool(False, config=True, help="Deprecated, use DockerSpawner.remove.")
    container_ip = Unicode("127.0.0.1", config=True, help="Deprecated, use DockerSpawner.host_ip")
    container_port = Int(8888, min=1, max=65535, config=True, help="Deprecated, use DockerSpawner.port.")

    #: trait name -> the method called with its change.  Class-level, in place of @observe:
    #: traitlets registers each observer on every object, a dict and a list per trait name,
    #: which made a third of a spawner object's memory (a hub holds one per server).  A
    #: subclass names only its own hooks: ``__init_subclass__`` keeps every class's, so none
    #: can drop another's (the deprecation forwarding here among them).
    _change_hooks: ClassVar[dict[str, str]] = {
        **dict.fromkeys(_RENAMED_OPTIONS, "_forward_renamed"),
        **dict.fromkeys(_IGNORED_TLS_OPTIONS, "_ignore_tls_option"),
        "use_docker_client_env": "_ignore_client_env_option",
        "hub_ip_connect": "_ignore_hub_ip_connect",
    }

    #: trait name -> every class's hook for it, base classes first (made by __init_subclass__)
    _all_change_hooks: ClassVar[dict[str, tuple[str, ...]]] = {
        name: (hook,) for name, hook in _change_hooks.items()}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        chains: dict[str, tuple[str, ...]] = {}
        for klass in reversed(cls.__mro__):
            for name, hook in vars(klass).get("_change_hooks", {}).items():
                if hook not in chains.get(name, ()):
                    chains[name] = chains.get(name, ()) + (hook,)
        cls._all_change_hooks = chains

    def notify_change(self, change: Any) -> None:
        super().notify_change(change)
        if change.type == "change":
            for hook in self._all_change_hooks.get(change.name, ()):
                getattr(self, hook)(change)

    def _forward_renamed(self, change: Any) -> None:
        new, version = _RENAMED_OPTIONS[change.name]
        if getattr(self, new) != change.new:  # the same value under both names needs no warning
            cls = type(self).__name__
            self.log.warning("%s.%s is deprecated in DockerSpawner %s, use %s.%s instead",
                             cls, change.name, version, cls, new)
            setattr(self, new, change.new)

    def _ignore_tls_option(self, change: Any) -> None:
        self.log.warning("%s config ignored, use %s.tls_config dict to set full TLS configuration.",
                         change.name, type(self).__name__)

    def _ignore_client_env_option(self, change: Any) -> None:
        self.log.warning("%s.use_docker_client_env is deprecated and ignored: Docker environment "
                         "variables are always used if defined.", type(self).__name__)

    def _ignore_hub_ip_connect(self, change: Any) -> None:
        self.log.warning("Ignoring %s.hub_ip_connect=%r, which has been deprecated since JupyterHub 0.8: "
                         "use c.JupyterHub.hub_connect_ip instead.", type(self).__name__, change.new)


def add_renamed_methods(cls: type) -> None:
    """Give ``cls`` each renamed method under its old name, warning when called."""
    for old_name, (new_name, version) in _RENAMED_METHODS.items():
        def renamed(self: Any, *args: Any, _old: str = old_name, _new: str = new_name,
                    _since: str = version, **kwargs: Any) -> Any:
            name = type(self).__name__
            warnings.warn(f"{name}.{_old} is deprecated in DockerSpawner {_since}. "
                          f"Please use {name}.{_new} instead.", DeprecationWarning, stacklevel=2)
            return getattr(self, _new)(*args, **kwargs)

        renamed.__name__ = old_name
        renamed.__doc__ = f"Deprecated alias of {new_name} (since DockerSpawner {version})."
        setattr(cls, old_name, renamed)
