#!/bin/busybox sh
# shellcheck shell=sh
# /init of the jdax QEMU guest (copied into the initramfs by setup.sh).
#
# Loads the modules listed in /lib/modules/<release>/load-order, mounts the
# host's / read-only over 9p (tag hostroot), builds a writable view around it
# (tmpfs: /run, /dev/shm; overlay with a tmpfs upper layer: /tmp, /var/tmp,
# /root, /mnt; proc, sysfs, devtmpfs, devpts), mounts the writable results
# share (tag jdaxresults) at /run/jdax/results and the read-only job share (tag
# jdaxjob) at /run/jdax/job, chroots into the host root and runs
# /run/jdax/job/launch.sh (written by run-guest.sh) with bash. The script's
# exit status goes to /run/jdax/results/guest-exit-status; then poweroff -f.
# Any failure before the script runs powers off without that file, which
# run-guest.sh reports as a boot failure.

/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

msg() { echo "jdax-init: $*"; }
halt_now() {
    sync
    poweroff -f
    sleep 10
}
die() {
    msg "FATAL: $*"
    halt_now
}

kver=$(uname -r)
msg "kernel $kver, loading modules"
while read -r m; do
    insmod "/lib/modules/$kver/$m" || msg "warning: insmod $m failed"
done < "/lib/modules/$kver/load-order"

# mount_9p TAG DIR OPTIONS: the virtio device may take a moment to appear.
mount_9p() {
    i=0
    while ! mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 50 ] || return 1
        sleep 0.1
    done
}

R=/newroot
mount_9p hostroot "$R" ro,cache=loose || die "cannot mount the host root (9p tag hostroot)"
[ -x "$R/bin/bash" ] || die "host root has no /bin/bash"

mount -t tmpfs -o mode=0755 tmpfs "$R/run" || die "tmpfs on /run"
mkdir -p "$R/run/jdax/results" "$R/run/jdax/job"
mount_9p jdaxresults "$R/run/jdax/results" rw || die "cannot mount the results share (9p tag jdaxresults)"
mount_9p jdaxjob "$R/run/jdax/job" ro || die "cannot mount the job share (9p tag jdaxjob)"

# Writable views of host directories: overlay (host content visible, writes
# go to tmpfs); plain tmpfs if overlay is not available.
mount -t tmpfs -o mode=0755 tmpfs /ovl || die "tmpfs on /ovl"
for d in /tmp /var/tmp /root /mnt; do
    [ -d "$R$d" ] || continue
    n=$(echo "$d" | tr / _)
    mkdir -p "/ovl/$n/upper" "/ovl/$n/work"
    chmod "$(stat -c %a "$R$d")" "/ovl/$n/upper"
    if ! mount -t overlay overlay -o "lowerdir=$R$d,upperdir=/ovl/$n/upper,workdir=/ovl/$n/work" "$R$d"; then
        msg "warning: overlay on $d failed, using an empty tmpfs"
        mount -t tmpfs -o "mode=$(stat -c %a "$R$d")" tmpfs "$R$d" || die "tmpfs on $d"
    fi
done

mount -t proc proc "$R/proc" || die "proc"
mount -t sysfs sysfs "$R/sys" || die "sysfs"
mount -t devtmpfs devtmpfs "$R/dev" || die "devtmpfs"
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o gid=5,mode=620,ptmxmode=000 devpts "$R/dev/pts" || msg "warning: devpts"
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm" || msg "warning: /dev/shm"

[ -r "$R/run/jdax/job/launch.sh" ] || die "job share has no launch.sh"
msg "running the guest script (uptime $(cut -d' ' -f1 /proc/uptime) s)"
chroot "$R" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR=/tmp \
    JDAX_GUEST=1 JDAX_RESULTS=/run/jdax/results \
    /bin/bash /run/jdax/job/launch.sh
rc=$?
echo "$rc" > "$R/run/jdax/results/guest-exit-status" || msg "warning: cannot write guest-exit-status"
msg "guest script exited with status $rc (uptime $(cut -d' ' -f1 /proc/uptime) s)"
sync
umount "$R/run/jdax/results" 2>/dev/null || true
halt_now
