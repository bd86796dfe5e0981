package io.jdax.bench;

import io.jdax.uio.IovIter;

import java.util.List;

/**
 * The figures of one method, iterator kind, size and thread count.
 *
 * @param method        the method
 * @param kind          the iterator kind the bytes came from or went to; null for memset and memmove (no iterator)
 * @param size          bytes per operation
 * @param threads       threads running the method at once, each on its own part of the device
 * @param ops           operations measured in the throughput batches, all threads together (warm-up left out)
 * @param nsPerOp       nanoseconds per operation of all threads together: {@code size} over the median of the
 *                      throughput batches' aggregate GB/s (one thread: the median batch's ns per operation)
 * @param batches       throughput batches measured
 * @param verifiedBytes bytes read back and compared, warm-up and latency batches included: every byte written
 * @param roundGbPerSecond the median aggregate GB/s of each round's batches, in round order: the spread
 *                      {@code --compare} weighs
 * @param threadGbPerSecond each thread's median GB/s, in thread order (one entry for one thread)
 * @param latency       the distribution of single operations' times, from the latency batches
 */
public record BenchResult(BenchMethod method, IovIter.Kind kind, long size, int threads, long ops, double nsPerOp,
                          int batches, long verifiedBytes, List<Double> roundGbPerSecond,
                          List<Double> threadGbPerSecond, Latency latency) {

    /** Copies the lists. */
    public BenchResult {
        roundGbPerSecond = List.copyOf(roundGbPerSecond);
        threadGbPerSecond = List.copyOf(threadGbPerSecond);
    }

    /** Throughput in GB/s (10^9 bytes per second), all threads together: bytes per nanosecond. */
    public double gbPerSecond() {
        return size / nsPerOp;
    }

    /** The lowest round median (GB/s); the figure itself when there was one round. */
    public double roundLow() {
        return roundGbPerSecond.stream().mapToDouble(Double::doubleValue).min().orElse(gbPerSecond());
    }

    /** The highest round median (GB/s). */
    public double roundHigh() {
        return roundGbPerSecond.stream().mapToDouble(Double::doubleValue).max().orElse(gbPerSecond());
    }

    /**
     * Nanoseconds per single operation, each timed on its own (one clock read between two
     * operations, whose cost is in every figure), over all threads.
     *
     * @param count operations timed
     * @param p50   median
     * @param p99   99th percentile
     * @param p999  99.9th percentile
     * @param max   the slowest
     */
    public record Latency(long count, long p50, long p99, long p999, long max) {
        /** No operation timed. */
        public static final Latency NONE = new Latency(0, 0, 0, 0, 0);
    }
}
