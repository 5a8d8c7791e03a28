"""fakedocker exec (hijacked streams), archives (put/get with the path-stat header) and logs."""

from __future__ import annotations

import base64
import io
import json
import tarfile
import threading

import docker
import pytest
from fake_fixtures import fake_engine_fixtures

from fakedocker.runtime import CallableRuntime

engine, api, client = fake_engine_fixtures(
    {"busybox:1.36": {"Cmd": ["sh"], "Env": ["PATH=/bin", "FROM=image"]}}
)


@pytest.fixture
def running(api):
    c = api.create_container("busybox:1.36", name="box", environment={"MINE": "1"},
                             working_dir="/work")
    api.start(c)
    return c


def make_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def untar(bits) -> dict[str, bytes | None]:
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}


# exec -----------------------------------------------------------------------------------------


def test_exec_default_handler_exits_0_without_output(api, running):
    e = api.exec_create(running, "ls -l")
    assert api.exec_start(e) == b""
    info = api.exec_inspect(e)
    assert info["ExitCode"] == 0 and info["Running"] is False
    assert info["ProcessConfig"] == {"tty": False, "entrypoint": "ls", "arguments": ["-l"],
                                     "privileged": False}
    assert info["ContainerID"] == running["Id"] and info["Pid"] > 0
    assert api.inspect_container(running)["ExecIDs"] is None  # no exec runs any more


def test_exec_handler_output_demux_tty_and_env(engine, api, running):
    calls = []

    def handler(container, cmd, env, user, workdir):
        calls.append((container.name, cmd, env, user, workdir))
        return 3, b"out\n", b"err\n"

    engine.exec_handler = handler
    e = api.exec_create(running, ["sh", "-c", "x"], environment={"EXTRA": "2"}, user="nobody")
    assert api.exec_start(e) == b"out\nerr\n"
    assert api.exec_inspect(e)["ExitCode"] == 3
    name, cmd, env, user, workdir = calls[0]
    assert (name, cmd, user, workdir) == ("box", ["sh", "-c", "x"], "nobody", "/work")
    assert env == {"PATH": "/bin", "FROM": "image", "MINE": "1", "EXTRA": "2"}
    assert api.exec_start(api.exec_create(running, "x"), demux=True) == (b"out\n", b"err\n")
    tty = api.exec_create(running, "x", tty=True)
    assert api.exec_start(tty, tty=True) == b"out\r\nerr\r\n"
    chunks = list(api.exec_start(api.exec_create(running, "x"), stream=True))
    assert b"".join(chunks) == b"out\nerr\n"
    sock = api.exec_start(api.exec_create(running, "x"), socket=True)
    data = b""
    while True:
        chunk = sock.read(4096) if hasattr(sock, "read") else sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert data == b"\x01\x00\x00\x00\x00\x00\x00\x04out\n\x02\x00\x00\x00\x00\x00\x00\x04err\n"
    assert api.exec_start(api.exec_create(running, "x"), detach=True) == ""


def test_exec_runs_what_the_model_knows(api, running):
    def run(cmd, start=None, **create):
        e = api.exec_create(running, cmd, **create)
        return api.exec_start(e, **(start or {})), api.exec_inspect(e)["ExitCode"]

    assert run("whoami", user="postgres") == (b"postgres\n", 0)
    assert run("pwd") == (b"/work\n", 0)  # the container's working directory
    assert run("pwd", workdir="/var/opt") == (b"/var/opt\n", 0)
    hostname = api.inspect_container(running)["Config"]["Hostname"]
    assert run("env", environment=["X=Y"])[0].decode().splitlines() == [
        "PATH=/bin", f"HOSTNAME={hostname}", "MINE=1", "FROM=image", "X=Y", "HOME=/root"]
    assert run(["sh", "-c", "echo a > f; cat f; exit 42"]) == (b"a\n", 42)
    assert run(["cat", "/work/f"]) == (b"a\n", 0)  # the file the first exec wrote
    script = 'sh -c "echo hello out ; sleep 0.5 ; echo hello err >&2"'
    assert run(script, {"demux": True}) == ((b"hello out\n", b"hello err\n"), 0)
    assert list(api.exec_start(api.exec_create(running, script), stream=True, demux=True)) == [
        (b"hello out\n", None), (None, b"hello err\n")]
    assert run(script, {"demux": True}, tty=True) == ((b"hello out\r\nhello err\r\n", None), 0)
    assert run(script, {"tty": True}) == (b"hello out\n", 0)  # a raw stream: stdout alone


def test_exec_model_comes_after_handlers_and_falls_back_whole(engine, api, running):
    # a script with a statement the model does not know is not half-answered
    e = api.exec_create(running, ["sh", "-c", "echo partial; cat /etc/os-release"])
    assert (api.exec_start(e), api.exec_inspect(e)["ExitCode"]) == (b"", 0)
    engine.exec_handler = lambda c, cmd, env, user, workdir: (7, "handled\n", "")
    e = api.exec_create(running, ["echo", "hi"])
    assert (api.exec_start(e), api.exec_inspect(e)["ExitCode"]) == (b"handled\n", 7)
    engine.exec_handler = lambda *args: None  # declines: the model answers
    e = api.exec_create(running, ["echo", "hi"])
    assert (api.exec_start(e), api.exec_inspect(e)["ExitCode"]) == (b"hi\n", 0)


def test_exec_events(engine, api, running):
    e = api.exec_create(running, ["echo", "hi"])
    api.exec_start(e)
    evs = [ev for ev in engine.events if ev["Action"].startswith("exec_")]
    assert [ev["Action"] for ev in evs] == ["exec_create: echo hi", "exec_start: echo hi", "exec_die"]
    assert evs[2]["Actor"]["Attributes"]["exitCode"] == "0"
    assert all(ev["Actor"]["Attributes"]["execID"] == e["Id"] for ev in evs)


def test_exec_errors(api):
    c = api.create_container("busybox:1.36")
    with pytest.raises(docker.errors.APIError) as err:
        api.exec_create(c, "ls")
    assert err.value.status_code == 409
    assert err.value.explanation == f"Container {c['Id']} is not running"
    with pytest.raises(docker.errors.NotFound) as err:
        api.exec_inspect("nope")
    assert err.value.explanation == "No such exec instance: nope"
    api.start(c)
    e = api.exec_create(c, "ls")
    api.stop(c)
    with pytest.raises(docker.errors.APIError) as err:
        api.exec_start(e)
    assert err.value.status_code == 409
    api.start(c)
    api.pause(c)
    with pytest.raises(docker.errors.APIError) as err:
        api.exec_create(c, "ls")
    assert err.value.status_code == 409 and "is paused" in err.value.explanation


def test_runtime_exec_overrides_engine_handler(engine, api):
    class Shell(CallableRuntime):
        def exec(self, container, cmd, env, user, workdir):
            return 0, " ".join(cmd).encode(), b""

    engine.exec_handler = lambda *a: (9, b"engine", b"")
    engine.set_runtime("special", Shell(lambda ctx: ctx.stopped.wait()))
    c = api.create_container("busybox:1.36", name="special-1")
    api.start(c)
    assert api.exec_start(api.exec_create(c, "echo a")) == b"echo a"
    other = api.create_container("busybox:1.36", name="plain-1")
    api.start(other)
    assert api.exec_start(api.exec_create(other, "echo a")) == b"engine"


def test_high_level_exec_run(engine):
    engine.exec_handler = lambda c, cmd, env, user, wd: (1, "nope\n", "")
    client = engine.docker_client()
    ct = client.containers.run("busybox:1.36", detach=True)
    result = ct.exec_run("false")
    assert result.exit_code == 1 and result.output == b"nope\n"
    result = ct.exec_run("false", demux=True)
    assert result.output == (b"nope\n", None)


# archive --------------------------------------------------------------------------------------


def test_put_and_get_archive(engine, api, running):
    assert api.put_archive(running, "/tmp", make_tar({"a.txt": b"hello", "sub/b.txt": b"bee"})) is True
    assert engine.containers.read_file("box", "/tmp/sub/b.txt") == b"bee"
    bits, stat = api.get_archive(running, "/tmp/a.txt")
    assert stat == {"name": "a.txt", "size": 5, "mode": 0o600, "mtime": "1970-01-01T00:00:00Z",
                    "linkTarget": ""}
    assert untar(bits) == {"a.txt": b"hello"}
    bits, stat = api.get_archive(running, "/tmp/sub")
    assert stat["name"] == "sub" and stat["mode"] == 0x80000000 | 0o755 and stat["size"] == 4096
    assert untar(bits) == {"sub": None, "sub/b.txt": b"bee"}
    bits, _ = api.get_archive(running, "/etc/hostname")
    assert untar(bits) == {"hostname": (running["Id"][:12] + "\n").encode()}


def test_archive_errors(api, running):
    with pytest.raises(docker.errors.NotFound) as err:
        api.get_archive(running, "/nonexist")
    assert err.value.explanation == f"Could not find the file /nonexist in container {running['Id']}"
    with pytest.raises(docker.errors.NotFound):
        api.put_archive(running, "/nonexist", make_tar({"x": b""}))
    api.put_archive(running, "/tmp", make_tar({"f": b"1"}))
    with pytest.raises(docker.errors.APIError) as err:
        api.put_archive(running, "/tmp/f", make_tar({"x": b""}))
    assert err.value.status_code == 500 and err.value.explanation == "extraction point is not a directory"


def test_archive_works_on_a_created_container_and_stat_header(engine, api):
    c = api.create_container("busybox:1.36")
    api.put_archive(c, "/", make_tar({"etc/app.conf": b"x=1"}))
    resp = api._get(api._url("/containers/{0}/archive", c["Id"]), params={"path": "/etc/app.conf"})
    stat = json.loads(base64.b64decode(resp.headers["X-Docker-Container-Path-Stat"]))
    assert stat["name"] == "app.conf" and stat["size"] == 3


def test_high_level_put_archive(engine):
    client = engine.docker_client()
    ct = client.containers.create("busybox:1.36", name="hl")
    assert ct.put_archive("/tmp", make_tar({"z": b"zz"}))
    bits, stat = ct.get_archive("/tmp/z")
    assert stat["size"] == 2


# logs -----------------------------------------------------------------------------------------


def test_logs_streams_tail_timestamps(engine, api, running):
    store = engine.containers
    store.append_log("box", "one\ntwo\n")
    store.append_log("box", "oops\n", "stderr")
    store.append_log("box", b"three\n", "stdout")
    assert api.logs(running) == b"one\ntwo\noops\nthree\n"
    assert api.logs(running, stderr=False) == b"one\ntwo\nthree\n"
    assert api.logs(running, stdout=False) == b"oops\n"
    assert api.logs(running, tail=2) == b"oops\nthree\n"
    assert api.logs(running, tail=0) == b""
    stamped = api.logs(running, timestamps=True, tail=1)
    ts, _, line = stamped.partition(b" ")
    assert line == b"three\n" and ts.endswith(b"Z") and b"T" in ts
    assert api.logs(running, since=engine.now() + 100) == b""


def test_logs_of_a_tty_container_are_raw(engine, api):
    c = api.create_container("busybox:1.36", tty=True)
    engine.containers.append_log(c["Id"], "raw\n")
    assert api.logs(c) == b"raw\n"
    assert b"".join(api.logs(c, stream=True, follow=False)) == b"raw\n"


def test_logs_follow_until_the_container_stops(engine, api, running):
    engine.containers.append_log("box", "before\n")
    stream = api.logs(running, stream=True, follow=True)
    assert next(stream) == b"before\n"
    got = []
    t = threading.Thread(target=lambda: got.extend(stream))
    t.start()
    engine.containers.append_log("box", "after\n")
    api.stop(running)
    t.join(10)
    assert not t.is_alive()
    assert b"".join(got) == b"after\n"


def test_high_level_logs(engine):
    def job(ctx):
        ctx.log("hi\n")
        ctx.log("warn\n", "stderr")
        return 0

    engine.set_runtime("busybox", CallableRuntime(job))
    client = engine.docker_client()
    ct = client.containers.run("busybox:1.36", detach=True)
    assert ct.wait()["StatusCode"] == 0
    assert ct.logs() == b"hi\nwarn\n"
    assert ct.logs(stderr=False) == b"hi\n"


def test_a_process_writing_to_a_terminal_makes_one_stream_of_crlf_lines(engine, api):
    def job(ctx):
        ctx.log("hi\nthere\n")
        ctx.log("warn\r\n", "stderr")
        return 0

    engine.set_runtime("busybox", CallableRuntime(job))
    c = api.create_container("busybox:1.36", tty=True)
    api.start(c)
    assert api.wait(c)["StatusCode"] == 0
    assert api.logs(c) == b"hi\r\nthere\r\nwarn\r\n"
    assert api.logs(c, stdout=False) == b""
