package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The daxfs checker, for an unmounted filesystem. A check reads everything mount reads
 * (superblock and backup, journal, block bitmap, inode table, every block map), laying the
 * journal's last transaction over the media instead of replaying it, and writes nothing:
 * every checksum valid, no block both free and used, no block in two files, sizes and maps
 * coherent, unique names.
 * <p>
 * A repair replays the journal, then rebuilds a sound filesystem from what is intact: a damaged
 * superblock is restored from its twin, a damaged journal rewritten empty, damaged inodes
 * cleared (their files are lost), damaged block-map nodes dropped (the file keeps its other
 * blocks; the dropped range reads as a hole), a block claimed twice left to its first owner,
 * orphans and interrupted truncates finished, duplicate names renamed {@code name~ino}, and the
 * block bitmap rewritten from what the files own (which reclaims leaks). Repair writes in place,
 * not through the journal: if it is interrupted, run it again.
 */
public final class Fsck {
    private Fsck() {
    }

    /**
     * Checks the filesystem on {@code device}, writing nothing.
     *
     * @throws DaxException EBUSY if it is mounted; EINVAL "not a daxfs filesystem"; EUCLEAN when
     *                      both superblocks are damaged; what the device throws
     */
    public static FsckReport check(DaxDevice device) {
        return run(device, false);
    }

    /**
     * Checks, and repairs what it found; the report's {@code remaining} lists what a second
     * check still finds (nothing, unless the device itself fails).
     *
     * @throws DaxException as {@link #check}
     */
    public static FsckReport repair(DaxDevice device) {
        return run(device, true);
    }

    /** {@link #check} or {@link #repair}. */
    public static FsckReport run(DaxDevice device, boolean repair) {
        Objects.requireNonNull(device, "device");
        DaxHolder hold = MountTable.claim(device, "daxfs fsck", "unmount it before running fsck");
        try {
            MetaIo io = new MetaIo(device);
            Scan s = Scan.run(io, false, repair);
            List<String> repairs = new ArrayList<>();
            List<String> remaining = new ArrayList<>();
            if (repair && (!s.p.errors.isEmpty() || s.p.leakedBlocks > 0 || !s.p.pending.isEmpty())) {
                new Repair(s, io, repairs).run();
                Scan after = Scan.run(io, false, false);
                remaining.addAll(after.p.errors);
                if (after.p.leakedBlocks > 0) {
                    remaining.addAll(after.p.leaks);
                }
                remaining.addAll(after.p.pending);
            }
            return new FsckReport(device.name(), s.p.errors, s.p.pending, s.p.leakedBlocks, s.p.leaks, repairs, remaining);
        } finally {
            MountTable.release(hold);
        }
    }
}
