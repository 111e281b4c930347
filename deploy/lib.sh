# deploy/lib.sh: shared helpers for gridloop's operational scripts (tests/run, deploy/up,
# deploy/down, deploy/install). Source it from bash; it defines variables and functions only.
#
# Everything a script needs to know about the repository lives here once: where the root is,
# which Debian packages the build needs, how to build, which services exist, where the local
# launcher keeps its pid files. Scripts that source this file use `set -euo pipefail`.

# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this

# The repository root: this file is <root>/deploy/lib.sh. Resolved from the file's own location,
# so the scripts work from any working directory and from a tarball without .git.
GL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Debian 12 packages needed to build, test and run gridloop (and lmdb-utils for mdb_stat/mdb_copy;
# clang and libclang-rt-dev, its libFuzzer runtime, for the fuzz harnesses the tests build;
# chromium, headless, opens the notice `gridloop notice` writes, and fonts-wqy-microhei gives its
# screenshot Chinese glyphs; libncurses-dev for `gridloop top`, and tmux, the terminal its test
# drives it in).
GL_PACKAGES=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev libmsgpack-dev liblmdb-dev libcmocka-dev libjansson-dev
    python3-zmq python3-msgpack lmdb-utils
    clang libclang-rt-dev libmicrohttpd-dev
    chromium fonts-wqy-microhei
    libncurses-dev tmux
)

# Every service, in start order. The bus comes first only so that the first messages have a path;
# no service needs another one to be up to start.
GL_SERVICES=(
    gridloop-bus gridloop-intake gridloop-dispatcher gridloop-escalation
    gridloop-archive gridloop-metrics
)

# The county simulator `gridloop simulate`, started by ./deploy/up after its demo and stopped by
# ./deploy/down first (it is a client: stopping it loses nothing). Its pid file is
# var/run/gridloop-simulate.pid; the process itself is the `gridloop` CLI.
GL_SIMULATOR=gridloop-simulate
GL_SIMULATOR_RATE=30             # reports a minute on the wall clock: rankings move within a minute

GL_BIN_DIR=build/bin             # where the build puts executables, relative to GL_ROOT
GL_CONFIG=deploy/gridloop.cfg    # the bundled local configuration (data_dir = ./var)
GL_LOG_DIR=var/log               # local launcher: one <service>.log per service
GL_RUN_DIR=var/run               # local launcher: one <service>.pid per service

# say MESSAGE...: one line for the operator on stdout.
say() {
    printf '%s\n' "$*"
}

# warn MESSAGE...: one line on stderr, prefixed with the script's name.
warn() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# die MESSAGE...: print the error on stderr and exit 1.
die() {
    printf '%s: error: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# cd_repo_root: make the repository root the working directory (all paths above are relative to it).
cd_repo_root() {
    cd "$GL_ROOT" || die "cannot enter the repository root $GL_ROOT"
}

# ensure_packages [PACKAGE...]: install whichever of the given Debian packages (default: all of
# GL_PACKAGES) are not installed yet. Does nothing, and needs no network, when all are present;
# otherwise runs `apt-get update` once and installs only the missing ones, saying which.
# Needs root (or sudo) only when something is missing. Returns non-zero if apt-get fails.
ensure_packages() {
    local pkg status
    local -a missing=() sudo=()
    if [ "$#" -eq 0 ]; then
        set -- "${GL_PACKAGES[@]}"
    fi
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [ "$status" != installed ]; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing Debian packages: ${missing[*]}; run as root or install them with apt-get"
        sudo=(sudo)
    fi
    say "Installing missing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update ||
        die "apt-get update failed; check the network access to the Debian archive"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
}

# build: configure and compile the whole project into build/ (binaries in build/bin/).
# Incremental: a second run only rebuilds what changed. Returns non-zero if the build fails.
build() {
    (
        cd "$GL_ROOT" &&
        cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build build -j"$(nproc)"
    )
}

# running_pid NAME [PROGRAM]: print the pid recorded in var/run/NAME.pid and return 0 if that
# process is alive and is still running the PROGRAM executable (default NAME; the simulator's is
# gridloop); return 1 otherwise (no file, stale pid, or the pid now belongs to some other program).
running_pid() {
    local name=$1 program=${2:-$1} pid="" exe arg
    local file="$GL_ROOT/$GL_RUN_DIR/$name.pid"
    local -a argv=()
    [ -r "$file" ] || return 1
    read -r pid <"$file" || [ -n "$pid" ] || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [ -r "/proc/$pid/cmdline" ] || { printf '%s\n' "$pid"; return 0; }    # no procfs: trust kill -0
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=${exe% (deleted)}    # the binary was rebuilt while the process ran
    if [ "${exe##*/}" = "$program" ]; then
        printf '%s\n' "$pid"
        return 0
    fi
    # Not the binary itself: accept an interpreter running it (a wrapper script, valgrind ...).
    mapfile -d '' -n 3 -t argv <"/proc/$pid/cmdline" 2>/dev/null || true
    for arg in "${argv[@]}"; do
        if [ "${arg##*/}" = "$program" ]; then
            printf '%s\n' "$pid"
            return 0
        fi
    done
    return 1
}
