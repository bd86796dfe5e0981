package io.jdax.arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;

/**
 * Memory faulted while an {@link Arch} copied, zeroed or wrote back: the SIGBUS the kernel raises
 * for a mapped page that lost its backing (a file truncated by another process, a sparse file on
 * a full filesystem) or for poisoned media (a machine check), caught and turned into an error
 * (C8). The JVM and its other threads go on; other ranges of the same memory stay usable.
 * <p>
 * An Arch knows addresses, not devices: a driver that catches this can say more (the device
 * offset, ENOSPC when the filesystem could not back the page) and records poison in its
 * {@link io.jdax.dax.BadBlocks}.
 */
public final class MemoryFaultException extends DaxException {
    private static final long serialVersionUID = 1L;

    /** What the kernel said about the fault. */
    public enum Kind {
        /** The page has no backing any more ({@code BUS_ADRERR}/{@code BUS_OBJERR}): truncated or unallocatable. */
        LOST_BACKING,
        /** The memory is poisoned ({@code BUS_MCEERR_AR}): a machine check on the load or store. */
        POISON,
        /**
         * The JDK reported a fault in an access it made for jdax ({@link InternalError} from a
         * {@link MemorySegment} copy): somewhere in the range, cause not known.
         */
        UNKNOWN
    }

    private final Kind kind;
    private final long address;
    private final long granule;

    /**
     * A fault at {@code address}.
     *
     * @param kind    what the kernel said
     * @param address the faulting address, or -1 when not known
     * @param granule the bytes the kernel reported as affected from {@code address} rounded down to
     *                it (a poisoned page), or 1 when it reported nothing more precise
     * @param message what was being done, and where
     * @param cause   the JDK's error, if it reported the fault, else null
     */
    public MemoryFaultException(Kind kind, long address, long granule, String message, Throwable cause) {
        super(Errno.EIO, message, cause);
        this.kind = kind;
        this.address = address;
        this.granule = Math.max(1, granule);
    }

    /** What the kernel said about the fault. */
    public Kind kind() {
        return kind;
    }

    /** The faulting address, or -1 when not known ({@link Kind#UNKNOWN}). */
    public long address() {
        return address;
    }

    /** The bytes affected from {@code address} rounded down to this size: a page for poison, else 1. */
    public long granule() {
        return granule;
    }

    /**
     * Whether the faulting granule ({@link #granule()} bytes around {@link #address()}) overlaps
     * {@code bytes} bytes from {@code offset} of native {@code segment}.
     */
    public boolean within(MemorySegment segment, long offset, long bytes) {
        long start = segment.address() + offset;
        long first = address & -granule;
        return address >= 0 && segment.isNative() && bytes > 0 && first < start + bytes && first + granule > start;
    }

    /**
     * {@link MemorySegment#copy(MemorySegment, long, MemorySegment, long, long)} in which a fault
     * of mapped memory, which the JDK reports as an {@link InternalError}, becomes a
     * MemoryFaultException naming the range. For Arch implementations that copy in Java. Best
     * effort: the JDK may deliver that error asynchronously, at a safepoint poll after the access,
     * and then it surfaces as the InternalError a little later (the JVM lives either way); only
     * native routines report every fault under the call that made it.
     */
    public static void copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        try {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
        } catch (InternalError e) {
            throw fromJdk(e, "copy of " + bytes + " bytes from " + src + " + " + srcOffset + " to " + dst + " + "
                    + dstOffset);
        }
    }

    /** The JDK's report of a fault in {@code what}, as a MemoryFaultException of unknown address. */
    public static MemoryFaultException fromJdk(InternalError e, String what) {
        return new MemoryFaultException(Kind.UNKNOWN, -1, 1, "memory fault in " + what
                + ": a mapped page lost its backing or is poisoned (" + e.getMessage() + ")", e);
    }
}
