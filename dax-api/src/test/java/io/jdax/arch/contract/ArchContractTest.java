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

    // ---- the durable memset and memmove (libpmem2's memset_fn / memmove_fn)

    private static final int[] FLAG_SETS = {0, Arch.MEM_TEMPORAL, Arch.MEM_NODRAIN, Arch.MEM_NOFLUSH,
        Arch.MEM_WC, Arch.MEM_WB, Arch.MEM_NONTEMPORAL | Arch.MEM_NODRAIN};

    /** memset sets exactly its bytes, at every destination misalignment, lengths 0..300 and large, every flag. */
    @Test
    public void memsetSetsExactlyItsBytesAtEveryMisalignment() {
        try (Arena arena = Arena.ofConfined()) {
            int max = 70_000;
            MemorySegment buf = arena.allocate(max + 256, 64);
            byte[] model = new byte[(int) buf.byteSize()];
            for (int flags : FLAG_SETS) {
                for (int da = 0; da < 64; da++) {
                    for (int n : lengths(da)) {
                        fillPattern(buf, model, da * 31 + n);
                        byte v = (byte) (n * 7 + da + flags);
                        arch().memset(buf, 64 + da, n, v, flags);
                        java.util.Arrays.fill(model, 64 + da, 64 + da + n, v);
                        assertSame(model, buf, "memset flags " + flags + " da " + da + " n " + n);
                    }
                }
            }
        }
    }

    /** memmove is right for sources below and above an overlapping destination and apart from it. */
    @Test
    public void memmoveIsOverlapSafeBothWaysAtEveryMisalignment() {
        int[] shifts = {-4096, -200, -67, -64, -13, -8, -1, 1, 8, 13, 64, 67, 200, 4096};
        try (Arena arena = Arena.ofConfined()) {
            int max = 70_000;
            MemorySegment buf = arena.allocate(max + 2 * 4096 + 512, 64);
            byte[] model = new byte[(int) buf.byteSize()];
            for (int flags : new int[] {0, Arch.MEM_TEMPORAL, Arch.MEM_NOFLUSH}) {
                for (int da = 0; da < 64; da++) {
                    for (int n : lengths(da)) {
                        for (int shift : shifts) {
                            fillPattern(buf, model, da + n + shift);
                            long dst = 4096 + 128 + da;
                            long src = dst + shift;
                            arch().memmove(buf, dst, buf, src, n, flags);
                            System.arraycopy(model, (int) src, model, (int) dst, n); // arraycopy is overlap-safe
                            assertSame(model, buf, "memmove flags " + flags + " da " + da + " shift " + shift
                                    + " n " + n);
                        }
                    }
                }
            }
        }
    }

    @Test
    public void memsetAndMemmoveCheckTheirRanges() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096, 64);
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> arch().memset(buf, 4000, 100, (byte) 1, 0)).errno());
            assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                    () -> arch().memmove(buf, 0, buf, 4000, 100, 0)).errno());
            assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                    () -> arch().memset(buf, -1, 10, (byte) 1, 0)).errno());
            assertEquals(Errno.EFAULT, assertThrows(DaxException.class,
                    () -> arch().memset(buf.asReadOnly(), 0, 10, (byte) 1, 0)).errno());
        }
    }

    /** Every length 0..300 on the first misalignments, fewer beyond, and large ones. */
    private static int[] lengths(int da) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        int step = da < 8 || da % 13 == 0 ? 1 : 37;
        for (int n = 0; n <= 300; n += step) {
            out.add(n);
        }
        if (da % 21 == 0) {
            out.add(4095);
            out.add(4096 + 3);
            out.add(65536 + 13);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void fillPattern(MemorySegment buf, byte[] model, int seed) {
        for (int i = 0; i < model.length; i++) {
            model[i] = (byte) (i * 131 + seed);
        }
        MemorySegment.copy(MemorySegment.ofArray(model), 0, buf, 0, model.length);
    }

    private static void assertSame(byte[] model, MemorySegment buf, String what) {
        long m = MemorySegment.ofArray(model).mismatch(buf);
        if (m >= 0) {
            throw new AssertionError(what + ": byte " + m + " is " + buf.get(ValueLayout.JAVA_BYTE, m) + ", expected "
                    + model[(int) m]);
        }
    }
}
