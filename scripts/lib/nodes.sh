# Sourced by scripts/cluster.sh and scripts/engines.sh: what both do with their Docker-in-Docker
# nodes (containers of a node image made offline from a debootstrap root, each running its own
# engine, on a Docker network of their own).  The script sets, before it calls these:
#
#   TAG           what the log lines start with ([TAG] ...)
#   PREFIX        a node NAME's container is PREFIX-NAME
#   NODES         the nodes' names (an array)
#   ADDRESS       each node's address on NETWORK (an associative array)
#   NODE_VOLUME   a node's engine storage is the volume PREFIX-NAME-NODE_VOLUME
#   LOADED_PREFIX what load_images's log line puts before each node's name
#   NODE_IMAGE NETWORK SUBNET GATEWAY LABEL RUN_DIR
#
#   CACHE SUITE   (for the node image's root filesystem: fetch_packages, unpack_root)
#
# and defines on NAME DOCKER-ARGS... (the docker CLI against a node's engine),
# build_node_image, and load_into NAME ARCHIVE (load an image archive into a node).
# shellcheck disable=SC2154 # the variables above are the sourcing script's

T0=$(date +%s.%N)
log() { printf '[%s] %s\n' "$TAG" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$TAG" "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
node() { echo "$PREFIX-$1"; }

default_images() {
    # the single-user image of the installed JupyterHub (what the tests spawn)
    local version
    version=$(.venv/bin/python -c 'import jupyterhub; print(jupyterhub.__version__)' 2>/dev/null) || return 0
    echo "quay.io/jupyterhub/singleuser:$(cut -d. -f1,2 <<<"$version")"
}

# fetch_packages PACKAGES TARBALL MIRROR: the Debian $SUITE packages a node's root filesystem is
# made of (minbase and PACKAGES, comma separated), downloaded from MIRROR into TARBALL unless it
# is there (debootstrap --make-tarball; this must run as root)
fetch_packages() {
    local packages=$1 tarball=$2 mirror=$3 t
    [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap)"
    scripts/apt-install.sh debootstrap || die "installing debootstrap failed"
    mkdir -p "$CACHE"
    [[ -s $tarball ]] && return
    t=$(date +%s.%N)
    log "downloading the nodes' packages from $mirror (cached in $tarball)"
    rm -rf "$CACHE/make-tarball"
    debootstrap --variant=minbase --include="$packages" \
        --make-tarball="$tarball.tmp" "$SUITE" "$CACHE/make-tarball" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
        die "debootstrap --make-tarball failed: $(tail -n 5 "$CACHE/debootstrap.log")"
    mv "$tarball.tmp" "$tarball"
    rm -rf "$CACHE/make-tarball"
    log "packages downloaded in $(elapsed "$t")"
}

# unpack_root ROOT PACKAGES TARBALL MIRROR: a fresh root filesystem at ROOT from what
# fetch_packages downloaded, without apt's caches
unpack_root() {
    local root=$1 packages=$2 tarball=$3 mirror=$4
    rm -rf "$root"
    debootstrap --variant=minbase --include="$packages" \
        --unpack-tarball="$tarball" "$SUITE" "$root" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
        die "debootstrap from the tarball failed: $(tail -n 5 "$CACHE/debootstrap.log")"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# prepare_host: the host's daemon answers, the node image is built, the nodes' network exists
prepare_host() {
    docker info >/dev/null 2>&1 || die "no Docker daemon answers (run scripts/provision.sh first)"
    build_node_image
    if ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
        docker network create --driver bridge --subnet "$SUBNET" --gateway "$GATEWAY" \
            --label "$LABEL" "$NETWORK" >/dev/null
    fi
}

# start_node NAME [ARG...]: the node's container running (started again if it stopped, made
# with the entrypoint's ARGs if there is none), its run dir bind-mounted at /run/node
start_node() {
    local name=$1 container
    shift
    container=$(node "$name")
    mkdir -p "$RUN_DIR/$name"
    if docker container inspect "$container" >/dev/null 2>&1; then
        [[ $(docker inspect -f '{{.State.Running}}' "$container") == true ]] || docker start "$container" >/dev/null
        return
    fi
    docker run -d --name "$container" --hostname "$container" --label "$LABEL" \
        --network "$NETWORK" --ip "${ADDRESS[$name]}" \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
        --tmpfs /run --tmpfs /tmp \
        -v "$container-$NODE_VOLUME:/var/lib/docker" -v "$RUN_DIR/$name:/run/node" \
        "$NODE_IMAGE" "$@" >/dev/null
}

# wait_for_node NAME FAILURE DOCKER-ARGS...: until `on NAME DOCKER-ARGS...` succeeds (a minute at
# most), else the node's last log lines and die with FAILURE
wait_for_node() {
    local name=$1 failure=$2 i
    shift 2
    for i in $(seq 1 120); do
        if on "$name" "$@" >/dev/null 2>&1; then
            return
        fi
        sleep 0.5
    done
    docker logs --tail 20 "$(node "$name")" >&2 || true
    die "$failure"
}

# load_images IMAGE...: each IMAGE the host has, saved once and loaded side by side (load_into)
# into the nodes that lack it or hold another id
load_images() {
    local image name want have archive t pids pid missing
    for image in "$@"; do
        docker image inspect "$image" >/dev/null 2>&1 || { log "no $image on the host: not loaded"; continue; }
        want=$(docker image inspect -f '{{.Id}}' "$image")
        missing=()
        for name in "${NODES[@]}"; do
            have=$(on "$name" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
            [[ $have == "$want" ]] || missing+=("$name")
        done
        ((${#missing[@]})) || continue
        t=$(date +%s.%N)
        archive=$(mktemp "$RUN_DIR/image.XXXXXX.tar")
        docker save -o "$archive" "$image"
        pids=()
        for name in "${missing[@]}"; do
            load_into "$name" "$archive" & pids+=($!)
        done
        for pid in "${pids[@]}"; do wait "$pid" || { rm -f "$archive"; die "loading $image failed"; }; done
        rm -f "$archive"
        log "$image loaded into ${missing[*]/#/$LOADED_PREFIX} in $(elapsed "$t")"
    done
}

# remove_nodes: every node's container and volume, the network and the run dir (not the image)
remove_nodes() {
    local name
    for name in "${NODES[@]}"; do
        docker rm -f "$(node "$name")" >/dev/null 2>&1 || true
        docker volume rm "$(node "$name")-$NODE_VOLUME" >/dev/null 2>&1 || true
    done
    docker network rm "$NETWORK" >/dev/null 2>&1 || true
    rm -rf "$RUN_DIR"
}
