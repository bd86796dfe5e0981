package io.jdax.benchmarks;

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
 * filesystem over the pmem device, into allocated blocks), and an fsync after every
 * {@code fsyncEvery} writes; the time per operation includes that share of the fsync. The defaults
 * are the command's row (fsync every write, the driver's default mode, 4096 source slots);
 * {@code benchmarks/fsdax-vs-fio.sh} runs it with {@code -p mode=emulated -p slots=1} beside fio.
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FsDaxWriteBenchmark -p kind=USER -p fsyncEvery=1,16 -p mode=emulated
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class FsDaxWriteBenchmark {

    /** One cell: iterator kind, write size, fsync interval, device mode, source slots, file size. */
    @State(Scope.Thread)
    public static class Cell {
        @Param({"USER", "KVEC", "BVEC"})
        public String kind;

        @Param({"4096", "65536"})
        public long size;

        /** Writes per fsync: 1 makes every write durable before the next one starts. */
        @Param({"1"})
        public int fsyncEvery;

        /** The emulated device's pmem mode ({@code emulated}: CPU_CACHE, flush = fence), or {@code default}. */
        @Param({"default"})
        public String mode;

        /** Source iterators used round-robin (1: one warm buffer, as fio's with iodepth=1). */
        @Param({"4096"})
        public int slots;

        @Param({"67108864"})
        public long fileBytes;

        FsDaxTarget target;
        int unsynced;

        @Setup(Level.Trial)
        public void open() {
            if (fsyncEvery < 1) {
                throw new IllegalArgumentException("fsyncEvery must be at least 1, got " + fsyncEvery);
            }
            target = new FsDaxTarget(IovIter.Kind.valueOf(kind), size, mode, slots, fileBytes);
            System.out.println(target.describe());
        }

        @TearDown(Level.Iteration)
        public void check() {
            if (unsynced > 0) {
                target.fsync();
                unsynced = 0;
            }
            target.verifyWrite();
        }

        @TearDown(Level.Trial)
        public void close() {
            target.close();
        }
    }

    @Benchmark
    public void writeAndFsync(Cell c) {
        c.target.write();
        if (++c.unsynced == c.fsyncEvery) {
            c.target.fsync();
            c.unsynced = 0;
        }
    }
}
