package io.jdax.dax;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Where a driver's {@link DaxOperations#directAccess} found the pages: the kernel's
 * {@code void **kaddr}, as a segment of the driver's memory and a byte offset into it. The core
 * hands each caller thread one of these and reuses it, so a chunk of I/O allocates nothing; the
 * driver sets it and never keeps it.
 */
public final class Kaddr {
    // The memory stays between calls (a driver answers with the same segment every time): a
    // reference store costs the GC's write barrier, so set() stores only a different one, and
    // clear() marks the answer taken with the offset alone (-1: a driver that did not set() it
    // fails the core's check).
    private MemorySegment memory;
    private long offset = -1;

    Kaddr() {
    }

    /**
     * Answers with the page at byte {@code offset} of {@code memory}; the pages the driver
     * reports follow it contiguously within {@code memory}. Pass the driver's memory whole (no
     * slice per call): the core slices only what it hands to users.
     */
    public void set(MemorySegment memory, long offset) {
        if (memory != this.memory) {
            this.memory = Objects.requireNonNull(memory, "memory");
        }
        this.offset = offset;
    }

    /** The memory the driver answered with. */
    public MemorySegment memory() {
        return memory;
    }

    /** The byte offset of the answered page in {@link #memory()}. */
    public long offset() {
        return offset;
    }

    void clear() {
        offset = -1;
    }
}
