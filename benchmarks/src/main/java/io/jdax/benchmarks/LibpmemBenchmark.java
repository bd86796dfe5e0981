package io.jdax.benchmarks;

import io.jdax.bench.LibPmem;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The anchor: libpmem's {@code pmem_memcpy_persist} on the same buffers as
 * {@link FlushcacheBenchmark}. Fails its setup with a message (and JMH moves on) when libpmem.so.1
 * is not installed: {@code apt-get install libpmem1}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class LibpmemBenchmark {

    /** The library, loaded once. */
    @State(Scope.Benchmark)
    public static class Lib {
        LibPmem pmem;

        @Setup
        public void load() {
            pmem = LibPmem.load(); // fails with the reason (not installed: apt-get install libpmem1); JMH moves on
        }
    }

    @Benchmark
    public void pmemMemcpyPersist(Lib lib, CopyTarget t) {
        t.next();
        lib.pmem.memcpyPersist(t.dst.asSlice(t.dstOff, t.size), t.src.asSlice(t.srcOff, t.size), t.size);
    }
}
