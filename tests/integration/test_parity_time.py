"""Waiting and time: /wait's early headers, client timeouts, a script's sleep and its
redirections, health checks — the same on the fake and on a real daemon.

Expected values are what Docker 20.10.24 (API 1.41) answers.
"""

import io
import tarfile
import time

import docker.errors
import pytest
import requests
from conftest import BUSYBOX
from normalize import error_of

SECOND = 1_000_000_000  # health check durations are in nanoseconds


def test_wait_answers_200_before_the_container_exits(api, names, daemon):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"))
    api.start(c)
    response = api._post(api._url("/containers/{0}/wait", c["Id"]), stream=True)
    try:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert api.inspect_container(c)["State"]["Running"] is True
        api.kill(c)
        assert response.json() == daemon.wait_answer(137)
    finally:
        response.close()


def test_wait_with_a_timeout_raises_connection_error_from_the_body(api, names):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"))
    api.start(c)
    # the headers come at once and the body when the container exits: the client's read timeout
    # strikes in the body (5 s, so that a daemon busy with the suites beside this one still
    # sends the headers in time)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        api.wait(c, timeout=5)
    assert type(caught.value) is requests.exceptions.ConnectionError  # not ReadTimeout
    assert api.inspect_container(c)["State"]["Running"] is True


def test_an_unknown_wait_condition_waits_for_not_running(api, names, daemon):
    """20.10 takes an unknown condition for not-running; 26 refuses it, before it looks for the
    container."""
    c = api.create_container(BUSYBOX, ["sh", "-c", "exit 5"], name=names("c"))
    api.start(c)
    if daemon.at_least(26):
        assert error_of(api.wait, c, condition="bogus") == ("APIError", 400, 'invalid condition: "bogus"')
        assert error_of(api.wait, "fdtest-nope", condition="bogus") == (
            "APIError", 400, 'invalid condition: "bogus"')
        assert api.wait(c) == daemon.wait_answer(5)
    else:
        assert api.wait(c, condition="bogus") == daemon.wait_answer(5)


def test_a_scripts_sleep_ends_and_its_exit_code_is_waited_for(api, names, daemon):
    c = api.create_container(BUSYBOX, ["sh", "-c", "echo a; sleep 1; echo b; exit 4"], name=names("c"))
    api.start(c)
    assert api.wait(c) == daemon.wait_answer(4)
    assert api.logs(c) == b"a\nb\n"
    plain = api.create_container(BUSYBOX, ["sleep", "1"], name=names("plain"))
    api.start(plain)
    assert api.wait(plain) == daemon.wait_answer(0)


def test_redirections_write_the_containers_files(api, names, daemon):
    script = "echo x > /tmp/f; echo y >> /tmp/f; echo z > /nope/f; echo after; echo q > /tmp"
    c = api.create_container(BUSYBOX, ["sh", "-c", script], name=names("c"))
    api.start(c)
    assert api.wait(c) == daemon.wait_answer(1)
    assert api.logs(c, stdout=True, stderr=False) == b"after\n"
    assert api.logs(c, stdout=False, stderr=True) == (
        b"sh: can't create /nope/f: nonexistent directory\nsh: can't create /tmp: Is a directory\n")
    bits, stat = api.get_archive(c, "/tmp/f")
    assert (stat["name"], stat["size"], stat["mode"]) == ("f", 4, 0o644)
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        assert tar.extractfile(tar.getmembers()[0]).read() == b"x\ny\n"


def _health(api, c):
    return api.inspect_container(c)["State"].get("Health")


def _ids(api, value):
    return {c["Id"] for c in api.containers(all=True, filters={"health": value, "label": "fdtime"})}


def test_a_health_check_starts_then_turns_healthy_after_its_interval(api, names, poll):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"), labels={"fdtime": "1"},
                             healthcheck={"Test": ["CMD", "true"], "Interval": SECOND})
    assert _health(api, c) is None  # not before the start
    api.start(c)
    assert _health(api, c)["Status"] in ("starting", "healthy")
    health = poll(lambda: _health(api, c), lambda h: h["Status"] == "healthy")
    assert health["FailingStreak"] == 0
    assert {(e["ExitCode"], e["Output"]) for e in health["Log"]} == {(0, "")}
    assert _ids(api, "healthy") == {c["Id"]}
    assert [x["Status"] for x in api.containers(filters={"id": c["Id"]})][0].endswith(" (healthy)")
    api.stop(c, timeout=0)
    stopped = _health(api, c)
    assert (stopped["Status"], stopped["FailingStreak"]) == ("unhealthy", 0)
    assert _ids(api, "unhealthy") == {c["Id"]}


def test_a_failing_health_check_turns_unhealthy_at_its_retries(api, names, poll):
    since = time.time() - 1
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"), labels={"fdtime": "1"},
                             healthcheck={"Test": ["CMD-SHELL", "echo out; exit 3"],
                                          "Interval": SECOND, "Retries": 2})
    api.start(c)
    health = poll(lambda: _health(api, c), lambda h: h["Status"] == "unhealthy")
    assert health["FailingStreak"] >= 2
    assert {(e["ExitCode"], e["Output"]) for e in health["Log"]} == {(3, "out\n")}
    assert _ids(api, "unhealthy") == {c["Id"]}
    assert _ids(api, "healthy") == set()
    events = list(api.events(since=since, until=time.time() + 0.1, decode=True,
                             filters={"container": c["Id"]}))
    actions = [e["Action"] for e in events]
    check = "/bin/sh -c echo out; exit 3"
    assert actions[:2] == ["create", "start"]
    assert actions[2:8] == [f"exec_create: {check}", f"exec_start: {check}", "exec_die"] * 2
    assert actions.count("health_status: unhealthy") == 1
    assert actions.index("health_status: unhealthy") == 8
    die = events[4]["Actor"]["Attributes"]
    assert (die["exitCode"], die["execID"]) == ("3", events[2]["Actor"]["Attributes"]["execID"])


def test_no_health_for_a_none_check_and_the_filter_values(api, names, daemon):
    c = api.create_container(BUSYBOX, ["sleep", "1000"], name=names("c"), labels={"fdtime": "1"},
                             healthcheck={"Test": ["NONE"]})
    api.start(c)
    assert _health(api, c) is None
    assert api.inspect_container(c)["Config"]["Healthcheck"] == {"Test": ["NONE"]}
    assert _ids(api, "none") == {c["Id"]}
    with pytest.raises(docker.errors.APIError) as caught:
        api.containers(filters={"health": "bogus"})
    assert (caught.value.status_code, caught.value.explanation) == (
        400, daemon.says("Unrecognised filter value for health: bogus",
                         "unrecognized filter value for health: bogus"))
