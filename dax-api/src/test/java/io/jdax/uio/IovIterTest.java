package io.jdax.uio;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The iterator's refusals: each a clear error and no effect. */
class IovIterTest {

    @Test
    void userIteratorRejectsHeapSegmentsAndKvecRejectsNative() {
        DaxException e = assertThrows(DaxException.class,
                () -> IovIter.ubuf(IovIter.Direction.SOURCE, MemorySegment.ofArray(new byte[8])));
        assertEquals(Errno.EINVAL, e.errno());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(8);
            assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                    () -> IovIter.kvec(IovIter.Direction.SOURCE, List.of(n))).errno());
        }
    }

    @Test
    void iteratorOverAClosedArenaFailsWithEfaultAndCopiesNothing() {
        Arena shared = Arena.ofShared();
        MemorySegment a = shared.allocate(64);
        Arena other = Arena.ofConfined();
        MemorySegment b = other.allocate(64);
        b.fill((byte) 7);
        IovIter it = IovIter.iovec(IovIter.Direction.SOURCE, b, a);
        shared.close();
        byte[] dst = new byte[128];
        DaxException e = assertThrows(DaxException.class,
                () -> it.copyFromIter(MemorySegment.ofArray(dst), 128, MemorySegment::copy));
        assertEquals(Errno.EFAULT, e.errno());
        assertArrayEquals(new byte[128], dst, "nothing was copied, not even from the live first segment");
        assertEquals(128, it.count(), "the iterator did not move");
        other.close();
        assertEquals(Errno.EFAULT, assertThrows(DaxException.class,
                () -> IovIter.ubuf(IovIter.Direction.SOURCE, a)).errno());
    }

    @Test
    void wrongDirectionIsRefused() {
        IovIter src = IovIter.kvec(IovIter.Direction.SOURCE, new byte[16]);
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> src.copyToIter(MemorySegment.ofArray(new byte[16]), 16)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> src.zero(4)).errno());
        IovIter dst = IovIter.kvec(IovIter.Direction.DEST, new byte[16]);
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> dst.copyFromIter(MemorySegment.ofArray(new byte[16]), 16, MemorySegment::copy)).errno());
    }

    @Test
    void negativeAndOversizedCountsAreRefused() {
        IovIter it = IovIter.kvec(IovIter.Direction.SOURCE, new byte[100]);
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> it.advance(-1)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> it.revert(Long.MIN_VALUE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> it.advance(Long.MAX_VALUE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> it.reexpand(101)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> it.copyFromIter(MemorySegment.ofArray(new byte[8]), -5, MemorySegment::copy)).errno());
        // 100 bytes left but only 8 fit the destination: refused before copying.
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> it.copyFromIter(MemorySegment.ofArray(new byte[8]), Long.MAX_VALUE, MemorySegment::copy)).errno());
        assertEquals(100, it.count());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> IovIter.kvec(IovIter.Direction.SOURCE, new byte[10], 5, 6)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> IovIter.kvec(IovIter.Direction.SOURCE, new byte[10], Integer.MAX_VALUE, 2)).errno());
    }

    @Test
    void segmentsWhoseSizesOverflowALongAreEinvalNamingTheSegment() {
        // Sizes only: nothing is read or written through these segments.
        MemorySegment huge = MemorySegment.NULL.reinterpret(Long.MAX_VALUE / 2 + 1);
        DaxException e = assertThrows(DaxException.class,
                () -> IovIter.iovec(IovIter.Direction.SOURCE, huge, MemorySegment.NULL.reinterpret(8), huge));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("segment 2") && e.getMessage().contains(Long.toString(Long.MAX_VALUE)),
                e.getMessage());
        assertEquals(Long.MAX_VALUE, IovIter.iovec(IovIter.Direction.SOURCE, huge,
                MemorySegment.NULL.reinterpret(Long.MAX_VALUE / 2)).count(), "exactly Long.MAX_VALUE is fine");
    }

    @Test
    void bioVecMustFitItsPage() {
        MemorySegment page = MemorySegment.ofArray(new byte[4096]);
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> new IovIter.BioVec(page, 4000, 97)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> new IovIter.BioVec(page, Long.MAX_VALUE, Long.MAX_VALUE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> new IovIter.BioVec(page, -1, 1)).errno());
    }

    @Test
    void destIteratorRefusesReadOnlySegments() {
        MemorySegment ro = MemorySegment.ofArray(new byte[8]).asReadOnly();
        assertEquals(Errno.EFAULT, assertThrows(DaxException.class,
                () -> IovIter.kvec(IovIter.Direction.DEST, List.of(ro))).errno());
    }
}
