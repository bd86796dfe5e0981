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
 * {@code jdax bench}'s fs-dax row under JMH: a file write through the iomap engine (the reference
 * filesystem over the pmem device, into allocated blocks) and an fsync, per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class FsDaxWriteBenchmark {

    /** One cell: iterator kind and write size. */
    @State(Scope.Thread)
    public static class Cell {
        @Param({"USER", "KVEC", "BVEC"})
        public String kind;

        @Param({"4096", "65536"})
        public long size;

        WritePathTarget target;

        @Setup(Level.Trial)
        public void open() {
            target = new WritePathTarget(BenchMethod.FSDAX_FSYNC, IovIter.Kind.valueOf(kind), size);
        }

        @TearDown(Level.Iteration)
        public void check() {
            target.verifyLast();
        }

        @TearDown(Level.Trial)
        public void close() {
            target.close();
        }
    }

    @Benchmark
    public void writeAndFsync(Cell c) {
        c.target.writeNext();
    }
}
