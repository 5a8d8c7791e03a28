"""Runtimes: what a started fake container *does*.

A runtime is chosen for a container when it starts (see :meth:`FakeEngine.set_runtime`):
the rules added with ``engine.set_runtime(match, runtime)`` are tried newest first (``match``
is an image reference, an image id, a container-name prefix, or a callable
``match(container) -> bool``), then ``engine.default_runtime``, then :class:`IdleRuntime`.

A runtime has one method, ``start(ctx) -> Process``; ``ctx`` is a :class:`RuntimeContext`.
The returned process object implements:

- ``exit_at_start`` (optional): an exit code if the process ends as soon as it started
  (its ``die`` event then follows the ``start`` event);
- ``signal(signum) -> int | None``: deliver a signal; return the exit code if the process
  died of it synchronously, else ``None`` (a process that dies later reports it through
  ``ctx.exited(code)``, from any thread);
- ``pause()`` / ``resume()`` (optional);
- ``pid`` (int).

A runtime may also implement ``exec(container, cmd, env, user, workdir) ->
(exit_code, stdout_bytes, stderr_bytes)`` (or return ``None`` to fall back to
``engine.exec_handler``): the answer of ``exec_run`` / ``exec_start`` in its containers.

Runtimes shipped here:

- :class:`IdleRuntime` (the default): no process at all; runs until stopped or killed.
- :class:`HostProcessRuntime`: a real host process (e.g. a JupyterHub single-user stand-in
  answering at the container's published ``HostIp:HostPort``).
- :class:`CallableRuntime`: ``func(ctx)`` in a thread; its return value is the exit code.
"""

from __future__ import annotations

import itertools
import os
import re
import signal as _signal
import subprocess
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .scripts import Phase, Script, parse_script, run_phase, unrunnable_program
from .transitions import Step

if TYPE_CHECKING:
    from .state.containers import Container
    from .state.containers.lifecycle import ContainerLifecycle

SIGKILL = int(_signal.SIGKILL)
SIGTERM = int(_signal.SIGTERM)
#: signals that end a process that installs no handler for them
TERMINATING = {int(_signal.SIGTERM), int(_signal.SIGINT), int(_signal.SIGHUP), int(_signal.SIGQUIT)}

_fake_pids = itertools.count(4000)


class RuntimeContext:
    """What a runtime knows about the container it runs.

    Attributes:
        id, name: the container's id (64 hex) and name (without ``/``).
        image: the image reference the container was created from.
        cmd: entrypoint + command, as a list (what the container's process would exec).
        env: the container's environment as a dict.
        workdir, user, labels, hostname: from the container's config.
        ports: the published ports, ``{"8888/tcp": [("127.0.0.1", 32768), ...]}``.
        stop_signal: the signal number ``docker stop`` sends first.
        stopped: a :class:`threading.Event` set once the container is asked to stop (or killed).
        signals: every signal number delivered to the container, in order.
        container: the fake :class:`~fakedocker.state.containers.Container` itself.
    """

    def __init__(self, lifecycle: ContainerLifecycle, container: Container, generation: int,
                 ports: dict[str, list[tuple[str, int]]]):
        self._lifecycle = lifecycle
        self._generation = generation
        self.container = container
        self.id: str = container.id
        self.name: str = container.name
        self.image: str = container.config.get("Image") or ""
        self.cmd: list[str] = list(container.path_args())
        self.env: dict[str, str] = container.env_dict()
        self.workdir: str = container.config.get("WorkingDir") or ""
        self.user: str = container.config.get("User") or ""
        self.hostname: str = container.config.get("Hostname") or ""
        self.labels: dict[str, str] = dict(container.labels)
        self.ports = ports
        self.stop_signal: int = container.stop_signal_number()
        self.stopped = threading.Event()
        self.signals: list[int] = []

    @property
    def engine(self) -> Any:
        return self._lifecycle.engine

    def log(self, data: bytes | str, stream: str = "stdout") -> None:
        """Append output to the container's logs (``stream``: ``stdout`` or ``stderr``).  A
        container with a terminal (``Tty``) has one stream, whose line ends the terminal makes
        ``\r\n``."""
        if isinstance(data, str):
            data = data.encode()
        if self.container.config.get("Tty"):
            data, stream = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "stdout"
        self._lifecycle.append_log(self.container, data, 2 if stream == "stderr" else 1)

    def exited(self, code: int) -> None:
        """Report that the process ended by itself with ``code`` (idempotent, any thread)."""
        self._lifecycle.process_exited(self.container, self._generation, int(code))

    def write_file(self, path: str, data: bytes, append: bool = False) -> str | None:
        """Write ``data`` to ``path`` (relative: to the working directory) in the container's
        file tree; None, or why a shell could not create the file."""
        return self.engine.containers.files.write_file(self.container, path, data, append)


class IdleRuntime:
    """No process: the container runs until it is stopped, killed or crashed.

    Args:
        exit_on_sigterm: the stop signal (and SIGTERM/SIGINT/SIGHUP/SIGQUIT) ends the
            container at once with ``exit_code``.  When False, the container ignores them, as
            a ``sleep`` run as PID 1 does: ``docker stop`` waits its full timeout, then
            SIGKILLs it (exit code 137).  ``"auto"``: decided per container from its command,
            as a real PID 1 would behave (see :func:`pid1_handles_term`): ``sh -c 'sleep 1000'``
            ignores TERM, ``sh -c 'trap "exit 0" TERM; ...'`` exits 0, other programs exit
            with ``exit_code``.
        exit_code: the exit code of a container ended by a terminating signal.
        scripts: model trivial commands (``sh -c 'echo hi; sleep 2; exit 3'``, ``echo hi``,
            ``echo x > file``; see :mod:`fakedocker.scripts`): their output goes to the logs
            (redirected output into the container's file tree), each ``sleep N`` lasts N
            seconds on the engine's clock (in every transition mode: it is the program's
            time, not the daemon's work), and the container exits when the script ends.
            Anything else runs until stopped.
    """

    def __init__(self, exit_on_sigterm: bool | str = True, exit_code: int = 0, scripts: bool = True):
        if exit_on_sigterm not in (True, False, "auto"):
            raise ValueError("exit_on_sigterm must be True, False or 'auto'")
        self.exit_on_sigterm = exit_on_sigterm
        self.exit_code = exit_code
        self.scripts = scripts

    def start(self, ctx: RuntimeContext) -> _IdleProcess:
        if self.exit_on_sigterm == "auto":
            exits, code = pid1_handles_term(ctx.cmd)
            process = _IdleProcess(self, ctx.stop_signal, exits, code if exits else self.exit_code)
        else:
            process = _IdleProcess(self, ctx.stop_signal, bool(self.exit_on_sigterm), self.exit_code)
        if self.scripts:
            script = parse_script(ctx.cmd)
            if script is not None:
                _run_script(ctx, process, script)
            if process.exit_at_start is None:
                process.unrunnable = unrunnable_program(ctx.cmd, bool(ctx.container.config.get("OpenStdin")))
        return process

    def __repr__(self) -> str:
        return f"IdleRuntime(exit_on_sigterm={self.exit_on_sigterm}, exit_code={self.exit_code})"


_SH = {"sh", "bash", "ash", "dash", "zsh"}
_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "sleep", "tail", "cat", "top"}
_TRAP = re.compile(r"\btrap\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s+([\w\s]*)")


def pid1_handles_term(cmd: list[str]) -> tuple[bool, int]:
    """Guess whether ``cmd`` run as PID 1 ends on SIGTERM, and with which exit code.

    PID 1 ignores signals it installs no handler for: ``sh -c SCRIPT`` or ``sleep`` does
    (unless the script traps TERM: then the trap's ``exit N`` gives the code), while a program
    of unknown kind (a server, ``python ...``, a bare ``sh``) is assumed to handle TERM and
    exit 0.
    """
    if not cmd:
        return False, 0
    script = " ".join(cmd)
    for m in _TRAP.finditer(script):
        action = next(g for g in m.groups()[:3] if g is not None)
        sigs = m.group(4).split()
        if any(s in ("TERM", "SIGTERM", "15") for s in sigs):
            code = re.search(r"\bexit\s+(\d+)", action)
            return True, int(code.group(1)) if code else 0
    program = os.path.basename(cmd[0])
    if program in _SH and "-c" not in cmd[1:2]:
        return True, 0  # an interactive shell stand-in: the fake lets it end on TERM
    return program not in _SHELLS, 0


def simulate_script(cmd: list[str]) -> tuple[list[tuple[str, bytes]], int | None]:
    """What a trivial command does as soon as it starts (see :mod:`fakedocker.scripts`).

    Returns the output ``[(stream, bytes)]`` written before its first ``sleep`` and the exit
    code, or ``None`` as exit code when the command is still running then (it sleeps, or it
    does something not modelled: a loop, a server, a bare ``sh``).  Redirected output is
    discarded here (a started container writes it into its file tree).
    """
    script = parse_script(cmd)
    if script is None:
        return [], None
    output, status, code = run_phase(script.phases[0], 0, None)
    if code is None and len(script.phases) == 1 and not script.runs_on:
        code = status
    return output, code


def _run_script(ctx: RuntimeContext, process: _IdleProcess, script: Script) -> None:
    """Run the first phase of ``script`` now; each later one after its ``sleep`` on the
    engine's clock (a clocked progression, cancelled when the process ends before it)."""
    output, status, code = run_phase(script.phases[0], 0, ctx.write_file)
    for stream, data in output:
        ctx.log(data, stream)
    rest = script.phases[1:]
    if code is None and not rest and not script.runs_on:
        code = status
    if code is not None or not rest:
        process.exit_at_start = code
        return
    last_status = [status]

    def phase_step(phase: Phase, last: bool) -> Callable[[], None]:
        def run() -> None:
            if process.ended:
                return
            output, last_status[0], code = run_phase(phase, last_status[0], ctx.write_file)
            for stream, data in output:
                ctx.log(data, stream)
            if code is None and last and not script.runs_on:
                code = last_status[0]
            if code is not None:
                process.end()
                ctx.exited(code)
        return run

    steps = [Step(phase_step(p, i == len(rest) - 1), p.delay) for i, p in enumerate(rest)]
    process.transitions = ctx.engine.transitions
    process.progression = process.transitions.schedule(f"script:{ctx.name}", steps, clocked=True)


class _IdleProcess:
    __slots__ = ("runtime", "stop_signal", "pid", "exits", "exit_code", "exit_at_start",
                 "ended", "transitions", "progression", "unrunnable")

    def __init__(self, runtime: IdleRuntime, stop_signal: int, exits: bool, exit_code: int):
        self.runtime = runtime
        self.stop_signal = stop_signal
        self.exits = exits
        self.exit_code = exit_code
        self.exit_at_start: int | None = None
        #: the command line of a short-lived program this idle process stands in for, whose
        #: output and exit code are unknown (see scripts.unrunnable_program)
        self.unrunnable: str | None = None
        self.pid = next(_fake_pids)
        self.ended = False
        self.transitions: Any = None
        self.progression: Any = None

    def end(self) -> None:
        """The process is gone: what is left of its script never runs."""
        self.ended = True
        if self.progression is not None:
            self.transitions.cancel(self.progression)
            self.progression = None

    def signal(self, signum: int) -> int | None:
        if signum == SIGKILL:
            self.end()
            return 128 + SIGKILL
        if self.exits and (signum in TERMINATING or signum == self.stop_signal):
            self.end()
            return self.exit_code
        return None

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass


class CallableRuntime:
    """Run ``func(ctx)`` in a thread while the container runs.

    The return value is the exit code (``None``: 0; an exception: 1, its traceback in the
    container's stderr log).  ``ctx.stopped`` is set when the container is asked to stop; a
    SIGKILL ends the container at once (137) whether or not ``func`` has returned.  Use
    ``ctx.log(...)`` to write the container's output.
    """

    def __init__(self, func: Callable[[RuntimeContext], int | None], name: str | None = None):
        self.func = func
        self.name = name or getattr(func, "__name__", "callable")

    def start(self, ctx: RuntimeContext) -> _CallableProcess:
        process = _CallableProcess(ctx)
        thread = threading.Thread(target=self._run, args=(ctx,), daemon=True,
                                  name=f"fakedocker-{ctx.name}")
        thread.start()
        return process

    def _run(self, ctx: RuntimeContext) -> None:
        try:
            code = self.func(ctx)
        except Exception:
            ctx.log(traceback.format_exc(), "stderr")
            code = 1
        ctx.exited(0 if code is None else int(code))


class _CallableProcess:
    def __init__(self, ctx: RuntimeContext):
        self.ctx = ctx
        self.pid = next(_fake_pids)

    def signal(self, signum: int) -> int | None:
        self.ctx.signals.append(signum)
        if signum == SIGKILL:
            self.ctx.stopped.set()
            return 128 + SIGKILL
        if signum in TERMINATING or signum == self.ctx.stop_signal:
            self.ctx.stopped.set()
        return None

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass


Spec = Any  # a value, or a callable receiving the RuntimeContext


def _evaluate(spec: Spec, ctx: RuntimeContext) -> Any:
    return spec(ctx) if callable(spec) else spec


class HostProcessRuntime:
    """Run a real host process for each started container.

    Args:
        command: the argv (list or string run by ``/bin/sh -c``), or a callable receiving the
            :class:`RuntimeContext` and returning it; default: the container's own
            entrypoint + command.
        env: extra environment (dict, or a callable receiving the context); the process
            gets the host's environment, updated with the container's ``Env``, then with
            these.
        cwd: the working directory (or a callable); default: the current directory.
        inherit_env: start from the host's environment (default True).

    ``docker stop`` sends the stop signal, waits the stop timeout, then SIGKILLs the process
    group.  A process killed by signal *n* exits with 128+n, as in a container.  Its stdout
    and stderr become the container's logs.
    """

    def __init__(self, command: Spec = None, env: Spec = None, cwd: Spec = None,
                 inherit_env: bool = True):
        self.command = command
        self.env = env
        self.cwd = cwd
        self.inherit_env = inherit_env

    def start(self, ctx: RuntimeContext) -> _HostProcess:
        command = _evaluate(self.command, ctx) if self.command is not None else ctx.cmd
        if isinstance(command, str):
            argv = ["/bin/sh", "-c", command]
        else:
            argv = [str(a) for a in command]
        if not argv:
            raise ValueError("HostProcessRuntime: no command to run")
        env: dict[str, str] = dict(os.environ) if self.inherit_env else {}
        env.update(ctx.env)
        extra = _evaluate(self.env, ctx) if self.env is not None else None
        if isinstance(extra, Mapping):
            env.update({str(k): str(v) for k, v in extra.items()})
        cwd = _evaluate(self.cwd, ctx) if self.cwd is not None else None
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        return _HostProcess(proc, ctx)


class _HostProcess:
    def __init__(self, proc: subprocess.Popen, ctx: RuntimeContext):
        self.proc = proc
        self.ctx = ctx
        self.pid = proc.pid
        readers = [
            threading.Thread(target=self._copy_to_log, args=(proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._copy_to_log, args=(proc.stderr, "stderr"), daemon=True),
        ]
        for r in readers:
            r.start()
        threading.Thread(target=self._report_exit, args=(readers,), daemon=True,
                         name=f"fakedocker-watch-{ctx.name}").start()

    def _copy_to_log(self, pipe: Any, stream: str) -> None:
        try:
            for line in iter(pipe.readline, b""):
                self.ctx.log(line, stream)
        except (OSError, ValueError):
            pass
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    def _report_exit(self, readers: list[threading.Thread]) -> None:
        code = self.proc.wait()
        for r in readers:
            r.join(timeout=2)
        self.ctx.exited(128 - code if code < 0 else code)

    def signal(self, signum: int) -> int | None:
        self.ctx.signals.append(signum)
        if signum == SIGKILL or signum in TERMINATING or signum == self.ctx.stop_signal:
            self.ctx.stopped.set()
        if self.proc.poll() is not None:
            return None
        try:
            if signum == SIGKILL:
                os.killpg(self.proc.pid, SIGKILL)
            else:
                self.proc.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            pass
        return None

    def pause(self) -> None:
        self.signal(int(_signal.SIGSTOP))

    def resume(self) -> None:
        self.signal(int(_signal.SIGCONT))
