package io.jdax.bench;

import io.jdax.uio.IovIter;

/**
 * The figures of one method, iterator kind and size.
 *
 * @param method        the method
 * @param kind          the iterator kind the bytes came from
 * @param size          bytes per operation
 * @param ops           operations measured (warm-up batches left out)
 * @param nsPerOp       the median over the measured batches of their nanoseconds per operation
 * @param batches       measured batches
 * @param verifiedBytes bytes read back and compared with what was written, warm-up included: every byte written
 */
public record BenchResult(BenchMethod method, IovIter.Kind kind, long size, long ops, double nsPerOp, int batches,
                          long verifiedBytes) {

    /** Throughput in GB/s (10^9 bytes per second): bytes per nanosecond. */
    public double gbPerSecond() {
        return size / nsPerOp;
    }
}
