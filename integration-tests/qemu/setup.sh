#!/usr/bin/env bash
# setup.sh — prepare the QEMU guest used by the "real kernel DAX" tests.
#
#   setup.sh [--force]
#
# 1. Installs the Debian packages the guest needs (only when one is missing;
#    needs root then).
# 2. Builds a small initramfs (busybox-static + the packaged kernel's modules
#    for virtio-pci, 9p, libnvdimm, nfit, nd_pmem, nd_btt, dax_pmem,
#    device_dax, ext4, overlay and their dependencies, in modules.dep order)
#    with initramfs-init.sh as its /init.
#
# Output, in the cache directory ${JDAX_QEMU_CACHE:-$HOME/.cache/jdax-qemu}:
#   initramfs.cpio.gz   the initramfs
#   guest.env           JDAX_QEMU_KERNEL_IMAGE, JDAX_QEMU_INITRD, JDAX_QEMU_KVER
#                       (sourced by run-guest.sh)
#   initramfs.stamp     hash of the inputs; the initramfs is rebuilt only when
#                       it changes (or with --force)
#
# Environment:
#   JDAX_QEMU_CACHE     cache directory (see above)
#   JDAX_QEMU_KERNEL    kernel release to use (default: the newest one that has
#                       both /boot/vmlinuz-<release> and /lib/modules/<release>)
#   JDAX_QEMU_NO_INSTALL=1  never call apt-get; fail if a package is missing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${JDAX_QEMU_CACHE:-${HOME:-/root}/.cache/jdax-qemu}
force=0

die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'setup.sh: %s\n' "$*" >&2; }

for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $arg" ;;
    esac
done

# --- 1. packages -------------------------------------------------------------
packages=(qemu-system-x86 linux-image-amd64 busybox-static ndctl daxctl kmod cpio e2fsprogs)
missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    [[ ${JDAX_QEMU_NO_INSTALL:-0} != 1 ]] || die "missing packages: ${missing[*]}"
    [[ $EUID -eq 0 ]] || die "missing packages (${missing[*]}); run as root to install them"
    log "installing ${missing[*]} (apt-get, a minute or so)"
    mkdir -p "$cache"
    apt_log=$cache/apt.log
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        die "apt-get failed (full log: $apt_log)"
    fi
fi

# --- 2. kernel ---------------------------------------------------------------
kver=${JDAX_QEMU_KERNEL:-}
if [[ -z $kver ]]; then
    while IFS= read -r v; do
        if [[ -r /boot/vmlinuz-$v && -r /lib/modules/$v/modules.dep ]]; then kver=$v; fi
    done < <(find /lib/modules -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V)
fi
[[ -n $kver ]] || die "no kernel found with both /boot/vmlinuz-<release> and /lib/modules/<release>"
kimage=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[[ -r $kimage && -r $moddir/modules.dep ]] || die "kernel $kver: $kimage or $moddir/modules.dep missing"

# --- 3. module list, ordered from modules.dep ---------------------------------
# Not `modprobe --show-depends`: ndctl installs an "install libnvdimm ..." rule
# and modprobe then prints that rule instead of libnvdimm.ko.
wanted=(virtio_pci 9pnet_virtio 9p libnvdimm nfit nd_pmem nd_btt dax_pmem device_dax
        crc32c_generic crc32c-intel ext4 overlay)

declare -A deps=()      # module path -> its dependencies (paths, modules.dep order)
declare -A by_name=()   # module name (with '-' as '_') -> path
while IFS= read -r line; do
    path=${line%%:*}
    deps[$path]=${line#*:}
    name=${path##*/}; name=${name%%.ko*}
    by_name[${name//-/_}]=$path
done < "$moddir/modules.dep"

declare -A seen=()
ordered=()
visit() {   # depth-first: dependencies first, then the module itself
    local p=$1 d
    [[ -z ${seen[$p]:-} ]] || return 0
    seen[$p]=1
    for d in ${deps[$p]}; do visit "$d"; done
    ordered+=("$p")
}
for m in "${wanted[@]}"; do
    key=${m//-/_}
    if [[ -n ${by_name[$key]:-} ]]; then
        visit "${by_name[$key]}"
    elif grep -qE "/${m}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
        :   # built into the kernel
    else
        die "kernel $kver has no module $m"
    fi
done

# --- 4. build the initramfs if its inputs changed ------------------------------
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (package busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is dynamically linked; install busybox-static"; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

stamp=$(
    {
        printf 'kver=%s\n' "$kver"
        for f in "$here/setup.sh" "$here/initramfs-init.sh" "$busybox" "$kimage" "$moddir/modules.dep"; do
            sha256sum < "$f"
        done
        for p in "${ordered[@]}"; do printf '%s ' "$p"; sha256sum < "$moddir/$p"; done
    } | sha256sum | cut -d' ' -f1
)
initrd=$cache/initramfs.cpio.gz
if ((force == 0)) && [[ -s $initrd && -s $cache/guest.env && $(cat "$cache/initramfs.stamp" 2>/dev/null) == "$stamp" ]]; then
    exit 0
fi

log "building initramfs for kernel $kver (${#ordered[@]} modules) in $cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,newroot,ovl,"lib/modules/$kver"}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$here/initramfs-init.sh" "$root/init"
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
for p in "${ordered[@]}"; do
    mkdir -p "$root/lib/modules/$kver/$(dirname "$p")"
    cp "$moddir/$p" "$root/lib/modules/$kver/$p"
    printf '%s\n' "$p" >> "$root/lib/modules/$kver/load-order"
done
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/initramfs.cpio.gz"

mv -f "$work/initramfs.cpio.gz" "$initrd"
{
    printf 'JDAX_QEMU_KVER=%q\n' "$kver"
    printf 'JDAX_QEMU_KERNEL_IMAGE=%q\n' "$kimage"
    printf 'JDAX_QEMU_INITRD=%q\n' "$initrd"
} > "$cache/guest.env"
printf '%s\n' "$stamp" > "$cache/initramfs.stamp"
log "initramfs ready: $initrd ($(du -h "$initrd" | cut -f1))"
