package io.jdax.bench;

import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;

/**
 * One {@link BenchMethod} bound to the device (or file) it writes: the operation that is timed,
 * and the read-back that verifies it.
 */
public interface WritePath {

    /** The method. */
    BenchMethod method();

    /**
     * Bytes of the device or file the positions walk, from 0: a position plus the write's size
     * stays within it.
     */
    long capacity();

    /**
     * The measured operation: writes all of {@code src} at {@code pos} and commits it as the method
     * does (flush, fence, drain, fsync).
     *
     * @throws io.jdax.dax.DaxException on a short write or any failure of the device
     */
    void write(long pos, IovIter src);

    /**
     * Unmeasured housekeeping after a batch of writes, e.g. msync the pages a fence-only method
     * left dirty, so the next measured flush pays only for its own writes.
     */
    default void afterBatch() {
    }

    /**
     * Compares what is stored at {@code pos} with {@code expected}, reading back through the
     * device's memory or the file.
     *
     * @return -1 when every byte matches, else the offset (from {@code pos}) of the first that does not
     */
    long mismatch(long pos, MemorySegment expected);
}
