package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PmemFileTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    @Test
    void aTmpfsFileGetsPageCacheAndSaysWhyForEitherArch() {
        PmemDevice portable = fx.open(fx.spec("a", "size=64M&create=true"), new PortableArch());
        assertEquals(PersistenceMode.PAGE_CACHE, portable.persistence());
        assertTrue(portable.persistenceReason().contains("Arch 'portable' cannot write CPU cache lines back"),
                portable.persistenceReason());
        assertTrue(portable.persistenceReason().contains("msync"), portable.persistenceReason());
        assertEquals(64 * MIB, portable.size());
        assertEquals(4096, portable.alignment());

        // An Arch that can write back makes the driver try MAP_SYNC, which tmpfs refuses.
        PmemDevice model = fx.open(fx.spec("a", ""), new ModelArch());
        assertEquals(PersistenceMode.PAGE_CACHE, model.persistence());
        assertTrue(model.persistenceReason().startsWith("MAP_SYNC not supported by the tmpfs filesystem"),
                model.persistenceReason());
    }

    @Test
    void requiringCpuCacheFailsClearlyAndLeavesNoFile() {
        for (var arch : List.of(new PortableArch(), new ModelArch())) {
            DaxException e = assertThrows(DaxException.class,
                    () -> fx.open(fx.spec("b", "size=1M&create=true&mode=cpu_cache"), arch));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertTrue(e.getMessage().contains("mode=cpu_cache needs"), e.getMessage());
            assertFalse(Files.exists(fx.dir.resolve("b")), "the file created for the attempt is gone");
        }
    }

    @Test
    void theModePropertyIsTheDefaultAndTheSpecWins() {
        String old = System.getProperty(PmemDriver.MODE_PROPERTY);
        System.setProperty(PmemDriver.MODE_PROPERTY, "cpu_cache");
        try {
            DaxException e = assertThrows(DaxException.class,
                    () -> fx.open(fx.spec("p", "size=1M&create=true"), new ModelArch()));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            PmemDevice d = fx.open(fx.spec("p", "size=1M&create=true&mode=page_cache"), new ModelArch());
            assertEquals(PersistenceMode.PAGE_CACHE, d.persistence());
            assertTrue(d.persistenceReason().startsWith("mode=page_cache"), d.persistenceReason());
            System.setProperty(PmemDriver.MODE_PROPERTY, "sometimes");
            DaxException bad = assertThrows(DaxException.class, () -> fx.open(fx.spec("p", ""), new ModelArch()));
            assertTrue(bad.getMessage().contains("-Djdax.pmem.mode is 'sometimes'"), bad.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(PmemDriver.MODE_PROPERTY);
            } else {
                System.setProperty(PmemDriver.MODE_PROPERTY, old);
            }
        }
    }

    @Test
    void volatileModeFencesButNeverMsyncs() {
        CountingArch arch = new CountingArch(new PortableArch());
        PmemDevice d = fx.open(fx.spec("v", "size=1M&create=true&mode=volatile"), arch);
        assertEquals(PersistenceMode.VOLATILE, d.persistence());
        Iters.write(d, 0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[8192]));
        d.flush();
        assertEquals(1, arch.fences.get());
        assertEquals(List.of(), fx.takeSyncs(d));
        assertEquals(0, d.dirtyPages());
    }

    @Test
    void emulatedModeRunsTheCpuCachePathOnAPlainFile() {
        CountingArch arch = new CountingArch(new ModelArch());
        PmemDevice d = fx.open(fx.spec("e", "size=1M&create=true&mode=emulated"), arch);
        assertEquals(PersistenceMode.CPU_CACHE, d.persistence());
        assertTrue(d.persistenceReason().contains("PMEM_IS_PMEM_FORCE"), d.persistenceReason());
        Iters.write(d, 0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[8192]));
        d.flush();
        assertEquals(1, arch.fences.get());
        assertEquals(List.of(), fx.takeSyncs(d), "CPU_CACHE semantics: no msync");
        DaxException refused = assertThrows(DaxException.class,
                () -> fx.open(fx.spec("e2", "size=1M&create=true&mode=emulated"), new PortableArch()));
        assertEquals(Errno.EOPNOTSUPP, refused.errno());
        assertFalse(Files.exists(fx.dir.resolve("e2")), "a refused open leaves no file");
    }

    @Test
    void aCreatedFileIsOwnerOnlyAndAllocated() throws Exception {
        fx.open(fx.spec("full", "size=16M&create=true"), new PortableArch());
        Path f = fx.dir.resolve("full");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(16 * MIB, Files.size(f));
        assertEquals(16 * MIB, SpaceUpFrontTest.allocatedBytes(f), "every block allocated before the mapping");
    }

    @Test
    void aCreatedFileWithSparseTrueIsOwnerOnlyAndSparse() throws Exception {
        fx.open(fx.spec("sparse", "size=1G&create=true&sparse=true"), new PortableArch());
        Path f = fx.dir.resolve("sparse");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(1L << 30, Files.size(f));
        long allocated = SpaceUpFrontTest.allocatedBytes(f);
        assertTrue(allocated < MIB, "sparse=true: a new 1 GiB device allocates nothing up front, got " + allocated
                + " bytes");
    }

    @ParameterizedTest
    @EnumSource(IovIter.Kind.class)
    void everyIteratorKindRoundTripsAtEveryAlignmentAndSurvivesReopen(IovIter.Kind kind) {
        String spec = fx.spec("rt-" + kind, "size=4M&create=true");
        // Each case in its own 32 KiB slot, at an alignment within it; one more ends at the device's end.
        int[] inSlot = {0, 1, 63, 64, 4095, 4096, 8191, 12_345};
        int[] lengths = {1, 7, 63, 64, 65, 4096, 4097, 10_000};
        List<long[]> cases = new ArrayList<>();
        for (int length : lengths) {
            for (int offset : inSlot) {
                cases.add(new long[] {cases.size() * 32 * 1024L + offset, length});
            }
        }
        cases.add(new long[] {4 * MIB - 10_000, 10_000});
        Random rnd = new Random(kind.ordinal());
        List<byte[]> written = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            PmemDevice d = fx.open(spec, new PortableArch());
            for (long[] c : cases) {
                byte[] data = new byte[(int) c[1]];
                rnd.nextBytes(data);
                written.add(data);
                IovIter src = Iters.source(kind, data, arena);
                assertEquals(c[1], Iters.write(d, c[0], src));
                assertEquals(0, src.count());
                // Read back through another kind of iterator.
                Iters.Dest dst = Iters.dest(IovIter.Kind.values()[(kind.ordinal() + 1) % 3], data.length, arena);
                assertEquals(c[1], Iters.read(d, c[0], dst.iter()));
                assertArrayEquals(data, dst.bytes().get(), kind + " at " + c[0] + " length " + c[1]);
            }
            d.flush();
            d.close();
        }
        // The data is in the file: a new device over it reads it all back.
        PmemDevice again = fx.open(spec, new PortableArch());
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < cases.size(); i++) {
                long[] c = cases.get(i);
                Iters.Dest dst = Iters.dest(kind, (int) c[1], arena);
                Iters.read(again, c[0], dst.iter());
                assertArrayEquals(written.get(i), dst.bytes().get(), "after reopen: " + kind + " at " + c[0]);
            }
        }
    }

    @Test
    void directAccessIsLinearUpToTheEndAndReadIsReadOnly() {
        PmemDevice d = fx.open(fx.spec("lin", "size=1M&create=true"), new PortableArch());
        DaxDevice ops = d;
        DirectAccess all = ops.directAccess(0, 1 << 20, DaxAccessMode.WRITE);
        assertEquals(256, all.nrPages());
        assertEquals(MIB, all.addr().byteSize());
        DirectAccess tail = ops.directAccess(250, Long.MAX_VALUE, DaxAccessMode.WRITE);
        assertEquals(6, tail.nrPages());
        assertEquals(all.addr().address() + 250 * 4096, tail.addr().address(), "one linear mapping");
        DirectAccess three = ops.directAccess(10, 3, DaxAccessMode.READ);
        assertEquals(3, three.nrPages());
        assertTrue(three.addr().isReadOnly());
        all.addr().set(ValueLayout.JAVA_LONG, 10 * 4096, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, three.addr().get(ValueLayout.JAVA_LONG, 0));
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> ops.directAccess(256, 1, DaxAccessMode.READ)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(-1, 1, DaxAccessMode.READ)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(0, 0, DaxAccessMode.READ)).errno());
    }

    @Test
    void aMappingOver2GiBWorksAtOffsetsPast4GiB() {
        String spec = fx.spec("big", "size=5G&create=true&sparse=true"); // sparse: 5 GiB of tmpfs is RAM
        PmemDevice d = fx.open(spec, new PortableArch());
        assertEquals(5L << 30, d.size());
        long at = (4L << 30) + 4096 * 3 - 10; // straddles a page boundary past 4 GiB
        byte[] data = new byte[4096 + 20];
        new Random(5).nextBytes(data);
        Iters.write(d, at, IovIter.kvec(IovIter.Direction.SOURCE, data));
        DirectAccess da = d.directAccess(at / 4096, 3, DaxAccessMode.READ);
        assertEquals(3, da.nrPages());
        byte[] back = da.addr().asSlice(at % 4096, data.length).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(data, back);
        d.flush();
        d.close();
        PmemDevice again = fx.open(spec, new PortableArch());
        byte[] reopened = again.directAccess(at / 4096, 3, DaxAccessMode.READ).addr()
                .asSlice(at % 4096, data.length).toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(data, reopened);
    }

    @Test
    void theDriverIsFoundByTheServiceLoader() {
        DaxDevice d = DaxDevices.open(fx.spec("sl", "size=1M&create=true"), new PortableArch());
        try {
            assertInstanceOf(PmemDevice.class, d);
            assertTrue(d.hasOwnCopyFromIter());
            assertTrue(d.hasRecoveryWrite());
            assertTrue(d.badBlocks().isPresent());
        } finally {
            d.close();
        }
    }

    // ---- bad input: each a clear error, nothing left half-made

    private DaxException refused(String spec, Errno errno, String... phrases) {
        List<Path> before = fx.files();
        DaxException e = assertThrows(DaxException.class, () -> fx.open(spec, new PortableArch()));
        assertEquals(errno, e.errno(), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should say '" + p + "'");
        }
        assertEquals(before, fx.files(), "a refused open leaves the directory as it was");
        return e;
    }

    @Test
    void missingPathsAndDirectoriesAreClearErrors() throws IOException {
        refused(fx.spec("nope", ""), Errno.ENOENT, "does not exist", "create=true");
        refused(fx.spec("nope", "size=1M"), Errno.ENOENT, "does not exist");
        refused("pmem:" + fx.dir.resolve("no/such/dir/f") + "?size=1M&create=true", Errno.ENOENT,
                "directory", "does not exist");
        refused(fx.spec("nosize", "create=true"), Errno.EINVAL, "needs a size");
        Files.createDirectory(fx.dir.resolve("adir"));
        refused(fx.spec("adir", "size=1M&create=true"), Errno.EISDIR, "is a directory");
        refused("pmem:?size=1M", Errno.EINVAL, "has no path");
    }

    @Test
    void aSizeThatDisagreesNamesBothAndTouchesNothing() throws IOException {
        fx.open(fx.spec("s", "size=1M&create=true"), new PortableArch()).close();
        refused(fx.spec("s", "size=2M"), Errno.EINVAL, "1 MiB (1048576 bytes)", "size=2M (2097152 bytes)",
                "never truncated or extended");
        refused(fx.spec("s", "size=512K&create=true"), Errno.EINVAL, "1048576", "524288");
        assertEquals(MIB, Files.size(fx.dir.resolve("s")), "neither truncated nor extended");
        // Without a size the file's own is taken.
        assertEquals(MIB, fx.open(fx.spec("s", ""), new PortableArch()).size());
    }

    @Test
    void filesThatAreNotWholePagesAreRefused() throws IOException {
        Files.write(fx.dir.resolve("odd"), new byte[5000]);
        refused(fx.spec("odd", ""), Errno.EINVAL, "5000 bytes", "multiple of the 4096-byte page");
        Files.write(fx.dir.resolve("empty"), new byte[0]);
        refused(fx.spec("empty", ""), Errno.EINVAL, "0 bytes");
        refused(fx.spec("new", "size=4097&create=true"), Errno.EINVAL, "multiple of the 4096-byte page");
        refused(fx.spec("new", "size=0&create=true"), Errno.EINVAL, "positive");
    }

    @Test
    void aSizeOverTheFreeSpaceFailsBeforeAnythingIsCreated() {
        refused(fx.spec("huge", "size=1E&create=true"), Errno.ENOSPC, "free on", "sparse=true");
    }

    @Test
    void badParametersAreClearErrors() {
        refused(fx.spec("x", "sise=1M"), Errno.EINVAL, "unknown parameter 'sise'",
                "(known: create, eadr, mode, shared, size, sparse)");
        refused(fx.spec("x", "size=1M&create=true&shared=maybe"), Errno.EINVAL, "'shared' must be true or false");
        refused(fx.spec("x", "size=1M&create=maybe"), Errno.EINVAL, "'create' must be true or false");
        refused(fx.spec("x", "size=1M&create=true&sparse=maybe"), Errno.EINVAL, "'sparse' must be true or false");
        refused(fx.spec("x", "size=1M&create=true&mode=fast"), Errno.EINVAL, "'mode' is 'fast'",
                "auto, cpu_cache, page_cache, volatile or emulated");
    }

    /** A file as another process would leave it: 1 MiB of one byte, the given mode. */
    private Path planted(String name, String mode) throws IOException {
        Path f = fx.dir.resolve(name);
        byte[] bytes = new byte[(int) MIB];
        java.util.Arrays.fill(bytes, (byte) 0x55);
        Files.write(f, bytes);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
        return f;
    }

    @Test
    void createRefusesAnExistingFileOthersMayWriteUnlessSharedIsSaid() throws IOException {
        Path f = planted("ww", "rw-rw-rw-");
        DaxException e = refused(fx.spec("ww", "size=1M&create=true"), Errno.EACCES, "mode 0666",
                "group or others may write it", "shared=true");
        assertFalse(e.getMessage().contains("\n"), "one line");
        planted("gw", "rw-rw----");
        refused(fx.spec("gw", "size=1M&create=true"), Errno.EACCES, "mode 0660");
        assertEquals(0x55, Files.readAllBytes(f)[0], "not a byte written");

        // Said explicitly, or without create=true (the user names a file that exists), it opens.
        assertEquals(MIB, fx.open(fx.spec("ww", "size=1M&create=true&shared=true"), new PortableArch()).size());
        assertEquals(MIB, fx.open(fx.spec("gw", "size=1M"), new PortableArch()).size());
        // The caller's own file, readable by others but writable by none, is its own to reopen.
        planted("mine", "rw-r--r--");
        assertEquals(MIB, fx.open(fx.spec("mine", "size=1M&create=true"), new PortableArch()).size());
    }

    @Test
    void createRefusesAnotherUsersFileAndTheirSymlinkToOneOfOurs() throws Exception {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assumeTrue(uid == 0, "making a file another user owns needs root and this runs as uid " + uid
                + ": skipped (CI runs as root, where it is not)");
        // As another user would: nobody's file, mode 0600, the right size. Root could read it anyway;
        // the point is that its owner can read what is written.
        Path f = planted("theirs", "rw-------");
        Files.setAttribute(f, "unix:uid", 65534);
        DaxException e = refused(fx.spec("theirs", "size=1M&create=true"), Errno.EACCES, "belongs to uid 65534",
                "not to this process (uid 0)", "shared=true");
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertEquals(0x55, Files.readAllBytes(f)[0], "not a byte written");
        assertEquals(MIB, fx.open(fx.spec("theirs", "size=1M&create=true&shared=true"), new PortableArch()).size());

        // A symlink another user planted, to a file of the caller's: never followed for create=true.
        Path mine = planted("target", "rw-------");
        Path link = fx.dir.resolve("link");
        Files.createSymbolicLink(link, mine);
        Files.setAttribute(link, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS); // lchown
        refused(fx.spec("link", "size=1M&create=true"), Errno.EACCES, "symbolic link", "uid 65534");
        assertEquals(0x55, Files.readAllBytes(mine)[0], "not a byte written");
    }

    @Test
    void aFileWithoutWritePermissionIsEacces() throws IOException {
        Path f = fx.dir.resolve("ro");
        Files.write(f, new byte[4096]);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
        if (!Files.isWritable(f)) {
            refused(fx.spec("ro", ""), Errno.EACCES, "permission denied");
            return;
        }
        // Root ignores permission bits; sysfs still refuses writes to a read-only attribute.
        Path sysfsReadOnly = Path.of("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
        assumeTrue(Files.exists(sysfsReadOnly), "running as root without a read-only sysfs file to try");
        DaxException e = assertThrows(DaxException.class, () -> fx.open("pmem:" + sysfsReadOnly, new PortableArch()));
        assertEquals(Errno.EACCES, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    }

    @Test
    void copiesPastTheEndOfTheDeviceWriteNothing() {
        PmemDevice d = fx.open(fx.spec("own", "size=1M&create=true"), new PortableArch());
        // The last bytes of the device are fine; one past them is not (the core's check, before the driver).
        assertEquals(4096, d.copyFromIter(255L * 4096, 4096, IovIter.kvec(IovIter.Direction.SOURCE, filled4096())));
        DaxException past = assertThrows(DaxException.class, () -> d.copyFromIter(255L * 4096 + 1, 4096,
                IovIter.kvec(IovIter.Direction.SOURCE, new byte[4096])));
        assertEquals(Errno.ERANGE, past.errno(), past.getMessage());
        assertArrayEquals(filled4096(), d.directAccess(255, 1, DaxAccessMode.READ).addr().toArray(ValueLayout.JAVA_BYTE),
                "the refused copy wrote nothing");
    }

    private static byte[] filled4096() {
        byte[] b = new byte[4096];
        java.util.Arrays.fill(b, (byte) 0x6d);
        return b;
    }
}
