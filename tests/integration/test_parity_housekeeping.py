"""Container prune, disk usage and the daemon's answers for routes and paths, fake vs real.

Every prune filters on the test's own label: the real daemon is shared.
"""

from __future__ import annotations

import json

from conftest import BUSYBOX
from normalize import normalize


def label_filter(names, **more):
    return {"label": [f"fdtest={names.prefix}"], **more}


def raw_prune(api, filters: dict) -> tuple[int, dict]:
    response = api.post(api._url("/containers/prune"), params={"filters": json.dumps(filters)})
    return response.status_code, response.json()


def test_container_prune(api, names):
    mine = {"fdtest": names.prefix}
    stopped = api.create_container(BUSYBOX, ["true"], name=names("a"), labels=mine)["Id"]
    kept = api.create_container(BUSYBOX, ["true"], name=names("b"), labels={**mine, "keep": "1"})["Id"]
    running = api.create_container(BUSYBOX, ["sleep", "60"], name=names("r"), labels=mine)["Id"]
    api.start(running)
    assert api.prune_containers(filters=label_filter(names, until="2000-01-01T00:00:00Z")) == {
        "ContainersDeleted": None, "SpaceReclaimed": 0}
    assert api.prune_containers(filters=label_filter(names, **{"label!": ["keep=1"]})) == {
        "ContainersDeleted": [stopped], "SpaceReclaimed": 0}
    result = api.prune_containers(filters=label_filter(names))
    assert result == {"ContainersDeleted": [kept], "SpaceReclaimed": 0}
    assert [c["Id"] for c in api.containers(all=True, filters={"label": f"fdtest={names.prefix}"})] == [running]
    assert api.prune_containers(filters=label_filter(names)) == {
        "ContainersDeleted": None, "SpaceReclaimed": 0}


def test_container_prune_filter_errors(api, names, daemon):
    assert raw_prune(api, label_filter(names, bogus=["1"])) == (
        400, {"message": daemon.says("Invalid filter 'bogus'", "invalid filter 'bogus'")})
    assert raw_prune(api, label_filter(names, until=["garbage"])) == (
        400 if daemon.at_least(26) else 500,
        {"message": 'failed to parse value as time or duration: "garbage"'})


def test_disk_usage_shapes(api, names, daemon):
    volume = names("vol")
    api.create_volume(volume, labels={"fdtest": names.prefix})
    container = api.create_container(
        BUSYBOX, ["true"], name=names("c"),
        host_config=api.create_host_config(binds={volume: {"bind": "/data", "mode": "rw"}}),
    )["Id"]
    df = api.df()
    if daemon.at_least(26):  # no BuilderSize; image rows without VirtualSize (API 1.44)
        assert sorted(df) == ["BuildCache", "Containers", "Images", "LayersSize", "Volumes"]
    else:
        assert sorted(df) == ["BuildCache", "BuilderSize", "Containers", "Images", "LayersSize", "Volumes"]
        assert df["BuilderSize"] == 0
    assert isinstance(df["LayersSize"], int)
    image_id = api.inspect_image(BUSYBOX)["Id"]
    [image] = [row for row in df["Images"] if row["Id"] == image_id]
    assert sorted(image) == ["Containers", "Created", "Id", "Labels", "ParentId", "RepoDigests",
                             "RepoTags", "SharedSize", "Size", *([] if daemon.at_least(26) else ["VirtualSize"])]
    assert image["Containers"] >= 1 and image["SharedSize"] >= 0
    assert image["Size"] == api.inspect_image(BUSYBOX)["Size"]
    [row] = [row for row in df["Containers"] if row["Id"] == container]
    listed = api.containers(all=True, size=True, filters={"id": container})[0]
    assert normalize(row) == normalize(listed)
    assert "SizeRw" not in row and row["SizeRootFs"] == image["Size"]
    [vol] = [v for v in df["Volumes"] if v["Name"] == volume]
    assert vol["UsageData"] == {"RefCount": 1, "Size": 0}
    assert normalize({k: v for k, v in vol.items() if k != "UsageData"}) == normalize(
        api.inspect_volume(volume))
    listed_image = [i for i in api.images() if i["Id"] == image_id][0]
    assert (listed_image["Containers"], listed_image["SharedSize"]) == (-1, -1)


# routes ---------------------------------------------------------------------------------


def test_paths_the_daemon_lacks(api):
    for method, path in [("GET", "/nonsense"), ("POST", "/containers/json"),
                         ("GET", "/containers/create"), ("PUT", "/images/json")]:
        response = api.request(method, api._url(path))
        assert (response.status_code, response.json()) == (404, {"message": "page not found"}), path


def test_the_daemons_own_odd_answers(api, daemon):
    response = api.get(api._url("/containers/fdtest-nope/checkpoints"))
    assert (response.status_code, response.json()) == (501, {
        "message": "This experimental feature is disabled by default. Start the Docker daemon "
                   "in experimental mode in order to enable it."})
    response = api.post(api._url("/containers/fdtest-nope/copy"), json={"Resource": "/etc"})
    # removed from the API long ago: 20.10 still routes it (a bare 404), 26 does not
    assert (response.status_code, response.content) == (
        404, b'{"message":"page not found"}\n' if daemon.at_least(26) else b"")
    response = api.options(api._url("/anything"))
    assert (response.status_code, response.content) == (200, b"")
    response = api.get(api._url("/containers/fdtest-nope/export"))
    assert (response.status_code, response.json()) == (404, {"message": "No such container: fdtest-nope"})
