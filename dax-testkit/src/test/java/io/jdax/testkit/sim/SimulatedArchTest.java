package io.jdax.testkit.sim;

import io.jdax.arch.ArchProvider;
import io.jdax.arch.Archs;
import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedArchTest {
    private static final int SIZE = 16 * 4096;
    private final Arena arena = Arena.ofShared();
    private final SimulatedArch arch = new SimulatedArch();
    private final MemorySegment device = arena.allocate(SIZE, 4096);
    private final SimulatedMedia media = arch.track("dev", device);

    @AfterEach
    void close() {
        arena.close();
    }

    private MemorySegment nativeSource(int n, int seed) {
        MemorySegment s = arena.allocate(n + 64, 64);
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i] |= 1; // never zero: every byte differs from the fresh device
        }
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, 0, n);
        return s.asSlice(0, n);
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void nonTemporalLinesArePendingUntilTheFenceThenPersistent() {
        MemorySegment src = nativeSource(4096, 1);
        arch.copyNocache(src, 0, device, 8192, 4096);
        assertEquals(LineState.PENDING, media.lineState(8192));
        assertEquals(64, media.unfencedLines(8192, 4096).size());
        assertArrayEquals(new byte[4096], Arrays.copyOfRange(media.persistentImage(), 8192, 8192 + 4096),
                "before the fence, the harshest crash keeps nothing");
        arch.fence();
        assertEquals(LineState.CLEAN, media.lineState(8192));
        assertTrue(media.unfencedLines().isEmpty());
        for (long seed = 0; seed < 5; seed++) {
            assertArrayEquals(bytes(src), Arrays.copyOfRange(media.crash(seed), 8192, 8192 + 4096));
        }
        WritebackStats s = media.stats();
        assertEquals(64, s.ntLines());
        assertEquals(0, s.cachedLines());
        assertEquals(0, s.linesWrittenBack());
        assertEquals(1, s.fences());
    }

    @Test
    void cachedStoresSurviveAFenceOnlyByLuck() {
        byte[] heap = new byte[256];
        Arrays.fill(heap, (byte) 7);
        // A heap source cannot be streamed: copyNocache stores it through the cache.
        arch.copyNocache(MemorySegment.ofArray(heap), 0, device, 0, 256);
        arch.fence();
        for (int line = 0; line < 4; line++) {
            assertEquals(LineState.DIRTY, media.lineState(line * 64L));
        }
        assertEquals(4, media.stats().cachedLines());
        assertArrayEquals(new byte[256], Arrays.copyOf(media.persistentImage(), 256));
        // Each dirty line survives whole or not at all; across seeds both happen.
        Set<Boolean> outcomes = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            byte[] img = media.crash(seed);
            for (int line = 0; line < 4; line++) {
                byte[] got = Arrays.copyOfRange(img, line * 64, line * 64 + 64);
                boolean kept = Arrays.equals(got, Arrays.copyOf(heap, 64));
                assertTrue(kept || Arrays.equals(got, new byte[64]), "line " + line + " is a state it never had");
                outcomes.add(kept);
            }
        }
        assertEquals(Set.of(true, false), outcomes);
    }

    @Test
    void flushcacheFromNativeMemoryWritesBackOnlyThePartialEdgeLines() {
        MemorySegment src = nativeSource(1000, 2);
        arch.copyFlushcache(src, 0, device, 100, 1000); // [100, 1100): partial lines 64..127 and 1088..1151
        assertEquals(1, media.writebacks(100));
        assertEquals(1, media.writebacks(1099));
        for (long off = 128; off < 1088; off += 64) {
            assertEquals(0, media.writebacks(off), "body line at " + off + " was stored non-temporally");
        }
        WritebackStats s = media.stats();
        assertEquals(2, s.linesWrittenBack());
        assertEquals(0, s.redundantWritebacks());
        assertEquals(15, s.ntLines());
        arch.fence();
        assertTrue(media.unfencedLines().isEmpty());
        assertArrayEquals(bytes(src), Arrays.copyOfRange(media.persistentImage(), 100, 1100));
    }

    @Test
    void flushcacheFromHeapMemoryWritesBackEveryLineOnce() {
        byte[] heap = new byte[4096];
        Arrays.fill(heap, (byte) 3);
        arch.copyFlushcache(MemorySegment.ofArray(heap), 0, device, 4096, 4096);
        for (long off = 4096; off < 8192; off += 64) {
            assertEquals(1, media.writebacks(off));
        }
        assertEquals(64, media.stats().linesWrittenBack());
        assertEquals(0, media.stats().redundantWritebacks());
        arch.fence();
        assertArrayEquals(heap, Arrays.copyOfRange(media.persistentImage(), 4096, 8192));
    }

    @Test
    void theSeedsVariantKeepsTheDataButEveryBodyWriteBackIsRedundant() {
        MemorySegment src = nativeSource(4096 + 10, 3);
        arch.copyNocache(src, 0, device, 0, 4096 + 10);
        arch.writeback(device, 0, 4096 + 10);
        arch.fence();
        WritebackStats s = media.stats();
        assertEquals(65, s.linesWrittenBack());
        assertEquals(64, s.redundantWritebacks(), "the non-temporal lines did not need it");
        assertTrue(media.unfencedLines().isEmpty(), "the tail line's write-back was needed");
        assertEquals(64 * 1048576.0 / 4106, s.redundantPerMiB(), 1e-6);
        assertArrayEquals(bytes(src), Arrays.copyOf(media.persistentImage(), 4106));
    }

    @Test
    void storesThatBypassTheArchAreDirtyWithoutAnyHook() {
        device.set(ValueLayout.JAVA_LONG, 640, 0x1122334455667788L); // a direct-mapped store
        assertEquals(LineState.DIRTY, media.lineState(640));
        assertEquals(List.of(640L), media.unfencedLines());
        arch.writeback(device, 640, 8);
        assertEquals(0, media.stats().redundantWritebacks(), "the line had a store, even unseen");
        assertEquals(LineState.PENDING, media.lineState(640));
        arch.fence();
        assertEquals(LineState.CLEAN, media.lineState(640));
        assertEquals(0x1122334455667788L, MemorySegment.ofArray(media.crash(9)).get(ValueLayout.JAVA_LONG_UNALIGNED, 640));
        arch.writeback(device, 640, 8);
        assertEquals(1, media.stats().redundantWritebacks(), "nothing was stored since the fence");
    }

    @Test
    void aLineRewrittenBetweenFencesMaySurviveInAnyOfItsStates() {
        byte[] a = new byte[64];
        byte[] b = new byte[64];
        byte[] c = new byte[64];
        Arrays.fill(a, (byte) 1);
        Arrays.fill(b, (byte) 2);
        Arrays.fill(c, (byte) 3);
        arch.copyFlushcache(MemorySegment.ofArray(a), 0, device, 0, 64);
        arch.copyFlushcache(MemorySegment.ofArray(b), 0, device, 0, 64);
        MemorySegment.copy(MemorySegment.ofArray(c), 0, device, 0, 64); // and a store after
        Set<Byte> seen = new HashSet<>();
        for (long seed = 0; seed < 200; seed++) {
            byte[] line = Arrays.copyOf(media.crash(seed), 64);
            for (byte x : line) {
                assertEquals(line[0], x, "the line model never mixes states within a line");
            }
            seen.add(line[0]);
        }
        assertEquals(Set.of((byte) 0, (byte) 1, (byte) 2, (byte) 3), seen);
        arch.fence();
        assertEquals(2, media.persistentImage()[0], "the fence persists the last write-back, not the later store");
    }

    private byte[] lineOfByte(int value) {
        byte[] b = new byte[64];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Writes a line of {@code value} at {@code offset}, written back and fenced: acknowledged. */
    private void persistLine(long offset, int value) {
        arch.copyFlushcache(MemorySegment.ofArray(lineOfByte(value)), 0, device, offset, 64);
        arch.fence();
    }

    /** The first byte of the line at {@code offset} in each of 100 seeded crash images. */
    private Set<Byte> survivors(long offset) {
        Set<Byte> seen = new HashSet<>();
        for (long seed = 0; seed < 100; seed++) {
            seen.add(media.crash(seed)[(int) offset]);
        }
        return seen;
    }

    @Test
    void aPersistentLineScratchedByAnArchStoreAndRestoredMayHaveBeenEvictedScratched() {
        persistLine(1024, 9);
        // memset through the Arch without write-back, then the old bytes put back with plain
        // stores: the cache may have evicted the scratched line in between.
        arch.memset(device, 1024, 64, (byte) 0x5C, io.jdax.arch.Arch.MEM_NOFLUSH);
        MemorySegment.copy(MemorySegment.ofArray(lineOfByte(9)), 0, device, 1024, 64);
        arch.fence();
        assertEquals(LineState.DIRTY, media.lineState(1024), "stored through the Arch, never written back");
        assertEquals(Set.of((byte) 9, (byte) 0x5C), survivors(1024));
        arch.writeback(device, 1024, 64);
        arch.fence();
        assertEquals(Set.of((byte) 9), survivors(1024), "written back and fenced: the restored line is on the media");
    }

    @Test
    void aPersistentLineScratchedWithPlainStoresAndRestoredIsTheSimulatorsBlindSpot() {
        persistLine(1024, 9);
        device.asSlice(1024, 64).fill((byte) 0x5C); // no Arch call: the simulator never sees this
        MemorySegment.copy(MemorySegment.ofArray(lineOfByte(9)), 0, device, 1024, 64);
        arch.fence();
        // A real cache may have evicted the scratched line; the simulator knows only the contents
        // it saw at Arch calls, so the line looks clean and every crash keeps it.
        assertEquals(LineState.CLEAN, media.lineState(1024));
        assertEquals(Set.of((byte) 9), survivors(1024));
    }

    @Test
    void aFenceMakesPersistentOnlyTheWriteBacksOfItsOwnThread() throws Exception {
        device.asSlice(2048, 64).fill((byte) 7);
        Thread a = Thread.ofPlatform().start(() -> arch.writeback(device, 2048, 64));
        a.join();
        Thread b = Thread.ofPlatform().start(arch::fence);
        b.join();
        assertEquals(LineState.PENDING, media.lineState(2048), "B's sfence does not order A's clwb");
        assertEquals(0, media.persistentImage()[2048], "the harshest crash loses A's line");
        assertEquals(Set.of((byte) 0, (byte) 7), survivors(2048));
        Thread.ofPlatform().start(arch::fence).join();
        assertEquals(LineState.PENDING, media.lineState(2048), "nor does a third thread's");
        Thread.ofPlatform().start(() -> {
            arch.writeback(device, 2048, 64); // the line is not dirty: a no-op clwb orders nothing
            arch.fence();
        }).join();
        assertEquals(LineState.PENDING, media.lineState(2048));
        device.asSlice(2048, 8).fill((byte) 8);
        arch.writeback(device, 2048, 64);
        arch.fence();
        assertEquals(LineState.CLEAN, media.lineState(2048), "this thread's write-back and fence");
        assertEquals(8, media.persistentImage()[2048]);
        assertEquals(7, media.persistentImage()[2048 + 8]);
    }

    @Test
    void aProcessBarrierMakesEveryThreadsPendingLinesPersistentAndIsCountedApart() throws Exception {
        MemorySegment src = nativeSource(4096, 3);
        Thread.ofPlatform().start(() -> arch.copyNocache(src, 0, device, 8192, 4096)).join();
        assertEquals(64, media.unfencedLines(8192, 4096).size());
        long before = media.barriers();
        assertTrue(arch.processBarrier());
        assertEquals(List.of(), media.unfencedLines(8192, 4096), "membarrier drains the other thread's movnt");
        assertEquals(src.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), media.persistentImage()[8192]);
        assertEquals(before + 1, media.barriers());
    }

    @Test
    void nonTemporalStoresArePersistentAfterTheFenceOfTheirOwnThreadOnly() throws Exception {
        MemorySegment src = nativeSource(4096, 3);
        Thread.ofPlatform().start(() -> arch.copyNocache(src, 0, device, 8192, 4096)).join();
        arch.fence();
        assertEquals(64, media.unfencedLines(8192, 4096).size(), "another thread's movnt is not ordered here");
    }

    @Test
    void pmemcheckReportsAWriteBackOfNoDirtyLineAndLinesLeftDirtyWithTheirStacks() {
        SimulatedArch sim = new SimulatedArch(null, true);
        MemorySegment mem = arena.allocate(4096, 4096);
        SimulatedMedia m = sim.track("stacks", mem);
        sim.copyFlushcache(MemorySegment.ofArray(lineOfByte(1)), 0, mem, 0, 64);
        sim.fence();
        assertTrue(m.pmemcheck().clean(), m.pmemcheck().describe(10));
        sim.writeback(mem, 0, 128); // both lines clean: wasted
        sim.memset(mem, 256, 10, (byte) 2, io.jdax.arch.Arch.MEM_NOFLUSH); // stored, never written back
        mem.set(ValueLayout.JAVA_BYTE, 1000, (byte) 3); // a plain store: dirty, no stack
        PmemcheckReport r = m.pmemcheck();
        assertEquals(1, r.wastedWritebacks(), r.describe(10));
        assertEquals(2, r.dirtyLines(), r.describe(10));
        assertEquals(List.of(PmemcheckReport.Kind.WASTED_WRITEBACK, PmemcheckReport.Kind.DIRTY_LINE,
                PmemcheckReport.Kind.DIRTY_LINE), r.entries().stream().map(PmemcheckReport.Entry::kind).toList());
        assertEquals(List.of(0L, 256L, 960L), r.entries().stream().map(PmemcheckReport.Entry::deviceOffset).toList());
        String test = "pmemcheckReportsAWriteBackOfNoDirtyLineAndLinesLeftDirtyWithTheirStacks";
        assertEquals(test, r.entries().get(0).stack().getFirst().getMethodName(), "the caller, not the simulator");
        assertEquals(test, r.entries().get(1).stack().getFirst().getMethodName());
        assertEquals(List.of(), r.entries().get(2).stack(), "a plain store leaves no trace but its bytes");
        assertTrue(r.describe(10).contains("at " + SimulatedArchTest.class.getName() + "." + test), r.describe(10));
        sim.writeback(mem, 0, 4096); // covers the dirty lines: not wasted
        sim.fence();
        assertEquals(new PmemcheckReport(1, 0, List.of(r.entries().getFirst())), m.pmemcheck());
        m.resetStats();
        assertEquals(PmemcheckReport.NONE, m.pmemcheck());
    }

    @Test
    void copyMcIntoTrackedMemoryIsASeenStoreAndReadsAreNot() {
        List<SimulatedArch.Event> events = new ArrayList<>();
        SimulatedArch sim = new SimulatedArch(events::add);
        MemorySegment mem = arena.allocate(4096, 4096);
        SimulatedMedia m = sim.track("eadr", mem, PersistenceDomain.CPU_CACHE);
        MemorySegment src = nativeSource(100, 4);
        sim.copyMc(src, 0, mem, 10, 100); // copyEadr's small copy: cached stores into the device
        sim.copyMc(mem, 0, arena.allocate(200), 0, 200); // a read: nothing to see
        assertEquals(List.of(new SimulatedArch.Event(SimulatedArch.Kind.STORE, m, 10, 100)), events);
        assertEquals(2, m.stats().cachedLines());
        assertEquals(2, m.pmemcheck().dirtyLines(), "stored after the last fence");
        sim.fence();
        assertTrue(m.pmemcheck().clean(), "eADR: the fence made them persistent");
    }

    @Test
    void stacksAreCapturedOnlyWhenAskedFor() {
        arch.writeback(device, 0, 64);
        assertEquals(List.of(), media.pmemcheck().entries().getFirst().stack(), "off by default");
        System.setProperty(SimulatedArch.STACKS_PROPERTY, "true");
        SimulatedArch sim;
        try {
            sim = new SimulatedArch();
        } finally {
            System.clearProperty(SimulatedArch.STACKS_PROPERTY);
        }
        MemorySegment mem = arena.allocate(4096, 4096);
        SimulatedMedia m = sim.track("stacks", mem);
        sim.writeback(mem, 0, 64);
        assertFalse(m.pmemcheck().entries().getFirst().stack().isEmpty());
        assertEquals(1, sim.pmemcheck().wastedWritebacks());
    }

    @Test
    void theWord8ModelTearsLinesAtEightByteBoundariesOnly() {
        byte[] a = new byte[64];
        Arrays.fill(a, (byte) 5);
        arch.copyFlushcache(MemorySegment.ofArray(a), 0, device, 0, 64);
        boolean torn = false;
        for (long seed = 0; seed < 50; seed++) {
            byte[] line = Arrays.copyOf(media.crash(seed, CrashModel.WORD8), 64);
            for (int w = 0; w < 64; w += 8) {
                for (int i = 1; i < 8; i++) {
                    assertEquals(line[w], line[w + i], "an aligned 8-byte word is atomic");
                }
            }
            torn |= line[0] != line[56];
        }
        assertTrue(torn, "some seed tears the line");
    }

    @Test
    void crashesAreDeterministicPerSeedAndChangeNothing() {
        MemorySegment src = nativeSource(SIZE - 8, 4);
        arch.copyNocache(src, 0, device, 3, SIZE - 8); // pending body, dirty edges
        List<Long> before = media.unfencedLines();
        byte[] one = media.crash(42);
        assertArrayEquals(one, media.crash(42));
        assertFalse(Arrays.equals(one, media.crash(43)), "1024 unfenced lines, another seed gives another image");
        assertEquals(before, media.unfencedLines());
        assertArrayEquals(bytes(device), media.currentImage());
    }

    @Test
    void untrackedMemoryIsCopiedAndIgnored() {
        MemorySegment other = arena.allocate(4096);
        arch.copyFlushcache(nativeSource(4096, 5), 0, other, 0, 4096);
        arch.writeback(other, 0, 4096);
        assertEquals(WritebackStats.NONE, media.stats());
        assertEquals(WritebackStats.NONE.plus(WritebackStats.NONE), arch.stats());
    }

    @Test
    void theListenerHearsEveryTrackedOperationAfterItHappened() {
        List<SimulatedArch.Event> events = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mem = a.allocate(8192, 4096);
            SimulatedArch sim = new SimulatedArch(e -> {
                events.add(e);
                if (e.kind() == SimulatedArch.Kind.COPY_NOCACHE) {
                    assertEquals(LineState.PENDING, e.media().lineState(e.deviceOffset())); // already applied
                }
            });
            SimulatedMedia m = sim.track("l", mem);
            sim.copyNocache(nativeSource(128, 6), 0, mem, 64, 128);
            sim.writeback(mem, 0, 64);
            sim.copyNocache(nativeSource(64, 7), 0, a.allocate(64), 0, 64); // untracked: silent
            sim.fence();
            assertEquals(List.of(new SimulatedArch.Event(SimulatedArch.Kind.COPY_NOCACHE, m, 64, 128),
                    new SimulatedArch.Event(SimulatedArch.Kind.WRITEBACK, m, 0, 64),
                    new SimulatedArch.Event(SimulatedArch.Kind.FENCE, null, 0, 0)), events);
        }
    }

    @Test
    void tracksABrdDevicePageByPageOnTheHeap() {
        SimulatedArch sim = new SimulatedArch();
        try (DaxDevice brd = DaxDevices.open("brd:simbrd?size=64K", sim)) {
            SimulatedMedia m = sim.track(brd, 2, 4);
            assertEquals(8192, m.start());
            assertEquals(4 * 4096, m.size());
            MemorySegment page3 = brd.directAccess(3, 1, DaxAccessMode.WRITE).addr();
            byte[] data = new byte[100];
            Arrays.fill(data, (byte) 9);
            sim.copyFlushcache(MemorySegment.ofArray(data), 0, page3, 4000, 96); // crosses no page: brd pages stand apart
            assertEquals(LineState.PENDING, m.lineState(3 * 4096 + 4000));
            assertEquals(2, m.stats().linesWrittenBack());
            sim.fence();
            byte[] img = m.crash(1);
            assertEquals(9, img[4096 + 4000]);
            assertEquals(9, img[4096 + 4095]);
            assertThrows(DaxException.class, () -> m.lineState(0), "page 0 is not tracked");
        }
    }

    @Test
    void aClosedDevicesMemoryCannotCrashAndIsUntracked() {
        SimulatedArch sim = new SimulatedArch();
        Arena a = Arena.ofShared();
        SimulatedMedia m = sim.track("gone", a.allocate(4096, 4096));
        a.close();
        DaxException e = assertThrows(DaxException.class, () -> m.crash(1));
        assertEquals(Errno.ENXIO, e.errno());
        assertFalse(m.isTracked());
        assertTrue(sim.media().isEmpty());
    }

    @Test
    void trackingBadMemoryFailsWithAClearError() {
        assertEquals(Errno.EEXIST, assertThrows(DaxException.class,
                () -> arch.track("again", device.asSlice(4096, 4096))).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> arch.track("odd", arena.allocate(100))).errno());
        assertEquals(Errno.EFAULT, assertThrows(DaxException.class,
                () -> arch.track("ro", MemorySegment.ofArray(new byte[64]).asReadOnly())).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> new SimulatedArch().onlyMedia()).errno());
    }

    @Test
    void isChosenOnlyWhenNamed() {
        List<ArchProvider> providers = List.of(new PortableArch.Provider(), new SimulatedArch.Provider());
        assertEquals(PortableArch.NAME, Archs.select(providers, null).arch().name());
        assertInstanceOf(SimulatedArch.class, Archs.select(providers, "simulated").arch());
        assertTrue(arch.hasCacheWriteback());
    }
}
