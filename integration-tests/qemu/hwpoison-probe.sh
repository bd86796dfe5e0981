#!/usr/bin/env bash
# hwpoison-probe.sh — what the guest's kernel does with madvise(MADV_HWPOISON)
# on tmpfs, fsdax and device DAX, seen from C (hwpoison/hwpoison-probe.c, built
# here with cc): setup.sh, run-guest.sh hwpoison-probe-guest.sh, then prints
# RESULTS_DIR/hwpoison-probe.txt. The facts behind HwPoisonChecks (README,
# "Real DAX hardware and the QEMU guest"); not part of CI. About 40 s.
#
#   hwpoison-probe.sh [RESULTS_DIR] [--timeout SECS]
#
# RESULTS_DIR defaults to integration-tests/qemu/results/hwpoison-probe
# (git-ignored). The probe only ever runs in the guest: it refuses without
# jdax.guest=1 on the kernel command line (run-guest.sh puts it there).
# Exit status: run-guest.sh's (0 the probe ran everywhere).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=
timeout_args=()
while (($#)); do
    case $1 in
        --timeout) timeout_args=(--timeout "${2:?--timeout needs a value}"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) [[ -z $results ]] || { echo "hwpoison-probe.sh: one RESULTS_DIR only" >&2; exit 2; }; results=$1; shift ;;
    esac
done
results=${results:-$here/results/hwpoison-probe}

"$here/setup.sh"
mkdir -p "$results"
rm -f "$results/hwpoison-probe.txt" "$results/hwpoison-probe"
cc -O1 -Wall -Wextra -o "$results/hwpoison-probe" "$here/hwpoison/hwpoison-probe.c"
export JDAX_HWPOISON_PROBE=/run/jdax/results/hwpoison-probe   # the results share, in the guest
rc=0
"$here/run-guest.sh" "$here/hwpoison-probe-guest.sh" "$results" "${timeout_args[@]}" || rc=$?
[[ ! -s $results/hwpoison-probe.txt ]] || cat "$results/hwpoison-probe.txt"
exit "$rc"
