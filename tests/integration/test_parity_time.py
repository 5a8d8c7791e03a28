"""Waiting and time: /wait's early headers, client timeouts, a script's sleep and its
redirections, health checks — the same on the fake and on a real daemon.

Expected values are what Docker 20.10.24 (API 1.41) answers.
"""

import io
import tarfile

import pytest
import requests
from conftest import BUSYBOX

SECOND = 1_000_000_000  # health check durations are in nanoseconds


def test_wait_answers_200_before_the_container_exits(api, names):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"))
    api.start(c)
    response = api._post(api._url("/containers/{0}/wait", c["Id"]), stream=True)
    try:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert api.inspect_container(c)["State"]["Running"] is True
        api.kill(c)
        assert response.json() == {"Error": None, "StatusCode": 137}
    finally:
        response.close()


def test_wait_with_a_timeout_raises_connection_error_from_the_body(api, names):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"))
    api.start(c)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        api.wait(c, timeout=1)
    assert type(caught.value) is requests.exceptions.ConnectionError  # not ReadTimeout
    assert api.inspect_container(c)["State"]["Running"] is True


def test_an_unknown_wait_condition_waits_for_not_running(api, names):
    c = api.create_container(BUSYBOX, ["sh", "-c", "exit 5"], name=names("c"))
    api.start(c)
    assert api.wait(c, condition="bogus") == {"Error": None, "StatusCode": 5}


def test_a_scripts_sleep_ends_and_its_exit_code_is_waited_for(api, names):
    c = api.create_container(BUSYBOX, ["sh", "-c", "echo a; sleep 1; echo b; exit 4"], name=names("c"))
    api.start(c)
    assert api.wait(c) == {"Error": None, "StatusCode": 4}
    assert api.logs(c) == b"a\nb\n"
    plain = api.create_container(BUSYBOX, ["sleep", "1"], name=names("plain"))
    api.start(plain)
    assert api.wait(plain) == {"Error": None, "StatusCode": 0}


def test_redirections_write_the_containers_files(api, names):
    script = "echo x > /tmp/f; echo y >> /tmp/f; echo z > /nope/f; echo after; echo q > /tmp"
    c = api.create_container(BUSYBOX, ["sh", "-c", script], name=names("c"))
    api.start(c)
    assert api.wait(c) == {"Error": None, "StatusCode": 1}
    assert api.logs(c, stdout=True, stderr=False) == b"after\n"
    assert api.logs(c, stdout=False, stderr=True) == (
        b"sh: can't create /nope/f: nonexistent directory\nsh: can't create /tmp: Is a directory\n")
    bits, stat = api.get_archive(c, "/tmp/f")
    assert (stat["name"], stat["size"], stat["mode"]) == ("f", 4, 0o644)
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        assert tar.extractfile(tar.getmembers()[0]).read() == b"x\ny\n"
