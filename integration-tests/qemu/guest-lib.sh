# shellcheck shell=bash
# guest-lib.sh — helpers for scripts that run inside the jdax QEMU guest
# (run-guest.sh). Source it from bash:  . "$(dirname "$0")/guest-lib.sh"
#
# The guest has one emulated NVDIMM that comes up label-less and raw (no DAX):
#   make_fsdax [MOUNTPOINT]  namespace0.0 in fsdax mode -> /dev/pmem0, ext4,
#                            mounted with -o dax at MOUNTPOINT (/mnt/pmem);
#                            checks dax=always and the block device's DAX flag
#   make_devdax              namespace0.0 reconfigured to devdax -> /dev/dax0.0
#                            (unmounts MOUNTPOINT first)
#   describe                 kernel, namespace mode, CPU flags -> results
#   result KEY VALUE...      appends "KEY=VALUE" to $JDAX_RESULTS/results.txt
#   now_ms, uptime_s         clocks for timings (TCG: only relative sizes mean much)
#   ns_mode                  the current mode of namespace0.0 (raw/fsdax/devdax/none)
# Functions return non-zero on failure and say why on stderr; they do not exit.

JDAX_RESULTS=${JDAX_RESULTS:-/run/jdax/results}
JDAX_RESULTS_FILE=${JDAX_RESULTS_FILE:-$JDAX_RESULTS/results.txt}
JDAX_PMEM_MOUNT=${JDAX_PMEM_MOUNT:-/mnt/pmem}
# 1 GiB NVDIMM minus the 128 KiB label area, rounded down to the region's
# 16 MiB alignment: the default size is rejected.
JDAX_NS_SIZE=${JDAX_NS_SIZE:-1008M}

glog() { printf 'guest-lib: %s\n' "$*" >&2; }

result() {
    local key=$1
    shift
    printf '%s=%s\n' "$key" "$*" >> "$JDAX_RESULTS_FILE"
}

now_ms() { date +%s%3N; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# ns_mode: mode of namespace0.0 as ndctl reports it, or "none".
ns_mode() {
    local mode
    mode=$(ndctl list -n namespace0.0 2>/dev/null | sed -n 's/.*"mode":"\([^"]*\)".*/\1/p' | head -n 1)
    printf '%s\n' "${mode:-none}"
}

# wait_for PATH [SECONDS]: wait until PATH exists (device nodes appear async).
wait_for() {
    local path=$1 tries=$((${2:-10} * 10))
    while [[ ! -e $path ]]; do
        ((tries-- > 0)) || { glog "timed out waiting for $path"; return 1; }
        sleep 0.1
    done
}

# _init_labels: give the label-less NVDIMM a label area, once.
_init_labels() {
    ndctl disable-region region0 >&2 || return 1
    ndctl init-labels -f nmem0 >&2 || return 1
    ndctl enable-region region0 >&2 || return 1
}

make_fsdax() {
    local mnt=${1:-$JDAX_PMEM_MOUNT} mode opts
    mode=$(ns_mode)
    if [[ $mode == fsdax ]]; then
        :
    elif [[ $mode == devdax ]]; then
        ndctl create-namespace -f -e namespace0.0 -m fsdax -s "$JDAX_NS_SIZE" >&2 || return 1
    else
        _init_labels || return 1
        ndctl create-namespace -r region0 -m fsdax -s "$JDAX_NS_SIZE" >&2 || return 1
    fi
    wait_for /dev/pmem0 || return 1
    mkfs.ext4 -q -F -b 4096 /dev/pmem0 >&2 || return 1
    mkdir -p "$mnt"
    mount -o dax /dev/pmem0 "$mnt" || return 1
    opts=$(awk -v m="$mnt" '$2 == m { print $4 }' /proc/self/mounts | tail -n 1)
    if [[ ,$opts, != *,dax=always,* && ,$opts, != *,dax,* ]]; then
        glog "$mnt is mounted without DAX (options: $opts)"
        return 1
    fi
    if [[ $(cat /sys/block/pmem0/queue/dax 2>/dev/null) != 1 ]]; then
        glog "/dev/pmem0 does not support DAX (/sys/block/pmem0/queue/dax != 1)"
        return 1
    fi
    glog "fsdax ready: /dev/pmem0 on $mnt ($opts)"
}

make_devdax() {
    local mnt=${1:-$JDAX_PMEM_MOUNT} mode
    if mountpoint -q "$mnt"; then umount "$mnt" || return 1; fi
    mode=$(ns_mode)
    if [[ $mode == devdax ]]; then
        :
    elif [[ $mode == none || $mode == raw ]]; then
        _init_labels || return 1
        ndctl create-namespace -r region0 -m devdax -s "$JDAX_NS_SIZE" >&2 || return 1
    else
        ndctl create-namespace -f -e namespace0.0 -m devdax -s "$JDAX_NS_SIZE" >&2 || return 1
    fi
    wait_for /dev/dax0.0 || return 1
    [[ -c /dev/dax0.0 ]] || { glog "/dev/dax0.0 is not a character device"; return 1; }
    glog "devdax ready: /dev/dax0.0 ($(cat /sys/bus/dax/devices/dax0.0/size) bytes, align $(cat /sys/bus/dax/devices/dax0.0/align 2>/dev/null || echo '?'))"
}

# describe: what this guest is, as results lines.
describe() {
    local flags f present=()
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    result kernel "$(uname -r)"
    result mode "$(ns_mode)"
    result persistence_domain "$(cat /sys/bus/nd/devices/region0/persistence_domain 2>/dev/null || echo unknown)"
    result cpu_model "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    result cpus "$(nproc)"
    for f in sse2 avx avx2 avx512f clflush clflushopt clwb movdiri; do
        if [[ $flags == *" $f "* ]]; then
            result "cpu_$f" yes
            present+=("$f")
        else
            result "cpu_$f" no
        fi
    done
    result cpu_flags "${present[*]}"
}
