"""Exec routes: create, start (a hijacked stream), inspect, resize.

What an exec prints and its exit code come from, in order: the container's runtime, if it
implements ``exec(container, cmd, env, user, workdir)`` and does not return ``None``; else
``engine.exec_handler`` (same signature); else the model, for a command it can run to its
end (:mod:`fakedocker.scripts`: ``echo``, ``exit``, ``sh -c`` scripts of those; and
:mod:`fakedocker.programs`: ``whoami``, ``id -u``, ``pwd``, ``env``, ``printf``, ``cat`` of a
file the model wrote); else exit 0 with no output.  The answer is ``(exit_code,
stdout_bytes, stderr_bytes)``; a bare int, bytes/str (stdout) or ``None`` are accepted too.

As the daemon does, the exec's own ``Tty`` (at create) shapes the output (a terminal: one
stream, ``\r\n`` line ends) and the start request's ``Tty`` frames it (multiplexed or raw).
"""

from __future__ import annotations

import itertools
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import messages
from ..programs import PROGRAMS, ProcessContext, process_env, run_program
from ..routing import Request, Response, route
from ..scripts import NotModelled, parse_script, run_script
from ..state.containers import merge_env
from .output import frame

if TYPE_CHECKING:
    from ..engine import FakeEngine

_exec_pids = itertools.count(9000)


@dataclass
class ExecInstance:
    id: str
    container_id: str
    cmd: list[str]
    env: list[str] | None
    user: str
    workdir: str
    tty: bool
    privileged: bool
    attach_stdin: bool
    attach_stdout: bool
    attach_stderr: bool
    detach_keys: str = ""
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    output: list[tuple[int, bytes]] = field(default_factory=list)

    def inspect(self) -> dict[str, Any]:
        process: dict[str, Any] = {
            "tty": self.tty,
            "entrypoint": self.cmd[0] if self.cmd else "",
            "arguments": self.cmd[1:],
            "privileged": self.privileged,
        }
        if self.user:
            process["user"] = self.user
        return {
            "ID": self.id,
            "Running": self.running,
            "ExitCode": self.exit_code,
            "ProcessConfig": process,
            "OpenStdin": self.attach_stdin,
            "OpenStderr": self.attach_stderr,
            "OpenStdout": self.attach_stdout,
            "CanRemove": False,
            "ContainerID": self.container_id,
            "DetachKeys": self.detach_keys,
            "Pid": self.pid,
        }


def _event_action(prefix: str, cmd: list[str]) -> str:
    return f"{prefix}: {cmd[0] if cmd else ''} {' '.join(cmd[1:])}"


@route("POST", "/containers/{id}/exec", "exec_create")
def exec_create(engine: FakeEngine, req: Request) -> Response:
    body = req.json() or {}
    cmd = body.get("Cmd") or []
    if isinstance(cmd, str):
        cmd = [cmd]
    store = engine.containers
    with engine.lock:
        c = store.get(req.params["id"])
        if c.status == "paused":
            raise messages.exec_container_paused(c.id)
        if not c.running:
            raise messages.container_not_running(c.id)
        if not cmd:
            raise messages.no_exec_command()
        inst = ExecInstance(
            id=engine.new_id(), container_id=c.id, cmd=[str(a) for a in cmd], env=body.get("Env"),
            user=body.get("User") or "", workdir=body.get("WorkingDir") or "",
            tty=bool(body.get("Tty")), privileged=bool(body.get("Privileged")),
            attach_stdin=bool(body.get("AttachStdin")),
            attach_stdout=bool(body.get("AttachStdout", True)),
            attach_stderr=bool(body.get("AttachStderr", True)),
            detach_keys=body.get("detachKeys") or "",
        )
        store.execs[inst.id] = inst
        c.exec_ids.append(inst.id)
        c.execs.append(inst)
        engine.emit("container", _event_action("exec_create", inst.cmd), c.id, c.attributes(execID=inst.id))
    return Response(201, {"Id": inst.id})


def _exec_instance(engine: FakeEngine, exec_id: str) -> ExecInstance:
    inst = engine.containers.execs.get(exec_id)
    if inst is None:
        raise messages.no_such_exec(exec_id)
    return inst


Output = list[tuple[int, bytes]]  # (stream: 1 stdout, 2 stderr; data), in the order written


def _modelled_run(engine: FakeEngine, c: Any, inst: ExecInstance, user: str, workdir: str
                  ) -> tuple[int, Output] | None:
    """The exit code and output of ``inst``'s command when the model runs it to its end."""
    script = parse_script(inst.cmd, PROGRAMS)
    if script is None:
        return None
    env = process_env(c.config.get("Env"), c.config.get("Hostname") or "", inst.tty, user, inst.env)
    files = engine.containers.files
    ctx = ProcessContext(user, workdir, env or (), lambda path: files.known_content(c, path))

    def run(name: str, args: tuple[str, ...]) -> tuple[bytes, bytes, int] | None:
        if env is None and name in ("env", "printenv"):
            return None
        return run_program(name, list(args), ctx)

    try:
        output, code = run_script(script, lambda path, data, append: files.write_file(
            c, posixpath.join(workdir, path), data, append), run)
    except NotModelled:
        return None
    if code is None:
        return None  # it runs on (sleep inf, a statement not modelled)
    return code, [(1 if stream == "stdout" else 2, data) for stream, data in output]


def _exec_result(result: Any) -> tuple[int, bytes, bytes]:
    if result is None:
        return 0, b"", b""
    if isinstance(result, int):
        return result, b"", b""
    if isinstance(result, str | bytes):
        return 0, result.encode() if isinstance(result, str) else result, b""
    code, out, err = (list(result) + [b"", b""])[:3]

    def as_bytes(v: Any) -> bytes:
        if v is None:
            return b""
        return v.encode() if isinstance(v, str) else bytes(v)

    return int(code or 0), as_bytes(out), as_bytes(err)


@route("POST", "/exec/{id}/start", "exec_start")
def exec_start(engine: FakeEngine, req: Request) -> Response:
    body = req.json() or {}
    detach = bool(body.get("Detach"))
    store = engine.containers
    with engine.lock:
        inst = _exec_instance(engine, req.params["id"])
        c = store.by_id.get(inst.container_id)
        if c is None:
            raise messages.no_such_container(inst.container_id)
        if not c.running:
            raise messages.container_not_running(c.id)
        if inst.running:
            raise messages.exec_already_running(inst.id)
        inst.running = True
        inst.exit_code = None
        inst.pid = next(_exec_pids)
        env = merge_env(c.config.get("Env"), inst.env)
        env_dict = {k: v for k, _, v in (e.partition("=") for e in env)}
        runtime_exec = getattr(store.runtime_for(c), "exec", None)  # optional for runtimes
        handler = engine.exec_handler
        engine.emit("container", _event_action("exec_start", inst.cmd), c.id, c.attributes(execID=inst.id))
    workdir = inst.workdir or c.config.get("WorkingDir") or "/"
    user = inst.user or c.config.get("User") or ""
    try:
        result = None
        if runtime_exec is not None:
            result = runtime_exec(c, list(inst.cmd), env_dict, user, workdir)
        if result is None and handler is not None:
            result = handler(c, list(inst.cmd), env_dict, user, workdir)
        modelled = _modelled_run(engine, c, inst, user, workdir) if result is None else None
        if modelled is not None:
            code, output = modelled
        else:
            code, out, err = _exec_result(result)
            output = [(1, out), (2, err)]
    except Exception:
        with engine.lock:
            inst.running = False
            inst.exit_code = 126
        raise
    with engine.lock:
        inst.running = False
        inst.exit_code = code
        engine.emit("container", "exec_die", c.id, c.attributes(execID=inst.id, exitCode=str(code)))
    if detach:
        return Response(200, None)
    raw = bool(body.get("Tty"))
    # a raw stream carries the process's stdout alone (a terminal's, which has stderr in it)
    chunks = [data if raw else frame(stream, data) for stream, data in _shaped(inst, output)
              if not raw or stream == 1]
    content_type = "application/vnd.docker.raw-stream" if raw else "application/vnd.docker.multiplexed-stream"
    return Response(200, iter(chunks), kind="hijack", content_type=content_type)


def _shaped(inst: ExecInstance, output: Output) -> Output:
    """The attached streams of the output; through a terminal, one stream with CRLF line ends."""
    attached = [(stream, data) for stream, data in output if data and (
        inst.attach_stdout if stream == 1 else inst.attach_stderr)]
    if not inst.tty:
        return attached
    return [(1, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")) for _, data in attached]


@route("GET", "/exec/{id}/json", "exec_inspect")
def exec_inspect(engine: FakeEngine, req: Request) -> dict[str, Any]:
    with engine.lock:
        return _exec_instance(engine, req.params["id"]).inspect()


@route("POST", "/exec/{id}/resize", "exec_resize")
def exec_resize(engine: FakeEngine, req: Request) -> Response:
    with engine.lock:
        _exec_instance(engine, req.params["id"])
    return Response(201, None)
