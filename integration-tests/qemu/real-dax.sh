#!/usr/bin/env bash
# real-dax.sh — the real-DAX checks: builds the jars on the host, boots the QEMU
# guest with an emulated NVDIMM (setup.sh, run-guest.sh) whose platform says
# ADR (nvdimm-persistence=mem-ctrl), runs real-dax-guest.sh in it (fsdax with
# MAP_SYNC, then devdax), then boots it again saying eADR
# (nvdimm-persistence=cpu) for platform-guest.sh (both namespace modes as an
# unprivileged user: PERSISTENT_CACHE, nothing written back), and turns the
# guests' results into a pass/fail summary. In the first guest it also poisons
# pages with madvise(MADV_HWPOISON) (HwPoisonChecks; never with --no-vm).
#
#   real-dax.sh [RESULTS_DIR] [--timeout SECS] [--no-build]
#   real-dax.sh [RESULTS_DIR] --no-vm [--fsdax-mount DIR] [--devdax /dev/daxX.Y] [--no-build]
#
# RESULTS_DIR defaults to integration-tests/target/real-dax; it receives
# results.txt (KEY=VALUE lines), guest.log (the console), the ledgers and
# summary.txt. --no-build uses what `./mvnw25 verify` (or package) left in
# integration-tests/target (test-classes, real-dax-jars); otherwise it runs
#   ./mvnw25 -q -B -DskipTests -pl integration-tests -am package
# first. --no-vm runs the same checks on this machine against an existing DAX
# mount and/or device DAX (real persistent memory): nothing is reconfigured, the
# devdax checks overwrite the device.
#
# Exit status 0 only if every check passed in every mode; run-guest.sh's status
# when the guest did not finish (3 boot failure, 124 timeout); 1 otherwise;
# 2 for bad usage. On failure it prints the failed checks and the guest log.
# Environment: as setup.sh and run-guest.sh; JDAX_JAVA_OPTS (extra JVM options
# in the guest); JDAX_REALDAX_EADR=0 skips the second (eADR) boot. The eADR
# guest's console and results are in RESULTS_DIR/eadr/. In the guest under TCG the checks also require copy=avx2 and
# flush=clwb (QEMU's -cpu max: AVX2 and clwb, no AVX-512); set
# JDAX_REALDAX_EXPECT_COPY / JDAX_REALDAX_EXPECT_FLUSH to change that (empty:
# only what the guest's /proc/cpuinfo calls for).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
it=$repo/integration-tests
results=
timeout_args=()
build=1
vm=1
fsdax_mount=
devdax=
die() { printf 'real-dax.sh: error: %s\n' "$*" >&2; exit 2; }
while (($#)); do
    case $1 in
        --timeout) timeout_args=(--timeout "${2:?--timeout needs a value}"); shift 2 ;;
        --no-build) build=0; shift ;;
        --no-vm) vm=0; shift ;;
        --fsdax-mount) fsdax_mount=${2:?--fsdax-mount needs a directory}; shift 2 ;;
        --devdax) devdax=${2:?--devdax needs a device}; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option: $1" ;;
        *) [[ -z $results ]] || die "one RESULTS_DIR only"; results=$1; shift ;;
    esac
done
results=${results:-$it/target/real-dax}
if ((!vm)); then
    [[ -n $fsdax_mount || -n $devdax ]] || die "--no-vm needs --fsdax-mount DIR and/or --devdax /dev/daxX.Y"
elif [[ -n $fsdax_mount || -n $devdax ]]; then
    die "--fsdax-mount and --devdax go with --no-vm (the guest makes its own)"
fi

# shellcheck source=../../scripts/find-jdk25.sh
. "$repo/scripts/find-jdk25.sh"
export JDAX_JAVA=$JAVA_HOME/bin/java

t0=$(date +%s)
if ((build)); then
    echo "real-dax.sh: building (./mvnw25 -q -B -DskipTests -pl integration-tests -am package)" >&2
    (cd "$repo" && ./mvnw25 -q -B -DskipTests -pl integration-tests -am package)
fi
export JDAX_REALDAX_CLASSES=$it/target/test-classes
export JDAX_REALDAX_JARS=$it/target/real-dax-jars
[[ -r $JDAX_REALDAX_CLASSES/io/jdax/it/realdax/RealDaxChecks.class && -d $JDAX_REALDAX_JARS ]] \
    || die "no built checks in $it/target (run without --no-build, or ./mvnw25 verify first)"
# jdax selftest, through the ./jdax launcher: it must not find its jar stale in
# the guest (the guest's / is read-only and offline), so the host runs it first.
export JDAX_REALDAX_JDAX=$repo/jdax JDAX_REALDAX_SELFTEST=0
if "$JAVA_HOME/bin/jar" tf "$repo/dax-cli/target/dax-cli.jar" 2>/dev/null | grep -q 'SelftestCommand'; then
    "$repo/jdax" --version >/dev/null || die "./jdax --version failed on the host"
    JDAX_REALDAX_SELFTEST=1
fi

mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/results.txt" "$results/summary.txt" "$results/guest-exit-status"
rc=0
if ((vm)); then
    "$here/setup.sh"
    if [[ ${JDAX_QEMU_ACCEL:-tcg} == tcg* ]]; then
        # QEMU's TCG -cpu max: AVX2 and clwb, no AVX-512; whatever the host has.
        export JDAX_REALDAX_EXPECT_COPY=${JDAX_REALDAX_EXPECT_COPY-avx2}
        export JDAX_REALDAX_EXPECT_FLUSH=${JDAX_REALDAX_EXPECT_FLUSH-clwb}
    fi
    JDAX_QEMU_NVDIMM_PERSISTENCE=mem-ctrl JDAX_REALDAX_EXPECT_DOMAIN=memory_controller \
        "$here/run-guest.sh" "$here/real-dax-guest.sh" "$results" "${timeout_args[@]}" || rc=$?
    if [[ ${JDAX_REALDAX_EADR:-1} != 0 ]]; then
        # The second boot: the same guest told its NVDIMM's caches are persistent.
        rm -rf "$results/eadr"
        mkdir -p "$results/eadr"
        erc=0
        JDAX_QEMU_NVDIMM_PERSISTENCE=cpu JDAX_PLATFORM_DOMAIN=cpu_cache \
            "$here/run-guest.sh" "$here/platform-guest.sh" "$results/eadr" "${timeout_args[@]}" || erc=$?
        cat "$results/eadr/results.txt" >> "$results/results.txt" 2>/dev/null || true
        echo "eadr.run_guest=$erc" >> "$results/results.txt"
    fi
else
    export JDAX_RESULTS=$results JDAX_REALDAX_FSDAX_MOUNT=$fsdax_mount JDAX_REALDAX_DEVDAX=$devdax
    bash "$here/real-dax-guest.sh" 2> "$results/guest.log" || rc=$?
fi
wall=$(($(date +%s) - t0))

# ---- the summary
r=$results/results.txt
get() { sed -n "s/^$1=//p" "$r" 2>/dev/null | tail -n 1; }
failed=()
{
    echo "real-dax: $(get where), kernel $(get kernel), CPU $(get cpu_model) ($(get cpu_flags); avx512f $(get cpu_avx512f))"
    for mode in fsdax devdax; do
        grep -q "^$mode\." "$r" 2>/dev/null || continue
        pass=$(grep -cE "^$mode\.check\.[a-z0-9_]+=pass" "$r" || true)
        fail=$(grep -cE "^$mode\.check\.[a-z0-9_]+=fail" "$r" || true)
        conf=$(get "$mode.conformance")
        where=$(get "$mode.mount")
        [[ $mode == devdax ]] && where="$(get "$mode.device"), sysfs $(get "$mode.sysfs")"
        echo "  $mode: namespace mode $(get "$mode.namespace_mode"), $where"
        echo "    arch $(get "$mode.arch") copy=$(get "$mode.arch.copy") flush=$(get "$mode.arch.flush")" \
             "(CPU calls for $(get "$mode.cpu.expected")), persistence $(get "$mode.persistence")"
        echo "    checks: $pass passed, $fail failed; conformance suite: ${conf:-not run};" \
             "JVMs: check $(get "$mode.check.exit" | sed 's/^0$/ok/;s/^[1-9].*$/FAILED(&)/') $(get "$mode.check.ms") ms," \
             "verify $(get "$mode.verify.exit" | sed 's/^0$/ok/;s/^[1-9].*$/FAILED(&)/') $(get "$mode.verify.ms") ms"
        st=$(get "$mode.selftest.exit")
        [[ -z $st ]] || echo "    $(get "$mode.selftest.summary") (exit $st); arch $(get "$mode.selftest.arch")"
        while IFS= read -r line; do failed+=("$mode jdax selftest: $line"); done < <(sed -n "s/^$mode\.selftest\.failed=//p" "$r")
        while IFS= read -r line; do failed+=("$line"); done < <(grep -E "^$mode\.(check\.[a-z0-9_]+=fail|conformance\.[a-z0-9_.]+=fail)" "$r" || true)
        for phase in check verify selftest; do
            st=$(get "$mode.$phase.exit")
            [[ -z $st || $st == 0 ]] || failed+=("$mode $phase JVM exited with status $st")
        done
        for phase in check verify; do
            [[ -n $(get "$mode.phase.$phase") ]] || failed+=("$mode: the $phase JVM did not finish (no $mode.phase.$phase line)")
        done
    done
    # madvise(MADV_HWPOISON), in the guest only: checks pass or fail; what the kernel did is shown
    short() { sed -E 's/ \(E[A-Z]+: .*\)$//' <<< "$1"; }
    if [[ -n $(get hwpoison) ]]; then
        echo "  hwpoison: $(get hwpoison)"
    elif grep -q '^hwpoison\.' "$r" 2>/dev/null; then
        echo "  hwpoison: madvise(MADV_HWPOISON) on a page of the device's own mapping (the guest only)"
        for hm in tmpfs fsdax devdax; do
            grep -q "^hwpoison\.$hm\." "$r" || continue
            pass=$(grep -cE "^hwpoison\.$hm\.check\.[a-z0-9_]+=pass" "$r" || true)
            fail=$(grep -cE "^hwpoison\.$hm\.check\.[a-z0-9_]+=fail" "$r" || true)
            echo "    $hm: $(get "hwpoison.$hm.device"): checks: $pass passed, $fail failed;" \
                 "JVM $(get "hwpoison.$hm.exit" | sed 's/^0$/ok/;s/^[1-9].*$/FAILED(&)/') $(get "hwpoison.$hm.ms") ms"
            if [[ $hm == tmpfs ]]; then
                echo "      madvise: $(get hwpoison.tmpfs.madvise); then read: $(short "$(get hwpoison.tmpfs.outcome.read)")"
            else
                echo "      $(get "hwpoison.$hm.outcome.injector")"
                echo "      then this JVM's read: $(short "$(get "hwpoison.$hm.outcome.read")")"
            fi
            echo "      write: $(short "$(get "hwpoison.$hm.outcome.write")"); zeroPageRange:" \
                 "$(short "$(get "hwpoison.$hm.outcome.zero_page_range")")"
            [[ $hm != tmpfs ]] || echo "      recoveryWrite: $(short "$(get hwpoison.tmpfs.outcome.recovery_write)")"
            echo "      kernel log: $(get "hwpoison.$hm.kernel_log")"
        done
    fi
    if ((vm)) && [[ -z $(get hwpoison) ]]; then
        for hm in tmpfs fsdax devdax; do
            st=$(get "hwpoison.$hm.exit")
            if [[ -z $st ]]; then
                failed+=("hwpoison $hm: not run")
                continue
            fi
            [[ $st == 0 ]] || failed+=("hwpoison $hm JVM exited with status $st")
            [[ -n $(get "hwpoison.$hm.phase") ]] || failed+=("hwpoison $hm: the JVM did not finish (no hwpoison.$hm.phase line)")
        done
        while IFS= read -r line; do failed+=("$line"); done < <(grep -E '^hwpoison\.[a-z]+\.check\.[a-z0-9_]+=fail' "$r" || true)
    fi
    # the eADR boot (platform-guest.sh)
    if [[ -n $(get eadr.run_guest) ]]; then
        echo "  eADR boot: $(get eadr.boot); deep_flush $(get eadr.deep_flush)"
        for mode in fsdax devdax; do
            grep -q "^platform\.$mode\." "$r" || continue
            pass=$(grep -cE "^platform\.$mode\.check\.[a-z0-9_]+=pass" "$r" || true)
            fail=$(grep -cE "^platform\.$mode\.check\.[a-z0-9_]+=fail" "$r" || true)
            echo "    $mode as $(get "platform.$mode.user"): $(get "platform.$mode.persistence" | cut -c1-160)"
            echo "      checks: $pass passed, $fail failed; JVM $(get "platform.$mode.exit" | sed 's/^0$/ok/;s/^[1-9].*$/FAILED(&)/')" \
                 "$(get "platform.$mode.ms") ms; writes: $(get "platform.$mode.writes.counts")"
            echo "      persist: $(get "platform.$mode.persist.counts"); deep flush: $(get "platform.$mode.deep_flush.outcome")"
            [[ $mode == fsdax ]] && echo "      daxfs: $(get "platform.$mode.daxfs.counts")"
            [[ $mode == devdax ]] && echo "      bad blocks: $(get "platform.$mode.badblocks" | cut -c1-200)"
            echo "      unsafe shutdowns: $(get "platform.$mode.unsafe_shutdowns")"
            st=$(get "platform.$mode.exit")
            [[ -z $st || $st == 0 ]] || failed+=("eADR boot: $mode PlatformChecks JVM exited with status $st")
        done
        [[ -z $(get eadr.info.exit) ]] || echo "    jdax info --device pmem:/dev/dax0.0 as nobody: exit $(get eadr.info.exit), $(get eadr.info.ms) ms"
        while IFS= read -r line; do failed+=("eADR boot: $line"); done < <(grep -E '^platform\.[a-z]+\.check\.[a-z0-9_]+=fail' "$r" || true)
        while IFS= read -r line; do failed+=("eADR boot: $line"); done < <(grep -E '^platform\.[a-z]+\.setup=' "$r" || true)
        [[ $(get eadr.run_guest) == 0 ]] || failed+=("eADR boot: run-guest.sh ended with status $(get eadr.run_guest)")
        [[ $(get eadr) == ok ]] || failed+=("eADR boot: platform-guest.sh did not report eadr=ok")
        [[ -z $(get eadr.info.exit) || $(get eadr.info.exit) == 0 ]] || failed+=("eADR boot: jdax info failed")
    fi
    while IFS= read -r line; do failed+=("$line"); done < <(grep -E '^[a-z]+\.(setup|remount|reenable)=' "$r" 2>/dev/null || true)
    if ((vm)); then
        for mode in fsdax devdax; do
            grep -q "^$mode\.check\." "$r" 2>/dev/null || failed+=("$mode: no checks ran")
        done
    fi
    ((rc == 0)) || failed+=("the run ended with status $rc (run-guest.sh: 3 boot failure, 124 timeout)")
    [[ $(get realdax) == ok ]] || failed+=("real-dax-guest.sh did not report realdax=ok")
    if ((${#failed[@]})); then
        echo "real-dax: FAILED (${wall} s):"
        printf '  %s\n' "${failed[@]}" | awk '!seen[$0]++'
    else
        echo "real-dax: PASSED (${wall} s; results in $results)"
    fi
} > "$results/summary.txt"
cat "$results/summary.txt"

if ((${#failed[@]})); then
    if [[ -s $results/eadr/guest.log ]] && grep -q '^eADR boot' <<< "$(printf '%s\n' "${failed[@]}")"; then
        echo "---- eADR guest log ($results/eadr/guest.log), the lines from the checks:" >&2
        grep -nE 'platform-guest|realdax:|Exception|Error|FAIL|at io\.jdax|guest-lib' "$results/eadr/guest.log" \
            | grep -vE '^[0-9]+:  PASS ' | head -n 100 >&2 || true
    fi
    if [[ -s $results/guest.log ]]; then
        echo "---- guest log ($results/guest.log, the lines from the checks and the last 60 lines):" >&2
        grep -nE 'real-dax-guest|realdax:|Exception|Error|FAIL|at io\.jdax|guest-lib' "$results/guest.log" \
            | grep -vE '^[0-9]+:(  PASS |selftest: \[[0-9/]+\] PASS )' | head -n 200 >&2 || true
        echo "---- last lines" >&2
        tail -n 60 "$results/guest.log" >&2
    fi
    ((rc == 0 || rc == 1)) && exit 1
    exit "$rc"
fi
