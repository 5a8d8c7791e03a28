#!/usr/bin/env bash
# fakedocker as a distribution of its own: build both wheels from this checkout, check what
# each holds, install the fakedocker wheel alone into a fresh virtualenv (no JupyterHub, no
# tornado may come with it) and run the downstream example project's tests there
# (examples/fakedocker-downstream: the fake_docker fixture, patch(), fakedocker serve + docker CLI).
#   scripts/test-fakedocker-dist.sh            # run by scripts/test
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
work=$(mktemp -d /tmp/fakedocker-dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
log() { echo "[fakedocker-dist] $*"; }

log "building the wheels (dockerspawner-ng and fakedocker) into $work/dist"
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" . packaging/fakedocker
spawner_wheel=$(ls "$work"/dist/dockerspawner_ng-*.whl)
fake_wheel=$(ls "$work"/dist/fakedocker-*.whl)

"$python" - "$spawner_wheel" "$fake_wheel" <<'PY'
import sys
import zipfile

spawner, fake = (zipfile.ZipFile(path) for path in sys.argv[1:3])
def top(wheel):
    return {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
def metadata(wheel, member):
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/" + member))
    return wheel.read(name).decode()
problems = []
if top(spawner) != {"dockerspawner"}:
    problems.append(f"the spawner wheel holds {sorted(top(spawner))}, not only dockerspawner")
if top(fake) != {"fakedocker"}:
    problems.append(f"the fakedocker wheel holds {sorted(top(fake))}, not only fakedocker")
requires = [line for line in metadata(spawner, "METADATA").splitlines() if line.startswith("Requires-Dist: fakedocker")]
if requires != ['Requires-Dist: fakedocker; extra == "test"']:
    problems.append(f"the spawner wheel should need fakedocker only in its test extra: {requires}")
fake_requires = sorted(line.split(":", 1)[1].strip().split(">")[0].split("=")[0]
                       for line in metadata(fake, "METADATA").splitlines() if line.startswith("Requires-Dist:"))
if fake_requires != ["docker", "requests"]:
    problems.append(f"fakedocker's runtime dependencies are {fake_requires}, not docker and requests")
entry_points = metadata(fake, "entry_points.txt")
if "fakedocker.pytest_plugin" not in entry_points or "fakedocker.__main__:main" not in entry_points:
    problems.append("the fakedocker wheel lacks its pytest11 entry point or console script")
if any("pytest11" in spawner.read(n).decode() for n in spawner.namelist() if n.endswith("entry_points.txt")):
    problems.append("the spawner wheel still registers a pytest plugin")
if problems:
    sys.exit("\n".join(problems))
print("[fakedocker-dist] wheels hold what they should: dockerspawner / fakedocker (docker, requests; pytest11, console script)")
PY

log "a fresh virtualenv with the fakedocker wheel alone (and pytest to run the example's tests)"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$fake_wheel" pytest 2>&1 |
    grep -v "^WARNING: Location" || true
# from outside the checkout, whose folders would be importable from the current directory
(cd "$work" && "$work/venv/bin/python" - <<'PY'
import importlib.util
import sys

present = [name for name in ("jupyterhub", "tornado", "traitlets", "dockerspawner") if importlib.util.find_spec(name)]
if present:
    sys.exit(f"installing fakedocker brought {present} along")
import fakedocker
if "site-packages" not in fakedocker.__file__:
    sys.exit(f"fakedocker imported from {fakedocker.__file__}, not from the installed wheel")
print(f"[fakedocker-dist] no jupyterhub, tornado, traitlets or dockerspawner; fakedocker from {fakedocker.__file__}")
PY
)

log "the downstream example's tests (examples/fakedocker-downstream)"
# from a copy outside the checkout: nothing of the repository is importable there
cp -r examples/fakedocker-downstream "$work/downstream"
# JUNIT_XML: where scripts/test wants the results, for its summary
(cd "$work/downstream" && "$work/venv/bin/pytest" -q -p no:cacheprovider ${JUNIT_XML:+"--junitxml=$JUNIT_XML"})
