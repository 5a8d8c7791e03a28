#!/usr/bin/env bash
# Build, offline, the single-user notebook image DockerSpawner uses by default, and the tiny
# busybox image it uses to move internal-SSL certificates:
#
#   quay.io/jupyterhub/singleuser:<major.minor>   Debian 12 (debootstrap) + a venv holding
#                                                jupyterhub==<the hub's version> and jupyterlab
#   busybox:1.30.1                               busybox-static in an empty root
#
# Nothing is pulled from a container registry (none is reachable): the root filesystem comes
# from Debian's packages, the Python packages from PyPI as wheels downloaded on the host, and
# the image is made with `docker import`.
#
# The hub's version is $JUPYTERHUB_VERSION, else the jupyterhub installed in .venv.
# Idempotent and fast on a second run: the image is skipped when it exists with the label
# org.jupyter.hub.singleuser-version=<version>; the debootstrap root (as a tarball) and the
# wheels are cached under $DOCKERSPAWNER_CI_CACHE (default /var/cache/dockerspawner-ci).
#
#   scripts/build-singleuser-image.sh            # build what is missing
#   FORCE=1 scripts/build-singleuser-image.sh    # rebuild the notebook image even if present
#   SINGLEUSER_PACKAGES="jupyter_server" ...     # a smaller image without JupyterLab
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${DOCKERSPAWNER_CI_CACHE:-/var/cache/dockerspawner-ci}
WORK=$CACHE/singleuser
SUITE=bookworm
MIRROR=$(scripts/debian-mirror.sh "$SUITE")  # this machine's own apt sources
PACKAGES=${SINGLEUSER_PACKAGES:-jupyterlab}
BUSYBOX_IMAGE=busybox:1.30.1
LABEL=org.jupyter.hub.singleuser-version

T0=$(date +%s.%N)
log() { printf '[build-singleuser] %s\n' "$*"; }
die() { printf '[build-singleuser] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers (run scripts/provision.sh first)"

# --- which JupyterHub --------------------------------------------------------------------------
if [[ -n ${JUPYTERHUB_VERSION:-} ]]; then
    JH_VERSION=$JUPYTERHUB_VERSION
elif [[ -x .venv/bin/python ]]; then
    JH_VERSION=$(.venv/bin/python -c 'import jupyterhub; print(jupyterhub.__version__)') ||
        die "jupyterhub is not importable in .venv; set JUPYTERHUB_VERSION"
else
    die "no .venv here: create it (python3 -m venv .venv && .venv/bin/pip install -e .) or set JUPYTERHUB_VERSION"
fi
JH_TAG=$(cut -d. -f1,2 <<<"$JH_VERSION")
IMAGE=${SINGLEUSER_IMAGE:-quay.io/jupyterhub/singleuser:$JH_TAG}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_label() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }

# --- busybox:1.30.1 (DockerSpawner's move_certs_image) ----------------------------------------
if image_exists "$BUSYBOX_IMAGE"; then
    log "$BUSYBOX_IMAGE present"
else
    t=$(date +%s.%N)
    scripts/apt-install.sh busybox-static || die "installing busybox-static failed"
    root=$(mktemp -d "$CACHE/busybox-root.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s /bin
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    tar -C "$root" -c . | docker import --change 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null ||
        die "docker import $BUSYBOX_IMAGE failed"
    rm -rf "$root"
    trap - EXIT
    log "built $BUSYBOX_IMAGE in $(elapsed "$t")"
fi

# --- the notebook image -----------------------------------------------------------------------
if [[ ${FORCE:-0} != 1 && $(image_label "$IMAGE") == "$JH_VERSION" ]]; then
    log "$IMAGE present (jupyterhub $JH_VERSION); nothing to do ($(elapsed "$T0"))"
    exit 0
fi
log "building $IMAGE: Debian $SUITE + jupyterhub==$JH_VERSION $PACKAGES"
mkdir -p "$WORK"

# host tools: debootstrap, and a pip to download wheels with
scripts/apt-install.sh debootstrap || die "installing debootstrap failed"
if [[ -x .venv/bin/python ]] && .venv/bin/python -m pip --version >/dev/null 2>&1; then
    PIP=(.venv/bin/python -m pip)
else
    [[ -x $WORK/pip-venv/bin/python ]] || python3 -m venv "$WORK/pip-venv" ||
        die "python3 -m venv failed (scripts/apt-install.sh python3-venv)"
    PIP=("$WORK/pip-venv/bin/python" -m pip)
fi

ROOTFS_TAR=$WORK/$SUITE-minbase-python3.tar
WHEELS=$WORK/wheels-$JH_VERSION-$(tr ' ' '+' <<<"$PACKAGES")

# Download the wheels (in the background) while debootstrap runs.
fetch_wheels() {
    [[ -f $WHEELS/.complete ]] && return 0
    rm -rf "$WHEELS.tmp"
    mkdir -p "$WHEELS.tmp"
    # shellcheck disable=SC2086 # PACKAGES is a space-separated list
    "${PIP[@]}" download --disable-pip-version-check --quiet -d "$WHEELS.tmp" \
        --python-version 3.11 --only-binary=:all: \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux_2_28_x86_64 --platform any \
        "jupyterhub==$JH_VERSION" $PACKAGES || return 1
    touch "$WHEELS.tmp/.complete"
    rm -rf "$WHEELS"
    mv "$WHEELS.tmp" "$WHEELS"
}
t=$(date +%s.%N)
fetch_wheels >"$WORK/pip-download.log" 2>&1 &
wheels_pid=$!

if [[ ! -s $ROOTFS_TAR ]]; then
    t_root=$(date +%s.%N)
    log "debootstrap $SUITE (log: $WORK/debootstrap.log)"
    tmp_root=$WORK/debootstrap-root
    rm -rf "$tmp_root"
    if ! debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$SUITE" "$tmp_root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
        kill "$wheels_pid" 2>/dev/null || true
        die "debootstrap failed: $(tail -n 5 "$WORK/debootstrap.log")"
    fi
    # keep the cached root small: no package archives, no apt lists
    rm -rf "$tmp_root"/var/cache/apt/archives/*.deb "$tmp_root"/var/lib/apt/lists/*
    tar -C "$tmp_root" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    rm -rf "$tmp_root"
    log "debootstrap done in $(elapsed "$t_root") (cached: $ROOTFS_TAR)"
else
    log "debootstrap root cached: $ROOTFS_TAR"
fi

wait "$wheels_pid" || die "pip download failed: $(tail -n 20 "$WORK/pip-download.log")"
log "wheels ready: $(find "$WHEELS" -name '*.whl' | wc -l) in $WHEELS ($(elapsed "$t") since start of downloads)"

# Assemble the root.
t=$(date +%s.%N)
ROOT=$WORK/root
cleanup_root() {
    if mountpoint -q "$ROOT/proc"; then umount -l "$ROOT/proc" || true; fi
    # --one-file-system: never descend into a mount left inside the root
    rm -rf --one-file-system "$ROOT"
}
trap cleanup_root EXIT
cleanup_root
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$ROOTFS_TAR"
cp -a "$WHEELS" "$ROOT/wheels"
mount -t proc proc "$ROOT/proc"
# jovyan (uid 1000, group users = gid 100), with ~/work owned by it: an empty named volume
# mounted there takes this ownership, so the user can write to it.
chroot "$ROOT" /bin/sh -eu -c '
    getent group users >/dev/null || groupadd -g 100 users
    id jovyan >/dev/null 2>&1 || useradd -m -u 1000 -g 100 -s /bin/bash -d /home/jovyan jovyan
    mkdir -p /home/jovyan/work
    chown -R 1000:100 /home/jovyan
'
# shellcheck disable=SC2086
chroot "$ROOT" /bin/sh -eu -c "
    python3 -m venv /opt/venv
    /opt/venv/bin/pip install --quiet --disable-pip-version-check --no-cache-dir \
        --no-index --find-links /wheels 'jupyterhub==$JH_VERSION' $PACKAGES
" >"$WORK/chroot-pip.log" 2>&1 || die "pip install in the chroot failed: $(tail -n 20 "$WORK/chroot-pip.log")"
umount -l "$ROOT/proc"
rm -rf "$ROOT/wheels" "$ROOT"/root/.cache "$ROOT"/tmp/* "$ROOT"/var/log/*.log
log "root assembled in $(elapsed "$t")"

t=$(date +%s.%N)
old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
tar -C "$ROOT" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV HOME=/home/jovyan' \
    --change 'ENV SHELL=/bin/bash' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'USER jovyan' \
    --change 'WORKDIR /home/jovyan' \
    --change 'EXPOSE 8888' \
    --change "LABEL $LABEL=$JH_VERSION" \
    --change 'CMD ["jupyterhub-singleuser"]' \
    - "$IMAGE" >/dev/null || die "docker import $IMAGE failed"
cleanup_root
trap - EXIT
# the image this one replaced, now untagged (fails harmlessly if a container still uses it)
[[ -z $old_id ]] || docker rmi "$old_id" >/dev/null 2>&1 || true
log "imported $IMAGE in $(elapsed "$t")"

# Verify.
got=$(docker run --rm --network none "$IMAGE" jupyterhub-singleuser --version 2>&1 | tail -n 1)
[[ $got == "$JH_VERSION" ]] || die "jupyterhub-singleuser --version in $IMAGE printed '$got', expected $JH_VERSION"
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
log "verified: jupyterhub-singleuser --version -> $got; size $((size / 1000000)) MB"
log "done in $(elapsed "$T0")"
