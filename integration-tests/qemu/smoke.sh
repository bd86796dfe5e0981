#!/usr/bin/env bash
# smoke.sh — host side of the QEMU smoke test: setup.sh, then run-guest.sh with
# smoke-guest.sh, then checks the guest's results.
#
#   smoke.sh [RESULTS_DIR] [--timeout SECS] [--source-launcher]
#
# RESULTS_DIR defaults to integration-tests/qemu/results/smoke (git-ignored);
# it receives results.txt, guest.log and guest-exit-status.
# smoke/MapSyncProbe.java is compiled on the host with javac (about a second)
# into RESULTS_DIR/probe-classes and run from there in the guest; with
# --source-launcher the guest runs `java MapSyncProbe.java` instead (javac then
# runs inside the emulated guest: about 35 s more per JVM launch, two launches).
# Exit status 0 only if setup, boot, MAP_SYNC on fsdax and the devdax mapping
# all passed; otherwise run-guest.sh's status (1 script failed, 3 boot failure,
# 124 timeout) or 1 when results.txt is incomplete.
# Environment: as setup.sh and run-guest.sh; JDAX_JAVA (JDK 25 java on the host
# file system, seen by the guest).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=
timeout_args=()
source_launcher=0
while (($#)); do
    case $1 in
        --timeout) timeout_args=(--timeout "${2:?--timeout needs a value}"); shift 2 ;;
        --source-launcher) source_launcher=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) [[ -z $results ]] || { echo "smoke.sh: one RESULTS_DIR only" >&2; exit 2; }; results=$1; shift ;;
    esac
done
results=${results:-$here/results/smoke}

java=${JDAX_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
[[ -x $java ]] || { echo "smoke.sh: no JDK 25 at $java (set JDAX_JAVA)" >&2; exit 2; }

"$here/setup.sh"

mkdir -p "$results"
rm -rf "$results/results.txt" "$results/guest.log" "$results/guest-exit-status" "$results/probe-classes"
if ((source_launcher)); then
    unset JDAX_PROBE_CLASSES
else
    "$(dirname "$java")/javac" -d "$results/probe-classes" "$here/smoke/MapSyncProbe.java"
    export JDAX_PROBE_CLASSES=$results/probe-classes
fi
rc=0
"$here/run-guest.sh" "$here/smoke-guest.sh" "$results" "${timeout_args[@]}" || rc=$?

if [[ -s $results/results.txt ]]; then
    echo "---- $results/results.txt"
    cat "$results/results.txt"
    echo "----"
fi
((rc == 0)) || { echo "smoke.sh: FAILED (run-guest.sh exit status $rc)" >&2; exit "$rc"; }

missing=()
for want in mapsync=ok devdax=ok mode=fsdax devdax_mode=devdax smoke=ok; do
    grep -qx "$want" "$results/results.txt" || missing+=("$want")
done
grep -q '^kernel=.' "$results/results.txt" || missing+=("kernel=...")
if ((${#missing[@]})); then
    echo "smoke.sh: FAILED: results.txt lacks ${missing[*]}" >&2
    exit 1
fi
echo "smoke.sh: PASSED (real kernel DAX in the QEMU guest: MAP_SYNC on fsdax, devdax mmap)"
