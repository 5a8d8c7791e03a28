"""SystemUserSpawner: each user's server in a Docker container, as that user's system account.

The user's home directory on the host is bind-mounted at their home directory in the image,
the container starts there, and it runs as the user's uid:gid (or, with ``run_as_root``, as
root with ``NB_USER``/``NB_UID``/``NB_GID`` for images, such as the
jupyter/docker-stacks ones, that switch to the user themselves).

Everything else is DockerSpawner's lifecycle; this class only changes what the container
request holds (user, working directory, home bind, environment) and keeps the ids in the
spawner state.
"""

from __future__ import annotations

import dataclasses
import posixpath
import pwd
from typing import Any

from traitlets import Bool, Int, TraitError, Unicode, validate

from . import errors, spec
from .dockerspawner import DockerSpawner

#: characters that cannot appear in a user name used for a home directory path
#: ("/" leaves the parent directory, ":" breaks Docker's host:container:mode bind syntax)
_UNSAFE_NAME_CHARACTERS = frozenset("/:\0")

_ID_NAMES = ("user_id", "group_id")
_PROPAGATION_MODES = ("rprivate", "private", "rshared", "shared", "rslave", "slave")
#: the state key listing which ids came from the pwd lookup (forgotten after each stop, so the
#: next start looks them up again), as opposed to ids an authenticator put in the state
_FROM_PWD_KEY = "ids_from_pwd"


class SystemUserSpawner(DockerSpawner):
    """A DockerSpawner whose containers run as the users' system accounts, with their home
    directories mounted."""

    host_homedir_format_string = Unicode(
        "/home/{username}",
        allow_none=True,
        config=True,
        help="""Format string for the path to the user's home directory on the host.

        The format string should include a `username` variable, which will be formatted with
        the user's username (the real name, not escaped; a name that would leave the parent
        directory, e.g. one containing "/", is refused).

        If the string is empty or None, the user's home directory is looked up via the `pwd`
        database.""",
    )
    image_homedir_format_string = Unicode(
        "/home/{username}",
        config=True,
        help="""Format string for the path to the user's home directory inside the image.

        The format string should include a `username` variable, which will be formatted with
        the user's username.  The host home directory is mounted here (read-write), the
        container starts in it, and HOME points to it.""",
    )
    homedir_bind_propagation = Unicode(
        "",
        config=True,
        help="""Bind propagation of the home directory mount (rprivate, private, rshared,
        shared, rslave, slave); empty: Docker's default.""",
    )

    @validate("homedir_bind_propagation")
    def _validate_propagation(self, proposal: Any) -> str:
        if proposal.value and proposal.value not in _PROPAGATION_MODES:
            raise TraitError(f"SystemUserSpawner.homedir_bind_propagation must be one of "
                             f"{', '.join(_PROPAGATION_MODES)} or empty, got {proposal.value!r}")
        return proposal.value

    user_id = Int(
        -1,
        help="""If system users are being used, then we need to know their user id in order to
        mount the home directory.

        User IDs are looked up in two ways:

        - stored in the state dict (authenticator can write here)
        - lookup via pwd (when the server starts, if the state has none)""",
    )
    group_id = Int(
        -1,
        help="""If system users are being used, then we need to know their group id in order to
        mount the home directory with correct group permissions.

        Group IDs are looked up in two ways:

        - stored in the state dict (authenticator can write here)
        - lookup via pwd (when the server starts, if the state has none)""",
    )
    run_as_root = Bool(
        False,
        config=True,
        help="""Run the container as root.

        Relies on the image itself having handling of $NB_UID and $NB_GID options to switch
        (as the jupyter/docker-stacks images do).

        This was the default behavior prior to 0.12, but has become opt-in.  This enables
        images to nicely map usernames to userids inside the container.  When False (the
        default), the container runs as the user's uid:gid.""",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ids_from_pwd: set[str] = set()
        super().__init__(*args, **kwargs)

    # ==========================================================================================
    # the system account

    def _pwd_entry(self) -> pwd.struct_passwd:
        """The user's pwd entry; HTTP 403 naming the user when there is none."""
        try:
            return pwd.getpwnam(self.user.name)
        except KeyError:
            raise errors.spawn_failure(
                403,
                f"Cannot start a server for {self.user.name!r}: there is no system account "
                f"named {self.user.name!r} on the JupyterHub host (no pwd entry), and the "
                "spawner state holds no user_id/group_id for it.",
                reason=errors.REASON_ACCOUNT,
            ) from None

    def _check_name(self) -> str:
        """The raw user name, if it is safe as one path component; HTTP 400 otherwise."""
        name = self.user.name
        if name in ("", ".", "..") or any(c in _UNSAFE_NAME_CHARACTERS for c in name):
            raise errors.spawn_failure(
                400,
                f"The user name {name!r} cannot be used for a home directory path "
                "(it must not be empty, '.' or '..', nor contain '/', ':' or NUL).",
                reason=errors.REASON_ACCOUNT,
            )
        return name

    def _format_homedir(self, template: str, where: str) -> str:
        namespace = dict(self.template_namespace())
        namespace["username"] = self._check_name()
        path = template.format(**namespace)
        parts = path.split("/")
        if not posixpath.isabs(path) or ".." in parts:
            raise errors.spawn_failure(
                500,
                f"The {where} home directory {path!r} of {self.user.name!r} is not an absolute "
                "path without '..'; check the homedir format strings.",
                reason=errors.REASON_CONFIG,
            )
        return path

    @property
    def host_homedir(self) -> str:
        """Path to the volume containing the user's home directory on the host.

        Looked up from pwd if an empty format string or None has been specified."""
        if self.host_homedir_format_string:
            return self._format_homedir(self.host_homedir_format_string, "host")
        self._check_name()
        homedir = self._pwd_entry().pw_dir
        if not posixpath.isabs(homedir):
            raise errors.spawn_failure(500, f"The pwd home directory of {self.user.name!r} ({homedir!r}) is not absolute.",
                                       reason=errors.REASON_ACCOUNT)
        return homedir

    @property
    def homedir(self) -> str:
        """Path to the user's home directory in the docker image."""
        return self._format_homedir(self.image_homedir_format_string, "image")

    def _resolve_ids(self) -> tuple[int, int]:
        """user_id and group_id: from the state (or a hook that set them) when set, else from pwd."""
        missing = [name for name in _ID_NAMES if getattr(self, name) < 0]
        if missing:
            entry = self._pwd_entry()
            looked_up = {"user_id": entry.pw_uid, "group_id": entry.pw_gid}
            for name in missing:
                setattr(self, name, looked_up[name])
                self._ids_from_pwd.add(name)
        return self.user_id, self.group_id

    def _check_system_user(self) -> None:
        """Everything a spawn needs from the system account, or a clear HTTP error."""
        self._check_name()
        self._resolve_ids()
        _ = self.host_homedir, self.homedir

    # ==========================================================================================
    # the container

    @property
    def volume_binds(self) -> dict[str, dict[str, Any]]:
        """DockerSpawner's binds plus the host home directory at the image home, read-write
        (``{"bind": home, "ro": False}``, with homedir_bind_propagation when set)."""
        binds = super().volume_binds
        home: dict[str, Any] = {"bind": self.homedir, "ro": False}
        if self.homedir_bind_propagation:
            home["propagation"] = self.homedir_bind_propagation
        binds[self.host_homedir] = home
        return binds

    def get_env(self) -> dict[str, str]:
        """DockerSpawner's environment plus USER, HOME and the NB_* variables (which the
        Spawner.environment setting may override)."""
        env = super().get_env()
        uid, gid = self._resolve_ids()
        name = self.user.name
        ours = {
            "USER": name,  # deprecated, kept for images that read it
            "NB_USER": name,
            "USER_ID": str(uid),  # deprecated, kept for images that read it
            "NB_UID": str(uid),
            "NB_GID": str(gid),
            "HOME": self.homedir,
        }
        for key, value in ours.items():
            if key not in self.environment:
                env[key] = value
        return env

    async def container_request(self, image_info: dict | None = None) -> spec.ContainerRequest:
        """The user (uid:gid, or 0 with run_as_root) and working directory (the image home);
        extra_create_kwargs can still override both."""
        uid, gid = self._resolve_ids()
        request = await super().container_request(image_info)
        return dataclasses.replace(
            request,
            user="0" if self.run_as_root else f"{uid}:{gid}",
            working_dir=self.homedir,
        )

    async def start(self, image: str | None = None, extra_create_kwargs: Any = None,
                    extra_host_config: Any = None) -> tuple[str, int]:
        """Check the system account (before any pull), then start as DockerSpawner does."""
        self._check_system_user()
        return await super().start(image=image, extra_create_kwargs=extra_create_kwargs,
                                   extra_host_config=extra_host_config)

    # ==========================================================================================
    # state

    def load_state(self, state: dict) -> None:
        """Read ``user_id`` / ``group_id`` from the state (an authenticator may write them)."""
        super().load_state(state)
        from_pwd = set(state.get(_FROM_PWD_KEY) or ())
        for name in _ID_NAMES:
            if state.get(name) is not None:
                setattr(self, name, int(state[name]))
                if name in from_pwd:
                    self._ids_from_pwd.add(name)
                else:
                    self._ids_from_pwd.discard(name)

    def get_state(self) -> dict:
        state = super().get_state()
        if self.user_id >= 0:
            state["user_id"] = self.user_id
        if self.group_id >= 0:
            state["group_id"] = self.group_id
        from_pwd = sorted(name for name in self._ids_from_pwd if name in state)
        if from_pwd:
            state[_FROM_PWD_KEY] = from_pwd
        return state

    def clear_state(self) -> None:
        """After a stop: forget ids looked up in pwd (the next start looks again); ids that
        came from the state are kept."""
        super().clear_state()
        for name in self._ids_from_pwd:
            setattr(self, name, -1)
        self._ids_from_pwd.clear()


__all__ = ["SystemUserSpawner"]
