"""Create the oracle virtualenv: the reference DockerSpawner from PyPI, alone.

The reference has our import name (``dockerspawner``), so it lives in a virtualenv of its own,
with the same JupyterHub and docker-py versions as the interpreter running this script (so the
two recordings differ only by the spawner) and this checkout's ``fakedocker`` on its path
through a folder holding nothing else — never the checkout itself, whose ``dockerspawner``
would shadow the reference.

    python tests/reference/make_oracle.py DIR     # idempotent; prints DIR/bin/python
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path

REFERENCE = "dockerspawner==14.0.0"
CHECKOUT = Path(__file__).resolve().parents[2]


def wanted() -> dict[str, str]:
    return {"reference": REFERENCE, "jupyterhub": version("jupyterhub"), "docker": version("docker")}


def make(target: Path) -> Path:
    python = target / "bin" / "python"
    stamp = target / "oracle.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted():
        return python
    venv.create(target, with_pip=True, clear=True)
    versions = wanted()
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         versions["reference"], f"jupyterhub=={versions['jupyterhub']}", f"docker=={versions['docker']}"],
        check=True,
    )
    # fakedocker, and only fakedocker, from this checkout
    only_fakedocker = target / "fakedocker-only"
    only_fakedocker.mkdir(exist_ok=True)
    link = only_fakedocker / "fakedocker"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(CHECKOUT / "fakedocker", target_is_directory=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "fakedocker-checkout.pth").write_text(f"{only_fakedocker}\n")
    check = subprocess.run(
        [str(python), "-c", "import dockerspawner, fakedocker, os; "
         "assert not hasattr(dockerspawner, 'naming'), dockerspawner.__file__; print(dockerspawner.__version__)"],
        check=True, capture_output=True, text=True, cwd=os.sep,
    )
    if not check.stdout.startswith("14.0.0"):
        raise SystemExit(f"the oracle imports dockerspawner {check.stdout.strip()}, not 14.0.0")
    stamp.write_text(json.dumps(versions))
    return python


if __name__ == "__main__":
    print(make(Path(sys.argv[1]).resolve()))
