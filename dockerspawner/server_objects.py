"""What one server owns on the daemon, and how it is found again: its container (or service) by
the id kept in its state, else by its name, and the named volumes whose names its state records
(see :mod:`dockerspawner.ownership` for why names alone cannot say whose an object is).  The
state survives hub restarts and JupyterHub 6's renames; a rename moves the container to the new
server's name, the volumes keep theirs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from docker.errors import APIError, NotFound
from tornado import web

from . import errors, ownership
from .step import SpawnerStep

#: state keys
_PREVIOUS_EXIT_KEY = "previous_exit"
#: the server name an earlier version of this spawner kept a renamed server's names after
_LEGACY_NAMING_SERVER_KEY = "named_after_server"


class ServerObjects(SpawnerStep):
    """DockerSpawner's state and the lookup of the server's own objects (a mixin)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        user: Any
        orm_spawner: Any
        internal_ssl: bool
        object_type: str
        object_id_key: str
        object_name_limit: int | None

        @property
        def object_name(self) -> str: ...
        @property
        def _server_name(self) -> str: ...
        @property
        def _names_server_name(self) -> str: ...
        def rendered_object_name(self, server_name: str) -> str: ...
        def _volume_templates(self) -> list[str]: ...
        def format_volume_template(self, template: str, setting: str = "volumes") -> str: ...
        def named_volumes(self, binds: Mapping[str, Any] | None = None) -> list[str]: ...
        def _certs_volume(self) -> str: ...

    #: the id of the server's container (or service), kept in the state
    object_id: str | None = None
    #: the name of the object this server has (from the state, or since it was created, or a
    #: name of its own where the rendered one is another server's): found again under it even
    #: after prefix, name_template or escape change
    _pinned_object_name: str | None = None
    #: volume template -> the volume name this server mounts for it (kept in the state)
    _volume_names: dict[str, str] | None = None
    #: the server name the names of an earlier version's renamed server were rendered with
    _naming_server_name: str | None = None
    #: how the previous server of this spawner ended on its own (shown on the next spawn)
    _previous_exit: str | None = None

    # -- the object's kind (SwarmSpawner: services) ------------------------------------------
    #: the client method that inspects one object
    inspect_method = "inspect_container"

    def _labels_of(self, info: dict) -> dict[str, str]:
        return (info.get("Config") or {}).get("Labels") or {}

    def _name_of(self, info: dict) -> str:
        return info["Name"].lstrip("/")

    # -- state ---------------------------------------------------------------------------------
    def load_state(self, state: dict) -> None:
        super().load_state(state)  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
        self.object_id = state.get("object_id") or state.get("container_id") or None
        # the name the object was created with, so a change of prefix, name_template or escape
        # does not lose track of it
        self._pinned_object_name = (state.get("object_name") or None) if self.object_id else None
        recorded = state.get(ownership.STATE_VOLUME_NAMES)
        if isinstance(recorded, dict):
            self._volume_names = {str(k): str(v) for k, v in recorded.items()}
        if state.get(_LEGACY_NAMING_SERVER_KEY) is not None:
            self._naming_server_name = state[_LEGACY_NAMING_SERVER_KEY]
        self._previous_exit = state.get(_PREVIOUS_EXIT_KEY) or self._previous_exit

    def get_state(self) -> dict:
        state = super().get_state()  # type: ignore[misc]  # Spawner's, later in DockerSpawner's MRO
        if self.object_id:
            state["object_id"] = self.object_id
            state["object_name"] = self.object_name
        if self._volume_names:
            state[ownership.STATE_VOLUME_NAMES] = dict(self._volume_names)
        if self._naming_server_name is not None and not self._volume_names:
            state[_LEGACY_NAMING_SERVER_KEY] = self._naming_server_name
        if self._previous_exit:
            state[_PREVIOUS_EXIT_KEY] = self._previous_exit
        return state

    def _forget_object(self) -> None:
        self.object_id = None
        self._pinned_object_name = None

    def record_volume_name(self, template: str, name: str) -> None:
        if (self._volume_names or {}).get(template) != name:
            self._volume_names = {**(self._volume_names or {}), template: name}

    def recorded_volume_name(self, template: str) -> str | None:
        return (self._volume_names or {}).get(template)

    # -- the user's other servers ----------------------------------------------------------------
    def _sibling_states(self) -> dict[str, dict | None] | None:
        """{server name: state} of the user's servers, as JupyterHub keeps them (None outside a
        hub)."""
        orm_user = getattr(self.user, "orm_user", None)
        spawners = getattr(orm_user, "orm_spawners", None)
        if spawners is None:
            return None
        return {getattr(s, "name", key) or "": getattr(s, "state", None) for key, s in spawners.items()}

    def other_servers(self, volumes: bool = False) -> ownership.OtherServers:
        """What the user's other servers own: their objects' ids, and with ``volumes`` their
        server-specific volume names (for a server whose state records none yet, the names its
        templates render for it)."""
        known = self._sibling_states()
        states = known or {}
        without = {}
        if volumes:
            without = {name: self._server_specific_volume_names(name) for name, state in states.items()
                       if name != self._server_name and not (state or {}).get(ownership.STATE_VOLUME_NAMES)}
        others = ownership.other_servers(states, self._server_name, without)
        return others if known is not None else dataclasses.replace(others, names=None)

    def _server_specific_volume_names(self, server_name: str) -> list[str]:
        templates = [t for t in self._volume_templates() if ownership.uses_server_name(t)]
        with self.named_as(server_name):
            names = []
            for template in templates:
                try:
                    names.append(self.format_volume_template(template))
                except errors.ConfigProblem:
                    continue
            return names

    def owner_of(self, info: dict) -> str | None:
        """The other server (or "another user") that owns the object ``info``; None if it may
        be this server's."""
        return ownership.owner_of(info[self.object_id_key], self._labels_of(info), user=self.user.name,
                                  server=self._server_name, others=self.other_servers())

    # -- finding the object ----------------------------------------------------------------------
    async def _inspect(self, ref: str) -> dict | None:
        try:
            return await self.docker(self.inspect_method, ref)
        except NotFound:
            return None

    async def get_object(self) -> dict | None:
        """The inspect dict of this server's container (or service), or None when it has none:
        by the id in its state, else by its name, if what has that name is not another
        server's."""
        if self.object_id:
            info = await self._inspect(self.object_id)
            if info is not None:
                return info
            # the id may be stale (replaced outside the hub): try the name
        info = await self._inspect(self.object_name)
        if info is None or self.owner_of(info) is not None:
            return None
        return info

    async def claim_object_name(self) -> None:
        """Before a start: where the rendered name is another server's object, this server's
        object gets a name of its own (recorded in its state once created)."""
        if self.object_id or self._pinned_object_name:
            return
        rendered = self.object_name
        info = await self._inspect(rendered)
        owner = None if info is None else self.owner_of(info)
        if owner is None:
            return
        self._pinned_object_name = ownership.own_name(rendered, user=self.user.name, server=self._server_name,
                                                      server_id=getattr(self.orm_spawner, "id", None),
                                                      limit=self.object_name_limit)
        self.log.info("%s %s belongs to server %r of %s: %s is named %s", self.object_type.capitalize(),
                      rendered, owner, self.user.name, self._log_name, self._pinned_object_name)

    # -- rename ----------------------------------------------------------------------------------
    async def rename(self, old_name: str, new_name: str) -> None:
        """JupyterHub (>= 6) renames a stopped server.  A kept container takes the name the new
        server name gives it (the next start replaces it, since JupyterHub's environment for
        it names the old server: see :mod:`dockerspawner.replacement`); the volumes keep their
        names (Docker cannot rename volumes), recorded in the state.  A container name taken
        already refuses the rename, with JupyterHub's error page."""
        self._record_volume_names()
        info = await self.get_object() if self.object_id else None
        if info is not None:
            current = self._name_of(info)
            with self.named_as(new_name):
                wanted = self.rendered_object_name(new_name)
            if current == self.rendered_object_name(self._names_server_name) and current != wanted:
                try:
                    await self.docker("rename", info[self.object_id_key], wanted)
                except APIError as err:
                    if err.status_code != 409:
                        raise
                    self.log.error("Cannot rename %s to %r: %s", self._log_name, new_name, errors.explanation(err))
                    raise web.HTTPError(409, f"Cannot rename the server to {new_name!r}: its container would "
                                             f"be named {wanted}, and a container of that name exists.") from None
                self._pinned_object_name = wanted
                self.log.info("Server %s renamed to %r: container %s is now %s (volumes keep their names)",
                              self._log_name, new_name, current, wanted)
        # JupyterHub discards this spawner after the rename; the next one loads this state
        self.orm_spawner.state = self.get_state()

    def _record_volume_names(self) -> None:
        """Record the names of the volumes the server mounts (resolving them records them)."""
        try:
            self.named_volumes()
            if self.internal_ssl:
                self._certs_volume()
        except errors.ConfigProblem:
            pass

    def named_as(self, server_name: str) -> _NamedAs:
        """A context in which names render as for the user's server ``server_name``."""
        return _NamedAs(self, server_name)


class _NamedAs:
    """Names render as for another server of the user while inside (no trait is changed)."""

    def __init__(self, spawner: Any, server_name: str) -> None:
        self.spawner = spawner
        self.server_name = server_name

    def __enter__(self) -> None:
        self.saved = self.spawner._rendering_server_name
        self.spawner._rendering_server_name = self.server_name

    def __exit__(self, *exc: Any) -> None:
        self.spawner._rendering_server_name = self.saved
