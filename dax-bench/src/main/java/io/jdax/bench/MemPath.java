package io.jdax.bench;

/**
 * A memset or memmove {@link BenchMethod} on a mapped range (no iterator): the operation that is
 * timed, the bytes spoiled or stamped before it, and the check after it. A memmove copies from
 * the mirror position {@code pos + capacity()} (the other half of the mapping) to {@code pos}.
 */
public interface MemPath {

    /** The method. */
    BenchMethod method();

    /** Bytes the destinations walk, from 0. */
    long capacity();

    /**
     * Unmeasured: memset makes {@code [pos, pos + size)} differ from {@code value} (at its start,
     * every 4 KiB and its end); memmove stamps the source range with {@code serial}. Either way an
     * operation that never happened cannot pass {@link #mismatch}.
     */
    void prepare(long pos, long size, byte value, long serial);

    /** The measured operation: a durable memset to {@code value}, or a durable memmove, of {@code size} bytes at {@code pos}. */
    void run(long pos, long size, byte value);

    /**
     * Checks the range after the operation: every byte {@code value} (memset), or the same bytes
     * as the source (memmove).
     *
     * @return -1 when right, else the offset of the first wrong byte
     */
    long mismatch(long pos, long size, byte value);

    /** Unmeasured housekeeping after a batch (as {@link WritePath#afterBatch()}). */
    default void afterBatch() {
    }
}
