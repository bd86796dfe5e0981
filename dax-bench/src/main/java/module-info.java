/**
 * The measurement engine of {@code jdax bench} and of the JMH benchmarks: the paths compared
 * ({@link io.jdax.bench.BenchMethod}: writes, reads, memset and memmove), the devices and buffers
 * they run on ({@link io.jdax.bench.Workbench}), a time-budgeted runner that checks every operation
 * byte for byte, in one thread or several, with a latency histogram per cell
 * ({@link io.jdax.bench.BenchRunner}), and libpmem through FFM ({@link io.jdax.bench.LibPmem}).
 * It names no driver: devices are opened by spec through the ServiceLoader.
 */
module io.jdax.bench {
    requires transitive io.jdax.api;
    requires transitive io.jdax.fsdax;
    requires HdrHistogram;

    exports io.jdax.bench;
}
