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


# what the parity scenarios met on Docker 26.1 (tests/integration/REAL_DAEMON_NOTES.md) ------


def both() -> dict[str, docker.APIClient]:
    clients = {}
    for name in ("20.10", "26.1"):
        engine = FakeEngine(engine_version=name)
        engine.add_image("img:1", config={"Cmd": ["sh"]})
        clients[name] = engine.api_client()
    return clients


def error(call, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(docker.errors.APIError) as caught:
        call(*args, **kwargs)
    return caught.value.status_code, caught.value.explanation


def test_wording_of_refusals_by_version():
    old, new = both().values()
    for api in (old, new):
        api.create_container("img:1", ["sh", "-c", "sleep 1000"], name="box")
        api.start("box")
    assert error(old.remove_container, "box")[1].startswith("You cannot remove a running container ")
    assert error(new.remove_container, "box") == (409, 'cannot remove container "/box": container is running: '
                                                     "stop the container before removing or force remove")
    cid = new.inspect_container("box")["Id"]
    assert error(new.kill, "box", signal="NOPE") == (400, "cannot kill container: box: invalid signal: NOPE")
    assert error(old.kill, "box", signal="NOPE") == (400, "Invalid signal: NOPE")
    new.kill("box")
    assert error(new.kill, "box") == (409, f"cannot kill container: box: container {cid} is not running")
    assert error(new.containers, filters={"status": "bogus"}) == (400, "invalid filter 'status=bogus'")
    assert error(old.containers, filters={"status": "bogus"}) == (400, "Invalid filter 'status=bogus'")
    assert error(new.inspect_volume, "v") == (404, "volume v not found")
    assert error(old.inspect_volume, "v") == (404, "get v: no such volume")
    # a status that changed too: 26.1 refuses a bad until filter with 400, but not to an image prune
    garbage = {"until": "garbage"}
    assert error(new.prune_containers, filters=garbage)[0] == 400
    assert error(new.prune_images, filters=garbage)[0] == 500
    assert error(old.prune_containers, filters=garbage)[0] == 500


def test_a_stops_events_and_a_waits_condition_by_version():
    for name in ("20.10", "26.1"):
        engine = FakeEngine(engine_version=name)
        engine.add_image("img:1", config={"Cmd": ["sh"]})
        api = engine.api_client()
        c = api.create_container("img:1", ["sh", "-c", "sleep 1000"])
        api.start(c)
        api.stop(c, timeout=0)
        engine_events = [e["Action"] for e in engine.events if e["Actor"]["ID"] == c["Id"]]
        if name == "26.1":
            assert engine_events[-2:] == ["stop", "die"]
            assert error(api.wait, c, condition="bogus") == (400, 'invalid condition: "bogus"')
        else:
            assert engine_events[-2:] == ["die", "stop"]
            assert api.wait(c, condition="bogus") == {"Error": None, "StatusCode": 137}


def test_create_defaults_networks_and_mac_by_version():
    old, new = both().values()
    for api in (old, new):
        api.create_network("net")
        api.create_container("img:1", name="box", mac_address="02:42:AC:11:00:99",
                             networking_config=api.create_networking_config(
                                 {"net": api.create_endpoint_config(aliases=["a1"])}),
                             host_config=api.create_host_config(network_mode="net"))
    o, n = old.inspect_container("box"), new.inspect_container("box")
    assert (o["HostConfig"]["RestartPolicy"]["Name"], n["HostConfig"]["RestartPolicy"]["Name"]) == ("", "no")
    assert old.create_container("img:1")["Warnings"] == []
    assert new.inspect_container(new.create_container("img:1"))["HostConfig"]["NetworkMode"] == "bridge"
    # 26.1 (API 1.44): the MAC is the endpoint's at create; aliases as asked, the names in DNSNames
    assert n["NetworkSettings"]["Networks"]["net"]["MacAddress"] == "02:42:AC:11:00:99"
    assert o["NetworkSettings"]["Networks"]["net"]["MacAddress"] == ""
    new.start("box")
    old.start("box")
    n_ep = new.inspect_container("box")["NetworkSettings"]["Networks"]["net"]
    o_ep = old.inspect_container("box")["NetworkSettings"]["Networks"]["net"]
    assert n_ep["MacAddress"] == o_ep["MacAddress"] == "02:42:ac:11:00:99"
    assert n_ep["Aliases"] == ["a1"] and n_ep["DNSNames"] == ["box", "a1", n["Id"][:12]]
    assert o_ep["Aliases"] == ["a1", o["Id"][:12]] and "DNSNames" not in o_ep
    assert error(new.create_container, "img:1", mac_address="zz:42") == (
        400, "invalid config for network bridge: invalid MAC address zz:42")
    # 26.1 checks endpoint settings at create, and refuses a duplicate network name
    bridge_ip = new.create_networking_config({"bridge": new.create_endpoint_config(ipv4_address="172.17.0.99")})
    status, message = error(new.create_container, "img:1", networking_config=bridge_ip)
    assert (status, message.splitlines()[0]) == (400, "invalid config for network bridge: invalid endpoint settings:")
    assert error(new.create_network, "net")[0] == 409
    assert old.create_network("net")["Warning"].startswith("Network with name net")


def test_lists_save_and_system_answers_by_version():
    old, new = both().values()
    assert "BuilderSize" in old.df() and "BuilderSize" not in new.df()
    [o], [n] = old.images(), new.images()
    assert (o["RepoDigests"], "VirtualSize" in o) == (None, True)
    assert (n["RepoDigests"], "VirtualSize" in n) == ([], False)
    assert "oci-layout" not in tar_names(old.get_image("img:1"))
    names = tar_names(new.get_image("img:1"))
    assert {"oci-layout", "index.json", "manifest.json", "repositories"} <= names
    assert sum(1 for name in names if name.startswith("blobs/sha256/")) == 4
    # and the fake loads its own OCI layout back
    engine = FakeEngine(engine_version="26.1")
    engine.api_client().load_image(b"".join(new.get_image("img:1")))
    assert engine.api_client().inspect_image("img:1")["Id"] == new.inspect_image("img:1")["Id"]
    copy = new.post(new._url("/containers/x/copy"))
    assert (copy.status_code, copy.content) == (404, b'{"message":"page not found"}\n')


def tar_names(chunks) -> set[str]:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        return {m.name for m in tar.getmembers()}


def test_a_client_older_than_api_1_44_gets_the_short_id_back_in_aliases():
    engine = FakeEngine(engine_version="26.1")
    engine.add_image("img:1", config={"Cmd": ["sh"]})
    new, old = engine.api_client(), engine.api_client(version="1.41")
    new.create_network("net")
    c = new.create_container("img:1", ["sh", "-c", "sleep 1000"], name="box")
    new.connect_container_to_network(c, "net", aliases=["a1"])
    short = c["Id"][:12]
    assert new.inspect_container(c)["NetworkSettings"]["Networks"]["net"]["Aliases"] == ["a1"]
    seen = old.inspect_container(c)["NetworkSettings"]["Networks"]
    assert (seen["net"]["Aliases"], seen["net"]["DNSNames"]) == (["a1", short], ["box", "a1", short])
    assert seen["bridge"]["Aliases"] is None
