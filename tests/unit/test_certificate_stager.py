"""CertificateStager alone, against the fake: no spawner, no hub."""

from __future__ import annotations

import asyncio
import io
import tarfile

import pytest

from dockerspawner.certs import CertificateStager, certificate_archive
from fakedocker import FakeEngine


@pytest.fixture
def engine():
    engine = FakeEngine()
    engine.add_image("busybox:1.36")
    yield engine
    engine.close()


def files(tmp_path):
    paths = {}
    for key, name in (("keyfile", "user.key"), ("certfile", "user.crt")):
        (tmp_path / name).write_text(f"-----{key}-----\n")
        (tmp_path / name).chmod(0o600)
        paths[key] = str(tmp_path / name)
    return paths


def test_the_archive_holds_the_files_readable_by_any_user(tmp_path):
    archive, moved = certificate_archive(files(tmp_path))
    assert moved == {"keyfile": "/certs/user.key", "certfile": "/certs/user.crt"}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert [(m.name, m.mode, m.uid) for m in tar.getmembers()] == [("user.key", 0o644, 0), ("user.crt", 0o644, 0)]
        assert tar.extractfile("user.key").read() == b"-----keyfile-----\n"


async def test_stage_fills_a_labelled_volume_through_a_helper_it_removes(engine, tmp_path):
    api = engine.api_client()
    archives, pulled = [], []

    async def docker(method, *args, **kwargs):
        if method == "put_archive":
            archives.append((api.inspect_container(args[0])["Mounts"], args[1]))
        return await asyncio.to_thread(getattr(api, method), *args, **kwargs)

    async def pull(image):
        pulled.append(image)

    moved = await CertificateStager(docker, pull).stage(
        files(tmp_path), volume="ssl-sam", image="busybox:1.36", helper_name="sam-certs",
        labels={"owner": "sam"})
    assert moved == {"keyfile": "/certs/user.key", "certfile": "/certs/user.crt"}
    assert pulled == ["busybox:1.36"]
    assert api.inspect_volume("ssl-sam")["Labels"] == {"owner": "sam"}
    [(mounts, path)] = archives
    assert path == "/certs" and [(m["Name"], m["Destination"], m["RW"]) for m in mounts] == [
        ("ssl-sam", "/certs", True)]
    assert api.containers(all=True) == []


async def test_the_helper_goes_even_when_the_copy_fails(engine, tmp_path):
    api = engine.api_client()
    engine.faults.fail("put_archive", status=500, message="disk full")

    async def docker(method, *args, **kwargs):
        return await asyncio.to_thread(getattr(api, method), *args, **kwargs)

    async def pull(image):
        return None

    with pytest.raises(Exception, match="disk full"):
        await CertificateStager(docker, pull).stage(
            files(tmp_path), volume="ssl-sam", image="busybox:1.36", helper_name="sam-certs", labels={})
    assert api.containers(all=True) == []
