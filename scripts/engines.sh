#!/usr/bin/env bash
# Newer container engines on this machine, offline: Docker-in-Docker style nodes made from one
# Debian 13 (trixie) root filesystem (debootstrap, `docker import`), each serving one engine's
# Docker API on a socket bind-mounted out to the host, on a Docker network of their own:
#
#   docker26          dockerd (Docker 26.1, Engine API 1.45)
#   podman5           `podman system service` as root (Podman 5.4, Docker API 1.41)
#   podman5-rootless  the same as the unprivileged user `podman` (user-namespaced containers)
#
#   scripts/engines.sh up           # build what is missing, start the nodes, load the test images (idempotent)
#   scripts/engines.sh env ENGINE   # assignments a hub on the host needs (set -a; eval "$(... env docker26)"; set +a)
#   scripts/engines.sh status       # each engine's version and API version, and the registry relay
#   scripts/engines.sh down         # remove every node, volume, network and file `up` made
#
# The nodes are made as scripts/cluster.sh makes its swarm nodes (see ENVIRONMENT.md): no
# --privileged (the host lacks CAP_SYS_RESOURCE) but all other capabilities, unconfined
# seccomp/apparmor/systempaths and a device-cgroup rule; /sys and the cgroup mounts remounted
# read-write inside; engine storage on a named volume at /var/lib/docker (overlay does not stack
# on the container's own filesystem).  Every address range inside a node is apart from the
# host's and the cluster's, so containers in a node reach the host at $GATEWAY and the host
# reaches their published ports at the node's address.  Trixie's docker.io has no CLI: the host's
# `docker` talks to each node through its socket (it negotiates the API version down).  Podman
# names a loaded image that has no registry `localhost/NAME:TAG`; its Docker API still finds it
# by `NAME:TAG` (inspect, create), so nothing is tagged again.  The host has cgroups v1 only:
# Podman 5 warns that v1 is deprecated (silenced in the nodes), and rootless Podman cannot limit
# resources there (it ignores mem/cpu limits, with a warning) and loses its containers when its
# service restarts.
#
# The host's plain-HTTP registry (scripts/provision.sh) listens on 127.0.0.1:5000 only, which a
# node cannot reach: `up` runs scripts/lib/tcp-relay.py on the host's address on the nodes'
# network, $GATEWAY:5000 -> 127.0.0.1:5000 (pid and log in the run dir; `down` stops it), and
# every engine treats $GATEWAY:5000 as an insecure (plain HTTP) registry: dockerd every port of
# $GATEWAY (insecure-registries takes a CIDR), Podman that port and the RELAY_PORTS (its
# registries.conf names host:port), where a test may relay the registry itself (slowed down).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${DOCKERSPAWNER_CI_CACHE:-/var/cache/dockerspawner-ci}/engines
RUN_DIR=${ENGINES_RUN_DIR:-/run/dockerspawner-engines}
SUITE=trixie
# podman's Recommends that rootless needs (uidmap, passt, slirp4netns, catatonit) are named, as
# debootstrap installs Depends only; nftables for netavark; curl to probe a socket in a node
PACKAGES=docker.io,iptables,ca-certificates,procps,iproute2,podman,nftables,crun,conmon,netavark,aardvark-dns,catatonit,uidmap,slirp4netns,passt,fuse-overlayfs,curl
NODE_IMAGE=dockerspawner-ci/engine-node:$SUITE
NETWORK=dockerspawner-engines
SUBNET=10.216.216.0/24
GATEWAY=10.216.216.1                 # the host's address on the nodes' network
REGISTRY_PORT=5000                   # the host's registry, on 127.0.0.1 (and relayed to $GATEWAY)
RELAY_PORTS="5001 5002 5003 5004"    # more ports of $GATEWAY every engine treats as plain-HTTP registries
RELAY=scripts/lib/tcp-relay.py
PREFIX=dsengine
ENGINES=(docker26 podman5 podman5-rootless)
NODES=("${ENGINES[@]}")              # the nodes scripts/lib/nodes.sh starts: one per engine
declare -A ADDRESS=([docker26]=10.216.216.10 [podman5]=10.216.216.11 [podman5-rootless]=10.216.216.12)
declare -A MODE=([docker26]=docker [podman5]=podman [podman5-rootless]=podman-rootless)
declare -A SOCKET=([docker26]=docker.sock [podman5]=podman.sock [podman5-rootless]=podman.sock)
# the rootless user's subordinate ids: a container's uid (and gid) N >= 1 is the node's
# SUBORDINATE_IDS + N - 1 (0 is the user podman itself)
SUBORDINATE_IDS=100000
LABEL=org.jupyter.hub.test-engines=1
TEST_IMAGES="fakedocker-test/busybox:1.36 fakedocker-test/web:1 busybox:1.30.1"
IMAGES=${ENGINES_IMAGES:-}           # extra images to load into every engine (space separated)
TAG=engines
NODE_VOLUME=storage                  # a node's /var/lib/docker: the volume $PREFIX-ENGINE-storage
LOADED_PREFIX=                       # the log names a node by its engine

# shellcheck source=scripts/lib/nodes.sh
source scripts/lib/nodes.sh
socket() { echo "$RUN_DIR/$1/${SOCKET[$1]}"; }
# the host's docker CLI against one engine
on() { local engine=$1; shift; DOCKER_HOST="unix://$(socket "$engine")" docker "$@"; }
known() { [[ -n ${MODE[$1]:-} ]] || die "no engine $1 (engines: ${ENGINES[*]})"; }
load_into() { on "$1" load -q -i "$2" >/dev/null; }

# --- the node image (fetch_packages, unpack_root in scripts/lib/nodes.sh) ------------------------
write_node_files() {
    # what `up` writes into the root filesystem (a change here, in build_node_image or in the
    # nodes.sh functions it calls rebuilds the image, from the cached packages: its recipe label
    # is their hash)
    local root=$1
    mkdir -p "$root/usr/local/bin" "$root/etc/containers/registries.conf.d" "$root/etc/docker"
    cat >"$root/usr/local/bin/node-entrypoint" <<'ENTRYPOINT'
#!/bin/sh
# An engine node: /sys and the cgroup hierarchies writable (no --privileged here), then one
# engine serving the Docker API on a socket in /run/node (bind-mounted out to the host).
#   node-entrypoint docker [DOCKERD-OPTION...]   dockerd
#   node-entrypoint podman                       podman system service, as root
#   node-entrypoint podman-rootless              podman system service, as the user podman
set -e
mode=${1:-docker}
[ $# -eq 0 ] || shift
mount -o remount,rw /sys
for cgroup in /sys/fs/cgroup/*; do
    mount -o remount,bind,rw "$cgroup" 2>/dev/null || true
done
mkdir -p /run/node
case $mode in
docker)
    exec dockerd --host=unix:///var/run/docker.sock --host=unix:///run/node/docker.sock \
        --storage-driver=overlay2 --bip=10.217.0.1/24 \
        --default-address-pool base=10.218.0.0/16,size=24 "$@"
    ;;
podman)
    # storage on the node's volume (podman's overlay does not stack on the node's overlay root)
    exec podman --root /var/lib/docker/cs-root --runroot /var/lib/docker/cs-run \
        system service --time=0 unix:///run/node/podman.sock
    ;;
podman-rootless)
    # the user podman (uid 1000) with subordinate ids 100000-165535 (/etc/subuid, /etc/subgid,
    # mapped by the setuid newuidmap/newgidmap); networking through pasta/rootlessport, which
    # need /dev/net/tun (a container without --privileged has none); storage on the node's
    # volume (rootless_storage_path); no cgroups (v1 cannot be delegated to a user)
    mount --make-rshared /
    mkdir -p /dev/net /run/user/1000 /var/lib/docker/rootless/podman
    [ -c /dev/net/tun ] || mknod -m 666 /dev/net/tun c 10 200
    chmod 700 /run/user/1000
    chown podman:podman /run/user/1000 /var/lib/docker/rootless/podman /run/node
    exec setpriv --reuid=podman --regid=podman --init-groups \
        env HOME=/home/podman USER=podman LOGNAME=podman XDG_RUNTIME_DIR=/run/user/1000 \
        podman system service --time=0 unix:///run/node/podman.sock
    ;;
*)
    echo "node-entrypoint: unknown mode $mode" >&2
    exit 2
    ;;
esac
ENTRYPOINT
    chmod +x "$root/usr/local/bin/node-entrypoint"
    # Podman: the same storage for the service and for `podman` run inside the node; cgroupfs
    # (no systemd in a node); its networks apart from every other range here
    cat >"$root/etc/containers/storage.conf" <<'STORAGE'
[storage]
driver = "overlay"
graphroot = "/var/lib/docker/cs-root"
runroot = "/var/lib/docker/cs-run"
rootless_storage_path = "/var/lib/docker/rootless/$USER"
STORAGE
    cat >"$root/etc/containers/containers.conf" <<'CONTAINERS'
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"

[network]
default_subnet = "10.219.0.0/24"
default_subnet_pools = [{"base" = "10.219.0.0/16", "size" = 24}]
CONTAINERS
    # the host's registry as the nodes reach it (through the relay) is plain HTTP: dockerd takes
    # a CIDR (every port of the host's address), Podman (rootful and rootless read this drop-in)
    # one host:port per entry
    printf '{"insecure-registries": ["%s/32"]}\n' "$GATEWAY" >"$root/etc/docker/daemon.json"
    local port
    {
        echo "# the host's registry (scripts/engines.sh relays it to $GATEWAY:$REGISTRY_PORT) and the"
        echo "# ports where a test relays it again: plain HTTP"
        for port in $REGISTRY_PORT $RELAY_PORTS; do
            printf '[[registry]]\nlocation = "%s:%s"\ninsecure = true\n\n' "$GATEWAY" "$port"
        done
    } >"$root/etc/containers/registries.conf.d/50-dockerspawner-host-registry.conf"
    echo "podman:$SUBORDINATE_IDS:65536" >"$root/etc/subuid"
    echo "podman:$SUBORDINATE_IDS:65536" >"$root/etc/subgid"
}

recipe() {
    # what the node image is made of: the packages and the code that makes it
    { echo "$SUITE $PACKAGES $GATEWAY $REGISTRY_PORT $RELAY_PORTS $SUBORDINATE_IDS"
      declare -f write_node_files build_node_image fetch_packages unpack_root; } |
        sha256sum | cut -c1-16
}

build_node_image() {
    local want
    want=$(recipe)
    if [[ $(docker image inspect -f '{{index .Config.Labels "recipe"}}' "$NODE_IMAGE" 2>/dev/null) == "$want" ]]; then
        return
    fi
    local tarball mirror t root=$CACHE/root old
    tarball=$CACHE/debootstrap-$SUITE-$(sha256sum <<<"$PACKAGES" | cut -c1-8).tgz
    # trixie's packages come from the main archive this machine's (bookworm) sources name
    mirror=$(scripts/debian-mirror.sh "$SUITE" 2>/dev/null || scripts/debian-mirror.sh bookworm)
    fetch_packages "$PACKAGES" "$tarball" "$mirror"
    t=$(date +%s.%N)
    unpack_root "$root" "$PACKAGES" "$tarball" "$mirror"
    old=$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE" 2>/dev/null || true)
    chroot "$root" useradd --create-home --uid 1000 --user-group --shell /bin/sh podman
    write_node_files "$root"
    tar -C "$root" -c . | docker import \
        --change 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/node-entrypoint"]' \
        --change 'CMD ["docker"]' --change 'ENV PODMAN_IGNORE_CGROUPSV1_WARNING=1' \
        --change "LABEL $LABEL" --change "LABEL recipe=$want" - "$NODE_IMAGE" >/dev/null
    rm -rf "$root"
    # the image it replaces goes when no node uses it any more (start_node makes them again)
    [[ -z $old ]] || docker rmi "$old" >/dev/null 2>&1 || true
    log "node image $NODE_IMAGE built in $(elapsed "$t")"
}

# --- the nodes (start_node, wait_for_node, load_images in scripts/lib/nodes.sh) -------------------
start_engine() {
    # a node from an older node image is made again (its volume stays)
    local engine=$1 container old
    container=$(node "$engine")
    if docker container inspect "$container" >/dev/null 2>&1; then
        old=$(docker inspect -f '{{.Image}}' "$container")
        if [[ $old != $(docker image inspect -f '{{.Id}}' "$NODE_IMAGE") ]]; then
            log "$container is from an older node image: made again (its volume stays)"
            docker rm -f "$container" >/dev/null
            docker rmi "$old" >/dev/null 2>&1 || true
        fi
    fi
    start_node "$engine" "${MODE[$engine]}"
}

# --- the registry relay --------------------------------------------------------------------------
relay_pid() {
    # the running relay's pid (none: nothing printed, status 1)
    local pid
    pid=$(cat "$RUN_DIR/registry-relay.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && grep -qs -- "tcp-relay.py" "/proc/$pid/cmdline" || return 1
    echo "$pid"
}

start_relay() {
    # $GATEWAY:$REGISTRY_PORT -> 127.0.0.1:$REGISTRY_PORT, in the background (idempotent)
    relay_pid >/dev/null && return
    local log=$RUN_DIR/registry-relay.log pid
    mkdir -p "$RUN_DIR"
    : >"$log"
    # its own session (not stopped with a caller's process group); setsid execs python here (a
    # background child of a script leads no process group), so $! is the relay's pid
    setsid /usr/bin/python3 "$RELAY" "$GATEWAY:$REGISTRY_PORT" "127.0.0.1:$REGISTRY_PORT" \
        >>"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$RUN_DIR/registry-relay.pid"
    for _ in $(seq 1 50); do
        grep -q '^listening' "$log" && break
        kill -0 "$pid" 2>/dev/null || die "the registry relay did not start: $(cat "$log")"
        sleep 0.1
    done
    grep -q '^listening' "$log" || die "the registry relay does not listen: $(cat "$log")"
    curl -sf "http://$GATEWAY:$REGISTRY_PORT/v2/" >/dev/null ||
        log "no registry answers on 127.0.0.1:$REGISTRY_PORT (scripts/provision.sh starts it): the pull tests will say so"
}

stop_relay() {
    local pid
    pid=$(relay_pid) || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

init_swarm() {
    # a Docker engine is a single-node swarm manager, as the host's daemon is (SwarmSpawner and
    # the swarm parity scenarios), advertising the node's own address; its state is on the
    # node's volume, so a node started again is still one
    local engine=$1
    [[ ${MODE[$engine]} == docker ]] || return 0
    [[ $(on "$engine" info -f '{{.Swarm.LocalNodeState}}') == active ]] && return
    on "$engine" swarm init --advertise-addr "${ADDRESS[$engine]}" >/dev/null
    log "$(node "$engine"): swarm manager at ${ADDRESS[$engine]}"
}

up() {
    prepare_host
    start_relay
    local engine
    for engine in "${ENGINES[@]}"; do start_engine "$engine"; done
    for engine in "${ENGINES[@]}"; do
        wait_for_node "$engine" "$(node "$engine") did not answer on $(socket "$engine")" version
        init_swarm "$engine"
    done
    # shellcheck disable=SC2046,SC2086 # lists of image names
    load_images $TEST_IMAGES $(default_images) $IMAGES
    log "up in $(elapsed "$T0"): $(status | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
}

down() {
    stop_relay
    remove_nodes
    log "down: nodes, their volumes, $NETWORK, the registry relay and $RUN_DIR removed (the node image stays cached)"
}

status() {
    local engine
    for engine in "${ENGINES[@]}"; do
        on "$engine" version -f "$engine {{.Server.Version}} API {{.Server.APIVersion}} at unix://$(socket "$engine")" 2>/dev/null ||
            echo "$engine down"
    done
    local pid
    if pid=$(relay_pid); then
        echo "registry relay $GATEWAY:$REGISTRY_PORT -> 127.0.0.1:$REGISTRY_PORT (pid $pid)"
    else
        echo "registry relay down"
    fi
}

env_vars() {
    local engine=${1:-} version
    [[ -n $engine ]] || die "usage: scripts/engines.sh env ENGINE (engines: ${ENGINES[*]})"
    known "$engine"
    version=$(on "$engine" version -f '{{.Server.Version}} {{.Server.APIVersion}}' 2>/dev/null) ||
        die "$engine does not answer (scripts/engines.sh up)"
    cat <<EOF
DOCKER_HOST=unix://$(socket "$engine")
HOST_IP=${ADDRESS[$engine]}
HUB_CONNECT_IP=$GATEWAY
ENGINE_VERSION=${version% *}
ENGINE_API=${version#* }
REGISTRY=$GATEWAY:$REGISTRY_PORT
RELAY_HOST=$GATEWAY
RELAY_PORTS=${RELAY_PORTS// /,}
NODE=$(node "$engine")
EOF
    if [[ ${MODE[$engine]} == podman-rootless ]]; then
        echo "SUBORDINATE_IDS=$SUBORDINATE_IDS"
    fi
}

case ${1:-} in
    up) up ;;
    down) down ;;
    env) env_vars "${2:-}" ;;
    status) status ;;
    *) die "usage: scripts/engines.sh up | env ENGINE | status | down" ;;
esac
