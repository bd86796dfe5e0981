package io.jdax.x86;

import io.jdax.arch.MemoryFaultException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C8 on the real instructions, both ways in (FFM and JNI): a page that loses its backing under
 * a copy, a write-back or a read is a {@link MemoryFaultException} naming where, not a signal;
 * poison reports its granule; the memory stays usable for other ranges; and the JDK's own
 * handling of faults in its accesses is left as it was.
 */
class NativeFaultTest {
    private static final int PAGE = 4096;

    private Path file;
    private FileChannel ch;
    private Arena arena;
    private MemorySegment map;

    @BeforeEach
    void mapFourPagesAndCutThree() throws IOException {
        file = Files.createTempFile(Path.of("/dev/shm"), "jdax-fault-", ".img");
        ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ch.truncate(0);
        ch.write(java.nio.ByteBuffer.allocate(1), 4L * PAGE - 1);
        arena = Arena.ofShared();
        map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4L * PAGE, arena);
        map.fill((byte) 1);
        ch.truncate(PAGE); // what another process may do to a file we mapped
    }

    @AfterEach
    void unmap() throws IOException {
        arena.close();
        ch.close();
        Files.deleteIfExists(file);
    }

    private static NativeArch arch(String call) {
        NativeArchProvider.instance(); // loads the library
        return new NativeArch("test", NativeArch.HeapCopy.PINNED, call.equals("jni") ? new JniCalls() : new FfmCalls());
    }

    private static void assertLostPageOne(MemoryFaultException e, MemorySegment map, String side) {
        assertEquals(MemoryFaultException.Kind.LOST_BACKING, e.kind(), e.getMessage());
        assertTrue(e.address() >= map.address() + PAGE && e.address() < map.address() + 4L * PAGE, e.getMessage());
        assertTrue(e.getMessage().contains(side + " byte"), e.getMessage());
        assertTrue(e.getMessage().contains("no backing"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void copiesIntoACutPageFailWithTheDestinationByte(String call) {
        NativeArch arch = arch(call);
        MemorySegment nativeSrc = Arena.ofAuto().allocate(3 * PAGE);
        MemorySegment heapSrc = MemorySegment.ofArray(new byte[3 * PAGE]);
        for (MemorySegment src : new MemorySegment[] {nativeSrc, heapSrc}) {
            MemoryFaultException e = assertThrows(MemoryFaultException.class,
                    () -> arch.copyFlushcache(src, 0, map, PAGE - 100, 2L * PAGE));
            assertLostPageOne(e, map, "destination");
            e = assertThrows(MemoryFaultException.class, () -> arch.copyNocache(src, 0, map, PAGE - 100, 2L * PAGE));
            if (call.equals("jni") && !src.isNative()) {
                // JNI copies heap sources without a durability promise in Java: the JDK reports it
                assertEquals(MemoryFaultException.Kind.UNKNOWN, e.kind(), e.getMessage());
            } else {
                assertLostPageOne(e, map, "destination");
            }
        }
        MemoryFaultException e = assertThrows(MemoryFaultException.class,
                () -> arch.writeback(map, PAGE, PAGE));
        assertLostPageOne(e, map, "destination");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void readsOfACutPageFailWithTheSourceByte(String call) {
        NativeArch arch = arch(call);
        for (MemorySegment dst : new MemorySegment[] {Arena.ofAuto().allocate(3 * PAGE),
                MemorySegment.ofArray(new byte[3 * PAGE])}) {
            MemoryFaultException e = assertThrows(MemoryFaultException.class,
                    () -> arch.copyMc(map, PAGE - 100, dst, 0, 2L * PAGE));
            assertLostPageOne(e, map, "source");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void theBackedPageStaysUsableAfterAFault(String call) {
        NativeArch arch = arch(call);
        byte[] data = new byte[PAGE];
        new Random(7).nextBytes(data);
        assertThrows(MemoryFaultException.class,
                () -> arch.copyFlushcache(MemorySegment.ofArray(data), 0, map, PAGE / 2, PAGE));
        arch.copyFlushcache(MemorySegment.ofArray(data), 0, map, 0, PAGE);
        arch.fence();
        byte[] back = new byte[PAGE];
        arch.copyMc(map, 0, MemorySegment.ofArray(back), 0, PAGE);
        assertArrayEquals(data, back);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void poisonReportsItsAddressAndGranule(String call) {
        NativeArch arch = arch(call);
        MemorySegment mem = Arena.ofAuto().allocate(2 * PAGE, PAGE);
        MemoryFaultException e = arch.simulateFault(mem, 100, X86Native.BUS_MCEERR_AR, 12);
        assertEquals(MemoryFaultException.Kind.POISON, e.kind());
        assertEquals(mem.address() + 100, e.address());
        assertEquals(PAGE, e.granule());
        assertTrue(e.within(mem, 0, 1), "the granule rounds the address down to the page");
        assertTrue(e.getMessage().contains("poisoned"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void theJdksOwnFaultsStayTheJdks(String call) {
        arch(call); // the handler is installed
        // the JDK may deliver its error at the next safepoint poll: give it some inside the lambda
        InternalError e = assertThrows(InternalError.class, () -> {
            map.get(ValueLayout.JAVA_BYTE, 2L * PAGE);
            for (int i = 0; i < 1000; i++) {
                Thread.onSpinWait();
            }
            Thread.yield();
        });
        assertTrue(e.getMessage().contains("unsafe memory access"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ffm", "jni"})
    void heapSourcesCrossChunksAndSlicesByteExact(String call) {
        NativeArch arch = arch(call);
        byte[] big = new byte[(int) (3 * NativeArch.CHUNK + 777)];
        new Random(11).nextBytes(big);
        MemorySegment src = MemorySegment.ofArray(big).asSlice(13); // a heap slice: its base offset counts
        long n = src.byteSize() - 5;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(n + 128, 64);
            for (long dstOff : new long[] {0, 3, 64, 100}) {
                dst.fill((byte) 0);
                arch.copyFlushcache(src, 5, dst, dstOff, n);
                assertEquals(-1, dst.asSlice(dstOff, n).mismatch(src.asSlice(5, n)), "dst offset " + dstOff);
                assertEquals(0, dst.get(ValueLayout.JAVA_BYTE, dstOff + n), "no byte past the copy");
            }
            byte[] back = new byte[(int) n + 9];
            arch.copyMc(dst, 100, MemorySegment.ofArray(back).asSlice(9), 0, n);
            assertEquals(-1, MemorySegment.ofArray(back).asSlice(9).mismatch(src.asSlice(5, n)));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 8, 63, 64, 100})
    void heapChunksEndOnADestinationLineSoChunkingMovesNoWriteBack(long misalign) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(4 * NativeArch.CHUNK, 64);
            long total = 3 * NativeArch.CHUNK + 5;
            long done = 0;
            int chunks = 0;
            while (done < total) {
                long n = NativeArch.chunk(dst, misalign + done, total - done);
                assertTrue(n > 0 && n <= NativeArch.CHUNK);
                done += n;
                chunks++;
                if (done < total) {
                    assertEquals(0, (dst.address() + misalign + done) % 64, "chunk " + chunks + " ends mid-line");
                }
            }
            assertEquals(total, done);
        }
    }
}
