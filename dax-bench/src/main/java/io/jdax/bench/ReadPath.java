package io.jdax.bench;

import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;

/**
 * One read {@link BenchMethod} bound to the device (or file) it reads: the operation that is
 * timed, the fresh bytes put in place before it, and the check of what it read.
 */
public interface ReadPath {

    /** The method. */
    BenchMethod method();

    /** Bytes the positions walk, from 0: a position plus the read's size stays within it. */
    long capacity();

    /**
     * Unmeasured: puts a mark derived from {@code serial} into {@code [pos, pos + size)} (as
     * {@link IterRing#stamp(MemorySegment, long)} does), so a read that never happened cannot pass.
     */
    void stamp(long pos, long size, long serial);

    /**
     * The measured operation: reads {@code dst.count()} bytes at {@code pos} into {@code dst}.
     *
     * @throws io.jdax.dax.DaxException on a short read or any failure of the device
     */
    void read(long pos, IovIter dst);

    /**
     * Compares {@code got} (what a read at {@code pos} filled in) with the bytes stored there.
     *
     * @return -1 when every byte matches, else the offset of the first that does not
     */
    long mismatch(long pos, MemorySegment got);
}
