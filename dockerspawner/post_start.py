"""post_start_cmd: run in the started container, and what it printed logged — stdout at debug
level, stderr (and a failed exec) at warning level, token-like values hidden."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from logging import Logger
from textwrap import indent
from typing import Any


def post_start_lines(stdout: bytes, stderr: bytes, exit_code: int | None, *, cmd: Any, name: str,
                     redact: Callable[[str], str]) -> list[tuple[str, str]]:
    """The log lines (level, text) for what the command printed and how it ended (pure)."""
    if not stderr and b"exec failed" in stdout:  # the runtime reports a failed exec on stdout
        stdout, stderr = b"", stdout
    lines = []
    for stream, data, level in (("stdout", stdout, "debug"), ("stderr", stderr, "warning")):
        output = redact(data.decode("utf-8", "replace").strip())
        if not output:
            continue
        if "\n" in output:
            output = "\n" + indent(output, "    ")
        lines.append((level, f"post_start {stream} in {name}: {output}"))
    if exit_code:
        lines.append(("warning", f"post_start_cmd {cmd!r} in {name} exited with {exit_code}"))
    return lines


async def run_post_start(docker: Callable[..., Awaitable[Any]], container_id: str, cmd: Any, *,
                         name: str, log: Logger, redact: Callable[[str], str]) -> None:
    """Exec ``cmd`` in the container (a call on the client protocol: ``docker``) and log it."""
    exec_info = await docker("exec_create", container_id, cmd)
    stdout, stderr = await docker("exec_start", exec_info["Id"], demux=True)
    result = await docker("exec_inspect", exec_info["Id"])
    for level, line in post_start_lines(stdout or b"", stderr or b"", result.get("ExitCode"),
                                        cmd=cmd, name=name, redact=redact):
        getattr(log, level)("%s", line)
