#!/usr/bin/env bash
# smoke-guest.sh — runs INSIDE the jdax QEMU guest (via run-guest.sh; smoke.sh
# does both). Proves the guest gives real kernel DAX to a JVM:
#   1. fsdax: namespace -> /dev/pmem0 -> ext4 -o dax; MapSyncProbe maps a file
#      with ExtendedMapMode.READ_WRITE_SYNC (MAP_SYNC)           -> mapsync=ok
#   2. devdax: namespace reconfigured -> /dev/dax0.0; MapSyncProbe mmaps it
#      through FFM, writes, reads back, remaps                    -> devdax=ok
# Writes key=value lines to $JDAX_RESULTS/results.txt; exits 0 only if both passed.
# Environment: JDAX_JAVA (default: Temurin 25), JDAX_JAVA_OPTS (extra JVM options),
# JDAX_PROBE_CLASSES (directory with a compiled MapSyncProbe.class; unset: source launcher).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-lib.sh
. "$here/guest-lib.sh"

java=${JDAX_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
# The probe runs from classes compiled on the host (smoke.sh sets
# JDAX_PROBE_CLASSES; ~5 s per JVM under TCG) or, without them, through the
# single-file source launcher (javac inside the guest: ~40 s per JVM under TCG).
if [[ -n ${JDAX_PROBE_CLASSES:-} && -r ${JDAX_PROBE_CLASSES}/MapSyncProbe.class ]]; then
    probe=(-cp "$JDAX_PROBE_CLASSES" MapSyncProbe)
    probe_launch=classes
else
    probe=("$here/smoke/MapSyncProbe.java")
    probe_launch=source
fi
# Defaults on purpose: no -XX:TieredStopAtLevel=1 / -Xint (JDK 25's force() on
# a MAP_SYNC mapping crashes without C2; the probe does not call it anyway).
read -r -a java_opts <<< "-Xshare:auto --enable-native-access=ALL-UNNAMED ${JDAX_JAVA_OPTS:-}"

rm -f "$JDAX_RESULTS_FILE"
t_all=$(now_ms)
result boot_to_script_s "$(uptime_s)"
result probe_launch "$probe_launch"

# run_probe NAME ARGS...: runs the probe, copies its key=value lines to the
# results; if it died without its verdict line, writes NAME=fail.
run_probe() {
    local name=$1 out rc=0 t
    shift
    t=$(now_ms)
    out=$("$java" "${java_opts[@]}" "${probe[@]}" "$name" "$@") || rc=$?
    result "java_${name}_ms" "$(($(now_ms) - t))"
    printf '%s\n' "$out" | grep -E '^[a-z0-9_]+=' >> "$JDAX_RESULTS_FILE" || true
    if ! grep -qE "^${name}=(ok|fail)$" <<< "$out"; then
        result "$name" fail
        result "${name}_error" "JVM exited with status $rc without a verdict (see guest.log)"
    fi
    return "$rc"
}

status=0

t=$(now_ms)
if make_fsdax "$JDAX_PMEM_MOUNT"; then
    result fsdax_setup_ms "$(($(now_ms) - t))"
    result fsdax_mount "$(awk -v m="$JDAX_PMEM_MOUNT" '$2 == m { print $1, $3, $4 }' /proc/self/mounts | tail -n 1)"
    describe
    run_probe mapsync "$JDAX_PMEM_MOUNT/jdax-mapsync-probe" /tmp/jdax-mapsync-nondax || status=1
else
    describe
    result mapsync fail
    result mapsync_error "make_fsdax failed (see guest.log)"
    status=1
fi

t=$(now_ms)
if make_devdax "$JDAX_PMEM_MOUNT"; then
    result devdax_setup_ms "$(($(now_ms) - t))"
    result devdax_mode "$(ns_mode)"
    run_probe devdax /dev/dax0.0 || status=1
else
    result devdax fail
    result devdax_error "make_devdax failed (see guest.log)"
    status=1
fi

result guest_total_ms "$(($(now_ms) - t_all))"
result smoke "$( ((status == 0)) && echo ok || echo fail)"
echo "smoke-guest: results:" >&2
cat "$JDAX_RESULTS_FILE" >&2
exit "$status"
