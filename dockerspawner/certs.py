"""Internal SSL: the certificates JupyterHub made for a server, staged into the server's
certificates volume (mounted read-only at /certs, as the reference mounts it) through a
short-lived helper container, since the daemon may be on another machine than the hub."""

from __future__ import annotations

import io
import os
import tarfile

from docker.errors import DockerException
from requests.exceptions import ConnectionError as RequestsConnectionError
from tornado import web
from traitlets import HasTraits, default

from . import errors

#: where the internal SSL certificates are mounted, as in the reference
CERTS_DIR = "/certs"


class CertificateStaging(HasTraits):
    """DockerSpawner's internal-SSL steps (a mixin)."""

    def _certs_volume(self) -> str:
        return self.volume_name(self.certs_volume_name, "certs_volume_name")

    @default("ssl_alt_names")
    def _default_ssl_alt_names(self) -> list[str]:
        return [f"DNS:{self.internal_hostname}"]

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        """Stage the certificate files into the per-user certs volume; return their paths there.
        (JupyterHub calls this before start(); failures reach the user the same way.)"""
        try:
            return await self._move_certs(paths)
        except web.HTTPError:
            raise
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        except (RequestsConnectionError, DockerException) as err:
            raise errors.user_error(err, action="start", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None

    async def _move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        volume = self._certs_volume()
        await self.docker("create_volume", name=volume, labels=self.labels())
        await self.pull_image(self.move_certs_image)
        helper = await self.docker(
            "create_container",
            image=self.move_certs_image,
            name=f"{self.object_name}-certs-{os.getpid()}",
            command=["true"],
            labels=self.labels(),
            host_config=(await self.docker_client()).create_host_config(
                binds={volume: {"bind": CERTS_DIR, "mode": "rw"}}),
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
                    moved[key] = f"{CERTS_DIR}/{name}"
            await self.docker("put_archive", helper["Id"], CERTS_DIR, archive.getvalue())
        finally:
            await self.docker("remove_container", helper["Id"], force=True)
        return moved
