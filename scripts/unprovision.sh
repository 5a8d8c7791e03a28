#!/usr/bin/env bash
# Undo what the project's two commands set up, so the next run starts from nothing (how the
# README's "from nothing" times were measured).  Destructive for everything Docker holds on this
# machine: it asks for UNPROVISION=yes.
#
#   UNPROVISION=yes scripts/unprovision.sh
#
# Stops and removes: the three-node cluster, the engines of scripts/engines.sh, every container, dockerd, containerd, the registry
# and podman's services; purges every Debian package scripts/provision.sh installs (and what only
# they needed); removes the caches under /var/cache/dockerspawner-ci, Docker's and Podman's
# storage (every image), configurable-http-proxy (npm), and this checkout's .venv and .tox.
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '[unprovision] %s\n' "$*"; }

[[ ${UNPROVISION:-} == yes ]] || { log "this removes Docker and every image here: set UNPROVISION=yes" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { log "must run as root" >&2; exit 1; }

packages=$(scripts/provision.sh --packages)
if docker info >/dev/null 2>&1; then
    scripts/cluster.sh down
    scripts/engines.sh down
    log "removing every container"
    docker ps -aq | xargs -r docker rm -f >/dev/null
fi
log "stopping dockerd, containerd, docker-registry, podman"
pkill -f 'docker-registry serve' || true
pkill -x dockerd || true
for _ in $(seq 1 60); do pgrep -x dockerd >/dev/null || break; sleep 0.5; done
pkill -x containerd || true
pkill -f 'podman system service' || true
for _ in $(seq 1 60); do pgrep -x containerd >/dev/null || break; sleep 0.5; done

# what the daemons left in the kernel: their bridges and their iptables rules (a fresh Debian 12
# machine has none of either; this one's tables are Docker's alone)
for link in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    case $link in docker0 | docker_gwbridge | br-* | cni-podman* | podman*) ip link del "$link" 2>/dev/null || true ;; esac
done
if command -v iptables >/dev/null; then
    for table in filter nat; do
        iptables -t "$table" -F 2>/dev/null || true
        iptables -t "$table" -X 2>/dev/null || true
    done
    iptables -P FORWARD ACCEPT 2>/dev/null || true
fi

log "purging: $packages"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # a list of package names
apt-get purge -y -qq $packages >/dev/null 2>&1 || log "apt-get purge reported an error (some were not installed)"
apt-get autoremove --purge -y -qq >/dev/null 2>&1 || true

if command -v npm >/dev/null && npm ls -g configurable-http-proxy >/dev/null 2>&1; then
    log "npm uninstall -g configurable-http-proxy"
    npm uninstall -g --silent configurable-http-proxy >/dev/null 2>&1 || true
fi
# mounts left under Docker's storage (a killed daemon's overlays) would keep their files
grep -E ' (/var/lib/(docker|containerd|containers)|/run/docker|/run/containerd)' /proc/self/mounts | awk '{ print $2 }' | sort -r |
    xargs -r -n1 umount -l 2>/dev/null || true
log "removing caches, storage and virtualenvs"
rm -rf /var/cache/dockerspawner-ci /var/lib/docker /var/lib/containerd /var/lib/containers \
    /etc/docker /run/docker /run/containerd /run/dockerspawner-cluster /run/dockerspawner-engines /var/lock/dockerspawner-apt.lock .venv .tox
for pkg in $packages; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        log "still installed: $pkg"
    fi
done
log "done: $(command -v dockerd || echo 'no dockerd'), $(command -v configurable-http-proxy || echo 'no configurable-http-proxy')"
