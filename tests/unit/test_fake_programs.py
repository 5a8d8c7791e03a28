"""fakedocker's programs model: what an exec prints, from what the engine knows."""

from __future__ import annotations

import pytest

from fakedocker.programs import DEFAULT_PATH, ProcessContext, process_env, run_program

FILES = {"/tmp/f": b"hi\n", "/work/g": b"there\n"}


def ctx(user="", workdir="/work", env=("A=1",)):
    return ProcessContext(user, workdir, tuple(env), FILES.get)


@pytest.mark.parametrize("name,args,user,expected", [
    ("whoami", [], "", (b"root\n", b"", 0)),
    ("whoami", [], "0", (b"root\n", b"", 0)),
    ("whoami", [], "postgres", (b"postgres\n", b"", 0)),
    ("whoami", [], "nobody:users", (b"nobody\n", b"", 0)),
    ("whoami", [], "1000", None),  # its name is in the image's /etc/passwd
    ("id", ["-u"], "", (b"0\n", b"", 0)),
    ("id", ["-u"], "1000", (b"1000\n", b"", 0)),
    ("id", ["-u"], "postgres", None),
    ("id", ["-g"], "", (b"0\n", b"", 0)),
    ("id", ["-g"], "1000:5", (b"5\n", b"", 0)),
    ("id", ["-g"], "1000", None),  # the primary group of a uid: the image's /etc/passwd
    ("id", ["-G"], "", None),  # supplementary groups: the image's /etc/group
    ("id", [], "", None),
    ("/usr/bin/pwd", [], "", (b"/work\n", b"", 0)),
    ("env", [], "", (b"A=1\n", b"", 0)),
    ("printenv", ["A"], "", (b"1\n", b"", 0)),
    ("printenv", ["A", "NOPE"], "", (b"1\n", b"", 1)),
    ("printf", ["a\\tb\\n100%%"], "", (b"a\tb\n100%", b"", 0)),
    ("printf", ["%s", "x"], "", None),
    ("printf", ["%d"], "", None),
    ("cat", ["/tmp/f", "g"], "", (b"hi\nthere\n", b"", 0)),  # a relative path from the workdir
    ("cat", ["/etc/passwd"], "", None),  # the image may ship it
    ("cat", [], "", None),  # reads its standard input
    ("ls", ["/"], "", None),
])
def test_run_program(name, args, user, expected):
    assert run_program(name, args, ctx(user=user)) == expected


def test_process_env_order_and_overrides():
    assert process_env(["PATH=/bin", "A=1"], "h", False, "", ["A=2", "X=Y"]) == (
        "PATH=/bin", "HOSTNAME=h", "A=2", "X=Y", "HOME=/root")
    assert process_env(None, "h", True, "root") == (
        f"PATH={DEFAULT_PATH}", "HOSTNAME=h", "TERM=xterm", "HOME=/root")
    assert process_env(["HOME=/home/u"], "h", False, "1000") == (
        f"PATH={DEFAULT_PATH}", "HOSTNAME=h", "HOME=/home/u")
    # another user's HOME comes from the image's /etc/passwd
    assert process_env(None, "h", False, "postgres") is None
