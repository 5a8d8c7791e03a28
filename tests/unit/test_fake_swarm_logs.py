"""``GET /services/{id}/logs`` on the fake: the task containers' logs, framed and prefixed as
the daemon sends them (checked against Docker 20.10's answers)."""

from __future__ import annotations

import struct

import docker
import pytest
from docker import types
from fake_fixtures import fake_engine_fixtures

from fakedocker.state.swarm.logs import LogOptions, encode, select

IMAGE = "fakedocker-test/busybox:1.36"
SCRIPT = ["sh", "-c", "echo hello; echo err >&2; echo two; sleep 1000"]
engine, api, client = fake_engine_fixtures({IMAGE: {"Cmd": ["sh"]}}, swarm=True)


def _service(api, replicas=1, tty=False, command=SCRIPT):
    template = types.TaskTemplate(types.ContainerSpec(IMAGE, command, tty=tty))
    return api.create_service(template, name="web", mode=types.ServiceMode("replicated", replicas))["ID"]


def _raw(api, service_id, **params):
    response = api._get(api._url("/services/{0}/logs", service_id), params=params, stream=True)
    api._raise_for_status(response)
    return response.raw.read()


def _frame(stream, data):
    return struct.pack(">BxxxL", stream, len(data)) + data


def _tasks(api, service_id):
    return sorted(api.tasks(filters={"service": service_id}), key=lambda t: t["Slot"])


# pure --------------------------------------------------------------------------------------

def test_selection_and_encoding_are_pure():
    entries = [(1.0, 1, b"a\n"), (2.0, 2, b"b\n"), (3.0, 1, b"c\n")]
    both = LogOptions(streams=frozenset({1, 2}))
    assert select(entries, LogOptions(streams=frozenset({1}), tail=1)) == [(3.0, 1, b"c\n")]
    assert select(entries, LogOptions(streams=frozenset({2}), tail=1)) == []  # tail, then streams
    assert select(entries, LogOptions(streams=frozenset({1, 2}), since=2.0)) == entries[1:]
    assert select(entries, LogOptions(streams=frozenset({1, 2}), tail=0)) == []
    assert encode(entries[:2], b"k=v", both, str) == _frame(1, b"a\n") + _frame(2, b"b\n")
    opts = LogOptions(streams=frozenset({1}), timestamps=True, details=True, tty=True)
    assert encode(entries[:1], b"k=v", opts, lambda t: "T") == b"T k=v a\n"


# through docker-py -------------------------------------------------------------------------

def test_service_logs_are_the_task_containers_logs(api):
    sid = _service(api, replicas=2)
    one, two = _tasks(api, sid)
    per_task = _frame(1, b"hello\n") + _frame(2, b"err\n") + _frame(1, b"two\n")
    assert _raw(api, sid, stdout=1, stderr=1) == per_task * 2
    assert _raw(api, sid, stdout=1) == (_frame(1, b"hello\n") + _frame(1, b"two\n")) * 2
    assert _raw(api, sid, stderr=1) == _frame(2, b"err\n") * 2
    assert _raw(api, sid, stdout=1, stderr=1, tail=1) == _frame(1, b"two\n") * 2  # per task
    assert _raw(api, sid, stderr=1, tail=1) == b""  # the last line of each task is stdout's
    assert _raw(api, sid, stderr=1, tail=2) == _frame(2, b"err\n") * 2
    assert _raw(api, sid, stdout=1, stderr=1, tail=0) == b""
    # docker-py's own helper reads the stream (through the in-process transport too)
    assert list(api.service_logs(sid, stdout=True, stderr=True)) == [b"hello\n", b"err\n", b"two\n"] * 2
    assert list(api.service_logs("web", stdout=True)) == [b"hello\n", b"two\n"] * 2
    context = [(f"com.docker.swarm.node.id={t['NodeID']},com.docker.swarm.service.id={sid},"
                f"com.docker.swarm.task.id={t['ID']} ").encode() for t in (one, two)]
    assert list(api.service_logs(sid, stdout=True, details=True)) == [
        context[0] + b"hello\n", context[0] + b"two\n", context[1] + b"hello\n", context[1] + b"two\n"]


def test_timestamps_come_before_the_details(api, engine):
    sid = _service(api)
    (line,) = list(api.service_logs(sid, stdout=True, details=True, timestamps=True, tail=1))
    stamp, context, text = line.split(b" ")
    assert stamp.endswith(b"Z") and len(stamp.split(b".")[1]) == 10  # nine digits and Z
    assert context.startswith(b"com.docker.swarm.node.id=") and text == b"two\n"


def test_a_tty_service_sends_bare_lines(api):
    sid = _service(api, tty=True)
    # the terminal makes one stream of CRLF lines (as test_service_logs_of_a_terminal checks on
    # the daemon)
    assert _raw(api, sid, stdout=1, stderr=1) == b"hello\r\nerr\r\ntwo\r\n"
    # docker-py reads a TTY service's logs unframed (it inspects the service for TTY)
    assert b"".join(api.service_logs(sid, stdout=True, stderr=True)) == b"hello\r\nerr\r\ntwo\r\n"


def test_errors(api):
    sid = _service(api)
    with pytest.raises(docker.errors.APIError) as info:
        list(api.service_logs(sid))  # docker-py asks for neither stream by default
    assert (info.value.response.status_code, info.value.explanation) == (
        500, "Bad parameters: you must choose at least one stream")
    with pytest.raises(docker.errors.NotFound) as info:
        list(api.service_logs("nope", stdout=True))
    assert info.value.explanation == "service nope not found"


def test_tasks_without_containers_have_no_logs_and_old_tasks_keep_theirs(api, engine):
    template = types.TaskTemplate(types.ContainerSpec("fakedocker-test/missing:1", ["true"]),
                                  restart_policy=types.RestartPolicy(condition="none"))
    missing = api.create_service(template, name="missing")["ID"]
    assert _raw(api, missing, stdout=1, stderr=1) == b""
    sid = _service(api)
    engine.swarm.fail_task(sid)  # the task ends; its container stays, a new task replaces it
    assert len(_tasks(api, sid)) == 2
    assert list(api.service_logs(sid, stdout=True)) == [b"hello\n", b"two\n"] * 2


def test_follow_streams_new_lines_until_the_service_goes(api, engine):
    sid = _service(api, command=["sleep", "1000"])
    (task,) = _tasks(api, sid)
    container = task["Status"]["ContainerStatus"]["ContainerID"]
    engine.containers.append_log(container, "first\n")
    stream = api.service_logs(sid, stdout=True, stderr=True, follow=True)
    assert next(stream) == b"first\n"
    engine.containers.append_log(container, "later\n", "stderr")
    assert next(stream) == b"later\n"
    api.remove_service(sid)
    assert list(stream) == []
