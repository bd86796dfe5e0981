package io.jdax.benchmarks;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What fs-dax costs beside the driver loop, without the copy: the same 4 KiB write + fsync as
 * {@link FsDaxWriteBenchmark} and {@link WritePathBenchmark}'s {@code jdax-durable}, over a pmem
 * device whose Arch stores nothing ({@link NoStoreArch}: the iterator advances, no byte moves, no
 * fence). The ~430 ns copy and its run-to-run noise are gone, so the engine's own ~50 ns can be
 * measured to a few ns.
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar FsDaxOverheadBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class FsDaxOverheadBenchmark {
    private static final int SIZE = 4096;
    private static final long SPAN = 16 << 20;

    private Path dir;
    private DaxDevice device;
    private MemFile file;
    private IovIter src;
    private final Arch arch = new NoStoreArch();
    private final MemorySegment sink = Arena.ofAuto().allocate(SIZE, 64);
    private long pos;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("jdax.bench.dir", "/dev/shm")), "jdax-overhead");
        device = DaxDevices.open("pmem:" + dir.resolve("dev.img") + "?size=" + 2 * SPAN + "&create=true&mode=emulated",
                arch);
        MemFs fs = new MemFs(device);
        file = fs.create();
        src = IovIter.ubuf(IovIter.Direction.SOURCE, Arena.ofAuto().allocate(SIZE, 64));
        for (long at = 0; at < SPAN; at += SIZE) { // every block allocated: the timed writes overwrite
            file.write(at, next());
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        device.close();
        Files.deleteIfExists(dir.resolve("dev.img"));
        Files.deleteIfExists(dir);
    }

    /** fs-dax: the file write through the engine, then fsync. */
    @Benchmark
    public long fsdax() {
        long done = file.write(step(), next());
        file.fsync();
        return done;
    }

    /**
     * The nocache-ceiling row of jdax bench without its stores: the Arch's copy straight into
     * memory and its fence, no device. {@code driver} minus this is the device core's own cost.
     */
    @Benchmark
    public long ceiling() {
        IovIter it = next();
        long done = arch.copyFromIterNocache(sink, 0, SIZE, it);
        arch.fence();
        return done;
    }

    /** The driver path of jdax bench: the device core's copyFromIter (checks, read side, chunk loop), flush. */
    @Benchmark
    public long driver() {
        long at = step() + SPAN; // the device's other half, as the driver rows use their own region
        long done = device.copyFromIter(at, SIZE, next());
        device.flush();
        return done;
    }

    private long step() {
        pos = (pos + SIZE) % SPAN;
        return pos;
    }

    private IovIter next() {
        src.revert(src.consumed());
        return src;
    }

    /** An Arch that stores nothing: copies only advance the iterator (through its normal walk). */
    public static final class NoStoreArch implements Arch {
        @Override
        public String name() {
            return "no-store";
        }

        @Override
        public Map<String, String> features() {
            return Map.of();
        }

        @Override
        public boolean hasCacheWriteback() {
            return true;
        }

        @Override
        public boolean processBarrier() {
            return Archs.current().processBarrier(); // the read side as the real Arch runs it
        }

        @Override
        public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        }

        @Override
        public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        }

        @Override
        public void writeback(MemorySegment segment, long offset, long bytes) {
        }

        @Override
        public void fence() {
        }
    }
}
