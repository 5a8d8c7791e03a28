"""``fakedocker serve``: seeding a fresh engine (images, registry images, volumes, networks) from
the command line or a file, and the socket server's manners with clients that hang up."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading

import docker
import pytest

import fakedocker
from fakedocker import seed as seeding
from fakedocker import server as server_module
from fakedocker.server import FakeDaemonServer

# the seed's checks: every mistake named with its place -------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ([], "seed: expected a mapping of images, registry, volumes, networks"),
    ({"containers": []}, "seed: unknown section 'containers' (known: images, registry, volumes, networks)"),
    ({"images": {"ref": "a:1"}}, "seed: images must be a list"),
    ({"registry": [{"ref": "a:1"}, {"ref": "b:1", "tags": ["x"]}]},
     "seed: registry[1]: unknown key 'tags' (known: config, layers, ref, size)"),
    ({"volumes": [{"labels": {}}]}, "seed: volumes[0]: 'name' is required (a string)"),
    ({"images": [{"ref": "a:1", "config": ["sh"]}]}, "seed: images[0]: 'config' must be a mapping"),
])
def test_a_bad_seed_is_refused_naming_the_entry(data, message):
    with pytest.raises(seeding.SeedError) as err:
        seeding.check(data)
    assert str(err.value).startswith(message)


def test_a_command_line_image_takes_its_config_as_json():
    assert seeding.image_option("busybox:1.36") == {"ref": "busybox:1.36"}
    assert seeding.image_option('busybox:1.36={"Cmd": ["sh"]}') == {"ref": "busybox:1.36", "config": {"Cmd": ["sh"]}}
    with pytest.raises(seeding.SeedError, match="not valid JSON"):
        seeding.image_option("busybox:1.36={Cmd}")


def test_a_seed_makes_local_images_pullable_images_volumes_and_networks():
    engine = fakedocker.FakeEngine()
    seeding.apply(engine, seeding.check({
        "images": [{"ref": "busybox:1.36", "config": {"Cmd": ["sh"]}}],
        "registry": [{"ref": "alpine:3.10", "config": {"Cmd": ["/bin/sh"]}, "size": 2_000_000, "layers": 2}],
        "volumes": [{"name": "data", "labels": {"team": "a"}}],
        "networks": [{"name": "backend", "driver": "bridge", "internal": True}],
    }))
    api = engine.api_client()
    assert api.inspect_image("busybox:1.36")["Config"]["Cmd"] == ["sh"]
    with pytest.raises(docker.errors.ImageNotFound):
        api.inspect_image("alpine:3.10")  # only in the registry ...
    api.pull("alpine", tag="3.10")  # ... until pulled
    assert api.inspect_image("alpine:3.10")["Config"]["Cmd"] == ["/bin/sh"]
    assert api.inspect_volume("data")["Labels"] == {"team": "a"}
    assert api.inspect_network("backend")["Internal"] is True
    api.close()
    engine.close()


def test_a_seed_entry_the_daemon_refuses_fails_with_the_daemons_error():
    engine = fakedocker.FakeEngine()
    with pytest.raises(docker.errors.APIError, match="operation is not permitted on predefined bridge network"):
        seeding.apply(engine, {"networks": [{"name": "bridge"}]})  # a predefined network's name
    engine.close()


# the serve command --------------------------------------------------------------------------------


def serve(tmp_path, *args: str) -> subprocess.Popen:
    sock = tmp_path / "fake.sock"
    proc = subprocess.Popen([sys.executable, "-m", "fakedocker", "serve", "--socket", str(sock), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc


def test_serve_seeds_registry_images_and_a_toml_file(tmp_path):
    seed_file = tmp_path / "seed.toml"
    seed_file.write_text(
        '[[registry]]\nref = "127.0.0.1:5000/team/nb:2"\nconfig = { Cmd = ["start-notebook.sh"] }\n\n'
        '[[volumes]]\nname = "data"\n\n[[networks]]\nname = "backend"\n'
    )
    proc = serve(tmp_path, "--registry-image", 'alpine:3.10={"Cmd": ["/bin/sh"]}', "--seed", str(seed_file))
    try:
        assert proc.stdout.readline().startswith("fakedocker: serving on unix://")
        client = docker.DockerClient(base_url=f"unix://{tmp_path / 'fake.sock'}")
        assert client.images.list() == []  # pullable, not present
        assert client.images.pull("alpine", tag="3.10").attrs["Config"]["Cmd"] == ["/bin/sh"]
        assert client.images.pull("127.0.0.1:5000/team/nb", tag="2").attrs["Config"]["Cmd"] == ["start-notebook.sh"]
        assert [v.name for v in client.volumes.list()] == ["data"]
        assert "backend" in [n.name for n in client.networks.list()]
        client.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_serve_refuses_a_bad_seed_file_before_listening(tmp_path):
    bad = tmp_path / "seed.json"
    bad.write_text(json.dumps({"registry": [{"ref": "a:1", "tags": []}]}))
    proc = serve(tmp_path, "--seed", str(bad))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"{bad}: registry[0]: unknown key 'tags'" in err and "Traceback" not in err
    assert not (tmp_path / "fake.sock").exists()


# clients that hang up early -----------------------------------------------------------------------


def test_a_client_that_hangs_up_early_costs_one_quiet_line_not_a_traceback(tmp_path, monkeypatch, caplog, capfd):
    hung_up = threading.Event()
    answered = threading.Event()
    real_dispatch = server_module.dispatch

    def dispatch_after_the_hang_up(engine, req):
        hung_up.wait(10)  # the answer is written only once the client has gone
        return real_dispatch(engine, req)

    original_handle_error = server_module._UnixServer.handle_error

    def handle_error(self, request, address):
        try:
            original_handle_error(self, request, address)
        finally:
            answered.set()

    monkeypatch.setattr(server_module, "dispatch", dispatch_after_the_hang_up)
    monkeypatch.setattr(server_module._UnixServer, "handle_error", handle_error)
    engine = fakedocker.FakeEngine()
    with caplog.at_level(logging.INFO, logger="fakedocker.server"), \
            FakeDaemonServer(engine, str(tmp_path / "docker.sock")) as server:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(server.path)
            client.sendall(b"GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n")
        hung_up.set()
        assert answered.wait(10), "the server never met the closed connection"
    engine.close()
    assert [r.getMessage() for r in caplog.records if r.name == "fakedocker.server"] == [
        "a client went away before its answer was sent (BrokenPipeError)"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_hijacked_answer_reaches_docker_py_reading_the_raw_socket(tmp_path):
    """The output of an exec is there at once; docker-py reads it from the socket after its
    HTTP parser took the headers, so the server writes it only once those are read."""
    engine = fakedocker.FakeEngine()
    engine.add_image("busybox:1.36")
    with FakeDaemonServer(engine, str(tmp_path / "docker.sock")) as server:
        api = docker.APIClient(base_url=f"unix://{server.path}")
        c = api.create_container("busybox:1.36", "cat", stdin_open=True)
        api.start(c)
        answers = {api.exec_start(api.exec_create(c, ["echo", "hello"]), demux=True) for _ in range(20)}
        api.close()
    engine.close()
    assert answers == {(b"hello\n", None)}
