package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.UnsafeShutdownCount;

import java.util.List;
import java.util.zip.CRC32C;

/**
 * The unsafe shutdown count a daxfs last saw (libpmemobj keeps the same in its pool's shutdown
 * state): one self-checking 8-byte word in the journal header, stored with one atomic store.
 * <ul>
 *   <li>format records the device's count;</li>
 *   <li>mount compares the count now with the one recorded. Changed: the platform lost power
 *       without flushing what was on its way to the media since then, so stores that were already
 *       fenced may be gone. Mount first runs the full check ({@link Fsck#check}'s scan: every
 *       structure, both superblocks, nothing written); problems fail the mount with EUCLEAN,
 *       naming them (run {@link Fsck#repair}); none: the mount goes on, says so in
 *       {@link DaxFs#notices()}, and records the new count;</li>
 *   <li>a count that cannot be read is said in the notices; a device with no count
 *       (unsupported) mounts quietly, and nothing is recorded.</li>
 * </ul>
 * The word: {@code count << 32 | crc32c(count, salt)}, the count's low 32 bits (the kernel's
 * counters are 32-bit); 0 is "nothing recorded" (a filesystem formatted before this word existed,
 * or on a device without a count, or whose journal repair rewrote).
 */
final class ShutdownState {
    private ShutdownState() {
    }

    /** What the journal header holds. */
    sealed interface Recorded {
        /** Nothing recorded. */
        record None() implements Recorded {
        }

        /** A count was recorded. */
        record Count(long count) implements Recorded {
        }

        /** The word fails its check: media damage (an 8-byte store cannot tear). */
        record Damaged(long word) implements Recorded {
        }
    }

    static long word(long count) {
        long low = count & 0xFFFF_FFFFL;
        return (low << 32) | (check(low) & 0xFFFF_FFFFL);
    }

    static Recorded decode(long word) {
        if (word == 0) {
            return new Recorded.None();
        }
        long count = word >>> 32;
        return (int) word == check(count) ? new Recorded.Count(count) : new Recorded.Damaged(word);
    }

    private static int check(long count) {
        byte[] b = new byte[8];
        Bytes.putInt(b, 0, (int) count);
        Bytes.putInt(b, 4, 0x43535553); // "SUSC": a word of zeros is not valid
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    static Recorded read(MetaIo io, Geometry g) {
        return decode(io.readWord(g.journalStart(), Journal.SHUTDOWN_OFFSET));
    }

    /** Stores the count, durable when this returns. */
    static void record(MetaIo io, Geometry g, long count) {
        io.storeWord(g.journalStart(), Journal.SHUTDOWN_OFFSET, word(count));
        io.fence();
    }

    /** At format, after the journal: the device's count, if it has one. */
    static void atFormat(MetaIo io, Geometry g) {
        if (io.device().unsafeShutdownCount() instanceof UnsafeShutdownCount.Known k) {
            record(io, g, k.count());
        }
    }

    /**
     * Before mount's scan: runs the full check when the count changed since it was recorded,
     * adding to {@code notices} what mount should say.
     *
     * @return the count to record once mounted, or -1 for none
     * @throws DaxException EUCLEAN when the count changed and the check found problems
     */
    static long beforeMount(MetaIo io, Geometry g, List<String> notices) {
        String dev = io.device().name();
        UnsafeShutdownCount now = io.device().unsafeShutdownCount();
        Recorded was = read(io, g);
        switch (now) {
            case UnsafeShutdownCount.Unsupported u -> {
                return -1;
            }
            case UnsafeShutdownCount.Unreadable u -> {
                notices.add("the unsafe shutdown count of " + dev + " could not be read (" + u.why() + "): whether "
                        + "the power failed unsafely since the last clean unmount is unknown (Fsck.check if in doubt)");
                return -1;
            }
            case UnsafeShutdownCount.Known k -> {
                long count = k.count() & 0xFFFF_FFFFL;
                String since = switch (was) {
                    case Recorded.None n -> null; // nothing to compare with: record it
                    case Recorded.Count c -> c.count() == count ? "" : "went from " + c.count() + " to " + count;
                    case Recorded.Damaged d -> "cannot be compared: the recorded word 0x" + Long.toHexString(d.word())
                            + " is damaged; it is now " + count;
                };
                if (since == null) {
                    return count;
                }
                if (since.isEmpty()) {
                    return -1; // unchanged: a quiet mount
                }
                String what = "the unsafe shutdown count of " + dev + " (" + k.source() + ") " + since
                        + " since the last clean unmount: the power failed before the platform flushed everything,"
                        + " and fenced stores may be lost";
                Scan check = Scan.run(io, false, false);
                if (!check.p.errors.isEmpty()) {
                    throw new DaxException(Errno.EUCLEAN, dev + ": " + what + "; the full check found "
                            + check.p.errors.size() + " problem(s): " + String.join("; ", check.p.errors)
                            + ". Run Fsck.repair");
                }
                notices.add(what + "; the full check (Fsck.check) found no problem");
                return count;
            }
        }
    }
}
