package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxHolder;
import io.jdax.dax.DaxHolderOperations;
import io.jdax.dax.Errno;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The devices mounted (or being checked or formatted) in this JVM, the kernel's list of super
 * blocks, which makes a second mount of a block device EBUSY. A mount {@link DaxDevice#hold holds}
 * its device: a second hold of the same device object is EBUSY, and so is the driver's
 * exclusive claim of the same memory by another open, in this JVM or another (pmem: a flock).
 * Here the mounts are keyed by the device's {@link DaxDevice#identity() identity} too (pmem: the
 * file's device and inode numbers, or device DAX's device number), so two opens of one image,
 * through a symbolic link or a hard link, cannot both mount it even from a driver that claims
 * nothing. A device without an identity (brd) is its own object. A hold ends with its unmount, or
 * with its device's release: a mount whose device was closed under it keeps nobody out. The one
 * piece of static mutable state in daxfs, for the same reason the kernel has it: a second writer
 * of the same metadata would corrupt it.
 */
final class MountTable {
    private static final Map<String, DaxHolder> BY_IDENTITY = new HashMap<>();

    private MountTable() {
    }

    /**
     * Holds {@code device} for daxfs.
     *
     * @param holder who holds it: "daxfs mount", "daxfs fsck", "daxfs format"
     * @param what   what to do instead, for the message, e.g. "unmount it before formatting"
     * @param ops    what the mount hears when the device closes
     * @throws DaxException EBUSY, saying "already mounted" and {@code what}
     */
    static synchronized DaxHolder claim(DaxDevice device, String holder, String what, DaxHolderOperations ops) {
        BY_IDENTITY.values().removeIf(h -> !h.isHeld()); // unmounted, or its device closed
        Optional<String> id = device.identity();
        DaxHolder other = id.map(BY_IDENTITY::get).orElse(null);
        if (other != null) {
            throw busy(device, other.device() == device ? "held by " + other.holder() + " in this JVM"
                    : "its memory (" + id.get() + ") is held by " + other.holder() + " through "
                    + other.device().name() + " (" + other.device().spec() + ") in this JVM", what, null);
        }
        DaxHolder h;
        try {
            h = device.hold(holder, ops);
        } catch (DaxException e) {
            if (e.errno() != Errno.EBUSY) {
                throw e;
            }
            throw busy(device, e.reason(), what, e);
        }
        id.ifPresent(k -> BY_IDENTITY.put(k, h));
        return h;
    }

    /**
     * Holds {@code device} for a format or a check, which need not hear of a close: their own
     * calls on the device fail (ENXIO) once it closes.
     */
    static DaxHolder claim(DaxDevice device, String holder, String what) {
        return claim(device, holder, what, d -> {
        });
    }

    /** Gives the device back; nothing if its hold ended already. */
    static synchronized void release(DaxHolder h) {
        h.close();
        h.device().identity().ifPresent(k -> BY_IDENTITY.remove(k, h));
    }

    private static DaxException busy(DaxDevice device, String why, String what, DaxException cause) {
        return new DaxException(Errno.EBUSY, "device " + device.name() + " (" + device.spec() + ") is already mounted: "
                + why + (what.isEmpty() ? "" : "; " + what), cause);
    }
}
