"""Images and pulls from the local registry (127.0.0.1:5000, or its relay on the engines'
network), fake vs real."""

import pytest
from conftest import BUSYBOX, PULLME, REGISTRY
from normalize import error_of, normalize, subset

#: PULLME as normalize() shows it (a registry on another address than 127.0.0.1 as <ip>)
SHOWN = normalize(PULLME)

# Progress lines that a real daemon may or may not show depending on timing
# (progress updates per layer are coalesced); they are not part of the contract.
OPTIONAL_PULL_STATUSES = {"Verifying Checksum", "Download complete", "Waiting"}


def status_kinds(lines):
    """The pull stream as a list of status strings, repeats collapsed, ids/digests masked."""
    kinds = []
    for line in lines:
        status = normalize(line.get("status", ""))
        if status in OPTIONAL_PULL_STATUSES:
            continue
        if not kinds or kinds[-1] != status:
            kinds.append(status)
    return kinds


def test_inspect_image_shape(api):
    info = api.inspect_image(BUSYBOX)
    assert normalize(subset(info, ["Id", "RepoTags", "RepoDigests", "Parent", "Os",
                                   "Architecture", "Size", "Created"])) == {
        "Id": "sha256:<id>", "RepoTags": [BUSYBOX], "RepoDigests": [], "Parent": "",
        "Os": "linux", "Architecture": "amd64", "Size": "<size>", "Created": "<time>",
    }
    assert subset(info["Config"], ["Cmd", "Env", "WorkingDir", "Labels", "Entrypoint", "User"]) == {
        "Cmd": ["sh"], "Env": None, "WorkingDir": "", "Labels": None, "Entrypoint": None, "User": "",
    }
    assert info["RootFS"]["Type"] == "layers" and len(info["RootFS"]["Layers"]) == 1
    assert api.inspect_image(info["Id"])["Id"] == info["Id"]
    assert api.inspect_image(info["Id"][len("sha256:"):][:12])["Id"] == info["Id"]


def test_images_listing(api, daemon):
    [entry] = api.images(name="fakedocker-test/busybox")
    assert normalize(subset(entry, ["Id", "RepoTags", "RepoDigests", "ParentId", "Containers",
                                    "Labels", "Size", "Created"])) == {
        # API 1.44 (26): plain lists, no nulls
        "Id": "sha256:<id>", "RepoTags": [BUSYBOX], "RepoDigests": [] if daemon.at_least(26) else None,
        "ParentId": "",
        "Containers": -1, "Labels": None, "Size": "<size>", "Created": "<unix-time>",
    }
    assert api.images(name=BUSYBOX, quiet=True) == [entry["Id"]]
    assert api.images(name="fakedocker-test/nothing") == []


def test_tag_and_remove(api, names):
    repo = names("img")
    assert api.tag(BUSYBOX, repo, "t1") is True
    assert sorted(api.inspect_image(f"{repo}:t1")["RepoTags"]) == sorted([BUSYBOX, f"{repo}:t1"])
    assert api.remove_image(f"{repo}:t1") == [{"Untagged": f"{repo}:t1"}]
    assert api.inspect_image(BUSYBOX)["RepoTags"] == [BUSYBOX]
    assert error_of(api.remove_image, f"{repo}:t1") == (
        "ImageNotFound", 404, f"No such image: {repo}:t1",
    )


def test_missing_image_errors(api, daemon):
    assert error_of(api.inspect_image, "fakedocker-test/nope:1") == (
        "ImageNotFound", 404,
        daemon.says("no such image: fakedocker-test/nope:1: No such image: fakedocker-test/nope:1",
                    "No such image: fakedocker-test/nope:1"),
    )
    assert error_of(api.inspect_image, "fakedocker-test/nope") == (
        "ImageNotFound", 404,
        daemon.says("no such image: fakedocker-test/nope: No such image: fakedocker-test/nope:latest",
                    "No such image: fakedocker-test/nope:latest"),
    )
    assert error_of(api.tag, "fakedocker-test/nope:1", "x", "y") == (
        "ImageNotFound", 404, "No such image: fakedocker-test/nope:1",
    )


@pytest.fixture
def pulled(api, names):
    """Makes sure the pull-test tags are absent first, and removed afterwards."""
    for tag in ("1", "2"):
        ref = names.track_image(f"{PULLME}:{tag}")
        error_of(api.remove_image, ref, force=True)
    return names


def test_pull_stream(api, pulled):
    lines = list(api.pull(PULLME, tag="1", stream=True, decode=True))
    assert lines[0] == {"status": "Pulling from fakedocker-test/pullme", "id": "1"}
    assert status_kinds(lines) == [
        "Pulling from fakedocker-test/pullme",
        "Pulling fs layer",
        "Downloading",
        "Extracting",
        "Pull complete",
        "Digest: sha256:<id>",
        f"Status: Downloaded newer image for {SHOWN}:1",
    ]
    layer_lines = [line for line in lines if line["status"] in
                   {"Pulling fs layer", "Downloading", "Extracting", "Pull complete"}]
    assert {normalize(line["id"]) for line in layer_lines} == {"<short-id>"}
    downloading = next(line for line in lines if line["status"] == "Downloading")
    assert sorted(downloading) == ["id", "progress", "progressDetail", "status"]
    assert sorted(downloading["progressDetail"]) == ["current", "total"]

    again = list(api.pull(PULLME, tag="1", stream=True, decode=True))
    assert normalize(again) == [
        {"status": "Pulling from fakedocker-test/pullme", "id": "1"},
        {"status": "Digest: sha256:<id>"},
        {"status": f"Status: Image is up to date for {SHOWN}:1"},
    ]

    info = api.inspect_image(f"{PULLME}:1")
    digest = lines[-2]["status"].removeprefix("Digest: ")
    assert info["RepoTags"] == [f"{PULLME}:1"]
    assert info["RepoDigests"] == [f"{PULLME}@{digest}"]
    assert info["Config"]["Labels"] == {"org.fakedocker.test": "pullme-1"}
    assert info["Config"]["Cmd"] == ["sh"]


def test_pull_without_stream_and_second_tag(api, pulled):
    text = api.pull(PULLME, tag="2")
    assert isinstance(text, str)
    assert f"Status: Downloaded newer image for {PULLME}:2" in text
    api.pull(PULLME, tag="1")
    one, two = api.inspect_image(f"{PULLME}:1"), api.inspect_image(f"{PULLME}:2")
    assert one["Id"] != two["Id"]
    assert two["Config"]["Labels"] == {"org.fakedocker.test": "pullme-2"}


def test_pull_missing(api, pulled):
    missing = "manifest for {ref} not found: manifest unknown: manifest unknown"
    assert error_of(api.pull, PULLME, tag="nope") == (
        "NotFound", 404, missing.format(ref=f"{SHOWN}:nope"),
    )
    assert error_of(api.pull, PULLME, tag="nope", stream=True, decode=True) == (
        "NotFound", 404, missing.format(ref=f"{SHOWN}:nope"),
    )
    other = f"{REGISTRY}/fakedocker-test/nothere"
    assert error_of(api.pull, other, tag="1") == (
        "NotFound", 404, missing.format(ref=normalize(f"{other}:1")),
    )


def test_remove_image_in_use(api, pulled):
    ref = f"{PULLME}:1"
    api.pull(PULLME, tag="1")
    container = api.create_container(ref, command=["true"], name=pulled("user"))
    assert error_of(api.remove_image, ref) == (
        "APIError", 409,
        f'conflict: unable to remove repository reference "{normalize(ref)}" (must force) - '
        "container <short-id> is using its referenced image <short-id>",
    )
    api.remove_container(container)
    removed = normalize(api.remove_image(ref))
    assert removed == [
        {"Untagged": normalize(ref)},
        {"Untagged": f"{SHOWN}@sha256:<id>"},
        {"Deleted": "sha256:<id>"},  # the image
        {"Deleted": "sha256:<id>"},  # its one layer
    ]
    assert error_of(api.inspect_image, ref)[:2] == ("ImageNotFound", 404)
