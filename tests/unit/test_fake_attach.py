"""Attaching to a container: what it printed (logs), and what it prints from now until it
stops, also when attached before it starts (as ``docker run`` attaches, then starts)."""

from __future__ import annotations

import docker
import pytest

import fakedocker


@pytest.fixture
def api():
    engine = fakedocker.FakeEngine()
    engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})
    client = engine.api_client()
    yield client
    client.close()
    engine.close()


def test_attached_before_start_the_stream_carries_the_run_until_it_stops(api):
    container = api.create_container("busybox:1.36", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    stream = api.attach(container, stream=True, logs=False)
    api.start(container)
    assert b"".join(stream) == b"out\nerr\n"
    assert api.wait(container)["StatusCode"] == 3


def test_the_streams_asked_for_and_the_logs_of_an_exited_container(api):
    container = api.create_container("busybox:1.36", ["sh", "-c", "echo out; echo err >&2"])
    api.start(container)
    api.wait(container)
    assert api.attach(container, stream=False, logs=True) == b"out\nerr\n"
    assert api.attach(container, stream=False, logs=True, stderr=False) == b"out\n"
    assert api.attach(container, stream=False, logs=False) == b""  # nothing asked for from the past


def test_a_tty_container_streams_raw(api):
    container = api.create_container("busybox:1.36", ["echo", "hi"], tty=True)
    stream = api.attach(container, stream=True)
    api.start(container)
    assert b"".join(stream) == b"hi\r\n"  # unframed, with the terminal's line end


def test_attaching_to_a_missing_container_is_404(api):
    with pytest.raises(docker.errors.NotFound):
        api.attach("nope", stream=False, logs=True)
