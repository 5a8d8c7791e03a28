"""Trivial container commands, run without a process: what ``IdleRuntime`` models.

A command is read into a :class:`Script` (pure: :func:`parse_script`): the statements it
runs, split into *phases* at each ``sleep N`` (a phase runs ``N`` seconds after the one
before it, on the engine's clock).  Modelled: ``echo`` (``-n``; ``>&2``), ``exit N``,
``true``, ``false``, ``:``, ``trap``, ``sleep N`` (``s``/``m``/``h``/``d`` suffixes, several
operands add up, ``inf`` sleeps for ever), ``;``/newline/``&&`` between statements, and
``> file`` / ``>> file`` after a statement (written into the container's file tree, with
busybox sh's ``can't create`` error when the directory is missing or the target is one).

A caller that runs more programs names them (``parse_script(cmd, programs)``) and runs them
(``run_phase(..., run=...)``): an exec runs those of :mod:`fakedocker.programs`, whose answer
depends on the container; a run of one the model cannot answer raises :class:`NotModelled`.

Anything else is not pretended: a statement the model does not know (``$VAR``, globs, a
server, a loop) ends the script's model there and the container runs on until stopped, as
it would while that statement runs; a script the reader cannot take apart at all (pipes,
``||``, other redirections, quoting it cannot follow) is not modelled from its first word.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
_SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SLEEP_OPERAND = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$")
#: words whose meaning depends on expansion the model does not do
_EXPANDS = re.compile(r"[$`*?\[~]")
_SEPARATORS = (";", "\n", ";;")


@dataclass(frozen=True)
class Statement:
    name: str
    args: tuple[str, ...]
    stream: str = "stdout"
    redirect: str | None = None  # a file the statement's output goes to
    append: bool = False
    only_if_ok: bool = False  # after ``&&``


@dataclass(frozen=True)
class Phase:
    delay: float  # seconds after the previous phase (0 for the first)
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Script:
    phases: tuple[Phase, ...]
    #: the script goes on past its last phase (an unmodelled statement, ``sleep inf``):
    #: the container runs until stopped once the last phase has run
    runs_on: bool = False


#: write(path, data, append) -> None, or the reason the shell could not create the file
Writer = Callable[[str, bytes, bool], "str | None"]
#: run(name, args) -> (stdout, stderr, exit code) of a program the caller models, or None when
#: this run of it is not modelled (see :mod:`fakedocker.programs`)
ProgramRunner = Callable[[str, tuple[str, ...]], "tuple[bytes, bytes, int] | None"]


class NotModelled(Exception):
    """A statement's program answered None: the script's run is not modelled from there."""


def sleep_seconds(args: tuple[str, ...]) -> float | None:
    """busybox ``sleep``'s duration (``math.inf``: for ever); None when not modelled."""
    if not args:
        return None
    total = 0.0
    for arg in args:
        if arg in ("inf", "infinity"):
            return math.inf
        m = _SLEEP_OPERAND.match(arg)
        if m is None:
            return None
        total += float(m.group(1)) * _SLEEP_UNITS[m.group(2)]
    return total


#: programs a command may run directly (exec form): no shell, so no redirection or expansion
_PROGRAMS = {"echo", "true", "false", "sleep"}
#: what a statement of a shell script may be without a caller's programs
_BUILTINS = ("echo", "exit", "true", "false", ":", "trap", "sleep")


def _program(cmd: list[str], programs: frozenset[str]) -> Script | None:
    name, args = os.path.basename(cmd[0]), tuple(cmd[1:])
    if name not in _PROGRAMS and name not in programs:
        return Script((Phase(0.0, ()),), runs_on=True)
    if name == "sleep":
        seconds = sleep_seconds(args)
        if seconds is None or seconds == math.inf:
            return Script((Phase(0.0, ()),), runs_on=True)
        return Script((Phase(0.0, ()), Phase(seconds, ())) if seconds > 0 else (Phase(0.0, ()),))
    return Script((Phase(0.0, (Statement(name, args),)),))


def _tokens(script: str) -> list[str] | None:
    script = re.sub(r"(?<![\w&>])1?>&2\b", " 1>&2 ", script).replace("1>&2", "__STDERR__")
    if re.search(r"\d[<>]", script) or re.search(r"(['\"])[<>|&;]+\1", script):
        return None  # fd-numbered redirections; quoted operators the lexer would lose
    try:
        lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|\n<>")
        lexer.whitespace = " \t"
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return None


def _statement(words: list[str], only_if_ok: bool, programs: frozenset[str]) -> Statement | None:
    """One simple command; None when it is not modelled."""
    stream = "stdout"
    if "__STDERR__" in words:
        stream, words = "stderr", [w for w in words if w != "__STDERR__"]
    redirect, append = None, False
    for op in (">>", ">"):
        if op in words:
            i = words.index(op)
            if i + 1 >= len(words) or not words[i + 1] or i + 2 != len(words):
                return None
            redirect, append = words[i + 1], op == ">>"
            words = words[:i]
            break
    if not words or any(w in (">", ">>") for w in words):
        return None
    if any(_EXPANDS.search(w) for w in words) or (redirect and _EXPANDS.search(redirect)):
        return None
    if redirect and redirect.startswith(("/dev/", "/proc/", "/sys/")) and redirect not in (
            "/dev/null", "/dev/stdout", "/dev/stderr"):
        return None
    name, args = words[0], tuple(words[1:])
    if name not in _BUILTINS and name not in programs:
        return None
    if name == "sleep" and (redirect or sleep_seconds(args) is None):
        return None
    return Statement(name, args, stream, redirect, append, only_if_ok)


def parse_script(cmd: list[str], programs: frozenset[str] = frozenset()) -> Script | None:
    """``cmd`` (entrypoint + command) as a :class:`Script`; None when nothing of it is modelled.

    ``programs``: more program names the caller runs (:func:`run_phase`'s ``run``)."""
    if not cmd:
        return None
    if os.path.basename(cmd[0]) not in SHELLS:
        return _program(cmd, programs)
    if len(cmd) < 3 or cmd[1] != "-c":
        return None  # an interactive shell: runs until stopped
    tokens = _tokens(cmd[2])
    if tokens is None:
        return None
    raw: list[tuple[list[str], bool]] = [([], False)]
    for tok in tokens:
        if tok in _SEPARATORS:
            raw.append(([], False))
        elif tok == "&&":
            if not raw[-1][0]:
                return None
            raw.append(([], True))
        elif tok in (">", ">>") or not set(tok) <= set(";&|\n<>"):
            raw[-1][0].append(tok)
        else:
            return None  # pipes, background jobs, ||, other redirections
    phases: list[Phase] = []
    current: list[Statement] = []
    delay = 0.0
    for words, only_if_ok in raw:
        if not words:
            continue
        statement = _statement(words, only_if_ok, programs)
        if statement is None:
            return Script(tuple(phases) + (Phase(delay, tuple(current)),), runs_on=True)
        if statement.name == "sleep":
            seconds = sleep_seconds(statement.args) or 0.0
            if only_if_ok:  # a sleep that may not happen: not modelled from here
                return Script(tuple(phases) + (Phase(delay, tuple(current)),), runs_on=True)
            if seconds == math.inf:
                return Script(tuple(phases) + (Phase(delay, tuple(current)),), runs_on=True)
            if seconds > 0:
                phases.append(Phase(delay, tuple(current)))
                current, delay = [], seconds
            continue
        current.append(statement)
    phases.append(Phase(delay, tuple(current)))
    return Script(tuple(phases))


def _builtin(st: Statement, run: ProgramRunner | None) -> tuple[bytes, bytes, int]:
    """What one statement prints on stdout and stderr, and its status."""
    if st.name == "echo":
        args, newline = list(st.args), "\n"
        if args[:1] == ["-n"]:
            newline, args = "", args[1:]
        return (" ".join(args) + newline).encode(), b"", 0
    if st.name in _BUILTINS:
        return b"", b"", 1 if st.name == "false" else 0
    answer = run(st.name, st.args) if run is not None else None
    if answer is None:
        raise NotModelled(st.name)
    return answer


def run_phase(phase: Phase, status: int, write: Writer | None, run: ProgramRunner | None = None
              ) -> tuple[list[tuple[str, bytes]], int, int | None]:
    """Run one phase: ``(output [(stream, bytes)], last status, exit code or None)``.

    ``status`` is the status the phase starts with (the last one of the phase before);
    ``write`` puts redirected output into the container's files (None: discard it); ``run``
    runs the programs :func:`parse_script` was given (:class:`NotModelled` when it answers
    None)."""
    output: list[tuple[str, bytes]] = []
    for st in phase.statements:
        if st.only_if_ok and status != 0:
            continue
        data, err, new_status = _builtin(st, run)
        if err:
            output.append(("stderr", err))
        if st.redirect is not None:
            problem = _redirect(st, data, write, output)
            if problem is not None:
                output.append(("stderr", f"sh: can't create {st.redirect}: {problem}\n".encode()))
                status = 1
                continue
        elif data:
            output.append((st.stream, data))
        if st.name == "exit":
            try:
                return output, status, (int(st.args[0]) & 0xFF) if st.args else status
            except ValueError:
                return output, 2, 2
        status = new_status
    return output, status, None


def _redirect(st: Statement, data: bytes, write: Writer | None,
              output: list[tuple[str, bytes]]) -> str | None:
    target = st.redirect or ""
    if target == "/dev/null":
        return None
    if target in ("/dev/stdout", "/dev/stderr"):
        if data:
            output.append((target[5:], data))
        return None
    if write is None:
        return None
    return write(target, data, st.append)


def run_script(script: Script, write: Writer | None = None, run: ProgramRunner | None = None
               ) -> tuple[list[tuple[str, bytes]], int | None]:
    """Every phase at once (no clock): the output, and the exit code (None: runs on)."""
    output: list[tuple[str, bytes]] = []
    status = 0
    for phase in script.phases:
        out, status, code = run_phase(phase, status, write, run)
        output += out
        if code is not None:
            return output, code
    return output, None if script.runs_on else status


#: programs that print something and exit at once, whose output and exit code the model does
#: not know: a container running one of them is not left to "run until stopped" silently
SHORT_LIVED = frozenset({
    "id", "ls", "cat", "env", "printenv", "pwd", "whoami", "hostname", "uname", "date", "stat",
    "test", "[", "head", "wc", "grep", "find", "df", "du", "mount", "ps", "touch", "mkdir", "rm",
    "cp", "mv", "chmod", "chown", "ln", "readlink", "realpath", "sha256sum", "md5sum", "nproc",
    "free", "getent", "which", "sort", "uniq", "cut", "tr", "sed", "awk", "basename", "dirname",
    "expr", "seq", "printf", "ulimit", "umask", "groups", "tty", "stty", "ip", "ifconfig",
    "netstat", "nslookup", "dmesg", "lsblk", "file", "md5", "base64", "xxd", "od", "cmp", "diff",
    "true", "false", "echo",
})


#: of those, the ones that read their standard input when it is open (``cat`` with
#: ``stdin_open``: a container that runs until its input ends)
STDIN_READERS = frozenset({"cat", "head", "wc", "grep", "sort", "uniq", "cut", "tr", "sed", "awk",
                           "base64", "xxd", "od", "sha256sum", "md5sum"})


def unrunnable_program(cmd: list[str], open_stdin: bool = False) -> str | None:
    """The command line of a short-lived program whose run the model cannot give (``id -g``,
    ``sh -c 'ls /data'``): what a wait, an attach or a read of the logs would need to answer as
    the daemon does.  None for what the model runs (:func:`parse_script`) and for anything that
    may run until stopped (a server, a shell, a loop, a script it cannot take apart, a program
    reading an open standard input)."""
    if not cmd:
        return None
    script = parse_script(cmd)
    if script is not None and not script.runs_on:
        return None  # modelled to its end
    if os.path.basename(cmd[0]) in SHELLS:
        if len(cmd) != 3 or cmd[1] != "-c" or re.search(r"[;&|\n`$()<>]", cmd[2]):
            return None
        try:
            words = shlex.split(cmd[2])
        except ValueError:
            return None
    else:
        words = list(cmd)
    program = os.path.basename(words[0]) if words else ""
    if program not in SHORT_LIVED or (open_stdin and program in STDIN_READERS):
        return None
    return shlex.join(words)
