package io.jdax.arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;

/**
 * The checks every {@link Arch} runs before it touches memory: what makes it safe to hand an
 * address to native code (C8).
 */
public final class Ranges {
    private Ranges() {
    }

    /**
     * Checks that {@code [offset, offset + bytes)} lies within {@code segment} and that the
     * segment is alive.
     *
     * @throws DaxException EINVAL for a negative offset or length, ERANGE past the end (overflow
     *                      included), EFAULT for a segment of a closed arena
     */
    public static void check(MemorySegment segment, long offset, long bytes) {
        if (offset < 0 || bytes < 0) {
            throw new DaxException(Errno.EINVAL, "negative " + (offset < 0 ? "offset " + offset : "length " + bytes));
        }
        if (offset > segment.byteSize() - bytes || bytes > segment.byteSize()) {
            throw new DaxException(Errno.ERANGE, "range [" + offset + ", +" + bytes + ") is outside the "
                    + segment.byteSize() + "-byte segment");
        }
        if (!segment.scope().isAlive()) {
            throw new DaxException(Errno.EFAULT, "segment " + segment + " belongs to a closed arena");
        }
    }

    /** Checks a writable destination: as {@link #check}, and EFAULT for a read-only segment. */
    public static void checkWritable(MemorySegment segment, long offset, long bytes) {
        check(segment, offset, bytes);
        if (segment.isReadOnly()) {
            throw new DaxException(Errno.EFAULT, "segment " + segment + " is read-only");
        }
    }
}
