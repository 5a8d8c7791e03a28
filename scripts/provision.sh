#!/usr/bin/env bash
# Provision a Debian 12 machine (as root) for the project's two commands, idempotently (a second
# run only checks and skips).  Every Debian package any script of the project needs is installed
# here, in one apt-get, before anything runs in parallel.
#
#   scripts/provision.sh            # for scripts/test: everything below
#   scripts/provision.sh demo       # for scripts/demo: the packages it needs, dockerd, the proxy
#   scripts/provision.sh --packages [demo]   # print the Debian packages (for apt-get purge)
#
# tests:
#   - Debian packages: the Docker engine, the local registry, debootstrap and busybox-static (the
#     offline images), chromium and chromium-driver (the browser tests), podman, curl
#   - Docker engine (dockerd) answering on /var/run/docker.sock
#   - a single-node swarm advertised on 127.0.0.1
#   - Debian's docker-registry serving on 127.0.0.1:5000, two tags pushed for the pull tests
#   - tiny test images built from busybox-static (nothing is pulled from the internet)
#   - configurable-http-proxy (npm)
# demo: the packages the demo needs, dockerd and configurable-http-proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${DOCKERSPAWNER_CI_CACHE:-/var/cache/dockerspawner-ci}
REGISTRY_ADDR=127.0.0.1:5000
BUSYBOX_IMAGE=fakedocker-test/busybox:1.36
WEB_IMAGE=fakedocker-test/web:1
PULL_REPO=fakedocker-test/pullme
PULL_TAGS=(1 2)

# The Debian packages, in one place.  The demo: the engine (docker.io, iptables), what the
# offline image build needs (debootstrap, busybox-static), curl, python3-venv, iproute2 (the
# demo reads the bridge's address).  The tests add the local registry, the browser, podman and
# stress-ng (scripts/unit-under-load.sh).
DEMO_PACKAGES=(docker.io iptables debootstrap busybox-static curl python3-venv iproute2)
TEST_PACKAGES=("${DEMO_PACKAGES[@]}" docker-registry chromium chromium-driver podman stress-ng)
# Node.js and npm (for configurable-http-proxy) only where no npm is on the machine: a Node.js
# from elsewhere (NodeSource) ships its own npm, and Debian's npm would fight it
NODE_PACKAGES=()
command -v npm >/dev/null 2>&1 || NODE_PACKAGES=(nodejs npm)

log() { printf '[provision] %s\n' "$*"; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }

case ${1:-tests} in
    tests) PROFILE=tests; PACKAGES=("${TEST_PACKAGES[@]}" "${NODE_PACKAGES[@]}") ;;
    demo) PROFILE=demo; PACKAGES=("${DEMO_PACKAGES[@]}" "${NODE_PACKAGES[@]}") ;;
    --packages)
        if [[ ${2:-tests} == demo ]]; then echo "${DEMO_PACKAGES[@]}" "${NODE_PACKAGES[@]}"
        else echo "${TEST_PACKAGES[@]}" "${NODE_PACKAGES[@]}"; fi
        exit 0 ;;
    *) die "usage: scripts/provision.sh [tests | demo | --packages [tests | demo]]" ;;
esac

# wait_for SECONDS DESCRIPTION COMMAND... : poll COMMAND every 0.5 s until it succeeds.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.5
    done
    log "$what is up"
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
mkdir -p "$CACHE"

# --- packages ---------------------------------------------------------------
scripts/apt-install.sh "${PACKAGES[@]}" || die "installing the Debian packages failed"

# --- docker daemon -----------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (log: $CACHE/dockerd.log)"
    setsid nohup dockerd >>"$CACHE/dockerd.log" 2>&1 </dev/null &
    wait_for 60 "dockerd" docker info ||
        die "dockerd did not answer within 60 s; see $CACHE/dockerd.log: $(tail -n 5 "$CACHE/dockerd.log")"
fi

# --- configurable-http-proxy (JupyterHub's proxy) --------------------------------
install_proxy() {
    command -v configurable-http-proxy >/dev/null 2>&1 && return 0
    command -v npm >/dev/null 2>&1 || die "npm is missing (the packages step installs nodejs and npm)"
    # version 5 needs Node >= 20; Debian 12's own nodejs is 18
    local chp=configurable-http-proxy node_major
    node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    ((node_major >= 20)) || chp=configurable-http-proxy@4
    log "installing $chp (npm install -g)"
    npm install -g --silent --no-fund --no-audit --cache "$CACHE/npm" "$chp" >/dev/null ||
        die "npm install -g $chp failed"
    command -v configurable-http-proxy >/dev/null 2>&1 || die "configurable-http-proxy is not on PATH after npm install -g"
}
install_proxy

if [[ $PROFILE == demo ]]; then
    log "docker $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')," \
        "configurable-http-proxy $(configurable-http-proxy --version)"
    log "ready (demo)"
    exit 0
fi

# --- swarm -------------------------------------------------------------------
swarm_state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [[ $swarm_state != active ]]; then
    if [[ $swarm_state != inactive ]]; then
        log "swarm state is '$swarm_state': leaving and re-initialising"
        docker swarm leave --force >/dev/null 2>&1 || true
    fi
    log "initialising swarm"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed"
fi

# --- local registry ----------------------------------------------------------
registry_up() { curl -sf "http://$REGISTRY_ADDR/v2/" >/dev/null; }
if ! registry_up; then
    mkdir -p "$CACHE/registry"
    cat >"$CACHE/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $CACHE/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
    log "starting docker-registry on $REGISTRY_ADDR (log: $CACHE/registry.log)"
    setsid nohup docker-registry serve "$CACHE/registry.yml" >>"$CACHE/registry.log" 2>&1 </dev/null &
    wait_for 30 "registry" registry_up ||
        die "registry did not answer within 30 s; see $CACHE/registry.log: $(tail -n 5 "$CACHE/registry.log")"
fi

# --- test images ---------------------------------------------------------------
ROOTFS=$CACHE/busybox-rootfs

build_rootfs() {
    local root=$1
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www,home}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
    echo 'hello from fakedocker-test/web' >"$root/www/index.html"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

if ! image_exists "$BUSYBOX_IMAGE" || ! image_exists "$WEB_IMAGE"; then
    [[ -x $ROOTFS/bin/sh ]] || build_rootfs "$ROOTFS"
fi

if ! image_exists "$BUSYBOX_IMAGE"; then
    log "importing $BUSYBOX_IMAGE"
    tar -C "$ROOTFS" -c . | docker import \
        --change 'CMD ["sh"]' \
        - "$BUSYBOX_IMAGE" >/dev/null || die "docker import $BUSYBOX_IMAGE failed"
fi

if ! image_exists "$WEB_IMAGE"; then
    log "importing $WEB_IMAGE"
    tar -C "$ROOTFS" -c . | docker import \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV GREETING=hello' \
        --change 'WORKDIR /www' \
        --change 'EXPOSE 8888/tcp' \
        --change 'LABEL org.fakedocker.test=web' \
        --change 'CMD ["httpd","-f","-p","8888"]' \
        - "$WEB_IMAGE" >/dev/null || die "docker import $WEB_IMAGE failed"
fi

# --- registry content for pull tests -------------------------------------------
registry_tags=$(curl -sf "http://$REGISTRY_ADDR/v2/$PULL_REPO/tags/list" || true)
for tag in "${PULL_TAGS[@]}"; do
    if grep -q "\"$tag\"" <<<"$registry_tags"; then
        continue
    fi
    [[ -x $ROOTFS/bin/sh ]] || build_rootfs "$ROOTFS"
    ref=$REGISTRY_ADDR/$PULL_REPO:$tag
    log "pushing $ref"
    work=$CACHE/pullme-$tag
    rm -rf "$work"
    cp -a "$ROOTFS" "$work"
    echo "pullme tag $tag" >"$work/pullme.txt"
    tar -C "$work" -c . | docker import --change 'CMD ["sh"]' \
        --change "LABEL org.fakedocker.test=pullme-$tag" - "$ref" >/dev/null ||
        die "docker import $ref failed"
    docker push "$ref" >/dev/null || die "docker push $ref failed"
    docker rmi "$ref" >/dev/null || die "docker rmi $ref failed"
    rm -rf "$work"
done
# A pull test must really pull: make sure no earlier run left the tags locally.
for tag in "${PULL_TAGS[@]}"; do
    if image_exists "$REGISTRY_ADDR/$PULL_REPO:$tag"; then
        docker rmi "$REGISTRY_ADDR/$PULL_REPO:$tag" >/dev/null || true
    fi
done

# --- summary -----------------------------------------------------------------
log "docker $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')," \
    "swarm $(docker info --format '{{.Swarm.LocalNodeState}}')"
log "registry $REGISTRY_ADDR: $(curl -sf "http://$REGISTRY_ADDR/v2/$PULL_REPO/tags/list")"
log "images: $(docker image ls --format '{{.Repository}}:{{.Tag}}' 'fakedocker-test/*' | sort | tr '\n' ' ')"
log "configurable-http-proxy $(configurable-http-proxy --version)"
log "ready"
