#!/usr/bin/env bash
# Install the Debian packages named that are not installed yet; the one way every script of the
# project installs a package (scripts/provision.sh installs them all up front; a script that can
# also run alone installs what it lacks through here).
#
#   scripts/apt-install.sh debootstrap busybox-static
#
# Safe to run beside another apt-get: our own callers take turns on one lock file (so two
# scripts never run `apt-get update` or `install` at once), and apt itself waits for dpkg's lock
# (DPkg::Lock::Timeout) instead of failing on it when something else (unattended-upgrades, a
# developer's apt-get) holds it.  APT_LOCK_TIMEOUT (seconds, default 900) bounds each wait.
set -euo pipefail

TIMEOUT=${APT_LOCK_TIMEOUT:-900}
LOCK=/var/lock/dockerspawner-apt.lock
log() { printf '[apt-install] %s\n' "$*" >&2; }
die() { printf '[apt-install] ERROR: %s\n' "$*" >&2; exit 1; }

missing() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

(($#)) || die "usage: scripts/apt-install.sh PACKAGE..."
mapfile -t wanted < <(missing "$@")
((${#wanted[@]})) || exit 0
[[ $(id -u) -eq 0 ]] || die "${wanted[*]} missing, and installing needs root"
command -v apt-get >/dev/null || die "${wanted[*]} missing, and there is no apt-get here"

exec {lock_fd}>"$LOCK"
flock -w "$TIMEOUT" "$lock_fd" || die "another scripts/apt-install.sh held $LOCK for $TIMEOUT s"
# the one before us may have installed them
mapfile -t wanted < <(missing "${wanted[@]}")
((${#wanted[@]})) || exit 0

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o "DPkg::Lock::Timeout=$TIMEOUT" -o Acquire::Retries=3)
log "installing: ${wanted[*]}"
out=$(apt-get "${apt_opts[@]}" update -qq 2>&1) || die "apt-get update failed: $(tail -n 5 <<<"$out")"
out=$(apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${wanted[@]}" 2>&1) ||
    die "apt-get install ${wanted[*]} failed: $(grep -v '^debconf' <<<"$out" | tail -n 10)"
mapfile -t still < <(missing "${wanted[@]}")
((${#still[@]} == 0)) || die "apt-get install ended, yet ${still[*]} is not installed"
log "installed: ${wanted[*]}"
