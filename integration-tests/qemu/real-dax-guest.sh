#!/usr/bin/env bash
# real-dax-guest.sh — the real-DAX checks, run INSIDE the jdax QEMU guest by
# real-dax.sh (through run-guest.sh), or on a machine with persistent memory by
# `real-dax.sh --no-vm`. One JVM per namespace mode and phase:
#   1. fsdax: namespace0.0 -> /dev/pmem0 -> ext4 -o dax; RealDaxChecks check
#      (MAP_SYNC, durable copies, fs-dax, direct mapping, reopen, the conformance
#      suite); umount, namespace disabled and enabled, mount again;
#      RealDaxChecks verify (the bytes survived, also through read(2)).
#   2. devdax: the namespace reconfigured -> /dev/dax0.0; check; namespace
#      disabled and enabled; verify.
#   3. jdax selftest --device SPEC on both, when the CLI has it.
#   4. In the QEMU guest only (jdax.guest=1 on the kernel command line):
#      HwPoisonChecks, madvise(MADV_HWPOISON) on a page of a device's mapping:
#      a tmpfs file (mode=emulated) and the fsdax file after fsdax's checks, the
#      device DAX after devdax's. Poisoned pages stay out of use until the guest
#      powers off, so never on real hardware (--no-vm).
# Writes KEY=VALUE lines to $JDAX_RESULTS/results.txt (real-dax.sh reads them);
# exits 0 only if everything passed.
#
# Environment:
#   JDAX_REALDAX_CLASSES  integration-tests/target/test-classes (required)
#   JDAX_REALDAX_JARS     integration-tests/target/real-dax-jars (required)
#   JDAX_JAVA             JDK 25 java (default: Temurin 25)
#   JDAX_JAVA_OPTS        extra JVM options
#   JDAX_REALDAX_EXPECT_COPY, JDAX_REALDAX_EXPECT_FLUSH
#                         also require these instructions (real-dax.sh sets
#                         avx2/clwb for QEMU's TCG -cpu max); the checks always
#                         require what /proc/cpuinfo calls for
#   JDAX_REALDAX_EXPECT_DOMAIN
#                         also require region0's persistence_domain to be this and the
#                         devices to say they follow it (real-dax.sh: memory_controller,
#                         the guest booted with nvdimm-persistence=mem-ctrl)
#   JDAX_REALDAX_SELFTEST=1, JDAX_REALDAX_JDAX
#                         also run `jdax selftest` with this ./jdax launcher
#                         (real-dax.sh sets them when the built CLI has the command)
#   JDAX_REALDAX_FSDAX_MOUNT, JDAX_REALDAX_DEVDAX
#                         use this existing DAX mount / device DAX instead of
#                         creating namespaces (real hardware: nothing is
#                         reconfigured, only the given ones are checked; the
#                         devdax checks overwrite the device)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-lib.sh
. "$here/guest-lib.sh"

java=${JDAX_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
classes=${JDAX_REALDAX_CLASSES:?JDAX_REALDAX_CLASSES not set}
jars=${JDAX_REALDAX_JARS:?JDAX_REALDAX_JARS not set}
cp=$classes
for j in "$jars"/*.jar; do cp+=:$j; done
# C1 only (-XX:TieredStopAtLevel=1), on purpose: under TCG the checks JVMs take
# about half the time they take with C2 (measured: 63 s against 94 s for the
# whole run), and JDK 25's own write-back, force() on a MAP_SYNC mapping,
# crashes the JVM in exactly this configuration (NOTES.md), so the run also
# shows that jdax never relies on it. JDAX_JAVA_OPTS comes after:
# -XX:TieredStopAtLevel=4 runs with C2.
read -r -a java_opts <<< "-Xshare:auto -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED ${JDAX_JAVA_OPTS:-}"
expect=()
[[ -z ${JDAX_REALDAX_EXPECT_DOMAIN:-} ]] || expect+=(--expect-domain "$JDAX_REALDAX_EXPECT_DOMAIN")
[[ -z ${JDAX_REALDAX_EXPECT_COPY:-} ]] || expect+=(--expect-copy "$JDAX_REALDAX_EXPECT_COPY")
[[ -z ${JDAX_REALDAX_EXPECT_FLUSH:-} ]] || expect+=(--expect-flush "$JDAX_REALDAX_EXPECT_FLUSH")

existing=0
[[ -z ${JDAX_REALDAX_FSDAX_MOUNT:-}${JDAX_REALDAX_DEVDAX:-} ]] || existing=1

mkdir -p "$JDAX_RESULTS"
rm -f "$JDAX_RESULTS_FILE" "$JDAX_RESULTS"/*.ledger
t_all=$(now_ms)
result where "$( ((existing)) && echo "this machine (no VM)" || echo "QEMU guest")"
result boot_to_script_s "$(uptime_s)"
describe
status=0

# run_checks PHASE MODE TARGET [ARGS...]: one JVM of RealDaxChecks; its exit
# status and time go to the results as MODE.PHASE.exit / MODE.PHASE.ms.
run_checks() {
    local phase=$1 mode=$2 target=$3 rc=0 t
    shift 3
    t=$(now_ms)
    echo "real-dax-guest: $mode $phase $target $*" >&2
    "$java" "${java_opts[@]}" -cp "$cp" io.jdax.it.realdax.RealDaxChecks "$phase" "$mode" "$target" \
        "$JDAX_RESULTS_FILE" "$JDAX_RESULTS/$mode.ledger" "$@" >&2 || rc=$?
    result "$mode.$phase.exit" "$rc"
    result "$mode.$phase.ms" "$(($(now_ms) - t))"
    ((rc == 0)) || status=1
}

# selftest MODE SPEC [ARGS...]: `jdax selftest --device SPEC` through the ./jdax
# launcher, as a user runs it (module path, dax-cli/target/lib); C1 as above.
selftest() {
    local mode=$1 spec=$2 rc=0 t out
    shift 2
    [[ ${JDAX_REALDAX_SELFTEST:-0} == 1 ]] || return 0
    t=$(now_ms)
    echo "real-dax-guest: jdax selftest --device $spec $*" >&2
    out=$(JDAX_JAVA_OPTS="-Xshare:auto -XX:TieredStopAtLevel=1 ${JDAX_JAVA_OPTS:-}" \
        "$JDAX_REALDAX_JDAX" selftest --device "$spec" "$@" 2>&1) || rc=$?
    printf '%s\n' "$out" >&2
    result "$mode.selftest.exit" "$rc"
    result "$mode.selftest.ms" "$(($(now_ms) - t))"
    result "$mode.selftest.summary" "$(grep -m1 '^jdax selftest ' <<< "$out")"
    result "$mode.selftest.persistence" "$(grep -m1 '^persistence ' <<< "$out" | sed 's/^persistence *//')"
    result "$mode.selftest.arch" "$(grep -m1 '^arch ' <<< "$out" | sed 's/^arch *//')"
    # (no process substitution here: the guest has no /dev/fd)
    grep -E '^  FAIL' <<< "$out" | while IFS= read -r line; do result "$mode.selftest.failed" "$line"; done
    ((rc == 0)) || status=1
}

# hwpoison MODE TARGET: one JVM of HwPoisonChecks (the guest only); its exit
# status and time go to the results as hwpoison.MODE.exit / .ms, and what the
# kernel logged meanwhile (memory_failure's lines, counted; pfns and addresses
# as X, no pids) as hwpoison.MODE.kernel_log.
in_guest=0
if ((!existing)) && [[ ${JDAX_GUEST:-} == 1 && " $(cat /proc/cmdline 2>/dev/null) " == *" jdax.guest=1 "* ]]; then
    in_guest=1
else
    result hwpoison "not run: not in the jdax QEMU guest (a poisoned page stays out of use until reboot)"
fi
hwpoison() {
    local mode=$1 target=$2 rc=0 t before log
    ((in_guest)) || return 0
    t=$(now_ms)
    before=$(dmesg 2>/dev/null | wc -l)
    echo "real-dax-guest: hwpoison $mode $target" >&2
    "$java" "${java_opts[@]}" -cp "$cp" io.jdax.it.realdax.HwPoisonChecks "$JDAX_RESULTS_FILE" "$mode=$target" >&2 \
        || rc=$?
    result "hwpoison.$mode.exit" "$rc"
    result "hwpoison.$mode.ms" "$(($(now_ms) - t))"
    log=$(dmesg 2>/dev/null | tail -n +$((before + 1)) \
        | sed -nE 's/^\[[ 0-9.]*\] //; s/0x[0-9a-f]+/X/g; s/ at [0-9a-f]+$/ at X/; s/:[0-9]+ / /g
                  /^(Memory failure|Injecting memory failure|MCE: Killing)/p' \
        | sort | uniq -c | sed -E 's/^ *([0-9]+) /\1x /' | paste -sd ';' -)
    result "hwpoison.$mode.kernel_log" "${log:-nothing}"
    ((rc == 0)) || status=1
}

# cycle_namespace: disable and enable namespace0.0: the kernel drops the device
# and finds it again on the (emulated) media.
cycle_namespace() {
    ndctl disable-namespace namespace0.0 >&2 && ndctl enable-namespace namespace0.0 >&2
}

# ---- fsdax
mnt=${JDAX_REALDAX_FSDAX_MOUNT:-$JDAX_PMEM_MOUNT}
if ((existing)) && [[ -z ${JDAX_REALDAX_FSDAX_MOUNT:-} ]]; then
    :
elif ((existing)) || { t=$(now_ms); make_fsdax "$mnt" && result fsdax.setup_ms "$(($(now_ms) - t))"; }; then
    if ((existing)); then result fsdax.namespace_mode "given (an existing DAX mount)"; else result fsdax.namespace_mode "$(ns_mode)"; fi
    result fsdax.mount "$(findmnt -rno SOURCE,FSTYPE,OPTIONS -T "$mnt" | tail -n 1)"
    run_checks check fsdax "$mnt" --nondax-dir "${TMPDIR:-/tmp}" --conformance "${expect[@]}"
    after_fsdax=()
    if ((!existing)); then
        t=$(now_ms)
        after_fsdax=(--after remount)
        if umount "$mnt" && cycle_namespace && wait_for /dev/pmem0 && mount -o dax /dev/pmem0 "$mnt"; then
            result fsdax.remount_ms "$(($(now_ms) - t))"
        else
            result fsdax.remount "failed (see guest.log)"
            status=1
        fi
    fi
    run_checks verify fsdax "$mnt" "${after_fsdax[@]}"
    selftest fsdax "pmem:$mnt/jdax-selftest.pmem?size=64M&create=true"
    rm -f "$mnt/jdax-selftest.pmem"
    hwpoison tmpfs /dev/shm
    hwpoison fsdax "$mnt"
else
    result fsdax.setup "failed: make_fsdax (see guest.log)"
    status=1
fi

# ---- devdax
dev=${JDAX_REALDAX_DEVDAX:-/dev/dax0.0}
if ((existing)) && [[ -z ${JDAX_REALDAX_DEVDAX:-} ]]; then
    :
elif ((existing)) || { t=$(now_ms); make_devdax "$mnt" && result devdax.setup_ms "$(($(now_ms) - t))"; }; then
    if ((existing)); then result devdax.namespace_mode "given (an existing device DAX)"; else result devdax.namespace_mode "$(ns_mode)"; fi
    sys=/sys/bus/dax/devices/$(basename "$dev")
    result devdax.sysfs "size $(cat "$sys/size" 2>/dev/null) align $(cat "$sys/align" 2>/dev/null)"
    run_checks check devdax "$dev" --conformance "${expect[@]}"
    after_devdax=()
    if ((!existing)); then
        t=$(now_ms)
        after_devdax=(--after namespace_reenable)
        if cycle_namespace && wait_for "$dev"; then
            result devdax.reenable_ms "$(($(now_ms) - t))"
        else
            result devdax.reenable "failed (see guest.log)"
            status=1
        fi
    fi
    run_checks verify devdax "$dev" "${after_devdax[@]}"
    selftest devdax "pmem:$dev" --destroy-data   # it holds the checks' bytes
    hwpoison devdax "$dev"
else
    result devdax.setup "failed: make_devdax (see guest.log)"
    status=1
fi

result guest_total_ms "$(($(now_ms) - t_all))"
result realdax "$( ((status == 0)) && echo ok || echo fail)"
exit "$status"
