"""docker-py's own integration suite against ``fakedocker serve``, as a downstream user runs it:
how much of it passes, and how long the run takes.

    .venv/bin/python benchmarks/dockerpy_suite.py --source DOCKER_PY_CHECKOUT [--engine-version 26.1]

DOCKER_PY_CHECKOUT is a checkout of https://github.com/docker/docker-py at the tag of the
installed docker-py (its sdist has no tests). The suite runs in a virtualenv of its own
(docker-py, pytest, pytest-timeout and this checkout's fakedocker) and, since some of its tests
reach for the default socket or for addresses of their own, inside new mount and network
namespaces (``unshare``, as root): the host's ``/var/run/docker.sock`` is hidden there and no
network interface is up, so the only daemon it can reach is the fake's unix socket; its HOME is a
fresh folder of the work directory with an empty ``~/.docker/config.json`` (its context tests
write their contexts beside that file: without one, into the checkout). A test
still waiting after ``--timeout`` seconds counts as hung.

Prints passed / failed / errors / skipped / hung, the share passed of what ran, and the
modules' shares.
"""

from __future__ import annotations

import argparse
import collections
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: modules of what fakedocker answers 501 for by design (build, plugins, secrets, configs) or that
#: test the client alone (contexts, credential stores)
NOT_MODELLED = {"api_build_test", "api_config_test", "api_plugin_test", "api_secret_test", "context_api_test",
                "credentials"}
#: the images docker-py's tests use: present, or pullable from the fake's registry
IMAGES = ["alpine:3.10"]
REGISTRY_IMAGES = ["alpine:3.10", "alpine:latest", "busybox:latest", "hello-world:latest"]
#: tests not run: one talks to an address of its own (a TCP endpoint on another network); one
#: replaces os.environ with a dict of its own for good, so that every later test's client goes
#: to the default socket instead of DOCKER_HOST (it sent the rest of the suite to this
#: machine's own daemon once, before the runner hid that socket)
DESELECT = ["tests/integration/api_client_test.py::ConnectionTimeoutTest",
            "tests/integration/credentials/utils_test.py::test_create_environment_dict"]


def venv(work: Path) -> Path:
    python = work / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    import docker

    subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"docker=={docker.__version__}",
                    "pytest", "pytest-timeout", "paramiko", "-e", str(REPO / "packaging" / "fakedocker")],
                   check=True)
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, type=Path, help="a docker-py checkout (with tests/)")
    parser.add_argument("--engine-version", default=None, help="as fakedocker serve takes it (default: its own)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds before a test counts as hung")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dockerpy-suite")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: the suite runs in namespaces of its own (unshare)")
    args.work.mkdir(parents=True, exist_ok=True)
    python = venv(args.work)
    socket, junit = args.work / "fake.sock", args.work / "junit.xml"
    serve = [str(python), "-m", "fakedocker", "serve", "--socket", str(socket)]
    if args.engine_version:
        serve += ["--engine-version", args.engine_version]
    serve += [f"--image={ref}" for ref in IMAGES] + [f"--registry-image={ref}" for ref in REGISTRY_IMAGES]
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--timeout={args.timeout}",
              f"--junitxml={junit}", "tests/integration"] + [f"--deselect={t}" for t in DESELECT]
    # a home of its own, with a docker config file: the suite's context tests write their
    # contexts beside that file (without one, into the checkout), and keep nothing between runs
    home = shlex.quote(str(args.work / "home"))
    script = (
        "mount --bind /dev/null /run/docker.sock 2>/dev/null; "
        f"rm -f {shlex.quote(str(socket))}; {shlex.join(serve)} >{shlex.quote(str(args.work / 'serve.log'))} 2>&1 & "
        "fake=$!; "
        f"for i in $(seq 50); do [ -S {shlex.quote(str(socket))} ] && break; sleep 0.1; done; "
        f"rm -rf {home}; mkdir -p {home}/.docker; echo {{}} >{home}/.docker/config.json; "
        f"HOME={home} DOCKER_HOST=unix://{socket} {shlex.join(pytest)} >{shlex.quote(str(args.work / 'pytest.log'))} 2>&1; "
        'kill "$fake"'
    )
    started = time.monotonic()
    subprocess.run(["unshare", "--mount", "--net", "--fork", "sh", "-c", script], cwd=args.source, check=False)
    took = time.monotonic() - started
    counts: collections.Counter[str] = collections.Counter()
    modules: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for case in ET.parse(junit).iter("testcase"):
        failure = case.find("failure") if case.find("failure") is not None else case.find("error")
        if case.find("skipped") is not None:
            outcome = "skipped"
        elif failure is None:
            outcome = "passed"
        elif "Timeout" in (failure.get("message") or ""):
            outcome = "hung"
        else:
            outcome = "failed" if case.find("failure") is not None else "errors"
        counts[outcome] += 1
        modules[(case.get("classname") or "").split(".")[2] if "." in (case.get("classname") or "") else "?"][outcome] += 1
    ran = sum(counts[k] for k in ("passed", "failed", "errors", "hung"))
    modelled = {m: c for m, c in modules.items() if m not in NOT_MODELLED}
    modelled_ran = sum(c[k] for c in modelled.values() for k in ("passed", "failed", "errors", "hung"))
    modelled_passed = sum(c["passed"] for c in modelled.values())
    print(f"docker-py {python_version(python)} integration suite on fakedocker {args.engine_version or '(default)'}, "
          f"{time.strftime('%Y-%m-%d')}: {took:.0f} s")
    print("  " + ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "errors", "hung", "skipped")))
    print(f"  passed: {counts['passed']} of {ran} that ran ({100 * counts['passed'] / max(ran, 1):.1f}%); of the "
          f"modules of what the fake models (not {', '.join(sorted(NOT_MODELLED))}): {modelled_passed} of "
          f"{modelled_ran} ({100 * modelled_passed / max(modelled_ran, 1):.1f}%)")
    for module, c in sorted(modules.items()):
        print(f"    {module}: {c['passed']} of {sum(c[k] for k in ('passed', 'failed', 'errors', 'hung'))}"
              + (f", {c['hung']} hung" if c["hung"] else ""))
    return 0


def python_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import docker; print(docker.__version__)"], capture_output=True, text=True)
    return out.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
