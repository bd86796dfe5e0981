package io.jdax.benchmarks;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;

/**
 * The shape behind the NOTES.md anchors: the destination walks a 1 GiB file mapped from /dev/shm
 * (cold lines), the source is a warm 64 MiB native buffer. Each call to {@link #next()} moves
 * both on by one copy.
 */
@State(Scope.Thread)
public class CopyTarget {
    static final long DEST_BYTES = 1L << 30;
    static final long SOURCE_BYTES = 64L << 20;

    @Param({"64", "256", "1024", "4096", "65536", "1048576", "16777216"})
    public int size;

    Arena arena;
    Path file;
    MemorySegment dst;
    MemorySegment src;
    long dstOff;
    long srcOff;

    @Setup(Level.Trial)
    public void map() throws IOException {
        Path dir = Path.of(System.getProperty("jdax.bench.dir", "/dev/shm"));
        file = Files.createTempFile(dir, "jdax-bench-", ".img",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            dst = ch.map(FileChannel.MapMode.READ_WRITE, 0, DEST_BYTES, arena);
        }
        dst.fill((byte) 1); // fault every page in once, so the run measures stores, not page faults
        src = arena.allocate(SOURCE_BYTES, 64);
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        for (long o = 0; o < SOURCE_BYTES; o += chunk.length) {
            MemorySegment.copy(MemorySegment.ofArray(chunk), 0, src, o, chunk.length);
        }
    }

    /** Advances to the next destination and source offsets. */
    final void next() {
        dstOff += size;
        if (dstOff > DEST_BYTES - size) {
            dstOff = 0;
        }
        srcOff += size;
        if (srcOff > SOURCE_BYTES - size) {
            srcOff = 0;
        }
    }

    @TearDown(Level.Trial)
    public void unmap() throws IOException {
        arena.close();
        Files.deleteIfExists(file);
    }
}
