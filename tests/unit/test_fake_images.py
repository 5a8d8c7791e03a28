"""fakedocker's image transfer and housekeeping: save, load, import, image and container
prune, disk usage, and the 501 of every route the fake does not model."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import docker
import pytest
from fake_fixtures import fake_engine_fixtures

from fakedocker.state.filters import parse_until
from fakedocker.state.image_archive import layer_size
from fakedocker.state.image_changes import apply_changes
from fakedocker.state.images import DEFAULT_CONFIG

BUSYBOX = {"Cmd": ["sh"], "Labels": {"org.example": "yes"}}

engine, api, client = fake_engine_fixtures({"busybox:1.36": BUSYBOX})


def rootfs(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def members(data: bytes) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        out = {}
        for m in tar.getmembers():
            f = tar.extractfile(m)
            out[m.name] = f.read() if f is not None else None
        return out


def imported(api, tag: str | None = None, changes=None, data: bytes | None = None) -> str:
    answer = api.import_image(src=rootfs({"f": b"x"}) if data is None else data,
                              repository="imp" if tag else None, tag=tag, changes=changes)
    return json.loads(answer)["status"]


# save -----------------------------------------------------------------------------------


def test_save_writes_the_daemons_layout(api):
    image = api.inspect_image("busybox:1.36")
    files = members(b"".join(api.get_image("busybox:1.36")))
    [manifest] = json.loads(files["manifest.json"])
    assert manifest["Config"] == image["Id"][7:] + ".json"
    assert manifest["RepoTags"] == ["busybox:1.36"]
    [layer_path] = manifest["Layers"]
    v1_id = layer_path.split("/")[0]
    assert files[v1_id] is None  # the layer's directory
    assert files[f"{v1_id}/VERSION"] == b"1.0"
    assert json.loads(files[f"{v1_id}/json"])["id"] == v1_id
    assert json.loads(files["repositories"]) == {"busybox": {"1.36": v1_id}}
    blob = json.loads(files[manifest["Config"]])
    assert blob["config"]["Cmd"] == ["sh"]
    assert blob["rootfs"] == {"type": "layers", "diff_ids": image["RootFS"]["Layers"]}
    assert layer_size(files[layer_path]) == image["Size"]
    assert sorted(files) == list(files)  # written in name order


def test_save_several_by_tag_and_by_id(engine, api):
    engine.add_image("other:1", config={"Cmd": ["x"]})
    busybox_id = api.inspect_image("busybox:1.36")["Id"]
    response = api.get(api._url("/images/get"), params={"names": ["other:1", busybox_id]})
    manifest = json.loads(members(response.content)["manifest.json"])
    assert [m["RepoTags"] for m in manifest] == [["other:1"], None]
    assert json.loads(members(response.content)["repositories"]).keys() == {"other"}


def test_save_by_repository_takes_every_tag(engine, api):
    api.tag("busybox:1.36", "busybox", "latest")
    manifest = json.loads(members(b"".join(api.get_image("busybox")))["manifest.json"])
    assert manifest[0]["RepoTags"] == ["busybox:1.36", "busybox:latest"]


def test_save_of_nothing_and_of_a_missing_image(api):
    assert members(api.get(api._url("/images/get")).content) == {"manifest.json": b"null\n"}
    with pytest.raises(docker.errors.NotFound) as err:
        b"".join(api.get_image("nope:1"))
    assert err.value.explanation == "reference does not exist"
    response = api.get(api._url("/images/get"), params={"names": ["busybox:1.36", "nope"]})
    assert response.status_code == 404 and response.json() == {"message": "No such image: nope"}
    response = api.get(api._url("/images/get"), params={"names": ["busybox:nope"]})
    assert response.status_code == 404 and response.json() == {"message": "reference does not exist"}


# load -----------------------------------------------------------------------------------


def test_save_then_load_round_trips(api, engine):
    before = api.inspect_image("busybox:1.36")
    data = b"".join(api.get_image("busybox:1.36"))
    api.remove_image("busybox:1.36")
    lines = list(api.load_image(data, quiet=False))
    assert [line.get("status") or line["stream"] for line in lines] == [
        "Loading layer", "Loaded image: busybox:1.36\n",
    ]
    after = api.inspect_image("busybox:1.36")
    for key in ("Id", "RepoTags", "Config", "Size", "RootFS", "Architecture", "Os", "Created"):
        assert after[key] == before[key], key
    assert [e["Action"] for e in engine.events if e["Type"] == "image"][-2:] == ["delete", "load"]


def test_load_of_present_layers_quietly_and_retagging(api):
    data = b"".join(api.get_image("busybox:1.36"))
    assert list(api.load_image(data, quiet=False)) == [{"stream": "Loaded image: busybox:1.36\n"}]
    old = imported(api)
    api.tag(old, "busybox", "1.36")  # the tag now names another image
    assert list(api.load_image(data, quiet=True)) == [
        {"stream": f"The image busybox:1.36 already exists, renaming the old one with ID {old} "
                   "to empty string\n"},
        {"stream": "Loaded image: busybox:1.36\n"},
    ]
    assert api.inspect_image(old)["RepoTags"] == []


def test_load_of_an_image_saved_by_id(api):
    image_id = imported(api)
    data = b"".join(api.get_image(image_id))
    api.remove_image(image_id)
    # quiet unless asked otherwise: no progress for the new layer
    assert list(api.load_image(data)) == [{"stream": f"Loaded image ID: {image_id}\n"}]


def test_load_of_a_tarball_the_daemon_wrote(api):
    """A save as Docker 20.10 writes it: the id is the digest of the config blob."""
    blob = json.dumps({"architecture": "amd64", "config": {"Cmd": ["sh"]}, "created":
                       "2024-01-02T03:04:05.123456789Z", "os": "linux",
                       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64]}}).encode()
    image_id = hashlib.sha256(blob).hexdigest()
    layer = rootfs({"bin/sh": b"12345"}, symlinks={"bin/ash": "sh"})
    data = rootfs({
        f"{image_id}.json": blob, "l1/VERSION": b"1.0", "l1/json": b"{}", "l1/layer.tar": layer,
        "manifest.json": json.dumps([{"Config": f"{image_id}.json", "RepoTags": ["real:1"],
                                      "Layers": ["l1/layer.tar"]}]).encode(),
    })
    assert list(api.load_image(data, quiet=True)) == [{"stream": "Loaded image: real:1\n"}]
    info = api.inspect_image("real:1")
    assert info["Id"] == "sha256:" + image_id
    assert info["Size"] == 5 + 2  # file bytes and the symlink's target
    assert info["Created"] == "2024-01-02T03:04:05.123456789Z"
    # and saved again, byte for byte the same blob and layer
    files = members(b"".join(api.get_image("real:1")))
    assert files[f"{image_id}.json"] == blob
    assert layer in files.values()


def test_load_errors_come_in_the_stream(api, client):
    [line] = list(api.load_image(b"garbage"))
    message = "Error processing tar file(exit status 1): unexpected EOF"
    assert line == {"errorDetail": {"message": message}, "error": message}
    [line] = list(api.load_image(rootfs({})))
    assert line["error"].endswith("/repositories: no such file or directory")
    with pytest.raises(docker.errors.ImageLoadError):
        client.images.load(b"garbage")


def test_load_of_the_legacy_format_is_not_modelled(api):
    response = api.post(api._url("/images/load"), data=rootfs({"repositories": b"{}"}))
    assert response.status_code == 501
    assert response.json()["message"].startswith("fakedocker does not model POST /images/load")


def test_high_level_load_returns_the_images(api, client):
    data = b"".join(api.get_image("busybox:1.36"))
    api.remove_image("busybox:1.36")
    [image] = client.images.load(data)
    assert image.tags == ["busybox:1.36"]


# import ---------------------------------------------------------------------------------


def test_import_makes_a_one_layer_image(api, engine):
    data = rootfs({"hello.txt": b"hello world\n", "etc/x": b"abc"})
    answer = api.import_image(src=data, repository="imp", tag="1")
    image_id = json.loads(answer)["status"]
    info = api.inspect_image("imp:1")
    assert info["Id"] == image_id and info["RepoTags"] == ["imp:1"]
    assert info["Size"] == 15 and info["Comment"] == "Imported from -"
    assert info["DockerVersion"] == engine.engine_version
    assert info["Config"] == {**DEFAULT_CONFIG, "Env": None}
    assert info["RootFS"]["Layers"] == ["sha256:" + hashlib.sha256(data).hexdigest()]
    assert ("import", image_id) in [(e["Action"], e["Actor"]["ID"]) for e in engine.events]


def test_import_with_changes(api):
    imported(api, "2", changes=['CMD ["sh"]', "ENV A=1", "WORKDIR /w", "LABEL x=y",
                                "EXPOSE 80", "USER nobody", 'ENTRYPOINT ["/bin/x"]', "VOLUME /data"])
    config = api.inspect_image("imp:2")["Config"]
    assert {k: config[k] for k in ("Cmd", "Env", "WorkingDir", "Labels", "ExposedPorts", "User",
                                   "Entrypoint", "Volumes")} == {
        "Cmd": ["sh"], "Env": ["A=1"], "WorkingDir": "/w", "Labels": {"x": "y"},
        "ExposedPorts": {"80/tcp": {}}, "User": "nobody", "Entrypoint": ["/bin/x"],
        "Volumes": {"/data": {}},
    }


def test_import_names_and_messages(api):
    untagged = imported(api)
    assert api.inspect_image(untagged)["RepoTags"] == []
    api.import_image(src=rootfs({}), repository="imp:5")
    api.import_image(src=rootfs({}), repository="imp:5", tag="6")
    # a tag in repo stands unless tag is given too
    assert sorted(t for i in api.images("imp") for t in i["RepoTags"]) == ["imp:5", "imp:6"]
    response = api.post(api._url("/images/create"), params={"fromSrc": "-", "message": "hi"},
                        data=rootfs({"a": b"1"}))
    image_id = json.loads(response.content)["status"]
    assert api.inspect_image(image_id)["Comment"] == "hi"
    response = api.post(api._url("/images/create"), params={"fromSrc": "-"}, data=b"")
    empty = json.loads(response.content)["status"]  # an empty body is an empty layer
    assert api.inspect_image(empty)["RootFS"]["Layers"] == [
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]


@pytest.mark.parametrize(("params", "body", "status", "message"), [
    ({"changes": "BOGUS x"}, None, 400, "bogus is not a valid change command"),
    ({"changes": "RUN x"}, None, 400, "run is not a valid change command"),
    ({"repo": "Imp"}, None, 400, "invalid reference format: repository name must be lowercase"),
    ({}, b"garbage", 500, "Error processing tar file(exit status 1): unexpected EOF"),
    ({"changes": "HEALTHCHECK NONE"}, None, 501,
     "fakedocker does not model POST /images/create (the HEALTHCHECK change)"),
])
def test_import_errors(api, params, body, status, message):
    response = api.post(api._url("/images/create"), params={"fromSrc": "-", **params},
                        data=rootfs({"a": b"1"}) if body is None else body)
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_import_from_a_url_is_not_modelled(api):
    with pytest.raises(docker.errors.APIError) as err:
        api.import_image(src="http://127.0.0.1:1/x.tar", repository="imp", tag="4")
    assert err.value.status_code == 501
    assert err.value.explanation == "fakedocker does not model POST /images/create?fromSrc=<URL>"


def test_change_commands_are_a_pure_function():
    base = {"Env": ["PATH=/bin"], "WorkingDir": "/a"}
    out = apply_changes(base, ["ENV PATH=/usr/bin B=2", "ENV C hello world", "WORKDIR b",
                               "CMD echo hi", 'LABEL "k"="v w"', "EXPOSE 53/udp 80",
                               'VOLUME ["/x", "/y"]', "STOPSIGNAL SIGINT", ""])
    assert base == {"Env": ["PATH=/bin"], "WorkingDir": "/a"}
    assert out == {
        "Env": ["PATH=/usr/bin", "B=2", "C=hello world"], "WorkingDir": "/a/b",
        "Cmd": ["/bin/sh", "-c", "echo hi"], "Labels": {"k": "v w"},
        "ExposedPorts": {"53/udp": {}, "80/tcp": {}}, "Volumes": {"/x": {}, "/y": {}},
        "StopSignal": "SIGINT",
    }


# prune ----------------------------------------------------------------------------------


def test_image_prune_takes_dangling_images_by_default(api, engine):
    dangling = imported(api, changes=["LABEL k=v"], data=rootfs({"a": b"1"}))
    imported(api, "1", changes=["LABEL k=v"])
    result = api.prune_images(filters={"label": ["k=v"]})
    assert result["ImagesDeleted"][0] == {"Deleted": dangling}
    assert len(result["ImagesDeleted"]) == 2 and result["SpaceReclaimed"] == 1
    assert [e["Actor"]["Attributes"] for e in engine.events if e["Action"] == "prune"] == [
        {"reclaimed": "1"}]
    result = api.prune_images(filters={"dangling": False, "label": "k=v"})
    assert result["ImagesDeleted"][0] == {"Untagged": "imp:1"}
    assert api.prune_images(filters={"dangling": True, "label": "k=v"}) == {
        "ImagesDeleted": None, "SpaceReclaimed": 0}


def test_image_prune_spares_images_in_use_and_shared_layers(api):
    data = rootfs({"a": b"1"})
    first = imported(api, "1", data=data)
    second = imported(api, "2", data=data, changes=["CMD x"])  # the same layer
    api.create_container("imp:2")
    api.tag("imp:2", "imp", "3")
    result = api.prune_images(filters={"dangling": False, "label!": "org.example"})
    # imp:2 keeps its last tag (a container uses it); imp:1's layer is imp:2's too
    assert result == {"ImagesDeleted": [{"Untagged": "imp:1"}, {"Deleted": first},
                                        {"Untagged": "imp:2"}], "SpaceReclaimed": 0}
    assert api.inspect_image(second)["RepoTags"] == ["imp:3"]
    assert api.inspect_image("busybox:1.36")  # label! spared it


def test_image_prune_until_and_filter_errors(api, engine):
    imported(api, changes=["LABEL k=v"])
    assert api.prune_images(filters={"until": "10m"}) == {"ImagesDeleted": None, "SpaceReclaimed": 0}
    for filters, status, message in [
        ({"bogus": ["x"]}, 400, "Invalid filter 'bogus'"),
        ({"dangling": ["maybe"]}, 400, "Invalid filter 'dangling=[maybe]'"),
        ({"until": ["garbage"]}, 500, 'failed to parse value as time or duration: "garbage"'),
    ]:
        response = api.post(api._url("/images/prune"), params={"filters": json.dumps(filters)})
        assert (response.status_code, response.json()["message"]) == (status, message)


def test_container_prune_filters(api):
    a = api.create_container("busybox:1.36", labels={"k": "v"})["Id"]
    b = api.create_container("busybox:1.36", labels={"k": "v", "keep": "1"})["Id"]
    running = api.create_container("busybox:1.36", labels={"k": "v"})["Id"]
    api.start(running)
    assert api.prune_containers(filters={"until": "2000-01-01T00:00:00Z"}) == {
        "ContainersDeleted": None, "SpaceReclaimed": 0}
    assert api.prune_containers(filters={"label": "k=v", "label!": "keep"}) == {
        "ContainersDeleted": [a], "SpaceReclaimed": 0}
    assert [c["Id"] for c in api.containers(all=True, filters={"id": b})] == [b]
    for filters, status, message in [
        ({"bogus": ["1"]}, 400, "Invalid filter 'bogus'"),
        ({"until": ["garbage"]}, 500, 'failed to parse value as time or duration: "garbage"'),
    ]:
        response = api.post(api._url("/containers/prune"), params={"filters": json.dumps(filters)})
        assert (response.status_code, response.json()["message"]) == (status, message)


def test_until_values():
    now = 1_700_000_000.0
    assert parse_until("10m", now) == now - 600
    assert parse_until("1h30m", now) == now - 5400
    assert parse_until("1700000000", now) == 1_700_000_000
    assert parse_until("2023-11-14T22:13:20Z", now) == 1_700_000_000
    assert parse_until("2023-11-14T23:13:20.5+01:00", now) == 1_700_000_000.5
    assert parse_until("2023-11-14", now) == 1_699_920_000


# disk usage -----------------------------------------------------------------------------


def test_df_counts_what_the_lists_leave_at_minus_one(api, engine):
    c = api.create_container("busybox:1.36", host_config=api.create_host_config(
        binds={"data": {"bind": "/data", "mode": "rw"}}))
    api.create_volume("unused")
    api.tag("busybox:1.36", "copy", "1")
    dangling = imported(api)
    df = api.df()
    size = api.inspect_image("busybox:1.36")["Size"]
    assert df["LayersSize"] == size + 1
    rows = {row["Id"]: row for row in df["Images"]}
    busybox = rows[api.inspect_image("busybox:1.36")["Id"]]
    assert (busybox["Containers"], busybox["SharedSize"], busybox["Size"]) == (1, 0, size)
    assert (rows[dangling]["RepoTags"], rows[dangling]["RepoDigests"]) == (
        ["<none>:<none>"], ["<none>@<none>"])
    [container] = df["Containers"]
    assert container["Id"] == c["Id"] and container["SizeRootFs"] == size
    assert "SizeRw" not in container
    volumes = {v["Name"]: v["UsageData"] for v in df["Volumes"]}
    assert volumes == {"data": {"RefCount": 1, "Size": 0}, "unused": {"RefCount": 0, "Size": 0}}
    assert (df["BuildCache"], df["BuilderSize"]) == (None, 0)
    [listed] = [i for i in api.images() if i["Id"] == busybox["Id"]]
    assert (listed["Containers"], listed["SharedSize"]) == (-1, -1)


def test_df_shared_size_counts_layers_other_images_have(api):
    data = rootfs({"abc": b"abc"})
    one = imported(api, "1", data=data)
    imported(api, "2", data=data, changes=["CMD x"])
    rows = {row["Id"]: row for row in api.df()["Images"]}
    assert rows[one]["SharedSize"] == 3


# routes fakedocker does not model ---------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "route"), [
    ("GET", "/plugins", "/plugins"),
    ("POST", "/build", "/build"),
    ("GET", "/secrets/abc", "/secrets/{id}"),
    ("GET", "/images/busybox/history", "/images/{name}/history"),
    ("POST", "/commit", "/commit"),
    ("GET", "/distribution/busybox:1/json", "/distribution/{name}/json"),
])
def test_unmodelled_daemon_routes_are_501(api, method, path, route):
    response = api.request(method, api._url(path))
    assert response.status_code == 501
    assert response.json() == {"message": f"fakedocker does not model {method} {route}"}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/nonsense"), ("POST", "/containers/json"), ("GET", "/containers/create"),
    ("PUT", "/images/json"), ("PATCH", "/containers/json"),
])
def test_paths_the_daemon_lacks_are_page_not_found(api, method, path):
    response = api.request(method, api._url(path))
    assert (response.status_code, response.json()) == (404, {"message": "page not found"})


def test_modelled_routes_keep_their_404_and_the_daemons_own_answers(api):
    with pytest.raises(docker.errors.NotFound) as err:
        b"".join(api.export("missing"))
    assert err.value.explanation == "No such container: missing"
    c = api.create_container("busybox:1.36")
    with pytest.raises(docker.errors.APIError) as err:
        b"".join(api.export(c))
    assert (err.value.status_code, err.value.explanation) == (
        501, "fakedocker does not model GET /containers/{name}/export")
    response = api.get(api._url("/containers/x/checkpoints"))
    assert response.status_code == 501 and "experimental mode" in response.json()["message"]
    response = api.post(api._url("/containers/x/copy"), json={"Resource": "/etc"})
    assert (response.status_code, response.content) == (404, b"")
    response = api.options(api._url("/anything/at/all"))
    assert (response.status_code, response.content) == (200, b"")


def test_from_image_wins_over_from_src(api, engine):
    engine.registry.push("pullme:1", config={"Cmd": ["sh"]})
    response = api.post(api._url("/images/create"), params={"fromImage": "pullme", "tag": "1",
                                                            "fromSrc": "-"})
    assert response.status_code == 200 and b"Downloaded newer image for pullme:1" in response.content
