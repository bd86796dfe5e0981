package io.jdax.arch.contract;

import io.jdax.arch.Arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@link Arch} contract, written once and run by one small subclass per implementation (the
 * JCTools way). Subclasses in other modules reach it through dax-api's test jar.
 */
public abstract class ArchContractTest {

    /** The implementation under test. */
    protected abstract Arch arch();

    private static final int GUARD = 64;
    private static final byte GUARD_BYTE = (byte) 0xA5;

    interface Copy {
        void copy(Arch a, MemorySegment src, long so, MemorySegment dst, long d, long n);
    }

    /** Copies {@code n} bytes at the given alignments and checks the bytes and the guards around them. */
    private void checkCopy(Copy copy, MemorySegment srcBase, MemorySegment dstBase, int srcAlign, int dstAlign, int n,
                           Random rnd) {
        byte[] data = new byte[n];
        rnd.nextBytes(data);
        MemorySegment.copy(MemorySegment.ofArray(data), 0, srcBase, srcAlign, n);
        dstBase.fill(GUARD_BYTE);
        copy.copy(arch(), srcBase, srcAlign, dstBase, GUARD + dstAlign, n);
        for (int i = 0; i < GUARD + dstAlign; i++) {
            if (dstBase.get(ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                throw new AssertionError("guard byte " + i + " before dst clobbered (src " + srcAlign + ", dst "
                        + dstAlign + ", n " + n + ")");
            }
        }
        for (int i = 0; i < n; i++) {
            if (dstBase.get(ValueLayout.JAVA_BYTE, GUARD + dstAlign + i) != data[i]) {
                throw new AssertionError("byte " + i + " wrong (src " + srcAlign + ", dst " + dstAlign + ", n " + n + ")");
            }
        }
        for (long i = GUARD + dstAlign + n; i < dstBase.byteSize(); i++) {
            if (dstBase.get(ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                throw new AssertionError("guard byte after dst clobbered at +" + (i - GUARD - dstAlign - n)
                        + " (src " + srcAlign + ", dst " + dstAlign + ", n " + n + ")");
            }
        }
    }

    private void exhaustive(Copy copy, boolean heapSource) {
        Random rnd = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = heapSource ? MemorySegment.ofArray(new byte[64 + 300 + 64])
                    : arena.allocate(64 + 300 + 64, 64);
            MemorySegment dst = arena.allocate(GUARD + 64 + 300 + GUARD, 64);
            for (int srcAlign = 0; srcAlign < 64; srcAlign += heapSource ? 7 : 1) {
                for (int dstAlign = 0; dstAlign < 64; dstAlign++) {
                    for (int n = 0; n <= 300; n++) {
                        checkCopy(copy, src, dst, srcAlign, dstAlign, n, rnd);
                    }
                }
            }
        }
    }

    @Test
    void copyNocacheIsByteExactForEveryAlignmentAndSmallSize() {
        exhaustive(Arch::copyNocache, false);
    }

    @Test
    void copyFlushcacheIsByteExactForEveryAlignmentAndSmallSize() {
        exhaustive(Arch::copyFlushcache, false);
    }

    @Test
    void heapSourcesCopyByteExactToo() {
        exhaustive(Arch::copyFlushcache, true);
        exhaustive(Arch::copyNocache, true);
    }

    @ParameterizedTest
    @ValueSource(ints = {4095, 4096, 4097, 65536 + 13, (1 << 20) + 7})
    void largeCopiesAreByteExact(int n) {
        Random rnd = new Random(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(n + 64, 64);
            MemorySegment dst = arena.allocate(GUARD + 64 + n + GUARD, 64);
            for (int align : new int[] {0, 1, 8, 17, 63}) {
                checkCopy(Arch::copyNocache, src, dst, align, (align * 3) % 64, n, rnd);
                checkCopy(Arch::copyFlushcache, src, dst, (align * 5) % 64, align, n, rnd);
            }
        }
    }

    @Test
    void copiesIntoHeapDestinationsWork() {
        byte[] out = new byte[1000];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(1000);
            src.fill((byte) 3);
            arch().copyFlushcache(src, 0, MemorySegment.ofArray(out), 0, 1000);
            assertEquals(3, out[999]);
            arch().copyNocache(MemorySegment.ofArray(new byte[10]), 0, MemorySegment.ofArray(out), 5, 10);
            assertEquals(0, out[5]);
        }
    }

    @Test
    void badRangesAreRefusedBeforeAnyByteMoves() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(128);
            src.fill((byte) 1);
            MemorySegment dst = arena.allocate(128);
            Arch a = arch();
            assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> a.copyNocache(src, -1, dst, 0, 8)).errno());
            assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> a.copyFlushcache(src, 0, dst, 0, -8)).errno());
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> a.copyNocache(src, 0, dst, 1, 128)).errno());
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> a.copyFlushcache(src, 8, dst, 0, Long.MAX_VALUE)).errno());
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> a.copyFlushcache(src, Long.MAX_VALUE, dst, 0, 2)).errno());
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> a.writeback(dst, 100, Long.MAX_VALUE - 50)).errno());
            assertEquals(Errno.EFAULT, assertThrows(DaxException.class,
                    () -> a.copyNocache(src, 0, dst.asReadOnly(), 0, 8)).errno());
            for (int i = 0; i < 128; i++) {
                assertEquals(0, dst.get(ValueLayout.JAVA_BYTE, i));
            }
        }
    }

    @Test
    void closedArenasAreRefusedWithEfault() {
        Arena shared = Arena.ofShared();
        MemorySegment dead = shared.allocate(256);
        shared.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment live = arena.allocate(256);
            Arch a = arch();
            assertEquals(Errno.EFAULT, assertThrows(DaxException.class, () -> a.copyNocache(dead, 0, live, 0, 64)).errno());
            assertEquals(Errno.EFAULT, assertThrows(DaxException.class, () -> a.copyFlushcache(live, 0, dead, 0, 64)).errno());
            assertEquals(Errno.EFAULT, assertThrows(DaxException.class, () -> a.writeback(dead, 0, 64)).errno());
        }
    }

    @Test
    void describesItself() {
        assertFalse(arch().name().isBlank());
        assertFalse(arch().features().isEmpty());
        arch().fence(); // must be callable at any time
    }
}
