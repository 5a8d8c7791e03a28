"""Image import, save, load and prune, fake vs real.

Every image these tests make carries the label ``fdtest=<prefix>`` and every prune they
send filters on it: the real daemon is shared, and a prune without it would take other
people's images and containers.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import tarfile

from conftest import BUSYBOX, make_fake_engine, real_client_or_unavailable
from normalize import error_of, normalize


def rootfs(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(content), 1_700_000_000
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def unique_rootfs() -> bytes:
    """A root filesystem no image has yet (so its layer is new to the daemon)."""
    return rootfs({"blob": os.urandom(1000), "etc/greeting": b"hello\n"})


def import_image(api, names, repo: str | None = None, tag: str | None = None, changes=()) -> str:
    label = "LABEL fdtest=" + names.prefix
    answer = api.import_image(src=unique_rootfs(), repository=repo, tag=tag,
                              changes=[label, *changes])
    image_id = json.loads(answer)["status"]
    names.track_image(image_id)
    return image_id


def label_filter(names, **more):
    return {"label": [f"fdtest={names.prefix}"], **more}


def raw_prune(api, what: str, filters: dict) -> tuple[int, dict]:
    response = api.post(api._url(f"/{what}/prune"), params={"filters": json.dumps(filters)})
    return response.status_code, response.json()


def stream_kinds(lines: list[dict]) -> list[str]:
    """The load stream as status/stream texts, repeats collapsed, ids masked."""
    kinds: list[str] = []
    for line in lines:
        text = normalize(line.get("status") or line.get("stream") or line.get("error"))
        if not kinds or kinds[-1] != text:
            kinds.append(text)
    return kinds


# import ---------------------------------------------------------------------------------


def test_import_answers_the_new_id_and_sets_the_config(api, names):
    repo = names("imp")
    response = api.post(api._url("/images/create"), data=unique_rootfs(),
                        params={"fromSrc": "-", "repo": repo, "tag": "1",
                                "changes": [f"LABEL fdtest={names.prefix}", 'CMD ["sh"]',
                                            "ENV A=1", "WORKDIR /w", "EXPOSE 80",
                                            "USER nobody", "VOLUME /data"]},
                        headers={"Content-Type": "application/tar"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert normalize(response.json()) == {"status": "sha256:<id>"}
    info = api.inspect_image(f"{repo}:1")
    assert info["Id"] == response.json()["status"]
    assert (info["RepoTags"], info["Comment"], info["Size"]) == ([f"{repo}:1"], "Imported from -", 1006)
    assert len(info["RootFS"]["Layers"]) == 1
    config = info["Config"]
    assert {k: config.get(k) for k in ("Cmd", "Env", "WorkingDir", "ExposedPorts", "User",
                                       "Volumes", "Entrypoint", "Labels")} == {
        "Cmd": ["sh"], "Env": ["A=1"], "WorkingDir": "/w", "ExposedPorts": {"80/tcp": {}},
        "User": "nobody", "Volumes": {"/data": {}}, "Entrypoint": None,
        "Labels": {"fdtest": names.prefix},
    }


def test_import_without_a_name_is_a_dangling_image(api, names, daemon):
    image_id = import_image(api, names)
    info = api.inspect_image(image_id)
    assert (info["RepoTags"], info["RepoDigests"]) == ([], [])
    [listed] = api.images(filters=label_filter(names, dangling=True))
    assert listed["Id"] == image_id
    # API 1.44 (26): no <none> placeholders
    assert (listed["RepoTags"], listed["RepoDigests"]) == (
        ([], []) if daemon.at_least(26) else (["<none>:<none>"], ["<none>@<none>"]))


def test_import_errors(api, names, daemon):
    def post(params, data):
        response = api.post(api._url("/images/create"), params={"fromSrc": "-", **params}, data=data)
        return response.status_code, response.json()

    good = rootfs({"a": b"1"})
    assert post({"repo": names("imp"), "changes": "BOGUS x"}, good) == (
        400, {"message": daemon.says("bogus", "BOGUS") + " is not a valid change command"})
    assert post({"repo": names("imp"), "changes": "RUN x"}, good) == (
        400, {"message": daemon.says("run", "RUN") + " is not a valid change command"})
    upper = names("IMP")
    assert post({"repo": upper}, good) == (
        400, {"message": daemon.says("invalid reference format: repository name must be lowercase",
                                     f"invalid reference format: repository name (library/{upper}) "
                                     "must be lowercase")})
    assert post({"repo": names("imp")}, b"garbage") == (
        500, {"message": daemon.says("Error processing tar file(exit status 1): unexpected EOF",
                                     "unexpected EOF")})


# save -----------------------------------------------------------------------------------


def saved(api, *refs: str) -> dict[str, bytes | None]:
    response = api.get(api._url("/images/get"), params={"names": list(refs)})
    assert response.status_code == 200, response.content
    assert response.headers["Content-Type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        out = {}
        for m in tar.getmembers():
            f = tar.extractfile(m)
            out[m.name] = f.read() if f is not None else None
        return out


def test_save_layout(api, names, daemon):
    repo = names("save")
    api.tag(BUSYBOX, repo, "1")
    image = api.inspect_image(BUSYBOX)
    files = saved(api, f"{repo}:1")
    [entry] = json.loads(files["manifest.json"])
    if daemon.at_least(26):
        check_oci_layout(files, entry, image, repo)
        return
    [layer] = entry["Layers"]
    v1 = layer.split("/")[0]
    assert normalize(entry) == {"Config": "<id>.json", "RepoTags": [f"{repo}:1"],
                                "Layers": ["<id>/layer.tar"]}
    assert entry["Config"] == image["Id"][7:] + ".json"
    assert sorted(files) == sorted([entry["Config"], v1, f"{v1}/VERSION", f"{v1}/json",
                                    f"{v1}/layer.tar", "manifest.json", "repositories"])
    assert files[f"{v1}/VERSION"] == b"1.0"
    assert json.loads(files["repositories"]) == {repo: {"1": v1}}
    blob = json.loads(files[entry["Config"]])
    assert blob["rootfs"] == {"type": "layers", "diff_ids": image["RootFS"]["Layers"]}
    assert blob["config"]["Cmd"] == ["sh"]


def check_oci_layout(files, entry, image, repo):
    """Docker 26's save: an OCI image layout whose blobs manifest.json names by path."""
    [layer] = image["RootFS"]["Layers"]
    config_path, layer_path = "blobs/sha256/" + image["Id"][7:], "blobs/sha256/" + layer[7:]
    assert entry == {"Config": config_path, "RepoTags": [f"{repo}:1"], "Layers": [layer_path],
                     "LayerSources": {layer: {"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                              "size": len(files[layer_path]), "digest": layer}}}
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    assert json.loads(files["repositories"]) == {repo: {"1": layer[7:]}}
    [listed] = json.loads(files["index.json"])["manifests"]
    assert listed["annotations"] == {"io.containerd.image.name": f"docker.io/library/{repo}:1",
                                     "org.opencontainers.image.ref.name": "1"}
    oci_manifest = json.loads(files["blobs/sha256/" + listed["digest"][7:]])
    assert (oci_manifest["config"]["digest"], [x["digest"] for x in oci_manifest["layers"]]) == (
        image["Id"], [layer])
    blobs = sorted(name for name in files if name.startswith("blobs/sha256/"))
    # the config, the layer, the OCI manifest and the layer's legacy v1 json
    assert len(blobs) == 4 and {config_path, layer_path} < set(blobs)
    assert sorted(set(files) - set(blobs)) == ["blobs", "blobs/sha256", "index.json", "manifest.json",
                                               "oci-layout", "repositories"]
    blob = json.loads(files[config_path])
    assert blob["rootfs"] == {"type": "layers", "diff_ids": image["RootFS"]["Layers"]}
    assert blob["config"]["Cmd"] == ["sh"]


def test_save_several_by_id_and_nothing(api, names, daemon):
    repo = names("save")
    one = import_image(api, names, repo, "1")
    two = import_image(api, names)
    manifest = json.loads(saved(api, f"{repo}:1", two)["manifest.json"])
    # 26 names each config by its blob's path
    config = ("blobs/sha256/{}" if daemon.at_least(26) else "{}.json").format
    assert sorted((m["Config"], m["RepoTags"]) for m in manifest) == sorted(
        [(config(one[7:]), [f"{repo}:1"]), (config(two[7:]), None)])
    assert "repositories" not in saved(api, two)
    if daemon.at_least(26):
        assert saved(api) == {
            "manifest.json": b"null\n", "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
            "index.json": b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
                          b'"manifests":null}'}
    else:
        assert saved(api) == {"manifest.json": b"null\n"}
    response = api.get(api._url("/images/get"), params={"names": [f"{repo}:1", f"{repo}:nope"]})
    assert (response.status_code, response.json()) == (404, {"message": "reference does not exist"})
    assert error_of(lambda: b"".join(api.get_image(f"{repo}:nope"))) == (
        "NotFound", 404, "reference does not exist")
    assert error_of(lambda: b"".join(api.get_image(names("nothing")))) == (
        "ImageNotFound", 404, f"No such image: {names.prefix}-nothing")


# load -----------------------------------------------------------------------------------


def test_load_stream(api, names):
    repo = names("load")
    image_id = import_image(api, names, repo, "1")
    data = b"".join(api.get_image(f"{repo}:1"))
    api.remove_image(f"{repo}:1")
    lines = list(api.load_image(data, quiet=False))
    assert stream_kinds(lines) == ["Loading layer", f"Loaded image: {repo}:1\n"]
    loading = lines[0]
    assert sorted(loading) == ["id", "progress", "progressDetail", "status"]
    assert normalize(loading["id"]) == "<short-id>"
    assert api.inspect_image(f"{repo}:1")["Id"] == image_id
    # present layers load without progress
    assert list(api.load_image(data, quiet=False)) == [{"stream": f"Loaded image: {repo}:1\n"}]
    assert list(api.load_image(data, quiet=True)) == [{"stream": f"Loaded image: {repo}:1\n"}]
    # a tag that names another image moves
    other = import_image(api, names, repo, "2")
    api.tag(other, repo, "1")
    assert list(api.load_image(data, quiet=True)) == [
        {"stream": f"The image {repo}:1 already exists, renaming the old one with ID {other} "
                   "to empty string\n"},
        {"stream": f"Loaded image: {repo}:1\n"},
    ]
    assert api.inspect_image(other)["RepoTags"] == [f"{repo}:2"]


def test_load_by_id(api, names):
    image_id = import_image(api, names)
    data = b"".join(api.get_image(image_id))
    api.remove_image(image_id)
    # without a quiet parameter the daemon is quiet: no progress for the new layer
    assert list(api.load_image(data)) == [{"stream": f"Loaded image ID: {image_id}\n"}]


def test_load_errors_are_in_the_stream(api, daemon):
    message = daemon.says("Error processing tar file(exit status 1): unexpected EOF", "unexpected EOF")
    assert list(api.load_image(b"garbage")) == [{"errorDetail": {"message": message}, "error": message}]
    [line] = list(api.load_image(rootfs({"hello": b"x"})))
    text = re.sub(r"docker-import-\d+", "docker-import-N", line["error"])
    assert text == "open /var/lib/docker/tmp/docker-import-N/repositories: no such file or directory"
    assert line["errorDetail"] == {"message": line["error"]}


def test_a_tarball_the_real_daemon_saved_loads_into_the_fake():
    """Not parametrised: the real daemon saves, the fake loads (the id and what inspect shows
    are the daemon's), and the fake's save of it loads back into the real daemon."""
    real = real_client_or_unavailable()
    engine = make_fake_engine()
    fake = engine.api_client()
    back = f"fdtest-{secrets.token_hex(4)}-back:1"
    try:
        real_info = real.inspect_image(BUSYBOX)
        data = b"".join(real.get_image(BUSYBOX))
        fake.remove_image(BUSYBOX)
        assert list(fake.load_image(data, quiet=True)) == [{"stream": f"Loaded image: {BUSYBOX}\n"}]
        fake_info = fake.inspect_image(BUSYBOX)
        for key in ("Id", "RepoTags", "Created", "Config", "Size", "RootFS", "Comment",
                    "DockerVersion", "Architecture", "Os"):
            assert fake_info[key] == real_info[key], key
        fake.tag(BUSYBOX, *back.split(":"))
        again = b"".join(fake.get_image(back))
        assert list(real.load_image(again, quiet=True)) == [{"stream": f"Loaded image: {back}\n"}]
        assert real.inspect_image(back)["Id"] == real_info["Id"]
    finally:
        error_of(real.remove_image, back)
        fake.close()
        real.close()
        engine.close()


# image prune ----------------------------------------------------------------------------


def test_image_prune(api, names):
    dangling = import_image(api, names)
    repo = names("prune")
    tagged = import_image(api, names, repo, "1")
    result = api.prune_images(filters=label_filter(names))
    assert result["ImagesDeleted"][0] == {"Deleted": dangling}
    assert normalize(result) == {"ImagesDeleted": [{"Deleted": "sha256:<id>"}] * 2,
                                 "SpaceReclaimed": 1006}
    assert api.prune_images(filters=label_filter(names, dangling=True)) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0}
    assert api.prune_images(filters=label_filter(names, until="10m", dangling=False)) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0}
    result = api.prune_images(filters=label_filter(names, dangling=False))
    assert result["ImagesDeleted"][:2] == [{"Untagged": f"{repo}:1"}, {"Deleted": tagged}]
    assert result["SpaceReclaimed"] == 1006


def test_image_prune_spares_images_containers_use(api, names):
    repo = names("prune")
    image_id = import_image(api, names, repo, "1", changes=['CMD ["sh"]'])
    api.create_container(image_id, name=names("user"))
    assert api.prune_images(filters=label_filter(names, dangling=False)) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0}
    assert api.inspect_image(image_id)["RepoTags"] == [f"{repo}:1"]


def test_image_prune_filter_errors(api, names, daemon):
    for extra, answer in [
        ({"bogus": ["x"]}, (400, {"message": daemon.says("Invalid filter 'bogus'", "invalid filter 'bogus'")})),
        ({"dangling": ["maybe"]}, (400, {"message": daemon.says("Invalid filter 'dangling=[maybe]'", "invalid filter 'dangling=[maybe]'")})),
        ({"until": ["garbage"]},
         (500, {"message": 'failed to parse value as time or duration: "garbage"'})),
    ]:
        assert raw_prune(api, "images", label_filter(names, **extra)) == answer


def test_image_prune_negated_label(api, names):
    import_image(api, names)
    assert api.prune_images(filters={**label_filter(names), "label!": ["fdtest"]}) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0}
