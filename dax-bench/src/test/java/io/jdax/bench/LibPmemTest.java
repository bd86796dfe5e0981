package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LibPmemTest {

    @Test
    void aMissingLibrarySaysWhichAndHowToInstallIt() {
        DaxException e = assertThrows(DaxException.class, () -> LibPmem.load("libjdax-no-such-pmem.so.9"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("libjdax-no-such-pmem.so.9") && e.getMessage().contains("apt-get install libpmem1"),
                e.getMessage());
        assertTrue(LibPmem.tryLoad("libjdax-no-such-pmem.so.9").isEmpty());
    }

    /** Runs only where Debian's libpmem1 is installed; reported as skipped elsewhere. */
    @Test
    void copiesFromNativeAndHeapSourcesAndChecksBoundsInJava() {
        Optional<LibPmem> lib = LibPmem.tryLoad(LibPmem.DEFAULT_LIBRARY);
        assumeTrue(lib.isPresent(), "libpmem.so.1 not installed");
        byte[] data = new byte[10_000];
        new Random(3).nextBytes(data);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(data.length);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, src, 0, data.length);
            MemorySegment dst = arena.allocate(data.length + 64);
            lib.get().memcpyPersist(dst.asSlice(3), src, data.length);
            assertEquals(-1, dst.asSlice(3, data.length).mismatch(src));
            MemorySegment dst2 = arena.allocate(data.length);
            lib.get().memcpyNodrain(dst2, MemorySegment.ofArray(data), data.length);
            lib.get().drain();
            assertEquals(-1, dst2.mismatch(MemorySegment.ofArray(data)));
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> lib.get().memcpyNodrain(dst2.asSlice(0, 10), src, 11)).errno());
            assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                    () -> lib.get().memcpyNodrain(MemorySegment.ofArray(new byte[10]), src, 10)).errno());

            lib.get().memsetPersist(dst.asSlice(5, 1000), (byte) 0xC3, 1000);
            for (int i = 0; i < 1000; i++) {
                assertEquals((byte) 0xC3, dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 5 + i));
            }
            MemorySegment both = arena.allocate(4096);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, both, 0, 4096);
            lib.get().memmovePersist(both.asSlice(100), both, 3000); // overlapping, destination above
            assertEquals(-1, both.asSlice(100, 3000).mismatch(MemorySegment.ofArray(data).asSlice(0, 3000)));
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> lib.get().memsetPersist(dst2.asSlice(0, 10), (byte) 1, 11)).errno());
        }
    }
}
