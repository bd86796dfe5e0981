package io.jdax.bench;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class WorkbenchTest {

    @Test
    void theEmulatedDeviceLivesInAPrivateDirectoryThatCloseRemoves(@TempDir Path tmp) throws IOException {
        Path scratch;
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            scratch = wb.scratch().orElseThrow();
            assertEquals(tmp, scratch.getParent());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(scratch)));
            Path img = scratch.resolve("pmem.img");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(img)));
            assertEquals(Fixture.REGION + Fixture.FILE, wb.pmem().size());
            assertEquals(Fixture.REGION, wb.region());
            assertEquals(Fixture.FILE, wb.fileBytes());
        }
        assertFalse(Files.exists(scratch));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void aFailedOpenLeavesNothingBehind(@TempDir Path tmp) throws IOException {
        // No filesystem here has room for a 2^50-byte device: the driver refuses before mapping.
        Workbench.Config huge = Fixture.small(tmp).withSizes(1L << 50, Fixture.FILE, Fixture.BRD, Fixture.SOURCE);
        DaxException e = assertThrows(DaxException.class, () -> Workbench.open(huge));
        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void methodsThatCannotRunSayWhy(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp).withLibpmem("libjdax-no-such-pmem.so"))) {
            assertEquals(PersistenceMode.PAGE_CACHE, wb.pmem().persistence(), "a file outside a DAX mount");
            assertTrue(wb.unavailable(BenchMethod.LIBPMEM).orElseThrow().contains("libjdax-no-such-pmem.so"),
                    wb.unavailable(BenchMethod.LIBPMEM).toString());
            DaxException e = assertThrows(DaxException.class, () -> wb.path(BenchMethod.LIBPMEM));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertTrue(wb.unavailable(BenchMethod.DURABLE_FENCE).isEmpty(), "PAGE_CACHE: the fence-only row differs");
            assertTrue(wb.unavailable(BenchMethod.DURABLE).isEmpty());
        }
    }

    @Test
    void onADeviceWhoseFlushIsAFenceTheFenceOnlyRowIsNotRepeated(@TempDir Path tmp) throws IOException {
        Path img = tmp.resolve("v.img");
        String spec = "pmem:" + img + "?size=2M&create=true&mode=volatile";
        try (Workbench wb = Workbench.open(Fixture.small(tmp).withDevice(spec))) {
            assertEquals(PersistenceMode.VOLATILE, wb.pmem().persistence());
            assertTrue(wb.unavailable(BenchMethod.DURABLE_FENCE).orElseThrow().contains("VOLATILE"));
            assertTrue(wb.scratch().isEmpty(), "a given device needs no scratch directory");
            assertEquals(Fixture.FILE, wb.fileBytes(), "the file asked for: less than a quarter of the device");
            assertEquals(Fixture.REGION, wb.region());
        }
        try (Workbench wb = Workbench.open(Fixture.small(tmp).withDevice("pmem:" + tmp.resolve("w.img")
                + "?size=512K&create=true").withSizes(Fixture.REGION, 1L << 20, Fixture.BRD, Fixture.SOURCE))) {
            assertEquals(128L << 10, wb.fileBytes(), "at most a quarter of the device for the file");
            assertEquals(384L << 10, wb.region(), "the region is what is left");
            assertTrue(wb.unavailable(BenchMethod.FSDAX_FSYNC).isEmpty());
        }
        assertTrue(Files.exists(img), "a device given by spec is the user's: it stays");
    }

    /** Runs only where libpmem is installed; reported as skipped elsewhere. */
    @Test
    void libpmemCannotWriteADeviceWhoseMemoryIsOnTheHeap(@TempDir Path tmp) {
        assumeTrue(LibPmem.tryLoad(LibPmem.DEFAULT_LIBRARY).isPresent(), "libpmem.so.1 not installed");
        Workbench.Config heap = Fixture.small(tmp).withDevice("brd:heap?size=2M").withLibpmem(LibPmem.DEFAULT_LIBRARY);
        try (Workbench wb = Workbench.open(heap)) {
            assertTrue(wb.libpmem().isPresent());
            assertTrue(wb.unavailable(BenchMethod.LIBPMEM).orElseThrow().contains("Java heap"),
                    wb.unavailable(BenchMethod.LIBPMEM).toString());
        }
        try (Workbench wb = Workbench.open(Fixture.small(tmp).withLibpmem(LibPmem.DEFAULT_LIBRARY))) {
            assertTrue(wb.unavailable(BenchMethod.LIBPMEM).isEmpty(), "pmem memory is native");
        }
    }

    static Stream<Arguments> methodsAndKinds() {
        return Arrays.stream(BenchMethod.values()).filter(m -> m.op() == BenchMethod.Op.WRITE && m != BenchMethod.LIBPMEM)
                .flatMap(m -> Arrays.stream(IovIter.Kind.values()).map(k -> Arguments.of(m, k)));
    }

    @ParameterizedTest
    @MethodSource("methodsAndKinds")
    void everyPathWritesWhatItsIteratorHoldsAndItsReadBackSeesAChangedByte(BenchMethod m, IovIter.Kind kind,
                                                                           @TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            WritePath p = wb.path(m);
            assertEquals(m, p.method());
            IterRing ring = new IterRing(wb.sources(), kind, 6000, 2, 128);
            long pos = p.capacity() - 6000 - 100; // unaligned, crossing pages, near the end
            p.write(pos, ring.iter(1));
            p.afterBatch();
            assertEquals(-1, p.mismatch(pos, ring.expected(1)));
            assertEquals(-1, p.mismatch(pos + 6000 - 64, ring.expected(1).asSlice(6000 - 64)), "a part reads back too");
            ring.stamp(1, 99);
            assertEquals(0, p.mismatch(pos, ring.expected(1)), "the stamped source differs from the device at byte 0");
        }
    }

    static Stream<Arguments> readsAndKinds() {
        return Stream.of(BenchMethod.READ, BenchMethod.PLAIN_READ, BenchMethod.FSDAX_READ)
                .flatMap(m -> Arrays.stream(IovIter.Kind.values()).map(k -> Arguments.of(m, k)));
    }

    @ParameterizedTest
    @MethodSource("readsAndKinds")
    void everyReadFillsItsIteratorWithWhatTheDeviceHoldsAndSeesAFreshStamp(BenchMethod m, IovIter.Kind kind,
                                                                           @TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            ReadPath p = wb.readPath(m);
            assertEquals(m, p.method());
            IterRing ring = IterRing.destinations(wb.destinations(), kind, 6000, 2, 128, wb.destinations().size());
            long pos = p.capacity() - 6000 - 100;
            p.stamp(pos, 6000, 7);
            ring.expected(1).fill((byte) 0x5A);
            p.read(pos, ring.iter(1));
            assertEquals(-1, p.mismatch(pos, ring.expected(1)));
            p.stamp(pos, 6000, 8);
            assertEquals(0, p.mismatch(pos, ring.expected(1)), "a fresh stamp differs from the last read at byte 0");
            assertEquals(IterRing.mark(7), ring.expected(1).get(ValueLayout.JAVA_LONG_UNALIGNED, 4096),
                    "the read carried the stamp at 4 KiB");
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = BenchMethod.class, names = {"MEMSET", "MEMMOVE"})
    void memsetAndMemmoveThroughTheMappingDoTheirWorkAndTheirCheckSeesWhenTheyDoNot(BenchMethod m, @TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            MemPath p = wb.memPath(m);
            assertEquals(m == BenchMethod.MEMMOVE ? wb.fileBytes() / 2 : wb.fileBytes(), p.capacity());
            long pos = 3 * 4096 + 5;
            p.prepare(pos, 10_000, (byte) 0x33, 11);
            assertTrue(p.mismatch(pos, 10_000, (byte) 0x33) >= 0, "prepared: not yet what the operation makes");
            p.run(pos, 10_000, (byte) 0x33);
            p.afterBatch();
            assertEquals(-1, p.mismatch(pos, 10_000, (byte) 0x33));
            p.prepare(pos, 10_000, (byte) 0x44, 12);
            assertEquals(0, p.mismatch(pos, 10_000, (byte) 0x44), "an operation that did not happen fails at byte 0");
        }
    }

    @Test
    void theKvecCeilingIsMeasuredOnlyWhereTheArchStreamsHeapSources(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            boolean streams = Workbench.streamsHeap(wb.pmem().arch());
            assertEquals(streams, wb.unavailable(BenchMethod.NOCACHE, IovIter.Kind.KVEC).isEmpty(),
                    wb.unavailable(BenchMethod.NOCACHE, IovIter.Kind.KVEC).toString());
            assertTrue(wb.unavailable(BenchMethod.NOCACHE, IovIter.Kind.USER).isEmpty() == wb.pmem().arch().hasCacheWriteback());
            assertTrue(wb.unavailable(BenchMethod.DURABLE, IovIter.Kind.KVEC).isEmpty());
        }
    }

    @Test
    void theFileLiesOutsideTheRegionTheDeviceLevelMethodsWalk(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            WritePath file = wb.path(BenchMethod.FSDAX_FSYNC);
            IterRing ring = new IterRing(wb.sources(), IovIter.Kind.USER, 64 * 1024, 1, 0);
            file.write(file.capacity() - 64 * 1024, ring.iter(0));
            // Fill the whole region with 0xA5 through directAccess.
            try (DaxReadLock ignored = wb.pmem().readLock()) {
                MemorySegment all = wb.pmem().directAccess(0, wb.region() / 4096, DaxAccessMode.WRITE).addr();
                all.fill((byte) 0xA5);
            }
            assertEquals(-1, file.mismatch(file.capacity() - 64 * 1024, ring.expected(0)));
            WritePath durable = wb.path(BenchMethod.DURABLE);
            assertEquals(wb.region(), durable.capacity());
            byte[] expect = new byte[4096];
            Arrays.fill(expect, (byte) 0xA5);
            assertEquals(-1, durable.mismatch(wb.region() - 4096, MemorySegment.ofArray(expect)));
            assertEquals((byte) 0xA5, MemorySegment.ofArray(expect).get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void theFileIsTheOneTheFsDaxPathWritesAllocatedWhole(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            var f = wb.file();
            assertEquals(wb.fileBytes(), f.size());
            assertEquals(wb.fileBytes() / 4096, f.blockCount(), "every block allocated, none unwritten left to convert");
            IterRing ring = new IterRing(wb.sources(), IovIter.Kind.USER, 4096, 1, 0);
            assertEquals(4096, f.write(8192, ring.iter(0)));
            f.fsync();
            assertEquals(-1, wb.path(BenchMethod.FSDAX_FSYNC).mismatch(8192, ring.expected(0)), "the same file");
            assertTrue(f == wb.file(), "set up once");
        }
    }
}
