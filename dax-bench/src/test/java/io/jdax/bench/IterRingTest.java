package io.jdax.bench;

import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IterRingTest {
    static SourceBuffers src;

    @BeforeAll
    static void sources() {
        src = new SourceBuffers(1 << 20, 42);
    }

    @AfterAll
    static void free() {
        src.close();
    }

    @Test
    void nativeAndHeapSourcesHoldTheSameRandomBytes() {
        try (SourceBuffers fresh = new SourceBuffers(1 << 16, 7)) {
            MemorySegment heap = MemorySegment.ofArray(fresh.heapSource());
            assertEquals(-1, heap.mismatch(fresh.nativeSource()));
            long zeros = 0;
            for (byte b : fresh.heapSource()) {
                zeros += b == 0 ? 1 : 0;
            }
            assertTrue(zeros < fresh.size() / 100, "random bytes, not a constant: " + zeros + " zeros");
        }
    }

    @ParameterizedTest
    @EnumSource(IovIter.Kind.class)
    void eachIteratorHoldsExactlyItsSlotsBytesAndRewindsForReuse(IovIter.Kind kind) {
        IterRing ring = new IterRing(src, kind, 5000, 8, 100);
        assertEquals(8, ring.slots());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(5000);
            for (int round = 0; round < 2; round++) {
                for (int s = 0; s < ring.slots(); s++) {
                    IovIter it = ring.iter(s);
                    assertEquals(kind, it.kind());
                    assertEquals(5000, it.count());
                    it.copyFromIter(dst, 5000, MemorySegment::copy);
                    assertEquals(0, it.count());
                    assertEquals(-1, dst.mismatch(ring.expected(s)), "slot " + s + " round " + round);
                }
            }
        }
    }

    @Test
    void slotsAreCacheLineAlignedAndShareNoLine() {
        IterRing ring = new IterRing(src, IovIter.Kind.USER, 100, 64, 0);
        for (int s = 0; s < ring.slots(); s++) {
            assertEquals(0, ring.sourceOffset(s) % 64);
            if (s > 0) {
                long prevEndLine = (ring.sourceOffset(s - 1) + 99) / 64;
                assertTrue(ring.sourceOffset(s) / 64 > prevEndLine, "slot " + s + " shares a line with the one before");
            }
        }
    }

    @Test
    void bvecHasOneBioVecPerPageTouched() {
        IterRing ring = new IterRing(src, IovIter.Kind.BVEC, 3 * 4096, 4, 64);
        // starts 64 bytes into a page: 3 pages of bytes touch 4 pages
        assertEquals(4, ring.iter(0).nrSegs());
        IterRing small = new IterRing(src, IovIter.Kind.BVEC, 64, 4, 0);
        assertEquals(1, small.iter(0).nrSegs());
    }

    @Test
    void aRingNeverReachesPastTheSource() {
        IterRing ring = new IterRing(src, IovIter.Kind.KVEC, 600_000, 100, 900_000);
        assertEquals(1, ring.slots(), "only one 600 KB slot fits a 1 MiB source");
        assertTrue(ring.sourceOffset(0) + 600_000 <= src.size());
        assertThrows(io.jdax.dax.DaxException.class, () -> new IterRing(src, IovIter.Kind.USER, src.size() + 1, 1, 0));
    }

    @ParameterizedTest
    @EnumSource(IovIter.Kind.class)
    void stampsChangeTheStartEveryPageAndTheEnd(IovIter.Kind kind) {
        IterRing ring = new IterRing(src, kind, 10_000, 2, 0);
        byte[] before = ring.expected(1).toArray(ValueLayout.JAVA_BYTE);
        long serial = 1000 + kind.ordinal(); // USER and BVEC share the native bytes: a mark of their own each
        ring.stamp(1, serial);
        MemorySegment after = ring.expected(1);
        long mark = after.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        for (long at : new long[] {4096, 8192, 10_000 - 8}) {
            assertEquals(mark, after.get(ValueLayout.JAVA_LONG_UNALIGNED, at), "at " + at);
        }
        ring.stamp(1, serial + 3);
        long next = after.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        for (int b = 0; b < 8; b++) {
            assertNotEquals((byte) (mark >>> (8 * b)), (byte) (next >>> (8 * b)), "byte " + b + " of the mark");
        }
        assertNotEquals(-1, MemorySegment.ofArray(before).mismatch(after));
        assertEquals(before[100], after.get(ValueLayout.JAVA_BYTE, 100), "bytes between stamps keep their values");
        assertFalse(ring.expected(0).asOverlappingSlice(after).isPresent(), "stamping a slot leaves the others alone");
    }
}
