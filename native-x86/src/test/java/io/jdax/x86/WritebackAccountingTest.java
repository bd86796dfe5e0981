package io.jdax.x86;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * C4 proved on the real instructions: the traced copy runs the same C code path as
 * {@code copyFlushcache} and reports each line it wrote back. The set must be exactly the lines
 * that received cached stores: none of the non-temporally stored ones, none missing.
 */
class WritebackAccountingTest {
    private static final int LINE = 64;
    private final NativeArch arch = NativeArchProvider.instance();

    @AfterEach
    void restoreDefaults() {
        assertEquals(0, NativeArch.configure(null, null, -1, 0));
    }

    /** The lines of [d, d + n) that get cached stores, from the algorithm's definition. */
    private static long[] cachedLines(long d, long n, long threshold, int headAlign) {
        TreeSet<Long> lines = new TreeSet<>();
        if (n < threshold) {
            addLines(lines, d, n);
        } else {
            long head = Math.min((-d) & (headAlign - 1), n);
            long tail = (n - head) % 4; // the loops store 8/4-byte pieces non-temporally; 0..3 bytes are left
            addLines(lines, d, head);
            addLines(lines, d + n - tail, tail);
        }
        return lines.stream().mapToLong(Long::longValue).toArray();
    }

    private static void addLines(TreeSet<Long> set, long start, long len) {
        if (len == 0) {
            return;
        }
        for (long p = start & -LINE; p < start + len; p += LINE) {
            set.add(p);
        }
    }

    private void sweep(long threshold, int headAlign) {
        assertEquals(0, NativeArch.configure(null, null, threshold, headAlign));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(8192, 64);
            MemorySegment dst = arena.allocate(8192 + 128, 64);
            for (int da = 0; da < 64; da++) {
                for (int n = 0; n <= 300; n++) {
                    long d = dst.address() + 64 + da;
                    long[] got = arch.copyFlushcacheTraced(src, 5, dst, 64 + da, n);
                    long[] sorted = got.clone();
                    Arrays.sort(sorted);
                    assertArrayEquals(cachedLines(d, n, threshold, headAlign), sorted,
                            "dst align " + da + " (address " + Long.toHexString(d) + "), n " + n + ", got " + Arrays.toString(got) + ", threshold " + threshold + ", headAlign " + headAlign);
                    assertEquals(Arrays.stream(got).distinct().count(), got.length, "no line written back twice");
                }
            }
        }
    }

    @Test
    void writtenBackLinesAreExactlyTheCachedOnesWithTheDefaults() {
        sweep(arch.threshold(), arch.headAlign());
    }

    @Test
    void writtenBackLinesAreExactlyTheCachedOnesWithAThresholdAndLineAlignedHeads() {
        sweep(256, 64);
        sweep(64, 16);
    }

    @Test
    void anAlignedFourKibCopyWritesBackNoLine() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4096, 64);
            MemorySegment dst = arena.allocate(4096, 4096);
            assertEquals(0, arch.copyFlushcacheTraced(src, 0, dst, 0, 4096).length);
        }
    }

    @Test
    void anUnalignedCopyWritesBackAtMostTheTwoEdgeLines() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(70_000, 64);
            MemorySegment dst = arena.allocate(70_000, 64);
            // 5 head bytes bring the destination to 8-byte alignment; 65534 = 4 * 16383 + 2 leave a 2-byte tail.
            long[] lines = arch.copyFlushcacheTraced(src, 1, dst, 3, 65_539);
            assertEquals(2, lines.length);
            long first = (dst.address() + 3) & -LINE;
            long last = (dst.address() + 3 + 65_539 - 1) & -LINE;
            assertEquals(first, lines[0]);
            assertEquals(last, lines[1]);
        }
    }

    @Test
    void aCopyUnderTheThresholdWritesBackAllItsLines() {
        assertEquals(0, NativeArch.configure(null, null, 256, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(512, 64);
            MemorySegment dst = arena.allocate(512, 64);
            assertEquals(4, arch.copyFlushcacheTraced(src, 0, dst, 32, 200).length); // 32..232 spans 4 lines
            assertEquals(0, arch.copyFlushcacheTraced(src, 0, dst, 0, 256).length); // at the threshold: streamed
        }
    }
}
