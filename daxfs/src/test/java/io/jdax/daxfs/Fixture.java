package io.jdax.daxfs;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxReadLock;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Devices and I/O shorthands for the daxfs tests: pmem files on tmpfs, removed at exit. */
final class Fixture {
    static final int BLOCK = DaxFs.BLOCK_SIZE;
    private static final AtomicLong FILES = new AtomicLong();
    private static Path scratch;

    private Fixture() {
    }

    static synchronized Path scratch() {
        if (scratch == null) {
            try {
                Path shm = Path.of("/dev/shm");
                scratch = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                        : Path.of(System.getProperty("java.io.tmpdir")), "jdax-daxfs-test-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = scratch;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        }
        return scratch;
    }

    /** A new image file path (not created). */
    static Path newImage(String name) {
        return scratch().resolve(name + "-" + FILES.incrementAndGet() + ".img");
    }

    /** A pmem device over a new zeroed file of {@code size} bytes, its copies counted ({@link CountingArch}). */
    static DaxDevice pmem(String name, long size) {
        return DaxDevices.open("pmem:" + newImage(name) + "?size=" + size + "&create=true",
                new CountingArch(new PortableArch()));
    }

    /** The pmem device over an existing image (a reboot). */
    static DaxDevice reopen(DaxDevice device) {
        return DaxDevices.open("pmem:" + device.spec().path(), new CountingArch(new PortableArch()));
    }

    /** A pmem device formatted with daxfs. */
    static DaxDevice formatted(String name, long size) {
        DaxDevice d = pmem(name, size);
        DaxFs.format(d, FormatOptions.defaults());
        return d;
    }

    static void delete(DaxDevice device) {
        try {
            Files.deleteIfExists(Path.of(device.spec().path()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static long write(DaxFile f, long pos, byte[] data) {
        return f.write(pos, IovIter.kvec(IovIter.Direction.SOURCE, data));
    }

    /** The whole file. */
    static byte[] read(DaxFile f) {
        return read(f, 0, (int) f.size());
    }

    static byte[] read(DaxFile f, long pos, int n) {
        byte[] out = new byte[n];
        long got = f.read(pos, IovIter.kvec(IovIter.Direction.DEST, out));
        return got == n ? out : java.util.Arrays.copyOf(out, (int) got);
    }

    /** The raw bytes of device block {@code block}. */
    static byte[] block(DaxDevice d, long block) {
        byte[] out = new byte[BLOCK];
        try (DaxReadLock l = d.readLock()) {
            MemorySegment m = d.directAccess(block, 1, DaxAccessMode.READ).addr();
            MemorySegment.copy(m, ValueLayout.JAVA_BYTE, 0, out, 0, BLOCK);
        }
        return out;
    }

    /** Flips one bit of the device behind everyone's back: media corruption. */
    static void flipBit(DaxDevice d, long block, int byteOffset, int bit) {
        try (DaxReadLock l = d.readLock()) {
            MemorySegment m = d.directAccess(block, 1, DaxAccessMode.WRITE).addr();
            byte v = m.get(ValueLayout.JAVA_BYTE, byteOffset);
            m.set(ValueLayout.JAVA_BYTE, byteOffset, (byte) (v ^ (1 << bit)));
        }
        d.flush();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
