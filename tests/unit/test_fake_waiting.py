"""Waiting and time on the fake: /wait answers at once and sends its body later, client
timeouts hold, a script's ``sleep N`` lasts N seconds on the engine's clock, and ``echo x >
file`` writes the container's file."""

from __future__ import annotations

import io
import tarfile
import threading

import docker
import pytest
import requests

import fakedocker
from fakedocker.scripts import Script, parse_script, run_script, sleep_seconds
from fakedocker.server import FakeDaemonServer

IMAGE = "busybox:1.36"


class FakeClock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _engine(**kwargs) -> fakedocker.FakeEngine:
    engine = fakedocker.FakeEngine(**{"engine_version": "20.10", **kwargs})  # 20.10's answers
    engine.add_image(IMAGE, config={"Cmd": ["sh"]})
    return engine


def _run(api, cmd, **kwargs):
    c = api.create_container(IMAGE, cmd, **kwargs)
    api.start(c)
    return c


def _in_thread(func):
    """Run ``func`` in a thread; returns (thread, box): box holds its result or exception."""
    box: list = []

    def run():
        try:
            box.append(func())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


# /wait: headers at once, body when the condition holds ------------------------------------

def _wait_headers_then_body(api, engine, container_id):
    url = api._url("/containers/{0}/wait", container_id)
    thread, box = _in_thread(lambda: api._post(url, stream=True))
    thread.join(10)
    assert box, "the wait's headers did not come while the container ran"
    response = box[0]
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert engine.containers.get(container_id).running
    engine.crash(container_id, exit_code=3)
    assert response.json() == {"Error": None, "StatusCode": 3}


def test_wait_answers_200_at_once_and_the_body_when_the_container_exits():
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["sleep", "1000"])
        _wait_headers_then_body(api, engine, c["Id"])


def test_wait_over_the_socket_server_flushes_its_headers_before_the_exit(tmp_path):
    with _engine() as engine, FakeDaemonServer(engine, str(tmp_path / "d.sock")) as server:
        api = docker.APIClient(base_url=server.base_url, version="1.41", timeout=30)
        try:
            c = _run(api, ["sleep", "1000"])
            _wait_headers_then_body(api, engine, c["Id"])
        finally:
            api.close()


def test_an_unknown_wait_condition_is_not_running_as_the_daemon_takes_it():
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "exit 5"])
        assert api.wait(c, condition="bogus") == {"Error": None, "StatusCode": 5}


def test_wait_for_a_missing_container_is_404_before_any_header():
    with _engine() as engine, pytest.raises(docker.errors.NotFound):
        engine.api_client().wait("nope")


# client timeouts -----------------------------------------------------------------------------

def test_wait_with_a_timeout_on_a_running_container_raises_requests_connection_error():
    # the daemon's headers come at once: requests times out reading the body, which it
    # raises as ConnectionError(ReadTimeoutError), not as ReadTimeout
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["sleep", "1000"])
        thread, box = _in_thread(lambda: api.wait(c, timeout=0.5))
        thread.join(10)
        assert box and type(box[0]) is requests.exceptions.ConnectionError
        assert engine.containers.get(c["Id"]).running


def test_followed_logs_ignore_the_client_timeout_as_docker_py_does_with_the_daemon():
    # docker-py turns the socket timeout off for log streams: the stream ends with the container
    with _engine() as engine:
        api = engine.api_client(timeout=0.2)
        c = _run(api, ["sleep", "1000"])
        stream = api.logs(c, stream=True, follow=True)
        thread, box = _in_thread(lambda: list(stream))
        thread.join(0.6)
        assert not box  # still following, no timeout raised
        engine.crash(c["Id"])
        thread.join(10)
        assert box == [[]]


def test_an_answer_later_than_the_read_timeout_raises_read_timeout_and_the_call_still_happens():
    with _engine() as engine:
        api = engine.api_client()
        engine.faults.latency("create_container", 1.0)
        short = engine.api_client(timeout=0.2)
        with pytest.raises(requests.exceptions.ReadTimeout):
            short.create_container(IMAGE, ["true"], name="late")
        engine.faults.latency("create_container", 0)
        thread, box = _in_thread(lambda: engine.transitions.wait(
            lambda: engine.containers.resolve("late") is not None, timeout=10))
        thread.join(15)
        assert box == [True]
        assert api.inspect_container("late")["Name"] == "/late"


def test_a_latency_within_the_timeout_answers_normally():
    with _engine() as engine:
        engine.faults.latency("version", 0.05)
        assert engine.api_client(timeout=10).version()["ApiVersion"] == "1.41"


# sleep on the engine's clock -----------------------------------------------------------------

@pytest.mark.parametrize("mode", ["immediate", "manual", "timer"])
def test_a_scripts_sleep_lasts_its_seconds_on_the_engine_clock_in_every_mode(mode):
    clock = FakeClock()
    with _engine(transitions=mode, clock=clock) as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "echo a; sleep 2; echo b; exit 3"])
        engine.settle()  # the daemon's own steps: a container's sleep is not one of them
        assert api.inspect_container(c)["State"]["Status"] == "running"
        assert api.logs(c) == b"a\n"
        clock.t += 1.9
        assert api.inspect_container(c)["State"]["Status"] == "running"
        clock.t += 0.2
        state = api.inspect_container(c)["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 3)
        assert api.logs(c) == b"a\nb\n"
        assert api.wait(c) == {"Error": None, "StatusCode": 3}


def test_sleep_as_the_whole_command_exits_0_after_its_seconds():
    clock = FakeClock()
    with _engine(clock=clock) as engine:
        api = engine.api_client()
        c = _run(api, ["sleep", "1m"])
        clock.t += 59
        assert api.inspect_container(c)["State"]["Running"] is True
        clock.t += 1
        assert api.inspect_container(c)["State"]["ExitCode"] == 0
        assert api.inspect_container(c)["State"]["Status"] == "exited"


def test_a_waiting_wait_returns_once_the_clock_passes_the_sleep():
    clock = FakeClock()
    with _engine(clock=clock) as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "sleep 5"])
        thread, box = _in_thread(lambda: api.wait(c))
        thread.join(0.3)
        assert not box
        clock.t += 5
        thread.join(10)
        assert box == [{"Error": None, "StatusCode": 0}]


def test_a_stopped_sleeper_leaves_no_script_behind_and_a_restart_sleeps_again():
    clock = FakeClock()
    with _engine(clock=clock) as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "sleep 10; exit 4"])
        assert len(engine.transitions.clocked()) == 1
        api.kill(c)
        assert engine.transitions.clocked() == []
        clock.t += 20
        assert api.inspect_container(c)["State"]["ExitCode"] == 137
        api.start(c)
        clock.t += 9
        assert api.inspect_container(c)["State"]["Running"] is True
        clock.t += 1
        assert api.inspect_container(c)["State"]["ExitCode"] == 4


def test_sleep_infinity_and_unmodelled_statements_run_until_stopped():
    clock = FakeClock()
    with _engine(clock=clock) as engine:
        api = engine.api_client()
        forever = _run(api, ["sleep", "infinity"])
        looping = _run(api, ["sh", "-c", "echo go; sleep 1; while true; do sleep 1; done"])
        clock.t += 10_000
        assert api.inspect_container(forever)["State"]["Running"] is True
        assert api.inspect_container(looping)["State"]["Running"] is True
        assert api.logs(looping) == b"go\n"


# redirections into the container's files ----------------------------------------------------

def _file(api, container, path):
    bits, _ = api.get_archive(container, path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        member = tar.getmembers()[0]
        return tar.extractfile(member).read(), member.mode


def test_echo_into_a_file_writes_the_containers_file_not_the_log():
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "echo x > /tmp/f; echo y >> /tmp/f; echo z > rel; : > /tmp/empty"],
                 working_dir="/work")
        assert api.wait(c) == {"Error": None, "StatusCode": 0}
        assert api.logs(c) == b""
        assert _file(api, c, "/tmp/f") == (b"x\ny\n", 0o644)
        assert _file(api, c, "/work/rel")[0] == b"z\n"
        assert _file(api, c, "/tmp/empty")[0] == b""


def test_a_redirection_the_shell_cannot_create_is_busybox_shs_error():
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["sh", "-c", "echo z > /nope/f; echo after; echo q > /tmp"])
        assert api.wait(c)["StatusCode"] == 1
        assert api.logs(c, stdout=True, stderr=False) == b"after\n"
        assert api.logs(c, stdout=False, stderr=True) == (
            b"sh: can't create /nope/f: nonexistent directory\n"
            b"sh: can't create /tmp: Is a directory\n")


def test_an_exec_form_echo_prints_the_redirection_literally():
    with _engine() as engine:
        api = engine.api_client()
        c = _run(api, ["echo", "x", ">", "file"])
        api.wait(c)
        assert api.logs(c) == b"x > file\n"


# the script model itself (pure) ------------------------------------------------------------

@pytest.mark.parametrize(("args", "seconds"), [
    (("2",), 2.0), (("0.5",), 0.5), (("1m",), 60.0), (("1", "2s"), 3.0), (("1h",), 3600.0),
    (("inf",), float("inf")), (("x",), None), ((), None), (("-1",), None),
])
def test_sleep_seconds(args, seconds):
    assert sleep_seconds(args) == seconds


@pytest.mark.parametrize(("cmd", "expected"), [
    (["sh", "-c", "false && echo x; echo y"], ([("stdout", b"y\n")], 0)),
    (["sh", "-c", "true && echo x"], ([("stdout", b"x\n")], 0)),
    (["sh", "-c", "echo $HOME"], ([], None)),  # expansion is not modelled: runs on
    (["sh", "-c", "echo a; echo *"], ([("stdout", b"a\n")], None)),
    (["sh", "-c", "echo a 2>/dev/null"], ([], None)),  # fd redirections: not modelled at all
    (["sh", "-c", "echo a > /dev/null; echo b > /dev/stderr"], ([("stderr", b"b\n")], 0)),
    (["sh", "-c", "echo '>' f"], ([], None)),  # a quoted operator: not taken apart
    (["sh", "-c", 'echo "a > b"'], ([("stdout", b"a > b\n")], 0)),
    (["sh", "-c", "echo a; sleep 1; echo b; exit 2"], ([("stdout", b"a\n"), ("stdout", b"b\n")], 2)),
    (["sh", "-c", "true && sleep 1"], ([], None)),  # a sleep that may not happen
    (["sh", "-c", "echo x > /proc/1/oom"], ([], None)),
])
def test_run_script_all_phases_at_once(cmd, expected):
    script = parse_script(cmd)
    assert isinstance(script, Script) or expected == ([], None)
    assert (run_script(script) if script is not None else ([], None)) == expected


def test_parse_script_phases_follow_the_sleeps():
    script = parse_script(["sh", "-c", "echo a; sleep 1; sleep 0; echo b; sleep 2m; exit 1"])
    assert [p.delay for p in script.phases] == [0.0, 1.0, 120.0]
    assert [[s.name for s in p.statements] for p in script.phases] == [["echo"], ["echo"], ["exit"]]
    assert not script.runs_on
