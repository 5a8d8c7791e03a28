"""fakedocker's core: the transport under docker-py, patch(), the plugin, images, pulls,
events, faults, transitions and the unix-socket server."""

from __future__ import annotations

import threading
import time

import docker
import pytest
import requests
from fake_fixtures import fake_engine_fixtures
from hypothesis import given
from hypothesis import strategies as st

import fakedocker
from fakedocker.server import FakeDaemonServer
from fakedocker.state.images import parse_reference

BUSYBOX = {"Cmd": ["sh"], "ExposedPorts": {"8888/tcp": {}}, "Labels": {"org.example": "yes"}}


engine, api, client = fake_engine_fixtures({"busybox:1.36": BUSYBOX})


# clients and patch ------------------------------------------------------------------------


def test_api_client_is_a_genuine_docker_client(api):
    assert isinstance(api, docker.APIClient)
    assert api.api_version == "1.41"
    assert api.ping() is True
    assert api.version()["ApiVersion"] == "1.41"


def test_docker_client_uses_the_engine(engine):
    client = engine.docker_client()
    assert isinstance(client, docker.DockerClient)
    assert fakedocker.engine_of(client) is engine
    assert client.images.get("busybox:1.36").tags == ["busybox:1.36"]


def test_pinned_version_skips_negotiation(engine):
    api = engine.api_client(version="1.40")
    assert api.api_version == "1.40"
    assert "version" not in engine.calls


def test_patch_routes_every_constructor_and_restores(engine):
    original = docker.APIClient.__init__
    with fakedocker.patch(engine) as active:
        assert active is engine
        assert docker.from_env().images.get("busybox:1.36")
        assert docker.DockerClient(base_url="unix:///nowhere.sock").ping()
        assert docker.APIClient(base_url="tcp://127.0.0.1:1").ping()
    assert docker.APIClient.__init__ is original


def test_patch_nests_and_the_innermost_engine_wins(engine):
    with fakedocker.patch(engine):
        with fakedocker.patch() as inner:
            assert inner is not engine
            assert docker.from_env().images.list() == []
        assert len(docker.from_env().images.list()) == 1
    with pytest.raises(requests.exceptions.ConnectionError):
        docker.APIClient(base_url="unix:///nonexistent/fakedocker.sock", version="1.41").ping()


def test_client_stays_bound_after_the_patch_ends(engine):
    with fakedocker.patch(engine):
        client = docker.from_env()
    assert client.images.get("busybox:1.36")


def test_patch_as_decorator_gives_a_fresh_engine_each_call():
    seen = []

    @fakedocker.patch()
    def uses_docker(fake_docker):
        fake_docker.add_image("alpine:3")
        seen.append(fake_docker)
        return [i.tags for i in docker.from_env().images.list()]

    assert uses_docker() == [["alpine:3"]]
    assert uses_docker() == [["alpine:3"]]
    assert seen[0] is not seen[1]


def test_plugin_fixture_patches_docker(fake_docker):
    assert isinstance(fake_docker, fakedocker.FakeEngine)
    fake_docker.add_image("alpine:3")
    assert docker.from_env().images.get("alpine:3")


def test_two_engines_share_nothing():
    a, b = fakedocker.FakeEngine(), fakedocker.FakeEngine()
    a.add_image("alpine:3")
    assert b.api_client().images() == []
    assert a.api_client().images() != []


def test_unknown_route_is_a_404(api):
    response = api.get(api._url("/no/such/endpoint"))
    assert response.status_code == 404
    assert response.json() == {"message": "page not found"}


# images -------------------------------------------------------------------------------------


def test_inspect_image_shape(api):
    info = api.inspect_image("busybox:1.36")
    assert info["Id"].startswith("sha256:") and len(info["Id"]) == 71
    assert info["RepoTags"] == ["busybox:1.36"]
    assert info["Config"]["Cmd"] == ["sh"]
    assert info["Config"]["ExposedPorts"] == {"8888/tcp": {}}
    assert info["Config"]["Env"][0].startswith("PATH=")
    assert api.inspect_image(info["Id"])["Id"] == info["Id"]
    assert api.inspect_image(info["Id"][7:19])["Id"] == info["Id"]
    assert api.inspect_image("docker.io/library/busybox:1.36")["Id"] == info["Id"]


def test_missing_image_is_image_not_found(api):
    with pytest.raises(docker.errors.ImageNotFound) as err:
        api.inspect_image("busybox:nope")
    assert err.value.status_code == 404
    assert err.value.explanation == "no such image: busybox:nope: No such image: busybox:nope"


def test_images_filters(engine, api):
    engine.add_image("127.0.0.1:5000/team/app:2", config={"Labels": {"tier": "web"}})
    assert [i["RepoTags"] for i in api.images(name="busybox")] == [["busybox:1.36"]]
    assert [i["RepoTags"] for i in api.images(filters={"label": "tier=web"})] == [
        ["127.0.0.1:5000/team/app:2"]
    ]
    assert len(api.images(quiet=True)) == 2
    assert all(len(i) == 71 for i in api.images(quiet=True))


def test_tag_and_remove(api):
    assert api.tag("busybox:1.36", "mine/bb", "v1") is True
    image = api.inspect_image("mine/bb:v1")
    assert sorted(image["RepoTags"]) == ["busybox:1.36", "mine/bb:v1"]
    assert api.remove_image("mine/bb:v1") == [{"Untagged": "mine/bb:v1"}]
    removed = api.remove_image("busybox:1.36")
    assert {"Untagged": "busybox:1.36"} in removed
    assert {"Deleted": image["Id"]} in removed
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image("busybox:1.36")


@given(st.from_regex(r"[a-z0-9]{1,10}(/[a-z0-9]{1,8}){0,2}", fullmatch=True),
       st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True))
def test_reference_round_trip(repository, tag):
    ref = parse_reference(f"{repository}:{tag}")
    assert ref.tag == tag
    assert str(ref) == f"{repository}:{tag}"


def test_reference_rejects_uppercase_repositories():
    with pytest.raises(fakedocker.DaemonError) as err:
        parse_reference("Busybox:1")
    assert err.value.status == 400


# pulls --------------------------------------------------------------------------------------


def _statuses(lines):
    return [line["status"] for line in lines]


def test_pull_streams_daemon_progress(engine, api):
    engine.registry.push("127.0.0.1:5000/big:1", config={"Cmd": ["x"]}, size=30_000_000, layers=2)
    lines = list(api.pull("127.0.0.1:5000/big", tag="1", stream=True, decode=True))
    statuses = _statuses(lines)
    assert statuses[0] == "Pulling from big"
    assert statuses.count("Pulling fs layer") == 2
    assert statuses.count("Pull complete") == 2
    assert statuses[-2].startswith("Digest: sha256:")
    assert statuses[-1] == "Status: Downloaded newer image for 127.0.0.1:5000/big:1"
    downloads = [line for line in lines if line["status"] == "Downloading"]
    assert downloads and all(
        0 < d["progressDetail"]["current"] <= d["progressDetail"]["total"] for d in downloads
    )
    per_layer_totals = {d["id"]: d["progressDetail"]["total"] for d in downloads}
    assert sum(per_layer_totals.values()) == 30_000_000
    assert api.inspect_image("127.0.0.1:5000/big:1")["Config"]["Cmd"] == ["x"]
    again = _statuses(api.pull("127.0.0.1:5000/big", tag="1", stream=True, decode=True))
    assert again[-1] == "Status: Image is up to date for 127.0.0.1:5000/big:1"
    assert "Pulling fs layer" not in again


def test_pull_without_stream_returns_the_text(engine, api):
    engine.registry.push("busybox:latest", config={"Cmd": ["sh"]})
    text = api.pull("busybox")
    assert "Status: Downloaded newer image for busybox:latest" in text
    assert api.inspect_image("busybox")["RepoDigests"][0].startswith("busybox@sha256:")


def test_high_level_pull(engine):
    engine.registry.push("127.0.0.1:5000/app:2", config={"Cmd": ["app"]})
    image = engine.docker_client().images.pull("127.0.0.1:5000/app", tag="2")
    assert image.tags == ["127.0.0.1:5000/app:2"]


def test_pull_missing_tag_and_repository(engine, api):
    engine.registry.push("127.0.0.1:5000/app:1")
    with pytest.raises(docker.errors.NotFound) as err:
        api.pull("127.0.0.1:5000/app", tag="9")
    assert err.value.explanation == (
        "manifest for 127.0.0.1:5000/app:9 not found: manifest unknown: manifest unknown"
    )
    with pytest.raises(docker.errors.APIError) as err:
        api.pull("nosuchuser/nosuchimage", tag="1")
    assert err.value.status_code == 404
    assert "pull access denied for nosuchuser/nosuchimage" in err.value.explanation


def test_pull_from_unreachable_registry(engine, api):
    engine.registry.unreachable.add("registry.example")
    with pytest.raises(docker.errors.APIError) as err:
        api.pull("registry.example/app", tag="1")
    assert err.value.status_code == 500
    assert "registry.example" in err.value.explanation


def test_pull_manual_transitions_step_by_step():
    engine = fakedocker.FakeEngine(transitions="manual")
    engine.registry.push("127.0.0.1:5000/slow:1", size=1_000_000)
    api = engine.api_client()
    received: list[dict] = []
    done = threading.Event()

    def consume():
        for line in api.pull("127.0.0.1:5000/slow", tag="1", stream=True, decode=True):
            received.append(line)
        done.set()

    worker = threading.Thread(target=consume)
    worker.start()
    assert engine.transitions.wait(lambda: "pull:127.0.0.1:5000/slow:1" in engine.transitions.pending(), 5)
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image("127.0.0.1:5000/slow:1")
    engine.step()  # first Downloading line
    assert engine.settle() > 0
    assert done.wait(10)
    worker.join()
    assert _statuses(received)[-1].startswith("Status: Downloaded newer image")
    assert api.inspect_image("127.0.0.1:5000/slow:1")


def test_pull_timer_transitions_follow_the_clock():
    now = [1000.0]
    engine = fakedocker.FakeEngine(transitions="timer", clock=lambda: now[0], step_delay=1.0)
    engine.registry.push("127.0.0.1:5000/slow:1", size=1_000_000)
    api = engine.api_client()
    stream = api.pull("127.0.0.1:5000/slow", tag="1", stream=True, decode=True)
    first = next(stream)
    assert first["status"] == "Pulling from slow"
    assert engine.transitions.pending() == ["pull:127.0.0.1:5000/slow:1"]
    now[0] += 1000  # every step is due
    rest = list(stream)
    assert rest[-1]["status"] == "Status: Downloaded newer image for 127.0.0.1:5000/slow:1"


def test_push_makes_an_image_pullable(engine, api):
    api.tag("busybox:1.36", "127.0.0.1:5000/bb", "1")
    lines = list(api.push("127.0.0.1:5000/bb", tag="1", stream=True, decode=True))
    assert lines[-1]["status"].startswith("1: digest: sha256:")
    assert engine.registry.lookup(parse_reference("127.0.0.1:5000/bb:1")) is not None


# events -------------------------------------------------------------------------------------


def test_events_filters_and_until(engine, api):
    engine.emit("container", "create", "a" * 64, {"image": "busybox:1.36", "name": "one", "team": "x"})
    engine.emit("container", "start", "a" * 64, {"image": "busybox:1.36", "name": "one", "team": "x"})
    engine.emit("volume", "create", "vol1", {"driver": "local"})
    until = time.time() + 0.05
    everything = list(api.events(since=0, until=until, decode=True))
    assert [e["Action"] for e in everything if e["Type"] != "image"] == ["create", "start", "create"]
    containers = list(api.events(since=0, until=until, filters={"type": "container", "event": "start"}, decode=True))
    assert [(e["Action"], e["id"], e["from"]) for e in containers] == [("start", "a" * 64, "busybox:1.36")]
    labelled = list(api.events(since=0, until=until, filters={"label": ["team=x"]}, decode=True))
    assert len(labelled) == 2
    by_name = list(api.events(since=0, until=until, filters={"container": "one"}, decode=True))
    assert len(by_name) == 2


def test_events_name_filters_match_by_prefix_whatever_the_type(engine, api):
    # as the daemon's fuzzy match: the actor's ID or name attribute starts with the value
    engine.emit("service", "create", "s" * 25, {"name": "web"}, scope="swarm")
    engine.emit("container", "create", "c" * 64, {"image": "busybox:1.36", "name": "web.1.abc"})
    engine.emit("container", "create", "d" * 64, {"image": "busybox:1.36", "name": "db.1.abc"})
    until = time.time() + 0.05

    def seen(**filters):
        return [(e["Type"], e["Actor"]["ID"][0]) for e in api.events(since=0, until=until, filters=filters, decode=True)
                if e["Type"] != "image"]

    assert seen(service="web") == [("service", "s"), ("container", "c")]
    assert seen(service="sss") == [("service", "s")]
    assert seen(container="web") == [("service", "s"), ("container", "c")]
    assert seen(type="service", service="web") == [("service", "s")]
    assert seen(container="db.1") == [("container", "d")]
    assert seen(service="nope") == []


def test_events_stream_delivers_new_events_and_can_be_closed(engine, api):
    stream = api.events(decode=True)
    engine.emit("network", "create", "n" * 64, {"name": "net", "type": "bridge"})
    event = next(stream)
    assert (event["Type"], event["Action"]) == ("network", "create")
    stream.close()


# faults -------------------------------------------------------------------------------------


def test_fail_next_calls_then_recover(engine, api):
    engine.faults.fail("inspect_image", status=500, message="boom", times=2)
    for _ in range(2):
        with pytest.raises(docker.errors.APIError) as err:
            api.inspect_image("busybox:1.36")
        assert (err.value.status_code, err.value.explanation) == (500, "boom")
    assert api.inspect_image("busybox:1.36")


def test_fail_until_cleared_and_wildcard(engine, api):
    engine.faults.fail("*", status=503, message="maintenance", times=None)
    with pytest.raises(docker.errors.APIError):
        api.images()
    with pytest.raises(docker.errors.APIError):
        api.version()
    engine.faults.clear()
    assert api.images()


def test_daemon_down_and_back(engine, api):
    with engine.faults.daemon_unavailable():
        with pytest.raises(requests.exceptions.ConnectionError):
            api.ping()
        with pytest.raises(docker.errors.DockerException, match="Error while fetching server API version"):
            engine.api_client()
    assert api.ping()


def test_a_held_call_is_in_flight_until_released(engine, api, monkeypatch):
    engine.faults.hold("create_container")
    answers: list = []
    worker = threading.Thread(target=lambda: answers.append(api.create_container("busybox:1.36", name="held")))
    worker.start()
    engine.transitions.wait(lambda: engine.calls.get("create_container") == 1, timeout=30)
    assert engine.calls.get("create_container") == 1  # counted: the daemon has the request
    assert api.containers(all=True) == [] and answers == []  # not yet answered or made
    assert api.images()  # other calls go on meanwhile
    engine.faults.release("create_container")
    worker.join(timeout=30)
    assert answers and api.inspect_container("held")["Id"] == answers[0]["Id"]
    # one never released fails after the limit, with fakedocker's own message
    monkeypatch.setattr(engine.faults, "HOLD_LIMIT", 0.01)
    engine.faults.hold("inspect_image")
    with pytest.raises(docker.errors.APIError, match="inspect_image was held for 0.01 s and never released"):
        api.inspect_image("busybox:1.36")


def test_latency_applies_to_one_operation_only(engine, api):
    engine.faults.latency("inspect_image", 0.2)
    started = threading.Event()
    finished = threading.Event()

    def slow():
        started.set()
        api.inspect_image("busybox:1.36")
        finished.set()

    worker = threading.Thread(target=slow)
    worker.start()
    started.wait()
    assert api.images()  # another operation is not delayed behind it
    worker.join()
    assert finished.is_set()
    engine.faults.latency("inspect_image", 0)
    assert engine.faults._latency == {}


def test_calls_are_counted_per_operation(engine, api):
    api.inspect_image("busybox:1.36")
    api.inspect_image("busybox:1.36")
    assert engine.calls["inspect_image"] == 2


# the unix-socket server ---------------------------------------------------------------------


def test_server_answers_docker_py_over_a_unix_socket(engine, tmp_path):
    engine.registry.push("127.0.0.1:5000/app:1")
    with FakeDaemonServer(engine, str(tmp_path / "docker.sock")) as server:
        client = docker.APIClient(base_url=server.base_url)
        assert client.ping()
        assert client.inspect_image("busybox:1.36")["Config"]["Cmd"] == ["sh"]
        lines = list(client.pull("127.0.0.1:5000/app", tag="1", stream=True, decode=True))
        assert lines[-1]["status"].startswith("Status: Downloaded newer image")
        with pytest.raises(docker.errors.ImageNotFound):
            client.inspect_image("nope:1")
        client.close()


def test_serve_command_runs_a_daemon_the_docker_client_can_use(tmp_path):
    import subprocess
    import sys

    sock = tmp_path / "fake.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakedocker", "serve", "--socket", str(sock),
         "--image", 'busybox:1.36={"Cmd": ["sh"]}'],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().startswith("fakedocker: serving on unix://")
        client = docker.DockerClient(base_url=f"unix://{sock}")
        assert client.images.get("busybox:1.36").attrs["Config"]["Cmd"] == ["sh"]
        container = client.containers.run("busybox:1.36", ["sh", "-c", "sleep 100"], detach=True,
                                           name="served")
        assert client.containers.get("served").status == "running"
        container.remove(force=True)
        client.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
