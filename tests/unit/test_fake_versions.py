"""fakedocker answers as the engine version it is asked to be: /version, the API versions it
accepts (in the daemon's own words, as Docker 20.10 and 26.1 said them on this machine, see
tests/integration/REAL_DAEMON_NOTES.md), and the answers that changed."""

from __future__ import annotations

import docker
import pytest
import requests

from fakedocker import FakeEngine
from fakedocker.__main__ import main as fakedocker_main


def raw(engine: FakeEngine, path: str) -> requests.Response:
    """GET ``path`` as written (no client-side version negotiation)."""
    api = engine.api_client(version="1.41")
    return api._get(f"http+docker://localhost{path}")


@pytest.mark.parametrize(("name", "version", "api", "minimum"), [
    ("20.10", "20.10.24+dfsg1", "1.41", "1.12"),
    ("26.1", "26.1.5+dfsg1", "1.45", "1.24"),
])
def test_version_as_the_engine(name, version, api, minimum):
    engine = FakeEngine(engine_version=name)
    answer = engine.api_client().version()
    assert (answer["Version"], answer["ApiVersion"], answer["MinAPIVersion"]) == (version, api, minimum)
    assert answer["Components"][0]["Details"]["ApiVersion"] == api
    assert engine.api_client().api_version == api  # "auto" negotiates the engine's newest


def test_api_versions_outside_the_range_are_refused_in_the_daemons_words():
    old, new = FakeEngine(engine_version="20.10"), FakeEngine(engine_version="26.1")
    too_new = raw(old, "/v1.99/version")
    assert (too_new.status_code, too_new.json()) == (
        400, {"message": "client version 1.99 is too new. Maximum supported API version is 1.41"})
    # 20.10 says "too old" in plain text, 26.1 in JSON
    too_old = raw(old, "/v1.11/version")
    assert (too_old.status_code, too_old.headers["Content-Type"], too_old.text) == (
        400, "text/plain; charset=utf-8",
        "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a "
        "newer version\n")
    assert raw(new, "/v1.11/version").json() == {"message": "client version 1.11 is too old. Minimum supported API "
                                                            "version is 1.24, please upgrade your client to a newer version"}


def test_an_engine_that_refuses_clients_below_1_44_as_docker_29_does():
    engine = FakeEngine(engine_version="26.1")
    engine.min_api_version = "1.44"
    with pytest.raises(docker.errors.APIError) as err:
        engine.api_client(version="1.41").containers()
    assert err.value.status_code == 400
    assert "client version 1.41 is too old. Minimum supported API version is 1.44" in err.value.explanation
    assert engine.api_client(version="1.44").containers() == []


def test_what_changed_between_20_10_and_26_1():
    for name in ("20.10", "26.1"):
        engine = FakeEngine(engine_version=name)
        engine.add_image("img:1", config={"Cmd": ["true"]})
        api = engine.api_client()
        legacy = api.inspect_image("img:1")
        current = engine.api_client(version="1.44").inspect_image("img:1") if name == "26.1" else legacy
        container = api.create_container("img:1")
        api.start(container)
        waited = api.wait(container)
        with pytest.raises(docker.errors.ImageNotFound) as missing:
            api.inspect_image("nope")
        if name == "20.10":
            assert {"ContainerConfig", "VirtualSize", "Container"} <= set(legacy)
            assert waited == {"Error": None, "StatusCode": 0}
            assert missing.value.explanation == "no such image: nope: No such image: nope:latest"
        else:
            assert not {"ContainerConfig", "VirtualSize", "Container"} & set(current)  # API 1.44
            assert waited == {"StatusCode": 0}
            assert missing.value.explanation == "No such image: nope:latest"


def test_serve_takes_an_engine_version():
    with pytest.raises(SystemExit):
        fakedocker_main(["serve", "--socket", "/nonexistent/x.sock", "--engine-version", "19.03"])
