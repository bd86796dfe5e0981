#!/usr/bin/env bash
# hwpoison-probe-guest.sh — runs INSIDE the jdax QEMU guest (hwpoison-probe.sh
# does both): hwpoison-probe ($JDAX_HWPOISON_PROBE) on a tmpfs file, a MAP_SYNC
# file on ext4 -o dax (fsdax) and /dev/dax0.0, each poisoned by the process
# itself and by a forked child; then the kernel's memory-failure log lines and
# its bad-block lists. Output to $JDAX_RESULTS/hwpoison-probe.txt.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-lib.sh
. "$here/guest-lib.sh"
probe=${JDAX_HWPOISON_PROBE:?JDAX_HWPOISON_PROBE not set}
out=$JDAX_RESULTS/hwpoison-probe.txt
status=0
exec 3>&2   # the console: make_fsdax's and make_devdax's chatter
{
    echo "kernel $(uname -r); vm.memory_failure_early_kill=$(cat /proc/sys/vm/memory_failure_early_kill)," \
         "vm.memory_failure_recovery=$(cat /proc/sys/vm/memory_failure_recovery)"
    echo "== tmpfs"
    "$probe" /dev/shm/hwpoison-a file || status=1
    "$probe" /dev/shm/hwpoison-b file cross || status=1
    if make_fsdax "$JDAX_PMEM_MOUNT" 2>&3; then
        echo "== fsdax: $(findmnt -rno SOURCE,FSTYPE,OPTIONS -T "$JDAX_PMEM_MOUNT")"
        "$probe" "$JDAX_PMEM_MOUNT/hwpoison-a" daxfile || status=1
        "$probe" "$JDAX_PMEM_MOUNT/hwpoison-b" daxfile cross || status=1
        echo "  /sys/block/pmem0/badblocks: [$(cat /sys/block/pmem0/badblocks)]"
    else
        echo "== fsdax: make_fsdax failed"; status=1
    fi
    if make_devdax "$JDAX_PMEM_MOUNT" 2>&3; then
        echo "== devdax: /dev/dax0.0, align $(cat /sys/bus/dax/devices/dax0.0/align)"
        "$probe" /dev/dax0.0 devdax || status=1
        "$probe" /dev/dax0.0 devdax cross || status=1
    else
        echo "== devdax: make_devdax failed"; status=1
    fi
    echo "  region0 badblocks: [$(cat /sys/bus/nd/devices/region0/badblocks)]"
    echo "== kernel log"
    dmesg | grep -E 'Memory failure|Injecting memory failure|MCE: Killing'
    echo "HardwareCorrupted: $(sed -n 's/^HardwareCorrupted: *//p' /proc/meminfo)"
} > "$out" 2>&1
exit "$status"
