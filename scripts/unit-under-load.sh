#!/usr/bin/env bash
# The unit suites on a loaded machine: Debian's stress-ng keeps every core busy for the whole run
# (one CPU worker per core, at the tests' own priority) while the unit suite runs as scripts/test
# runs it, with the newest JupyterHub and in the tox envs.  A test that passes only on an idle
# machine fails here; the goal is 0 failures and 0 errors.
#
#   scripts/unit-under-load.sh                      # newest JupyterHub, then tox jh41 and jh5
#   LOAD_ENVS="jh41" scripts/unit-under-load.sh     # the tox envs to run after the newest
#   LOAD_CPUS=4 scripts/unit-under-load.sh          # stress-ng CPU workers (default: one per core)
# Needs .venv (scripts/test makes it); installs stress-ng if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[unit-under-load] %s\n' "$*"; }

[[ -x .venv/bin/pytest ]] || { log "no .venv with the test extra here: run scripts/test first" >&2; exit 1; }
scripts/apt-install.sh stress-ng

# shellcheck source=scripts/lib/jobs.sh
source scripts/lib/jobs.sh
cpus=${LOAD_CPUS:-$(nproc)}
stress-ng --cpu "$cpus" --timeout 0 --quiet &
stress=$!
trap 'kill $stress 2>/dev/null || true' EXIT
log "stress-ng: $cpus CPU workers (pid $stress) for the length of the run"

status=0
jobs_run=(unit)
jh=$(.venv/bin/python -c 'import jupyterhub; print(jupyterhub.__version__)')
job unit "unit (JupyterHub $jh) under load" .venv/bin/pytest tests/unit -n 3 -q -p no:cacheprovider \
    --junitxml="$RESULTS/unit.xml" || status=1
for env in ${LOAD_ENVS:-jh41 jh5}; do
    jobs_run+=("tox-$env")
    tox_job "$env" || status=1
done
kill "$stress" 2>/dev/null || true
wait "$stress" 2>/dev/null || true
trap - EXIT
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
summary "${jobs_run[@]}" || status=1
exit $status
