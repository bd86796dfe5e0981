package io.jdax.fsdax;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.fsdax.Fixtures.Kind;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Map;

import static io.jdax.fsdax.Fixtures.PAGE;
import static io.jdax.fsdax.Fixtures.pattern;
import static io.jdax.fsdax.Fixtures.read;
import static io.jdax.fsdax.Fixtures.write;
import static io.jdax.fsdax.MemFsTest.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DAX mmap path: a file range as device memory, and persist in each durability mode. */
class DaxMappingTest {
    private final List<DaxDevice> opened = new ArrayList<>();

    private <D extends DaxDevice> D track(D d) {
        opened.add(d);
        return d;
    }

    @AfterEach
    void close() {
        Fixtures.closeAll(opened);
    }

    /** Records the cache maintenance it is asked for, and does it the portable way. */
    static final class RecordingArch implements Arch {
        final PortableArch real = new PortableArch();
        final List<String> events = new ArrayList<>();

        @Override
        public String name() {
            return "recording";
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
        public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            real.copyNocache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            real.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void writeback(MemorySegment segment, long offset, long bytes) {
            real.writeback(segment, offset, bytes);
            events.add("writeback " + (segment.address() + offset) + " +" + bytes);
        }

        @Override
        public void fence() {
            events.add("fence");
        }
    }

    @Test
    void aMappingShowsTheFileAndItsStoresReachTheFile() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("map", 16 * PAGE)));
        MemFile f = fs.create();
        byte[] data = pattern(3 * PAGE, 1);
        write(f, 0, data);
        DaxMapping m = f.map(100, 2 * PAGE, DaxAccessMode.WRITE);
        assertEquals(100, m.fileOffset());
        assertEquals(2 * PAGE, m.length());
        assertArrayEquals(Arrays.copyOfRange(data, 100, 100 + 2 * PAGE), m.segment().toArray(ValueLayout.JAVA_BYTE));

        m.segment().asSlice(PAGE, 5).fill((byte) 7);
        m.persist(PAGE, 5);
        byte[] expect = data.clone();
        Arrays.fill(expect, 100 + PAGE, 105 + PAGE, (byte) 7);
        assertArrayEquals(expect, read(f, 0, 3 * PAGE));
    }

    @Test
    void aReadMappingIsReadOnly() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("ro", 8 * PAGE)));
        MemFile f = fs.create();
        write(f, 0, pattern(PAGE, 2));
        DaxMapping m = f.map(0, PAGE, DaxAccessMode.READ);
        assertTrue(m.segment().isReadOnly());
        assertThrows(RuntimeException.class, () -> m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        assertErrno(Errno.EINVAL, () -> f.map(0, PAGE, DaxAccessMode.RECOVERY_WRITE), "READ or WRITE");
    }

    @Test
    void holesAndUnwrittenExtentsAreRefusedWithAdvice() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("holes", 8 * PAGE)));
        MemFile f = fs.create();
        write(f, 0, pattern(PAGE, 3));
        f.truncate(2 * PAGE);
        assertErrno(Errno.EINVAL, () -> f.map(0, 2 * PAGE, DaxAccessMode.WRITE), "[4096, +4096) is a hole; allocate it first");
        f.fallocate(2 * PAGE, PAGE);
        assertErrno(Errno.EINVAL, () -> f.map(2 * PAGE, 10, DaxAccessMode.READ), "is unwritten");
        assertEquals(1, f.map(0, PAGE, DaxAccessMode.READ).segment().byteSize() / PAGE);
        assertEquals(fs.dax().stats().begins(), fs.dax().stats().ends());
    }

    @Test
    void extentsScatteredOnTheDeviceAreRefused() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("frag", 8 * PAGE)));
        MemFile a = fs.create();
        MemFile b = fs.create();
        write(a, 0, pattern(PAGE, 4));
        write(b, 0, pattern(PAGE, 5));
        write(a, PAGE, pattern(PAGE, 6)); // a's blocks: device blocks 0 and 2
        assertErrno(Errno.EINVAL, () -> a.map(0, 2 * PAGE, DaxAccessMode.WRITE), "not contiguous on the device");
        assertEquals(PAGE, a.map(PAGE, PAGE, DaxAccessMode.WRITE).length());
    }

    @Test
    void pmemMapsAWholeWrittenRangeAsOneSegment() {
        DaxDevice d = track(Kind.PMEM.open("mappmem", 16 * PAGE));
        MemFile f = new MemFs(d).create();
        byte[] data = pattern(4 * PAGE, 11);
        write(f, 0, data);
        DaxMapping m = f.map(0, 4 * PAGE, DaxAccessMode.WRITE);
        assertArrayEquals(data, m.segment().toArray(ValueLayout.JAVA_BYTE));
        m.segment().asSlice(3 * PAGE, 3).fill((byte) 9);
        m.persist(3 * PAGE, 3);
        Arrays.fill(data, 3 * PAGE, 3 * PAGE + 3, (byte) 9);
        assertArrayEquals(data, read(f, 0, 4 * PAGE));
    }

    /**
     * C8 for the DAX mmap path: when the file behind a pmem device is cut under a mapping, a
     * store through the segment is the JDK's InternalError (the JVM lives) and persist over the
     * range is a DaxException, never an acknowledgement. In the CPU_CACHE mode (the native Arch's
     * write-back faults) and in the PAGE_CACHE mode (the flush sees the file shorter).
     */
    @Test
    void aMappingWhoseFileWasCutFailsStoresAndPersists() throws Exception {
        Arch nativeArch = io.jdax.arch.Archs.current();
        for (String mode : List.of("emulated", "page_cache")) {
            if (mode.equals("emulated") && !nativeArch.hasCacheWriteback()) {
                throw new AssertionError("native-x86 did not load: " + io.jdax.arch.Archs.selection().reason());
            }
            java.nio.file.Path file = Fixtures.scratch().resolve("cut-" + mode);
            DaxDevice d = track(io.jdax.dax.DaxDevices.open("pmem:" + file + "?size=" + 16 * PAGE
                    + "&create=true&mode=" + mode, mode.equals("emulated") ? nativeArch : new PortableArch()));
            MemFile f = new MemFs(d).create();
            write(f, 0, pattern(8 * PAGE, 3));
            DaxMapping m = f.map(0, 8 * PAGE, DaxAccessMode.WRITE);
            try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(2 * PAGE); // another process's truncate(1)
            }
            long last = 8L * PAGE - 1;
            // the JDK may deliver its error at the next safepoint poll: give it some inside the lambda
            InternalError e = assertThrows(InternalError.class, () -> {
                m.segment().set(ValueLayout.JAVA_BYTE, last, (byte) 1);
                for (int i = 0; i < 1000; i++) {
                    Thread.onSpinWait();
                }
                Thread.yield();
            }, mode);
            assertTrue(e.getMessage().contains("unsafe memory access"), e.getMessage());
            io.jdax.dax.DaxException p = assertThrows(io.jdax.dax.DaxException.class, m::persist, mode);
            assertEquals(Errno.EIO, p.errno(), p.getMessage());
            m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // the pages still backed work
        }
    }

    @Test
    void memsetAndMemmoveThroughAMappingAreRightAndDurableInEachMode() {
        for (PersistenceMode mode : PersistenceMode.values()) {
            RecordingArch arch = new RecordingArch();
            LinearDevice d = track(new LinearDevice("mm-" + mode, 16 * PAGE, arch, mode));
            MemFile f = new MemFs(d).create();
            byte[] data = pattern(4 * PAGE, 21);
            write(f, 0, data);
            DaxMapping m = f.map(0, 4 * PAGE, DaxAccessMode.WRITE);
            arch.events.clear();
            long flushes = d.flushCalls.get();
            m.memset(100, 3000, (byte) 0x5c);
            Arrays.fill(data, 100, 3100, (byte) 0x5c);
            m.memmove(150, 50, 5000); // destination above an overlapping source
            System.arraycopy(data, 50, data, 150, 5000);
            m.memmove(10, 500, 700);  // destination below
            System.arraycopy(data, 500, data, 10, 700);
            assertArrayEquals(data, m.segment().toArray(ValueLayout.JAVA_BYTE), mode.toString());
            assertArrayEquals(data, read(f, 0, 4 * PAGE), mode + ": the file reads what the mapping holds");
            switch (mode) {
                case CPU_CACHE -> assertTrue(arch.events.contains("fence") && arch.events.stream()
                        .anyMatch(e -> e.startsWith("writeback")), mode + ": written back and fenced: " + arch.events);
                case PERSISTENT_CACHE -> assertTrue(arch.events.contains("fence") && arch.events.stream()
                        .noneMatch(e -> e.startsWith("writeback")), mode + ": fenced, nothing written back: " + arch.events);
                case PAGE_CACHE -> assertEquals(flushes + 3, d.flushCalls.get(), "each one msynced its range");
                case VOLATILE -> assertTrue(arch.events.isEmpty(), "volatile: nothing to persist: " + arch.events);
            }
        }
    }

    @Test
    void memsetAndMemmoveCheckTheirMapping() {
        LinearDevice d = track(new LinearDevice("mmcheck", 8 * PAGE));
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(2 * PAGE, 2));
        DaxMapping ro = f.map(0, 2 * PAGE, DaxAccessMode.READ);
        assertErrno(Errno.EFAULT, () -> ro.memset(0, 10, (byte) 1), "READ mapping");
        DaxMapping rw = f.map(0, 2 * PAGE, DaxAccessMode.WRITE);
        assertErrno(Errno.ERANGE, () -> rw.memset(2 * PAGE - 5, 10, (byte) 1), "outside");
        assertErrno(Errno.ERANGE, () -> rw.memmove(0, 2 * PAGE - 5, 10), "outside");
        assertErrno(Errno.EINVAL, () -> rw.memmove(-1, 0, 10), "negative");
        d.close();
        assertErrno(Errno.ENXIO, () -> rw.memset(0, 1, (byte) 0), "closed");
    }

    @Test
    void brdMapsOnlyWhatOneDirectAccessHandsOut() {
        MemFs fs = new MemFs(track(Kind.BRD.open("mapbrd", 8 * PAGE)));
        MemFile f = fs.create();
        byte[] data = pattern(2 * PAGE, 7);
        write(f, 0, data); // contiguous on the device, but brd pages are not contiguous in memory
        assertErrno(Errno.EOPNOTSUPP, () -> f.map(0, 2 * PAGE, DaxAccessMode.WRITE), "gave 1 contiguous page(s)");
        DaxMapping m = f.map(PAGE + 10, PAGE - 10, DaxAccessMode.WRITE);
        assertArrayEquals(Arrays.copyOfRange(data, PAGE + 10, 2 * PAGE), m.segment().toArray(ValueLayout.JAVA_BYTE));
        m.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 42);
        m.persist();
        assertEquals(42, read(f, PAGE + 10, 1)[0]);
    }

    @Test
    void persistInCpuCacheModeWritesBackTheRangeThenFences() {
        RecordingArch arch = new RecordingArch();
        LinearDevice d = track(new LinearDevice("cpu", 8 * PAGE, arch, PersistenceMode.CPU_CACHE));
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(2 * PAGE, 8));
        DaxMapping m = f.map(0, 2 * PAGE, DaxAccessMode.WRITE);
        arch.events.clear();
        m.persist(10, 100);
        assertEquals(List.of("writeback " + (m.segment().address() + 10) + " +100", "fence"), arch.events);
        assertEquals(0, d.flushCalls.get(), "MAP_SYNC style: no flush, no system call");
    }

    @Test
    void persistInPersistentCacheModeIsAFenceAndWritesNothingBack() {
        RecordingArch arch = new RecordingArch();
        LinearDevice d = track(new LinearDevice("eadr", 8 * PAGE, arch, PersistenceMode.PERSISTENT_CACHE));
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(2 * PAGE, 8));
        DaxMapping m = f.map(0, 2 * PAGE, DaxAccessMode.WRITE);
        arch.events.clear();
        m.persist(10, 5000);
        assertEquals(List.of("fence"), arch.events, "eADR: the caches are persistent, the fence orders the stores");
        assertEquals(0, d.flushCalls.get(), "no flush, no system call");
    }

    @Test
    void persistInPageCacheModeFlushesTheDevice() {
        RecordingArch arch = new RecordingArch();
        LinearDevice d = track(new LinearDevice("pagecache", 8 * PAGE, arch, PersistenceMode.PAGE_CACHE));
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(PAGE, 9));
        DaxMapping m = f.map(0, PAGE, DaxAccessMode.WRITE);
        arch.events.clear();
        m.persist(0, 10);
        assertEquals(1, d.flushCalls.get());
        assertEquals(List.of("fence"), arch.events, "only the device's flush ran (it fences)");
    }

    @Test
    void everyPersistInPageCacheModeForcesTheRangePagesNotJustTheFirst() {
        LinearDevice d = track(new LinearDevice("pagecache2", 8 * PAGE, new RecordingArch(), PersistenceMode.PAGE_CACHE));
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(3 * PAGE, 11));
        DaxMapping m = f.map(0, 3 * PAGE, DaxAccessMode.WRITE);
        long firstPage = m.segment().address() - d.directAccess(0, 1, DaxAccessMode.READ).addr().address();
        long base = firstPage / PAGE;
        d.flush(); // start clean: the map itself handed the pages out for writing
        m.segment().set(ValueLayout.JAVA_BYTE, 5, (byte) 1);
        m.persist(5, 1);
        m.segment().set(ValueLayout.JAVA_BYTE, 2 * PAGE + 7, (byte) 2);
        m.persist(PAGE + 100, PAGE); // spans pages 1 and 2 of the mapping
        int n = d.forcedPerFlush.size();
        assertEquals(Set.of(base), d.forcedPerFlush.get(n - 2), "the first persist forced its page");
        assertEquals(Set.of(base + 1, base + 2), d.forcedPerFlush.get(n - 1),
                "a later persist through the same mapping forces its own pages too");
    }

    @Test
    void persistChecksItsRangeAndFailsCleanlyAfterClose() {
        LinearDevice d = new LinearDevice("gone", 8 * PAGE);
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(PAGE, 10));
        DaxMapping m = f.map(0, PAGE, DaxAccessMode.WRITE);
        assertErrno(Errno.EINVAL, () -> m.persist(-1, 10), "negative");
        assertErrno(Errno.ERANGE, () -> m.persist(PAGE - 5, 10), "outside");
        d.close();
        assertErrno(Errno.ENXIO, m::persist, "closed");
        // The device's memory is gone: access fails instead of reading freed memory.
        assertThrows(IllegalStateException.class, () -> m.segment().get(ValueLayout.JAVA_BYTE, 0));
        assertErrno(Errno.ENXIO, () -> f.map(0, PAGE, DaxAccessMode.READ), "closed");
    }
}
