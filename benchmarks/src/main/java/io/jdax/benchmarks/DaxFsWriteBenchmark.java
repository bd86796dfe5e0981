package io.jdax.benchmarks;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.daxfs.FormatOptions;
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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@link FsDaxWriteBenchmark}'s write for daxfs: a {@code size}-byte write into allocated blocks of
 * a daxfs file on an emulated pmem device ({@code mode=emulated}: CPU_CACHE), then an fsync every
 * {@code fsyncEvery} writes. Positions walk the file and wrap. A write that allocates nothing only
 * changes the file's times, so each fsync commits one small journal transaction (the inode): that
 * share is in the time and the allocation per operation. {@code arch=nostore} runs over
 * {@link FsDaxOverheadBenchmark.NoStoreArch} (no byte stored, no fence), leaving daxfs's and the
 * engine's own work.
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar DaxFsWriteBenchmark -p size=4096,65536 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class DaxFsWriteBenchmark {
    @Param({"4096"})
    public int size;

    /** Writes per fsync: 1 makes every write durable before the next one starts. */
    @Param({"1"})
    public int fsyncEvery;

    /** {@code native}: the platform's Arch; {@code nostore}: copies and fences do nothing. */
    @Param({"native", "nostore"})
    public String arch;

    @Param({"16777216"})
    public long fileBytes;

    private Path dir;
    private DaxDevice device;
    private DaxFs fs;
    private DaxFile file;
    private IovIter src;
    private long pos;
    private int unsynced;

    @Setup(Level.Trial)
    public void open() throws IOException {
        if (fsyncEvery < 1 || size < 1 || fileBytes < size) {
            throw new IllegalArgumentException("size " + size + ", fsyncEvery " + fsyncEvery + ", fileBytes " + fileBytes);
        }
        if (!"native".equals(arch) && !"nostore".equals(arch)) {
            throw new IllegalArgumentException("arch is native or nostore, got " + arch);
        }
        dir = Files.createTempDirectory(Path.of(System.getProperty("jdax.bench.dir", "/dev/shm")), "jdax-daxfs");
        // Room for the metadata (journal, bitmap, inode table, block-map nodes) beside the file.
        String spec = "pmem:" + dir.resolve("dev.img") + "?size=" + (fileBytes + fileBytes / 4 + (16 << 20))
                + "&create=true&mode=emulated";
        try {
            // Formatted and filled with the real Arch (every block allocated: the timed writes
            // overwrite), then mounted again over the chosen one.
            device = DaxDevices.open(spec);
            DaxFs.format(device, FormatOptions.defaults());
            fs = DaxFs.mount(device);
            file = fs.create("bench");
            src = IovIter.ubuf(IovIter.Direction.SOURCE, Arena.ofAuto().allocate(size, 64));
            pos = -size;
            for (long at = 0; at + size <= fileBytes; at += size) {
                write();
            }
            fs.unmount();
            if ("nostore".equals(arch)) {
                device.close();
                device = DaxDevices.open(spec, new FsDaxOverheadBenchmark.NoStoreArch());
            }
            fs = DaxFs.mount(device);
            file = fs.open("bench");
        } catch (RuntimeException e) {
            close(); // the setup failed: no teardown will come
            throw e;
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            if (fs != null) {
                fs.unmount();
            }
            if (device != null) {
                device.close();
            }
        } finally {
            Files.deleteIfExists(dir.resolve("dev.img"));
            Files.deleteIfExists(dir);
        }
    }

    /** daxfs: the file write through the engine, then (every {@code fsyncEvery}) fsync. */
    @Benchmark
    public long writeAndFsync() {
        long done = write();
        if (++unsynced == fsyncEvery) {
            file.fsync();
            unsynced = 0;
        }
        return done;
    }

    private long write() {
        pos += size;
        if (pos + size > fileBytes) {
            pos = 0;
        }
        src.revert(src.consumed());
        long done = file.write(pos, src);
        if (done != size) {
            throw new DaxException(Errno.EIO, "daxfs: short write of " + done + " of " + size + " bytes at " + pos);
        }
        return done;
    }
}
