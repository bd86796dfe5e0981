package io.jdax.benchmarks;

import io.jdax.bench.BenchMethod;
import io.jdax.uio.IovIter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@code jdax bench}'s device-level write rows under JMH: every write {@link BenchMethod} but the
 * fs-dax one (jdax's through the device core, the anchors straight into the region's memory), for
 * each iterator kind and size.
 * The same code as the command ({@code io.jdax.bench}); JMH adds forks, proper warm-up and error
 * bars. The latest write of each iteration is read back and compared.
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar WritePathBenchmark -p method=jdax-durable,libpmem -p kind=USER
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class WritePathBenchmark {

    /** One cell: method, iterator kind, size. */
    @State(Scope.Thread)
    public static class Cell {
        @Param({"jdax-durable", "jdax-copy+fence", "seed-regression", "cached+writeback", "nocache-ceiling", "libpmem",
            "brd-fallback"})
        public String method;

        @Param({"USER", "KVEC", "BVEC"})
        public String kind;

        @Param({"64", "256", "1024", "4096", "65536", "1048576", "16777216"})
        public long size;

        /** The emulated device's pmem mode ({@code emulated}: CPU_CACHE, flush = fence), or {@code default}. */
        @Param({"default"})
        public String mode;

        /** Source iterators used round-robin (1: one warm buffer, as fio's with iodepth=1). */
        @Param({"4096"})
        public int slots;

        WritePathTarget target;

        @Setup(Level.Trial)
        public void open() {
            target = new WritePathTarget(BenchMethod.of(method), IovIter.Kind.valueOf(kind), size, mode, slots);
            System.out.println(target.describe());
        }

        @TearDown(Level.Iteration)
        public void check() {
            target.housekeeping();
            target.verifyLast();
        }

        @TearDown(Level.Trial)
        public void close() {
            target.close();
        }
    }

    @Benchmark
    public void write(Cell c) {
        c.target.writeNext();
    }
}
