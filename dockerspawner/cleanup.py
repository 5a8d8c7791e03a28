"""What deleting a user or a named server from JupyterHub (>= 5) removes: with
remove_volumes_on_delete, the server's kept container, its named volumes and its certificates
volume — except volumes another of the user's servers still uses (a volume template without
{servername})."""

from __future__ import annotations

from typing import Any

from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError
from traitlets import HasTraits

from . import errors


class VolumeCleanup(HasTraits):
    """DockerSpawner's delete_forever (a mixin)."""

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


class _ServerNameOnly:
    """An orm_spawner stand-in that only changes the server name (for computing the volume
    names of a user's other servers)."""

    def __init__(self, name: str, original: Any):
        self.name = name
        self._original = original

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._original, attr)
