# Sourced by scripts/test and scripts/unit-under-load.sh: run test jobs, keep each one's exit
# status, wall time and title in $RESULTS, and print one summary of them at the end
# (scripts/test-summary.py reads the JUnit XML a pytest job leaves as $RESULTS/<name>.xml).

RESULTS=$(mktemp -d /tmp/dockerspawner-results.XXXXXX)

# job NAME TITLE COMMAND...: run COMMAND, keeping its exit status and wall time for the summary
job() {
    local name=$1 title=$2 started=$SECONDS rc=0
    shift 2
    echo "$title" >"$RESULTS/$name.title"
    "$@" || rc=$?
    echo "$rc" >"$RESULTS/$name.rc"
    echo $((SECONDS - started)) >"$RESULTS/$name.seconds"
    return "$rc"
}

# tox_job ENV: the unit suite (or the reference differential) in one tox env
tox_job() {
    local env=$1 title
    case $env in
        jh41) title="unit (JupyterHub 4.1, tox)" ;;
        jh5) title="unit (JupyterHub 5.x, tox)" ;;
        jh6) title="unit (JupyterHub 6.x, tox)" ;;
        reference) title="reference differential (tox)" ;;
        *) title="tox -e $env" ;;
    esac
    job "tox-$env" "$title" env TEST_RESULTS_DIR="$RESULTS" .venv/bin/tox run -e "$env"
}

# summary JOB...: one line per job, in this order
summary() { .venv/bin/python scripts/test-summary.py "$RESULTS" "$@"; }
