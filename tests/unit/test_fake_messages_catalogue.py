"""Every daemon error of fakedocker is built in ``fakedocker/messages/``: no module outside it
calls ``DaemonError(...)``, so the daemon's wording stays in one catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fakedocker
from fakedocker import messages

PACKAGE = Path(fakedocker.__file__).resolve().parent
CATALOGUE = PACKAGE / "messages"


def daemon_error_calls(source: str) -> list[int]:
    """The lines of ``source`` that call ``DaemonError`` (by name or as an attribute)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "DaemonError") or (
            isinstance(func, ast.Attribute) and func.attr == "DaemonError"
        ):
            lines.append(node.lineno)
    return lines


def test_no_daemon_error_is_built_outside_the_catalogue():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if CATALOGUE in path.parents:
            continue
        for line in daemon_error_calls(path.read_text(encoding="utf-8")):
            offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not offences, (
        "DaemonError built outside fakedocker/messages/ (add a function to the catalogue): "
        + ", ".join(offences)
    )


def test_the_checker_finds_calls_and_only_calls():
    source = (
        "from .routing import DaemonError\n"
        "from . import routing\n"
        "class DaemonError(Exception):\n"
        "    pass\n"
        "def f(err):\n"
        "    if isinstance(err, DaemonError):\n"
        "        return DaemonError\n"
        "    try:\n"
        "        raise DaemonError(400, 'x')\n"
        "    except DaemonError:\n"
        "        raise routing.DaemonError(500, 'y') from None\n"
    )
    assert sorted(daemon_error_calls(source)) == [9, 11]


def test_the_catalogue_builds_its_errors_with_daemon_error():
    assert any(daemon_error_calls(path.read_text(encoding="utf-8"))
               for path in CATALOGUE.glob("*.py"))


# the errors moved into the catalogue keep their status and wording -----------------------

@pytest.mark.parametrize(("error", "status", "text"), [
    (messages.invalid_argument_value("tail", "x"), 400, "invalid value for tail: 'x'"),
    (messages.invalid_json_argument("filters", "{"), 400, "invalid filters parameter: '{'"),
    (messages.invalid_json_body(), 400, "invalid JSON in request body"),
    (messages.injected(503, "boom"), 503, "boom"),
    (messages.no_available_ports(), 500, "no available ports in the ephemeral range"),
    (messages.no_exec_command(), 400, "No exec command specified"),
    (messages.exec_already_running("abc"), 409, "Error: Exec command abc is already running"),
    (messages.ambiguous_container_prefix("ab"), 400, "Multiple IDs found with provided prefix: ab"),
    (messages.no_command_specified(), 400, "No command specified"),
    (messages.rename_empty_name(), 400, "Neither old nor new names may be empty"),
    (messages.rename_same_name(), 400, "Renaming a container with the same name as its current name"),
    (messages.rename_allocation_failed(messages.invalid_container_name("/a b")), 400,
     "Error when allocating new name: Invalid container name (/a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
    (messages.restart_policy_with_auto_remove(), 400,
     "Restart policy cannot be updated because AutoRemove is enabled for the container"),
    (messages.start_failed("it failed"), 500, "it failed"),
    (messages.archive_path_empty(), 400, "bad parameter: path cannot be empty"),
    (messages.bad_archive(EOFError("short")), 500, "Error processing tar file: short"),
    (messages.image_delete_stopped_container("abc", "def"), 409,
     "conflict: unable to delete abc (must be forced) - image is being used by stopped container def"),
    (messages.image_delete_several_repositories("abc"), 409,
     "conflict: unable to delete abc (must be forced) - image is referenced in multiple repositories"),
    (messages.invalid_until_filter("2x"), 400, "invalid filter 'until=2x'"),
    (messages.invalid_volume_specification("/x"), 400, "invalid volume specification: '/x'"),
])
def test_moved_errors_keep_their_status_and_text(error, status, text):
    assert (error.status, error.message, error.newer) == (status, text, {})


def test_bind_propagation_wording():
    assert messages.mount_not_shared("/src") == "path /src is mounted on / but it is not a shared mount"
    assert messages.mount_not_shared_or_slave("/src") == (
        "path /src is mounted on / but it is not a shared or slave mount"
    )
