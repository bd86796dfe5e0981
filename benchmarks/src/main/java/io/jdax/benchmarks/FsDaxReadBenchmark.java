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
 * Sequential reads into a native buffer: a file read through the iomap engine ({@code fsdax-read},
 * the reference filesystem over the pmem device, mapped extents), or the device-level loop
 * ({@code driver-read}: read lock, {@code directAccess}, the device's {@code copyToIter}). The
 * file and the region are written first, so reads move real bytes; the latest read of each
 * iteration is compared with what was written.
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FsDaxReadBenchmark -p mode=emulated -p slots=1
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class FsDaxReadBenchmark {

    /** One cell: path, read size, device mode, buffer slots, file size. */
    @State(Scope.Thread)
    public static class Cell {
        @Param({"fsdax-read", "driver-read"})
        public String path;

        @Param({"4096", "65536"})
        public long size;

        /** The emulated device's pmem mode ({@code emulated}: CPU_CACHE), or {@code default}. */
        @Param({"default"})
        public String mode;

        /** Destination buffers used round-robin (1: one warm buffer, as fio's with iodepth=1). */
        @Param({"1"})
        public int slots;

        @Param({"67108864"})
        public long fileBytes;

        FsDaxTarget target;
        boolean driver;

        @Setup(Level.Trial)
        public void open() {
            driver = switch (path) {
                case "fsdax-read" -> false;
                case "driver-read" -> true;
                default -> throw new IllegalArgumentException("path: fsdax-read or driver-read, not " + path);
            };
            target = new FsDaxTarget(IovIter.Kind.USER, size, mode, slots, fileBytes);
            target.fill();
            System.out.println(target.describe());
        }

        @TearDown(Level.Iteration)
        public void check() {
            target.verifyRead();
        }

        @TearDown(Level.Trial)
        public void close() {
            target.close();
        }
    }

    @Benchmark
    public void read(Cell c) {
        if (c.driver) {
            c.target.driverRead();
        } else {
            c.target.read();
        }
    }
}
