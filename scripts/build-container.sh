#!/usr/bin/env bash
# Build genomeface.sif (Apptainer/Singularity) from container/genomeface.def without any
# container registry: the image is debootstrapped from the Debian mirror this machine uses,
# the Python packages come from PyPI pinned by container/constraints.txt.
#
#   bash scripts/build-container.sh                    build (and %test) the image
#   bash scripts/build-container.sh --toolchain        only set up apptainer
#   bash scripts/build-container.sh --update-constraints   re-pin container/constraints.txt
#   bash scripts/build-container.sh --docker           docker build instead (needs a running
#                                                      daemon and the base image: a registry, or
#                                                      GENOMEFACE_DOCKER_BASE naming a local one)
# Environment:
#   GENOMEFACE_BUILD_DIR  cache: apptainer toolchain, build context, image (/var/tmp/genomeface-apptainer)
#   GENOMEFACE_SIF        the image written ($GENOMEFACE_BUILD_DIR/genomeface.sif)
#   GENOMEFACE_EXTRAS     pyproject extras, e.g. '[gpu]' or '[nn]' (none)
#   GENOMEFACE_WORKTREE=1 build from the working tree (default: the committed HEAD, so the
#                         image is one commit, whatever is being edited)
#   DEBIAN_MIRROR         the mirror for debootstrap (default: the first of /etc/apt/sources.list*)
#
# Apptainer: used from PATH when installed.  Otherwise (Debian bookworm has no apptainer
# package) a Debian sid root file system is debootstrapped into $GENOMEFACE_BUILD_DIR/sid,
# sid's apptainer is apt-installed there, and $GENOMEFACE_BUILD_DIR/bin/apptainer runs it with
# pivot_root into that tree in a private mount namespace (needs root; the mounts vanish with the process).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${GENOMEFACE_BUILD_DIR:-/var/tmp/genomeface-apptainer}
SIF=${GENOMEFACE_SIF:-$BUILD_DIR/genomeface.sif}
EXTRAS=${GENOMEFACE_EXTRAS:-}
ROOTFS=$BUILD_DIR/sid
WRAPPER=$BUILD_DIR/bin/apptainer
# the interpreter the pins are resolved for: the image's is Debian bookworm's python3
PYTHON=${GENOMEFACE_PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}

log() { echo "build-container: $*" >&2; }
die() { log "error: $*"; exit 1; }

debian_mirror() {
    # first Debian archive named in the apt sources (deb822 "URIs:" or one-line "deb URL")
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    local url
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | sed -n -E 's#^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)([^[:space:]]+/debian)/?([[:space:]].*)?$#\3#p' \
          | head -n 1)
    [ -n "$url" ] || die "no Debian mirror in /etc/apt/sources.list*: set DEBIAN_MIRROR"
    echo "$url"
}

write_wrapper() {
    mkdir -p "$(dirname "$WRAPPER")"
    cat > "$WRAPPER" <<EOF
#!/usr/bin/env bash
# apptainer from the Debian sid root file system $ROOTFS (written by scripts/build-container.sh).
# Runs it with pivot_root into that tree in a private mount namespace; binds /tmp, \$PWD, every absolute path
# named in the arguments (its folder) and GENOMEFACE_APPTAINER_BINDS (colon-separated).
set -euo pipefail
ROOTFS=$ROOTFS
EOF
    cat >> "$WRAPPER" <<'EOF'
[ "$(id -u)" = 0 ] || { echo "apptainer (chroot wrapper): needs root" >&2; exit 1; }
binds=(/tmp "$PWD")
IFS=: read -ra extra <<< "${GENOMEFACE_APPTAINER_BINDS:-}"
for a in "$@" "${extra[@]}"; do
    IFS=':,=' read -ra parts <<< "$a"
    for p in "${parts[@]}"; do
        [[ $p == /* ]] || continue
        if [ -d "$p" ]; then binds+=("$(realpath "$p")")
        elif [ -d "$(dirname "$p")" ]; then binds+=("$(realpath "$(dirname "$p")")"); fi
    done
done
mapfile -t binds < <(printf '%s\n' "${binds[@]}" | sort -u)   # parents before children
exec unshare --mount --propagation private /bin/bash -c '
    set -e
    R=$1; n=$2; shift 2
    # pivot_root, not chroot: apptainer joins mount namespaces, which would escape a chroot
    # (its starter aborts: "weak chrooted environment"); the new root must be a mount point
    mount --bind "$R" "$R"
    mount -t proc proc "$R/proc"
    mount --rbind /dev "$R/dev"
    mount --rbind /sys "$R/sys"
    for ((i = 0; i < n; i++)); do mkdir -p "$R$1"; mount --bind "$1" "$R$1"; shift; done
    # apptainer copies these host files into the containers it runs
    for f in resolv.conf hosts hostname; do cp -L "/etc/$f" "$R/etc/$f" 2>/dev/null || true; done
    wd=$1; shift
    mkdir -p "$R/.host-root"
    cd "$R" && pivot_root . .host-root && cd / && umount -l /.host-root
    exec /bin/sh -c "cd \"\$0\" && exec apptainer \"\$@\"" "$wd" "$@"
' bash "$ROOTFS" "${#binds[@]}" "${binds[@]}" "$PWD" "$@"
EOF
    chmod +x "$WRAPPER"
}

setup_apptainer() {
    # prints the apptainer command to use
    if [ -z "${GENOMEFACE_FORCE_CHROOT:-}" ] && command -v apptainer > /dev/null; then
        command -v apptainer; return
    fi
    if [ ! -x "$ROOTFS/usr/bin/apptainer" ]; then
        [ "$(id -u)" = 0 ] || die "no apptainer on PATH, and setting one up in a sid chroot needs root"
        command -v debootstrap > /dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; } >&2
        local mirror; mirror=$(debian_mirror)
        log "debootstrapping Debian sid into $ROOTFS.tmp (for its apptainer package) from $mirror"
        rm -rf "$ROOTFS.tmp"; mkdir -p "$BUILD_DIR"
        debootstrap --variant=minbase sid "$ROOTFS.tmp" "$mirror" >&2
        cp -L /etc/resolv.conf "$ROOTFS.tmp/etc/resolv.conf"
        # a mirror snapshot's sid Release file may be past its Valid-Until date
        unshare --mount --propagation private /bin/bash -c '
            set -e; R=$1
            mount -t proc proc "$R/proc"; mount --rbind /dev "$R/dev"; mount --rbind /sys "$R/sys"
            chroot "$R" apt-get -o Acquire::Check-Valid-Until=false update -qq
            DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get install -y -qq --no-install-recommends \
                apptainer debootstrap squashfs-tools ca-certificates uidmap
            chroot "$R" apt-get clean' bash "$ROOTFS.tmp" >&2
        mv "$ROOTFS.tmp" "$ROOTFS"
    fi
    # root runs keep no capabilities: by default they keep all, and are refused where root's
    # bounding set lacks one (as for builds, see build_sif); genomeface needs none
    sed -i 's/^root default capabilities = full$/root default capabilities = no/' \
        "$ROOTFS/etc/apptainer/apptainer.conf"
    # builds run with --fakeroot (see build_sif), which maps root to subordinate ids
    local f
    for f in subuid subgid; do
        grep -q '^root:' "$ROOTFS/etc/$f" 2>/dev/null || echo "root:100000:65536" >> "$ROOTFS/etc/$f"
    done
    write_wrapper
    echo "$WRAPPER"
}

update_constraints() {
    # exact versions of what `pip install .` resolves in a clean venv of this Python (the
    # image's: Debian bookworm's python3), plus the extras and the build backend, from PyPI
    # alone (no local wheel folders of this machine's pip configuration)
    local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
    local clean=(env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1)
    "$PYTHON" -m venv "$tmp/venv"
    log "resolving genomeface's default dependencies in a clean venv"
    "${clean[@]}" "$tmp/venv/bin/pip" install -q "$REPO" >&2
    "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v -i '^genomeface' > "$tmp/default.txt"
    log "resolving the extras (gpu with cupy's CUDA libraries, nn) and the build backend"
    "${clean[@]}" "$tmp/venv/bin/pip" install -q --dry-run --ignore-installed --report "$tmp/extras.json" \
        -c "$tmp/default.txt" "$REPO[gpu,nn]" "cupy-cuda12x[ctk]" setuptools wheel >&2
    "$tmp/venv/bin/python" - "$tmp/default.txt" "$tmp/extras.json" "$REPO/container/constraints.txt" <<'PY'
import json, platform, sys
from packaging.utils import canonicalize_name as canon  # packaging: a default dependency
default_file, report_file, out = sys.argv[1:]
default = dict(line.strip().split("==") for line in open(default_file) if "==" in line)
seen = {canon(n) for n in default}
report = json.load(open(report_file))
extras = {}
for item in report["install"]:
    name, version = item["metadata"]["name"], item["metadata"]["version"]
    if canon(name) == "genomeface" or canon(name) in seen:
        continue
    extras[name] = version
build = {n: extras.pop(n) for n in list(extras) if canon(n) in ("setuptools", "wheel")}
with open(out, "w") as fh:
    fh.write("# Exact versions for the container images (pip -c), generated by\n"
             "#   bash scripts/build-container.sh --update-constraints\n"
             f"# with CPython {platform.python_version()} on Linux {platform.machine()} (the image: Debian bookworm's python3).\n"
             "# Constraints pin versions only: a package listed here is installed only if something\n"
             "# requires it.\n\n# genomeface's default dependencies (`pip install .` in a clean venv)\n")
    fh.writelines(f"{n}=={v}\n" for n, v in sorted(default.items(), key=lambda kv: canon(kv[0])))
    fh.write("\n# build backend (installed first, then genomeface with --no-build-isolation)\n")
    fh.writelines(f"{n}=={v}\n" for n, v in sorted(build.items()))
    fh.write("\n# extras: gpu (cupy-cuda12x[ctk], its CUDA 12 libraries) and nn (tensorflow-cpu)\n")
    fh.writelines(f"{n}=={v}\n" for n, v in sorted(extras.items(), key=lambda kv: canon(kv[0])))
PY
    log "wrote container/constraints.txt ($(grep -c '==' "$REPO/container/constraints.txt") pins)"
}

build_context() {
    # the files %files / COPY name, from HEAD (or the working tree), in a clean folder
    local ctx=$BUILD_DIR/context
    rm -rf "$ctx"; mkdir -p "$ctx"
    local paths=(pyproject.toml README.md LICENSE genomeface_core q2_genomeface container)
    if [ -n "${GENOMEFACE_WORKTREE:-}" ]; then
        (cd "$REPO" && tar --exclude=__pycache__ --exclude='*.pyc' -cf - "${paths[@]}") | tar -xf - -C "$ctx"
        echo "worktree" > "$ctx/.source"
    else
        (cd "$REPO" && git archive --format=tar HEAD "${paths[@]}") | tar -xf - -C "$ctx"
        (cd "$REPO" && git rev-parse --short HEAD) > "$ctx/.source"
    fi
    echo "$ctx"
}

build_sif() {
    local apptainer ctx mirror start secs fakeroot
    apptainer=$(setup_apptainer)
    ctx=$(build_context)
    mirror=$(debian_mirror)
    # --fakeroot even as root: a root build asks for every capability, and a root whose
    # bounding set lacks one (here CAP_SYS_RESOURCE) is refused; fakeroot's user namespace
    # has the full set
    fakeroot=(--fakeroot)
    # behind a TLS-intercepting proxy pip needs this machine's CA bundle: bound at /mnt for
    # %post only, not copied into the image
    [ -s /etc/ssl/certs/ca-certificates.crt ] && fakeroot+=(--bind /etc/ssl/certs:/mnt)
    mkdir -p "$(dirname "$SIF")"
    log "building $SIF from $(cat "$ctx/.source") with $("$apptainer" --version) (extras '${EXTRAS}')"
    start=$(date +%s)
    (cd "$ctx" && "$apptainer" build --force "${fakeroot[@]}" --build-arg "MIRROR=$mirror" \
        --build-arg "EXTRAS=$EXTRAS" "$SIF.tmp" container/genomeface.def)
    secs=$(( $(date +%s) - start ))
    mv -f "$SIF.tmp" "$SIF"
    echo "image: $SIF"
    echo "size: $(du -h "$SIF" | cut -f1) ($(stat -c %s "$SIF") bytes)"
    echo "build time: ${secs} s (debootstrap + pip + %test)"
}

build_docker() {
    # BuildKit (RUN --mount): `docker buildx build`, or the classic client with DOCKER_BUILDKIT=1
    local docker=(docker build) ctx start args=()
    if docker buildx version > /dev/null 2>&1; then docker=(docker buildx build --load)
    else
        # a client without buildx cannot run BuildKit; the daemon's own package's client can
        [ -x /usr/bin/docker ] && docker=(/usr/bin/docker build)
        export DOCKER_BUILDKIT=1
    fi
    ctx=$(build_context)
    [ -n "${GENOMEFACE_DOCKER_BASE:-}" ] && args+=(--build-arg "BASE=$GENOMEFACE_DOCKER_BASE")
    [ -s /etc/ssl/certs/ca-certificates.crt ] && args+=(--secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt)
    start=$(date +%s)
    "${docker[@]}" -f "$ctx/container/Dockerfile" --build-arg "EXTRAS=$EXTRAS" "${args[@]}" \
        -t "genomeface:0.1.0${EXTRAS:+-$(tr -dc a-z, <<< "$EXTRAS" | tr , -)}" "$ctx"
    echo "build time: $(( $(date +%s) - start )) s"
}

case "${1:-}" in
    "") build_sif ;;
    --toolchain) setup_apptainer ;;
    --update-constraints) update_constraints ;;
    --docker) build_docker ;;
    -h|--help) sed -n '2,25p' "$0" ;;
    *) die "unknown option $1 (see --help)" ;;
esac
