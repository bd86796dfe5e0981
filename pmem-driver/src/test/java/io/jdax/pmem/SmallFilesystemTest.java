package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A filesystem smaller than the device (C8): ENOSPC at open or at write, never a signal. Each test
 * mounts its own small filesystem (tmpfs of 8 MiB, or ramfs, which has no fallocate), so these
 * need root; without it they are skipped, saying so. CI runs as root, so they run there.
 */
class SmallFilesystemTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path tmp;
    private Path mnt;
    private boolean mounted;
    private final List<DaxDevice> opened = new ArrayList<>();

    /** Mounts {@code type} (with {@code options}, if any) on a fresh directory. */
    private Path mount(String type, String options) throws IOException, InterruptedException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"); // the process's own uid
        assumeTrue(uid == 0, "mounting a small " + type + " needs root and this runs as uid " + uid
                + ": skipped (CI runs as root, where it is not)");
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", type));
        if (!options.isEmpty()) {
            cmd.addAll(List.of("-o", options));
        }
        cmd.addAll(List.of(type, mnt.toString()));
        String out = run(cmd);
        assertTrue(out.isEmpty(), String.join(" ", cmd) + " failed (root, so this is not skipped): " + out);
        mounted = true;
        return mnt;
    }

    /** Runs a command: "" when it succeeded, else its exit code and output. */
    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out: " + out;
        }
        return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out.strip();
    }

    @AfterEach
    void unmount() throws Exception {
        for (DaxDevice d : opened) {
            try {
                d.close(); // unmapped, so the mount is not busy
            } catch (RuntimeException e) {
                // the test has failed already; the unmount below must happen regardless
            }
        }
        if (mounted) {
            String out = run(List.of("umount", mnt.toString()));
            if (!out.isEmpty()) {
                // Never leave it mounted: detach it now, it goes when the last user lets go.
                String lazy = run(List.of("umount", "-l", mnt.toString()));
                assertTrue(lazy.isEmpty(), "umount " + mnt + ": " + out + "; umount -l: " + lazy);
                throw new AssertionError("umount " + mnt + " failed (" + out + "), detached lazily");
            }
        }
    }

    private DaxDevice open(String spec) {
        DaxDevice d = new PmemDriver().open(DeviceSpec.parse(spec), new PortableArch());
        opened.add(d);
        return d;
    }

    private static void says(DaxException e, Errno errno, String... phrases) {
        assertEquals(errno, e.errno(), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should say '" + p + "'");
        }
    }

    private static long free(Path dir) throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    @Test
    void aSparseFileLargerThanTheFilesystemIsEnospcAtOpenAndLeftAsItWas() throws Exception {
        Path dir = mount("tmpfs", "size=8m");
        Path f = dir.resolve("sparse");
        byte[] data = "written before".getBytes();
        SpaceUpFrontTest.sparseFile(f, 64 * MIB, data, 0, 10 * MIB);
        long allocated = SpaceUpFrontTest.allocatedBytes(f);
        long free = free(dir);

        DaxException e = assertThrows(DaxException.class, () -> open("pmem:" + f));
        says(e, Errno.ENOSPC, "cannot open pmem " + f, "it has holes", "No space left on device", "free on",
                "sparse=true", "the file is unchanged");

        assertEquals(64 * MIB, Files.size(f), "neither truncated nor extended");
        assertEquals(allocated, SpaceUpFrontTest.allocatedBytes(f), "the failed allocation was given back");
        assertEquals(free, free(dir));
        byte[] back = new byte[data.length];
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "r")) {
            raf.readFully(back);
            assertArrayEquals(data, back);
            raf.seek(10 * MIB);
            raf.readFully(back);
            assertArrayEquals(data, back);
        }
    }

    @Test
    void twoDevicesThatDoNotBothFitTheSecondIsEnospcAtOpenAndLeavesNoFile() throws Exception {
        Path dir = mount("tmpfs", "size=8m");
        DaxDevice first = open("pmem:" + dir.resolve("a") + "?size=6M&create=true");
        assertEquals(6 * MIB, SpaceUpFrontTest.allocatedBytes(dir.resolve("a")));

        DaxException e = assertThrows(DaxException.class, () -> open("pmem:" + dir.resolve("b") + "?size=6M&create=true"));
        says(e, Errno.ENOSPC, "cannot create pmem " + dir.resolve("b"), "6 MiB", "free on", "sparse=true");
        assertFalse(Files.exists(dir.resolve("b")), "nothing left of the refused device");

        // The first has all its space: its last page takes a store.
        assertEquals(4096, Iters.write(first, 6 * MIB - 4096,
                IovIter.kvec(IovIter.Direction.SOURCE, new byte[4096])));
    }

    @Test
    void aSparseTrueFileWrittenPastTheFreeSpaceFailsWithEnospcNotASignal() throws Exception {
        Path dir = mount("tmpfs", "size=8m");
        Path f = dir.resolve("sparse");
        SpaceUpFrontTest.sparseFile(f, 64 * MIB, new byte[0]);
        // In a child JVM: before C8 this was a SIGBUS that killed the JVM.
        ChildJvm.Result r = ChildJvm.run(tmp, List.of("--enable-native-access=ALL-UNNAMED"), SpaceChild.class,
                "fill", "pmem:" + f + "?sparse=true");
        assertTrue(r.crashLogs().isEmpty(), "the child JVM crashed: " + r);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("then DaxException ENOSPC"), r.toString());
        assertTrue(r.out().contains("has no space left to back that page"), r.toString());
        assertTrue(r.out().contains("the last MiB written reads back"), r.toString());
    }

    @Test
    void aFilesystemWithoutFallocateIsEopnotsuppAtCreateAndLeavesNoFile() throws Exception {
        Path dir = mount("ramfs", "mode=0700");
        Path f = dir.resolve("new");
        DaxException e = assertThrows(DaxException.class, () -> open("pmem:" + f + "?size=1M&create=true"));
        says(e, Errno.EOPNOTSUPP, "cannot create pmem " + f, "the ramfs filesystem cannot allocate blocks ahead",
                "sparse=true");
        assertFalse(Files.exists(f), "nothing left of the refused device");

        DaxDevice d = open("pmem:" + f + "?size=1M&create=true&sparse=true");
        assertEquals(MIB, d.size(), "sparse=true is the way out");
    }

    @Test
    void aFilesystemThatShowsNoHolesHasItsFilesTakenAsTheyAre() throws Exception {
        // ramfs answers SEEK_HOLE with the end of the file, holes or not: nothing to allocate, as
        // documented. (Guessing from st_blocks instead would refuse compressed files.)
        Path dir = mount("ramfs", "mode=0700");
        Path f = dir.resolve("sparse");
        SpaceUpFrontTest.sparseFile(f, 4 * MIB, new byte[] {1, 2, 3}, 8192);
        DaxDevice d = open("pmem:" + f);
        assertEquals(4 * MIB, d.size());
        assertTrue(SpaceUpFrontTest.allocatedBytes(f) < MIB, "left sparse");
    }
}
