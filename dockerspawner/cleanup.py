"""What deleting a user or a named server from JupyterHub (>= 5) removes: with
remove_volumes_on_delete, the server's kept container and the named volumes its state records
(its certificates volume among them) — except volumes another of the user's servers still uses
(a volume template without {servername}), and never an object or volume another server owns."""

from __future__ import annotations

from docker.errors import APIError, DockerException, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError
from traitlets import HasTraits

from . import errors, ownership


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
        info = await self.get_object()  # never another server's
        if info is not None:  # a stopped container kept for resuming goes with its server
            self.object_id = info[self.object_id_key]
            await self.remove_object()
            self._forget_object()
        self._record_volume_names()  # a server whose state predates recorded names
        ours = set((self._volume_names or {}).values())
        shared = self._volume_names_of_other_servers()
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
