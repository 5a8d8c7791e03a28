"""A few programs an exec runs whose answer follows from what the engine knows of the
container: who the process runs as, where, with which environment, and the files the model
itself wrote (a shell's ``> file`` in the container, an archive put into it).

Pure: :func:`run_program` is a function of the program's words and a :class:`ProcessContext`.
It answers ``(stdout, stderr, exit code)``, or ``None`` when the answer would depend on what
the model does not know (the image's ``/etc/passwd`` and ``/etc/group``, a file the image
ships, a ``printf`` directive), so that the caller falls back instead of guessing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from .state.containers.model import merge_env

#: the PATH Docker gives a Linux process whose container sets none
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: the programs :func:`run_program` knows
PROGRAMS = frozenset({"whoami", "pwd", "env", "printenv", "printf", "cat", "id"})

Answer = tuple[bytes, bytes, int]


@dataclass(frozen=True)
class ProcessContext:
    #: the ``user[:group]`` the process runs as ("" for the image's default, root here)
    user: str
    workdir: str
    #: the process environment, in the order the daemon hands it over
    env: tuple[str, ...]
    #: a file's content when the model knows it (None: absent from the model, maybe in the image)
    read: Callable[[str], bytes | None]


def process_env(container_env: list[str] | None, hostname: str, tty: bool, user: str,
                extra: list[str] | None = None) -> tuple[str, ...] | None:
    """The environment the daemon gives a process (an exec: ``extra`` is its own ``Env``):
    PATH and HOSTNAME first, TERM for a terminal, the container's variables over them and the
    exec's over those, HOME last when none is set.  None when HOME would come from the image's
    ``/etc/passwd`` (a user other than root with no HOME given)."""
    base = [f"PATH={DEFAULT_PATH}", f"HOSTNAME={hostname}"] + (["TERM=xterm"] if tty else [])
    env = merge_env(merge_env(base, container_env), extra)
    if not any(entry.partition("=")[0] == "HOME" for entry in env):
        if _uid(user) != 0:
            return None
        env.append("HOME=/root")
    return tuple(env)


def _uid(user: str) -> int | None:
    """The numeric uid of ``user[:group]``: 0 for root or the default, None for a name."""
    name = user.partition(":")[0]
    if name in ("", "root"):
        return 0
    return int(name) if name.isdigit() else None


def _gid(user: str) -> int | None:
    name, sep, group = user.partition(":")
    if sep:
        return 0 if group == "root" else int(group) if group.isdigit() else None
    # no group given: the user's primary group in /etc/passwd, or 0 for a uid it lacks;
    # only root's is known without the image
    return 0 if _uid(user) == 0 else None


def _whoami(args: list[str], ctx: ProcessContext) -> Answer | None:
    name = ctx.user.partition(":")[0]
    if args or (name.isdigit() and name != "0"):
        return None  # a numeric uid's name is in the image's /etc/passwd
    # a named user runs at all only when /etc/passwd has it: the daemon refuses it otherwise
    return (("root" if name in ("", "0") else name) + "\n").encode(), b"", 0


def _id(args: list[str], ctx: ProcessContext) -> Answer | None:
    if args == ["-u"]:
        value = _uid(ctx.user)
    elif args == ["-g"]:
        value = _gid(ctx.user)
    else:
        return None  # names and supplementary groups come from the image's files
    return None if value is None else (f"{value}\n".encode(), b"", 0)


def _pwd(args: list[str], ctx: ProcessContext) -> Answer | None:
    if args:
        return None
    return ((ctx.workdir or "/") + "\n").encode(), b"", 0


def _env(args: list[str], ctx: ProcessContext) -> Answer | None:
    if args:
        return None
    return "".join(f"{e}\n" for e in ctx.env).encode(), b"", 0


def _printenv(args: list[str], ctx: ProcessContext) -> Answer | None:
    if not args:
        return _env(args, ctx)
    values = dict(e.partition("=")[::2] for e in ctx.env)
    found = [values[a] for a in args if a in values]
    return "".join(f"{v}\n" for v in found).encode(), b"", 0 if len(found) == len(args) else 1


_PRINTF_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_PRINTF_TOKEN = re.compile(r"\\(.)|%(.)", re.S)


def _printf(args: list[str], ctx: ProcessContext) -> Answer | None:
    if len(args) != 1:
        return None  # arguments are formatted by directives the model does not run

    def replace(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            if m.group(1) not in _PRINTF_ESCAPES:
                raise ValueError(m.group(0))
            return _PRINTF_ESCAPES[m.group(1)]
        if m.group(2) != "%":
            raise ValueError(m.group(0))
        return "%"

    try:
        return _PRINTF_TOKEN.sub(replace, args[0]).encode(), b"", 0
    except ValueError:
        return None


def _cat(args: list[str], ctx: ProcessContext) -> Answer | None:
    if not args or any(a.startswith("-") for a in args):
        return None  # no file: it reads its standard input; options: not modelled
    out = b""
    for arg in args:
        path = arg if arg.startswith("/") else posixpath.join(ctx.workdir or "/", arg)
        data = ctx.read(posixpath.normpath(path))
        if data is None:
            return None  # the image may ship it
        out += data
    return out, b"", 0


_RUNNERS: dict[str, Callable[[list[str], ProcessContext], Answer | None]] = {
    "whoami": _whoami, "id": _id, "pwd": _pwd, "env": _env, "printenv": _printenv,
    "printf": _printf, "cat": _cat,
}


def run_program(name: str, args: list[str], ctx: ProcessContext) -> Answer | None:
    """``(stdout, stderr, exit code)`` of ``name args`` run in ``ctx``; None when not modelled."""
    runner = _RUNNERS.get(posixpath.basename(name))
    return None if runner is None else runner(list(args), ctx)
