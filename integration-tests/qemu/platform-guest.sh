#!/usr/bin/env bash
# platform-guest.sh — what the platform says (DESIGN.md C12), run INSIDE the jdax
# QEMU guest by real-dax.sh in a second boot, with the machine's
# nvdimm-persistence=cpu (JDAX_QEMU_NVDIMM_PERSISTENCE): the guest kernel then
# reports region0's persistence_domain as cpu_cache (eADR). As an unprivileged
# user (nobody, 65534), one JVM per namespace mode:
#   1. fsdax: namespace0.0 -> /dev/pmem0 -> ext4 -o dax, a directory of nobody's;
#      PlatformChecks fsdax: MAP_SYNC file PERSISTENT_CACHE, nothing written back
#      (copies, flush, persist, memset, zeroPageRange, daxfs commits), fences kept.
#   2. devdax: the namespace reconfigured -> /dev/dax0.0, given to nobody;
#      PlatformChecks devdax: the same, with the region's resource attributes
#      unreadable to nobody (root only), the device opened all the same.
#   3. jdax info --device pmem:/dev/dax0.0 as nobody (what a user sees), when
#      the CLI is there (JDAX_REALDAX_SELFTEST=1 as for real-dax-guest.sh).
# Writes KEY=VALUE lines (platform.*, eadr.*) to $JDAX_RESULTS/results.txt;
# exits 0 only if everything passed. Environment: as real-dax-guest.sh;
# JDAX_PLATFORM_DOMAIN the domain expected (default cpu_cache).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-lib.sh
. "$here/guest-lib.sh"

java=${JDAX_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
classes=${JDAX_REALDAX_CLASSES:?JDAX_REALDAX_CLASSES not set}
jars=${JDAX_REALDAX_JARS:?JDAX_REALDAX_JARS not set}
domain=${JDAX_PLATFORM_DOMAIN:-cpu_cache}
cp=$classes
for j in "$jars"/*.jar; do cp+=:$j; done
read -r -a java_opts <<< "-Xshare:auto -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED ${JDAX_JAVA_OPTS:-}"
user=65534
# as_user CMD...: runs CMD as nobody, no supplementary groups, HOME and TMPDIR in /tmp
as_user() {
    setpriv --reuid="$user" --regid="$user" --clear-groups env HOME=/tmp TMPDIR=/tmp "$@"
}

mkdir -p "$JDAX_RESULTS"
t_all=$(now_ms)
status=0
result eadr.boot "nvdimm-persistence=${JDAX_QEMU_NVDIMM_PERSISTENCE:-unset}, region0 persistence_domain $(cat /sys/bus/nd/devices/region0/persistence_domain 2>/dev/null || echo unknown)"
result eadr.deep_flush "$(cat /sys/bus/nd/devices/region0/deep_flush 2>/dev/null || echo absent)"
# The checks JVM runs as nobody: it writes its results to a file of its own, copied over after.
work=/tmp/jdax-platform
mkdir -p "$work"
chown "$user:$user" "$work"

# platform MODE TARGET: one PlatformChecks JVM as nobody
platform() {
    local mode=$1 target=$2 rc=0 t
    t=$(now_ms)
    echo "platform-guest: $mode $target as uid $user" >&2
    as_user "$java" "${java_opts[@]}" -cp "$cp" io.jdax.it.realdax.PlatformChecks "$mode" "$target" \
        "$work/results.txt" --expect-domain "$domain" --unprivileged >&2 || rc=$?
    cat "$work/results.txt" >> "$JDAX_RESULTS_FILE" 2>/dev/null
    rm -f "$work/results.txt"
    result "platform.$mode.exit" "$rc"
    result "platform.$mode.ms" "$(($(now_ms) - t))"
    ((rc == 0)) || status=1
}

mnt=$JDAX_PMEM_MOUNT
t=$(now_ms)
if make_fsdax "$mnt"; then
    result platform.fsdax.setup_ms "$(($(now_ms) - t))"
    mkdir -p "$mnt/nobody" && chown "$user:$user" "$mnt/nobody"
    platform fsdax "$mnt/nobody"
else
    result platform.fsdax.setup "failed: make_fsdax (see guest.log)"
    status=1
fi

dev=/dev/dax0.0
t=$(now_ms)
if make_devdax "$mnt"; then
    result platform.devdax.setup_ms "$(($(now_ms) - t))"
    chown "$user:$user" "$dev"
    result platform.devdax.node "$(stat -c '%A %U' "$dev"); resource $(stat -c '%A %U' /sys/bus/dax/devices/dax0.0/resource 2>/dev/null)"
    platform devdax "$dev"
    if [[ ${JDAX_REALDAX_SELFTEST:-0} == 1 ]]; then
        t=$(now_ms)
        rc=0
        out=$(as_user env JDAX_JAVA_OPTS="-Xshare:auto -XX:TieredStopAtLevel=1 ${JDAX_JAVA_OPTS:-}" \
            "$JDAX_REALDAX_JDAX" info --device "pmem:$dev" 2>&1) || rc=$?
        printf '%s\n' "$out" >&2
        result eadr.info.exit "$rc"
        result eadr.info.ms "$(($(now_ms) - t))"
        # the device section, one line each (no process substitution: the guest has no /dev/fd)
        sed -n '/^device pmem:/,$p' <<< "$out" | sed 's/^ *//' | while IFS= read -r line; do
            result eadr.info.line "$line"
        done
        ((rc == 0)) || status=1
    fi
else
    result platform.devdax.setup "failed: make_devdax (see guest.log)"
    status=1
fi

result eadr.guest_total_ms "$(($(now_ms) - t_all))"
result eadr "$( ((status == 0)) && echo ok || echo fail)"
exit "$status"
