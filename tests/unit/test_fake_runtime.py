"""fakedocker runtimes: idle, host processes, callables; runtime selection; engine.close()."""

from __future__ import annotations

import os
import sys
import textwrap
import urllib.request

import pytest
from fake_fixtures import fake_engine_fixtures

import fakedocker
from fakedocker.runtime import CallableRuntime, HostProcessRuntime, IdleRuntime

engine, api, client = fake_engine_fixtures({
    "busybox:1.36": {"Cmd": ["sh"], "Env": ["FROM_IMAGE=1"]},
    "server:1": {"Cmd": ["serve"], "ExposedPorts": {"8888/tcp": {}}},
})


SERVER = textwrap.dedent("""
    import http.server, os, signal, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (os.environ["GREETING"] + " " + os.environ["FROM_IMAGE"]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H)
    print("listening", flush=True)
    srv.serve_forever()
""")


def test_host_process_answers_on_the_published_port(engine, api):
    def command(ctx):
        (ip, port), *_ = ctx.ports["8888/tcp"]
        return [sys.executable, "-c", SERVER, ip, str(port)]

    engine.set_runtime("server", HostProcessRuntime(command=command, env={"GREETING": "hello"}))
    engine.add_image("server:1", config={"Cmd": ["serve"], "Env": ["FROM_IMAGE=img"],
                                         "ExposedPorts": {"8888/tcp": {}}})
    c = api.create_container("server:1", host_config=api.create_host_config(
        port_bindings={8888: ("127.0.0.1",)}))
    api.start(c)
    port = api.port(c, 8888)[0]["HostPort"]
    # wait for the process to say it listens (its stdout is the container's log)
    for line in api.logs(c, stream=True, follow=True):
        if b"listening" in line:
            break
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
    assert body == b"hello img"
    pid = api.inspect_container(c)["State"]["Pid"]
    assert pid > 0
    api.stop(c, timeout=10)
    state = api.inspect_container(c)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_host_process_exiting_by_itself_ends_the_container(engine, api):
    engine.set_runtime("busybox", HostProcessRuntime(
        command=[sys.executable, "-c", "import sys; print('bye'); sys.exit(7)"]))
    c = api.create_container("busybox:1.36")
    api.start(c)
    assert api.wait(c) == {"Error": None, "StatusCode": 7}
    assert api.logs(c) == b"bye\n"
    assert [ev["Action"] for ev in engine.events if ev["Type"] == "container"][-1] == "die"


def test_host_process_killed_by_signal_exits_128_plus_n(engine, api):
    engine.set_runtime("busybox", HostProcessRuntime(
        command=[sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"]))
    c = api.create_container("busybox:1.36")
    api.start(c)
    for line in api.logs(c, stream=True, follow=True):
        if b"up" in line:
            break
    api.stop(c, timeout=0)  # SIGTERM ignored: SIGKILL
    assert api.inspect_container(c)["State"]["ExitCode"] == 137
    api.start(c)
    api.kill(c, "SIGUSR1")  # default action (whether Python runs yet or not): terminate
    assert api.wait(c)["StatusCode"] == 128 + 10


def test_host_process_uses_the_container_env_and_cmd_by_default(engine, api):
    engine.set_runtime("busybox", HostProcessRuntime())
    c = api.create_container("busybox:1.36", command=[sys.executable, "-c",
                             "import os; print(os.environ['FROM_IMAGE'] + os.environ['X'])"],
                             environment={"X": "y"})
    api.start(c)
    assert api.wait(c)["StatusCode"] == 0
    assert api.logs(c) == b"1y\n"


def test_engine_close_kills_host_processes():
    engine = fakedocker.FakeEngine()
    engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})
    engine.set_runtime("busybox", HostProcessRuntime(command=[sys.executable, "-c", "import time; time.sleep(60)"]))
    api = engine.api_client()
    c = api.create_container("busybox:1.36")
    api.start(c)
    proc = engine.containers.get(c["Id"]).process.proc
    engine.close()
    assert api.inspect_container(c)["State"]["Status"] == "exited"
    assert proc.wait(timeout=10) == -9


def test_callable_runtime_stop_and_return_code(engine, api):
    seen = {}

    def job(ctx):
        seen["env"] = ctx.env
        seen["cmd"] = ctx.cmd
        ctx.stopped.wait()
        return 143

    engine.set_runtime("busybox", CallableRuntime(job))
    c = api.create_container("busybox:1.36", command=["run", "it"], environment={"A": "b"})
    api.start(c)
    api.stop(c)
    assert api.inspect_container(c)["State"]["ExitCode"] == 143
    assert seen["env"]["A"] == "b" and seen["cmd"] == ["run", "it"]


def test_callable_runtime_exception_is_exit_1_with_traceback(engine, api):
    def job(ctx):
        raise RuntimeError("boom")

    engine.set_runtime("busybox", CallableRuntime(job))
    c = api.create_container("busybox:1.36")
    api.start(c)
    assert api.wait(c)["StatusCode"] == 1
    assert b"RuntimeError: boom" in api.logs(c, stdout=False)


def test_idle_runtime_options(engine, api):
    engine.set_runtime("busybox", IdleRuntime(exit_code=3))
    c = api.create_container("busybox:1.36")
    api.start(c)
    api.stop(c)
    assert api.inspect_container(c)["State"]["ExitCode"] == 3
    engine.set_runtime("busybox", IdleRuntime(exit_on_sigterm=False))
    api.start(c)
    api.kill(c, "SIGTERM")
    assert api.inspect_container(c)["State"]["Running"]
    api.stop(c, timeout=0)
    assert api.inspect_container(c)["State"]["ExitCode"] == 137


def test_runtime_selection(engine, api):
    a, b = IdleRuntime(exit_code=1), IdleRuntime(exit_code=2)
    engine.default_runtime = IdleRuntime(exit_code=9)
    engine.set_runtime("busybox:1.36", a)
    engine.set_runtime("named-", b)
    engine.set_runtime(lambda c: c.labels.get("rt") == "x", IdleRuntime(exit_code=4))
    cases = [({"image": "busybox:1.36"}, 1), ({"image": "busybox:1.36", "name": "named-1"}, 2),
             ({"image": "server:1"}, 9), ({"image": "server:1", "labels": {"rt": "x"}}, 4)]
    for kwargs, code in cases:
        c = api.create_container(**kwargs)
        api.start(c)
        api.stop(c)
        assert api.inspect_container(c)["State"]["ExitCode"] == code, kwargs
    engine.set_runtime("named-", None)
    c = api.create_container("busybox:1.36", name="named-2")
    api.start(c)
    api.stop(c)
    assert api.inspect_container(c)["State"]["ExitCode"] == 1


@pytest.mark.parametrize(("cmd", "expected"), [
    (["sh", "-c", "sleep 1000"], (False, 0)),
    (["sleep", "1000"], (False, 0)),
    (["sh", "-c", "trap 'exit 3' INT TERM; while true; do sleep 1; done"], (True, 3)),
    (["sh"], (True, 0)),
    (["jupyterhub-singleuser", "--ip=0.0.0.0"], (True, 0)),
])
def test_pid1_guess(cmd, expected):
    from fakedocker.runtime import pid1_handles_term

    assert pid1_handles_term(cmd) == expected


@pytest.mark.parametrize(("cmd", "expected"), [
    (["sh", "-c", "echo a; echo b >&2"], ([("stdout", b"a\n"), ("stderr", b"b\n")], 0)),
    (["sh", "-c", "echo -n x && exit 4"], ([("stdout", b"x")], 4)),
    (["echo", "a;b"], ([("stdout", b"a;b\n")], 0)),
    (["sh", "-c", "echo a | cat"], ([], None)),
    (["sh", "-c", "echo start; sleep 100"], ([("stdout", b"start\n")], None)),
    (["false"], ([], 1)),
    (["python", "app.py"], ([], None)),
])
def test_simulate_script(cmd, expected):
    from fakedocker.runtime import simulate_script

    assert simulate_script(cmd) == expected
