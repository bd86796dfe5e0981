package io.jdax.x86;

import io.jdax.arch.MemoryFaultException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C8 in this JVM: a fault inside the C routines comes back as a {@link MemoryFaultException}
 * and the thread goes on. Real faults — a mapped file cut under the mapping — for every primitive
 * that touches memory, through FFM and through JNI; and poison, which this host cannot make, by
 * the SIGBUS the kernel would send (the routine's thread signals itself, {@code simulateFault}).
 */
class MemoryFaultTest {
    private static final int PAGE = 4096;

    private static NativeArch arch(String call) {
        NativeArchProvider.instance(); // loads the library
        return new NativeArch("test", NativeArch.HeapCopy.PINNED, call.equals("jni") ? new JniCalls() : new FfmCalls());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void everyPrimitiveOnACutMappingFailsWithLostBackingAndThePageBeforeStillWorks(String call, @TempDir Path dir)
            throws Exception {
        NativeArch a = arch(call);
        Path file = Files.createFile((Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : dir)
                .resolve("jdax-fault-test-" + ProcessHandle.current().pid() + "-" + call));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofShared()) {
            ch.write(java.nio.ByteBuffer.allocate(1), 4L * PAGE - 1);
            MemorySegment map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4L * PAGE, arena);
            map.fill((byte) 1);
            ch.truncate(PAGE); // what truncate(1) in another process does to the mapping: pages 1..3 are gone
            MemorySegment src = arena.allocate(2L * PAGE, 64);
            byte[] heap = new byte[2 * PAGE];
            src.fill((byte) 7);
            long start = PAGE - 100; // the copies cross from the kept page into the lost one

            assertLost(a, map, () -> a.copyFlushcache(src, 0, map, start, 300), "copyFlushcache");
            assertLost(a, map, () -> a.copyFlushcache(MemorySegment.ofArray(heap), 0, map, start, 300),
                    "copyFlushcache from the heap");
            assertLost(a, map, () -> a.copyNocache(src, 0, map, start, 300), "copyNocache");
            assertLost(a, map, () -> a.copyMc(map, start, src, 0, 300), "copyMc from the mapping");
            assertLost(a, map, () -> a.copyMc(map, start, MemorySegment.ofArray(heap), 0, 300), "copyMc to the heap");
            // write-back of lost pages may or may not fault (a clean line needs no page): never a crash
            try {
                a.writeback(map, PAGE, 2L * PAGE);
            } catch (MemoryFaultException e) {
                assertEquals(MemoryFaultException.Kind.LOST_BACKING, e.kind());
            }

            a.copyFlushcache(src, 0, map, 0, PAGE);
            byte[] back = new byte[PAGE];
            MemorySegment.copy(map, ValueLayout.JAVA_BYTE, 0, back, 0, PAGE);
            byte[] sevens = new byte[PAGE];
            java.util.Arrays.fill(sevens, (byte) 7);
            assertArrayEquals(sevens, back, "the page before the cut, after the faults");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void assertLost(NativeArch a, MemorySegment map, Runnable copy, String what) {
        MemoryFaultException e = assertThrows(MemoryFaultException.class, copy::run, what);
        assertEquals(MemoryFaultException.Kind.LOST_BACKING, e.kind(), what + ": " + e.getMessage());
        assertEquals(Errno.EIO, e.errno(), what);
        assertTrue(e.within(map, PAGE, 3L * PAGE), what + ": the fault at 0x" + Long.toHexString(e.address())
                + " is not in the lost pages: " + e.getMessage());
        assertTrue(e.getMessage().contains("no backing"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void poisonTheKernelReportsBecomesAPoisonFaultCoveringItsPage(String call) {
        NativeArch a = arch(call);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * PAGE, PAGE);
            MemoryFaultException e = a.simulateFault(s, PAGE + 5, X86Native.BUS_MCEERR_AR, 12);
            assertEquals(MemoryFaultException.Kind.POISON, e.kind(), e.getMessage());
            assertEquals(s.address() + PAGE + 5, e.address());
            assertEquals(PAGE, e.granule(), "si_addr_lsb 12: one page");
            assertTrue(e.within(s, PAGE, PAGE) && !e.within(s, 2L * PAGE, PAGE), e.getMessage());
            assertTrue(e.getMessage().contains("poisoned"), e.getMessage());

            MemoryFaultException lost = a.simulateFault(s, 7, 2 /* BUS_ADRERR */, 0);
            assertEquals(MemoryFaultException.Kind.LOST_BACKING, lost.kind(), lost.getMessage());
            assertEquals(1, lost.granule());
            // the guard is disarmed and SIGBUS unblocked after each: the next one is caught too
            for (int i = 0; i < 100; i++) {
                assertEquals(MemoryFaultException.Kind.POISON, a.simulateFault(s, i, X86Native.BUS_MCEERR_AR, 12).kind());
            }
            a.copyFlushcache(MemorySegment.ofArray(new byte[PAGE]), 0, s, 0, PAGE);
        }
    }
}
