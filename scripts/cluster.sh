#!/usr/bin/env bash
# A real three-node Docker swarm on this machine, offline: Docker-in-Docker nodes (a Debian root
# filesystem with Debian's docker.io inside, made by debootstrap and `docker import`), each
# running its own dockerd, on a Docker network of their own: a manager and two workers joined to
# its swarm.  The host's own daemon and single-node swarm are left as they are.
#
#   scripts/cluster.sh up       # build what is missing, start the nodes, form the swarm (idempotent)
#   scripts/cluster.sh env      # shell assignments a hub on the host needs (eval "$(... env)")
#   scripts/cluster.sh status   # the nodes as the manager sees them
#   scripts/cluster.sh down     # remove every node, volume, network and file `up` made
#
# What this machine needs (verified, see ENVIRONMENT.md): no --privileged (the host lacks
# CAP_SYS_RESOURCE) but all other capabilities, unconfined seccomp/apparmor/systempaths and a
# device-cgroup rule; /sys and the cgroup mounts remounted read-write inside; /var/lib/docker on
# a volume (overlay2 does not stack on the container's own filesystem); inner bridge and address
# pools outside the host's.  The manager is a node of its own (the host's swarm advertises
# 127.0.0.1, which workers cannot reach) and its socket is bind-mounted out to the host.  There
# is no IPVS: service VIPs and the routing mesh do not answer here; host-mode ports and dnsrr
# endpoints do.  Images go in with `docker save | docker exec -i NODE docker load`.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${DOCKERSPAWNER_CI_CACHE:-/var/cache/dockerspawner-ci}/cluster
RUN_DIR=${CLUSTER_RUN_DIR:-/run/dockerspawner-cluster}
SUITE=bookworm
NODE_IMAGE=dockerspawner-ci/dind-node:$SUITE
NETWORK=dockerspawner-cluster
SUBNET=10.213.213.0/24
GATEWAY=10.213.213.1                  # the host's address on the nodes' network
PREFIX=dsnode
NODES=(manager worker1 worker2)
declare -A ADDRESS=([manager]=10.213.213.10 [worker1]=10.213.213.11 [worker2]=10.213.213.12)
SWARM_POOL=10.220.0.0/16             # overlay networks, apart from every other range here
LABEL=org.jupyter.hub.test-cluster=1
IMAGES=${CLUSTER_IMAGES:-}           # extra images to load into every node (space separated)
TAG=cluster
NODE_VOLUME=docker                   # a node's /var/lib/docker: the volume $PREFIX-NAME-docker
LOADED_PREFIX=$PREFIX-               # the log names a node by its container

# shellcheck source=scripts/lib/nodes.sh
source scripts/lib/nodes.sh
on() { local name=$1; shift; docker exec "$(node "$name")" docker "$@"; }
load_into() { docker exec -i "$(node "$1")" docker load <"$2" >/dev/null; }

# --- the node image (fetch_packages, unpack_root in scripts/lib/nodes.sh) --------------------------
PACKAGES=docker.io,iptables,ca-certificates,procps,iproute2
build_node_image() {
    if docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
        return
    fi
    local tarball=$CACHE/debootstrap-$SUITE-docker.tgz mirror t root=$CACHE/root
    mirror=$(scripts/debian-mirror.sh "$SUITE")
    fetch_packages "$PACKAGES" "$tarball" "$mirror"
    t=$(date +%s.%N)
    unpack_root "$root" "$PACKAGES" "$tarball" "$mirror"
    cat >"$root/usr/local/bin/node-entrypoint" <<'ENTRYPOINT'
#!/bin/sh
# A swarm node: /sys and the cgroup hierarchies writable (no --privileged here), then dockerd
# on its own socket (bind-mounted out, for the manager) and the default one.
set -e
mount -o remount,rw /sys
for cgroup in /sys/fs/cgroup/*; do
    mount -o remount,bind,rw "$cgroup" 2>/dev/null || true
done
mkdir -p /run/node
exec dockerd --host=unix:///var/run/docker.sock --host=unix:///run/node/docker.sock \
    --storage-driver=overlay2 --bip=10.214.0.1/24 \
    --default-address-pool base=10.215.0.0/16,size=24 "$@"
ENTRYPOINT
    chmod +x "$root/usr/local/bin/node-entrypoint"
    tar -C "$root" -c . | docker import \
        --change 'ENTRYPOINT ["/usr/local/bin/node-entrypoint"]' \
        --change "LABEL $LABEL" - "$NODE_IMAGE" >/dev/null
    rm -rf "$root"
    log "node image $NODE_IMAGE built in $(elapsed "$t")"
}

# --- the swarm (the nodes: start_node, wait_for_node in scripts/lib/nodes.sh) ---------------------
swarm_state() { on "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

form_swarm() {
    if [[ $(swarm_state manager) != active ]]; then
        on manager swarm init --advertise-addr "${ADDRESS[manager]}" --default-addr-pool "$SWARM_POOL" >/dev/null
        log "swarm initialised on $(node manager) (${ADDRESS[manager]})"
    fi
    local token name
    token=$(on manager swarm join-token -q worker)
    for name in "${NODES[@]:1}"; do
        if [[ $(swarm_state "$name") != active ]]; then
            on "$name" swarm leave --force >/dev/null 2>&1 || true
            on "$name" swarm join --token "$token" "${ADDRESS[manager]}:2377" >/dev/null
            log "$(node "$name") joined"
        fi
    done
    # a worker re-created under the same name leaves its old self behind, down
    local stale
    for stale in $(on manager node ls --filter role=worker -q); do
        if [[ $(on manager node inspect -f '{{.Status.State}}' "$stale") == down ]]; then
            on manager node rm --force "$stale" >/dev/null 2>&1 || true
        fi
    done
    # labels the tests place servers by
    for name in "${NODES[@]}"; do
        on manager node update --label-add "dsnode=$name" "$(node "$name")" >/dev/null
    done
}

# --- a hub image on the manager (for a hub on the overlay network) --------------------------------
HUB_IMAGE=dockerspawner-ci/cluster-hub:latest
build_hub_image() {
    # the single-user image (JupyterHub is in its venv) plus configurable-http-proxy (the host's
    # node and its npm package), docker-py, escapism and wheel (wheels the host's pip fetches);
    # this project itself is installed into each hub container when it is made (the tests do)
    local base
    base=$(default_images)
    [[ -n $base ]] && on manager image inspect "$base" >/dev/null 2>&1 || { log "no $base on the manager: no hub image"; return; }
    if [[ $(on manager image inspect -f '{{index .Config.Labels "base"}}' "$HUB_IMAGE" 2>/dev/null) == "$base" ]]; then
        return
    fi
    local t ctx chp node_bin
    t=$(date +%s.%N)
    node_bin=$(readlink -f "$(type -P node)") || die "node is missing (provision.sh installs configurable-http-proxy)"
    chp=$(dirname "$(dirname "$(readlink -f "$(type -P configurable-http-proxy)")")")
    ctx=$(mktemp -d)
    cp "$node_bin" "$ctx/node"
    cp -r "$chp" "$ctx/chp"
    .venv/bin/python -m pip download --disable-pip-version-check --quiet --no-deps -d "$ctx/wheels" \
        "docker==$(.venv/bin/python -c 'import docker; print(docker.__version__)')" \
        "escapism==$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("escapism"))')" \
        "wheel" 2> >(grep -v 'is ignored' >&2)
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $base
USER root
COPY node /usr/local/bin/node
COPY chp /usr/local/lib/node_modules/configurable-http-proxy
COPY wheels /tmp/wheels
RUN ln -s /usr/local/lib/node_modules/configurable-http-proxy/bin/configurable-http-proxy /usr/local/bin/ \
    && /opt/venv/bin/python -m pip install --no-index --no-deps --quiet /tmp/wheels/*.whl \
    && rm -rf /tmp/wheels && mkdir -p /srv/jupyterhub/data
WORKDIR /srv/jupyterhub
LABEL base=$base
DOCKERFILE
    tar -C "$ctx" -c . | docker exec -i "$(node manager)" docker build -q -t "$HUB_IMAGE" - >/dev/null ||
        { rm -rf "$ctx"; die "building $HUB_IMAGE on the manager failed"; }
    rm -rf "$ctx"
    log "$HUB_IMAGE built on $(node manager) in $(elapsed "$t")"
}

up() {
    prepare_host
    local name
    for name in "${NODES[@]}"; do start_node "$name"; done
    for name in "${NODES[@]}"; do wait_for_node "$name" "$(node "$name")'s dockerd did not answer" info; done
    form_swarm
    # shellcheck disable=SC2046,SC2086 # lists of image names
    load_images $(default_images) $IMAGES
    build_hub_image
    log "up in $(elapsed "$T0"): $(on manager node ls --format '{{.Hostname}}={{.Status}}/{{.Availability}}' | tr '\n' ' ')"
}

down() {
    remove_nodes
    log "down: nodes, their volumes, $NETWORK and $RUN_DIR removed (the node image stays cached)"
}

env_vars() {
    cat <<EOF
DOCKER_HOST=unix://$RUN_DIR/manager/docker.sock
HUB_CONNECT_IP=$GATEWAY
CLUSTER_MANAGER_ADDR=${ADDRESS[manager]}
CLUSTER_NODES="${NODES[*]/#/$PREFIX-}"
CLUSTER_HUB_IMAGE=$HUB_IMAGE
EOF
}

case ${1:-} in
    up) up ;;
    down) down ;;
    env) env_vars ;;
    status) on manager node ls ;;
    *) die "usage: scripts/cluster.sh up | down | env | status" ;;
esac
