"""Internal SSL: the certificates JupyterHub made for a server, staged into the server's
certificates volume (mounted read-only at /certs, as the reference mounts it) through a
short-lived helper container, since the daemon may be on another machine than the hub."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from docker.errors import DockerException
from requests.exceptions import ConnectionError as RequestsConnectionError
from tornado import web
from traitlets import default

from . import errors
from .step import SpawnerStep

#: where the internal SSL certificates are mounted, as in the reference
CERTS_DIR = "/certs"


#: a call on the client protocol, made off the event loop: ``await docker("create_volume", ...)``
DockerCall = Callable[..., Awaitable[Any]]


def certificate_archive(paths: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """A tar of the certificate files, readable by whatever user the server runs as (the hub's
    copies are 0600 root), and each key's path under ``CERTS_DIR``."""
    archive = io.BytesIO()
    moved = {}
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for key, path in paths.items():
            name = os.path.basename(path)
            with open(path, "rb") as f:
                data = f.read()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid = len(data), 0o644, 0, 0
            tar.addfile(info, io.BytesIO(data))
            moved[key] = f"{CERTS_DIR}/{name}"
    return archive.getvalue(), moved


class CertificateStager:
    """Puts certificate files into a volume through a short-lived helper container.

    Needs ``docker`` (a call on the client protocol) and ``pull`` (makes an image present,
    reporting progress as the spawner does); nothing else of the spawner."""

    def __init__(self, docker: DockerCall, pull: Callable[[str], Awaitable[Any]]):
        self.docker = docker
        self.pull = pull

    async def stage(self, paths: Mapping[str, str], *, volume: str, image: str, helper_name: str,
                    labels: dict[str, str]) -> dict[str, str]:
        """Create ``volume`` (labelled), copy the files in; their paths as the server sees them."""
        await self.docker("create_volume", name=volume, labels=labels)
        await self.pull(image)
        host_config = await self.docker("create_host_config", binds={volume: {"bind": CERTS_DIR, "mode": "rw"}})
        helper = await self.docker("create_container", image=image, name=helper_name, command=["true"],
                                   labels=labels, host_config=host_config)
        try:
            archive, moved = certificate_archive(paths)
            await self.docker("put_archive", helper["Id"], CERTS_DIR, archive)
        finally:
            await self.docker("remove_container", helper["Id"], force=True)
        return moved


class CertificateStaging(SpawnerStep):
    """DockerSpawner's internal-SSL step (a mixin: the reference's ``move_certs``; the work is
    :class:`CertificateStager`'s)."""

    if TYPE_CHECKING:  # what it reads of the spawner
        certs_volume_name: str
        move_certs_image: str

        @property
        def internal_hostname(self) -> str: ...
        @property
        def object_name(self) -> str: ...
        async def pull_image(self, image: str) -> dict | None: ...
        def volume_name(self, template: str, setting: str) -> str: ...
        def labels(self) -> dict[str, str]: ...

    def _certs_volume(self) -> str:
        return self.volume_name(self.certs_volume_name, "certs_volume_name")

    @default("ssl_alt_names")
    def _default_ssl_alt_names(self) -> list[str]:
        return [f"DNS:{self.internal_hostname}"]

    async def move_certs(self, paths: dict[str, str]) -> dict[str, str]:
        """Stage the certificate files into the per-user certs volume; return their paths there.
        (JupyterHub calls this before start(); failures reach the user the same way.)"""
        try:
            return await CertificateStager(self.docker, self.pull_image).stage(
                paths, volume=self._certs_volume(), image=self.move_certs_image,
                helper_name=f"{self.object_name}-certs-{os.getpid()}", labels=self.labels())
        except web.HTTPError:
            raise
        except errors.ConfigProblem as problem:
            raise errors.config_error(problem, log=self.log, log_name=self._log_name) from None
        except (RequestsConnectionError, DockerException) as err:
            raise errors.user_error(err, action="start", daemon=self.daemon_address, log=self.log,
                                    log_name=self._log_name) from None
