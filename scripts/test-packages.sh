#!/usr/bin/env bash
# test-packages.sh — installs the Debian packages whose tools the tests use, when one is missing
# (root only; .ci/run calls it before ./mvnw25 verify).
#
# dax-cli's DataGuardTest and the bench/selftest refusal tests make small disk images with the
# real mkfs tools (btrfs, XFS, ext4, F2FS, NTFS, FAT, swap, LUKS, LVM2, GPT, MBR, ISO 9660,
# squashfs) and check that jdax refuses to overwrite each. Without a tool those tests are
# skipped saying which package has it; in CI (CI set) a missing tool fails them.
#
#   JDAX_NO_INSTALL=1   never call apt-get; only say what is missing
set -euo pipefail

packages=(btrfs-progs xfsprogs e2fsprogs f2fs-tools ntfs-3g dosfstools util-linux mount fdisk gdisk
          cryptsetup-bin lvm2 genisoimage squashfs-tools)

log() { printf 'test-packages.sh: %s\n' "$*" >&2; }

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [[ ${JDAX_NO_INSTALL:-0} == 1 || $EUID -ne 0 ]]; then
    log "missing ${missing[*]}: the tests that need them skip (fail where CI is set); run as root to install them"
    exit 0
fi
log "installing ${missing[*]} (apt-get, a minute or so)"
apt_log=$(mktemp -t jdax-apt.XXXXXX)
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    log "apt-get failed (full log: $apt_log)"
    exit 1
fi
rm -f "$apt_log"
