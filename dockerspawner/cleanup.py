"""What deleting a user or a named server from JupyterHub (>= 5) removes: with
remove_volumes_on_delete, the server's kept container and the named volumes its state records
(its certificates volume among them) — except volumes another of the user's servers still uses
(a volume template without {servername}), and never an object or volume another server owns.

The removal is :class:`VolumeDeletion`'s, given the names; which names are the server's and
which another's still uses is read from the spawner's state by the mixin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from logging import Logger
from typing import TYPE_CHECKING, Any

from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError

from . import errors, ownership
from .step import SpawnerStep


class VolumeDeletion:
    """Removes a deleted server's volumes, keeping those another server of the user uses.

    Needs ``docker`` (a call on the client protocol) and where to log; nothing of the spawner."""

    def __init__(self, docker: Callable[..., Awaitable[Any]], log: Logger, log_name: str, user_name: str):
        self.docker = docker
        self.log = log
        self.log_name = log_name
        self.user_name = user_name

    async def delete(self, ours: set[str], shared: set[str]) -> None:
        for name in sorted(ours - shared):
            try:
                await self.docker("remove_volume", name)
                self.log.info("Removed volume %s of deleted %s", name, self.log_name)
            except NotFound:
                pass
            except APIError as err:
                self.log.warning("Could not remove volume %s of deleted %s: %s", name, self.log_name,
                                 err.explanation or err)
        for name in sorted(ours & shared):
            self.log.info("Keeping volume %s: another server of %s still uses it", name, self.user_name)


class VolumeCleanup(SpawnerStep):
    """DockerSpawner's delete_forever (a mixin: the reference's method; the removal is
    :class:`VolumeDeletion`'s)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        user: Any
        remove_volumes_on_delete: bool
        object_id: str | None
        object_id_key: str
        _volume_names: dict[str, str] | None

        @property
        def _server_name(self) -> str: ...
        async def get_object(self) -> dict | None: ...
        async def remove_object(self) -> None: ...
        def _forget_object(self) -> None: ...
        def _record_volume_names(self) -> None: ...
        def _sibling_states(self) -> dict[str, dict | None] | None: ...
        def named_as(self, server_name: str) -> Any: ...
        def _volume_templates(self) -> list[str]: ...
        def format_volume_template(self, template: str, setting: str = "volumes") -> str: ...

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
        info = await self.get_object()  # never another server's
        if info is not None:  # a stopped container kept for resuming goes with its server
            self.object_id = info[self.object_id_key]
            await self.remove_object()
            self._forget_object()
        self._record_volume_names()  # a server whose state predates recorded names
        ours = set((self._volume_names or {}).values())
        await VolumeDeletion(self.docker, self.log, self._log_name, self.user.name).delete(
            ours, self._volume_names_of_other_servers())

    def _volume_names_of_other_servers(self) -> set[str]:
        """Every volume name the user's other servers use: what their states record, or for a
        server whose state records none yet, what the templates render for it."""
        names: set[str] = set()
        for server, state in (self._sibling_states() or {}).items():
            if server == self._server_name:
                continue
            recorded = (state or {}).get(ownership.STATE_VOLUME_NAMES)
            if isinstance(recorded, dict):
                names.update(recorded.values())
                continue
            with self.named_as(server):
                for template in self._volume_templates():
                    try:
                        names.add(self.format_volume_template(template))
                    except errors.ConfigProblem:
                        continue
        return names
