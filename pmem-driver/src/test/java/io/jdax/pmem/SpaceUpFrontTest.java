package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Space up front (C8): files are allocated before they are mapped, existing holes are filled on
 * open with the data kept, {@code sparse=true} skips both, and every refusal names the reason and
 * the way out. The filesystem-too-small cases, which need a mount, are {@link SmallFilesystemTest}.
 */
class SpaceUpFrontTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    /** The bytes a file has blocks for ({@code st_blocks}, as {@code du} counts them). */
    static long allocatedBytes(Path f) throws IOException, InterruptedException {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", f.toString()).redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes()).strip();
        assertEquals(0, stat.waitFor(), "stat " + f + ": " + out);
        String[] blocks = out.split(" ");
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }

    /** A sparse file of {@code size} with {@code data} written at each of {@code offsets}. */
    static void sparseFile(Path f, long size, byte[] data, long... offsets) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            for (long at : offsets) {
                raf.seek(at);
                raf.write(data);
            }
        }
    }

    @Test
    void createTrueAllocatesTheWholeFileBeforeItIsMapped() throws Exception {
        PmemDevice d = fx.open(fx.spec("new", "size=8M&create=true"), new PortableArch());
        Path f = fx.dir.resolve("new");
        assertEquals(8 * MIB, allocatedBytes(f), "no hole left for a store to fault on");
        Iters.write(d, 8 * MIB - 4096, IovIter.kvec(IovIter.Direction.SOURCE, new byte[4096]));
        assertEquals(8 * MIB, allocatedBytes(f), "writing takes no more space");
    }

    @Test
    void anExistingSparseFileIsFilledOnOpenAndKeepsItsBytes() throws Exception {
        Path f = fx.dir.resolve("holes");
        byte[] data = new byte[5000];
        new Random(8).nextBytes(data);
        long[] at = {0, 3 * MIB + 5, 8 * MIB - data.length};
        sparseFile(f, 8 * MIB, data, at);
        assertTrue(allocatedBytes(f) < MIB, "the file starts sparse");
        byte[] before = Files.readAllBytes(f);

        PmemDevice d = fx.open(fx.spec("holes", ""), new PortableArch());
        assertEquals(8 * MIB, allocatedBytes(f), "its holes were allocated on open");
        assertEquals(8 * MIB, Files.size(f), "and its size is what it was");
        try (Arena arena = Arena.ofConfined()) {
            for (long off : at) {
                Iters.Dest dst = Iters.dest(IovIter.Kind.KVEC, data.length, arena);
                Iters.read(d, off, dst.iter());
                assertArrayEquals(data, dst.bytes().get(), "the data at " + off + " is unchanged");
            }
        }
        d.close();
        assertTrue(Arrays.equals(before, Files.readAllBytes(f)), "every byte of the file is as it was, holes read 0");
    }

    @Test
    void sparseTrueMapsAnExistingFileWithItsHoles() throws Exception {
        Path f = fx.dir.resolve("kept");
        sparseFile(f, 64 * MIB, new byte[] {7}, 4096);
        long allocated = allocatedBytes(f);
        PmemDevice d = fx.open(fx.spec("kept", "sparse=true"), new PortableArch());
        assertEquals(allocated, allocatedBytes(f), "sparse=true allocates nothing");
        Iters.write(d, 32 * MIB, IovIter.kvec(IovIter.Direction.SOURCE, new byte[] {1}));
        assertTrue(allocatedBytes(f) < MIB, "only the pages written take space");
    }

    @Test
    void sparseTrueSkipsTheFreeSpaceCheckAtCreation() {
        // Far more than /dev/shm holds: the check that refuses it without sparse=true is skipped.
        PmemDevice d = fx.open(fx.spec("vast", "size=1T&create=true&sparse=true"), new PortableArch());
        assertEquals(1L << 40, d.size());
    }

    // ---- the refusals, decided from the errno (a filesystem without fallocate is built as root in
    // SmallFilesystemTest; these check every branch's message without one)

    private static final FileSpace.Store FULL = new FileSpace.Store("tmpfs", "tmpfs", 2 * MIB);
    private static final FileSpace.Store RAMFS = new FileSpace.Store("ramfs", "ramfs", 0);

    private static void says(DaxException e, Errno errno, String... phrases) {
        assertEquals(errno, e.errno(), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should say '" + p + "'");
        }
    }

    @Test
    void aNewFileWithoutRoomIsEnospcNamingTheSizeTheFreeSpaceAndSparseTrue() {
        says(FileSpace.refusal(Path.of("/m/f"), 64 * MIB, true, 28, "No space left on device (errno 28)", 0, FULL),
                Errno.ENOSPC, "cannot create pmem /m/f of 64 MiB (67108864 bytes)", "No space left on device",
                "2 MiB (2097152 bytes) free on tmpfs (tmpfs)", "ask for less", "sparse=true",
                "fails late, with ENOSPC, when the filesystem is full");
    }

    @Test
    void aFilesystemWithoutFallocateIsEopnotsuppNamingSparseTrue() {
        says(FileSpace.refusal(Path.of("/m/f"), 4 * MIB, true, 95, "Operation not supported (errno 95)", 0, RAMFS),
                Errno.EOPNOTSUPP, "cannot create pmem /m/f of 4 MiB", "the ramfs filesystem cannot allocate blocks "
                        + "ahead", "Operation not supported", "sparse=true");
        says(FileSpace.refusal(Path.of("/m/g"), 4 * MIB, false, 95, "Operation not supported (errno 95)", 8192, RAMFS),
                Errno.EOPNOTSUPP, "cannot open pmem /m/g", "it has holes (the first at byte 8192)", "ramfs",
                "sparse=true", "the file is unchanged");
    }

    @Test
    void anExistingFileWhoseHolesDoNotFitIsEnospcAndUnchanged() {
        says(FileSpace.refusal(Path.of("/m/g"), 64 * MIB, false, 28, "No space left on device (errno 28)", 4096, FULL),
                Errno.ENOSPC, "cannot open pmem /m/g (64 MiB, 67108864 bytes): it has holes (the first at byte "
                        + "4096) and allocating them failed", "2 MiB (2097152 bytes) free on tmpfs",
                "sparse=true", "the file is unchanged");
    }

    @Test
    void anyOtherFailureKeepsItsCodeAndReason() {
        says(FileSpace.refusal(Path.of("/m/f"), MIB, true, 27, "File too large (errno 27)", 0, FULL),
                Errno.EFBIG, "File too large", "sparse=true");
        says(FileSpace.refusal(Path.of("/m/f"), MIB, true, 1, "Operation not permitted (errno 1)", 0, FULL),
                Errno.EIO, "Operation not permitted (errno 1)", "sparse=true");
    }

    @Test
    void withoutNativeAccessTheRefusalNamesTheFlagAndSparseTrue() {
        var denied = new IllegalCallerException("Illegal native access from: unnamed module");
        says(FileSpace.unavailable("cannot create pmem /m/f of 1 MiB", new ExceptionInInitializerError(denied)),
                Errno.EOPNOTSUPP, "Illegal native access", "--enable-native-access=io.jdax.pmem", "ALL-UNNAMED",
                "sparse=true");
        var noSymbol = new DaxException(Errno.EOPNOTSUPP, "the C library has no fallocate()");
        says(FileSpace.unavailable("cannot create pmem /m/f of 1 MiB", new ExceptionInInitializerError(noSymbol)),
                Errno.EOPNOTSUPP, "the C library has no fallocate()", "sparse=true");
    }

    @Test
    void withoutNativeAccessAFileIsRefusedUnlessSparse() throws Exception {
        // A child JVM that denies native access: the allocation cannot be made, sparse=true needs none.
        Path f = fx.dir.resolve("denied");
        ChildJvm.Result r = ChildJvm.run(fx.dir, List.of("--illegal-native-access=deny"), SpaceChild.class,
                "open", "pmem:" + f + "?size=1M&create=true", "pmem:" + f + "?size=1M&create=true&sparse=true");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("1: DaxException EOPNOTSUPP"), r.toString());
        assertTrue(r.out().contains("--enable-native-access=io.jdax.pmem"), r.toString());
        assertTrue(r.out().contains("2: opened 1048576 bytes"), r.toString());
    }
}
