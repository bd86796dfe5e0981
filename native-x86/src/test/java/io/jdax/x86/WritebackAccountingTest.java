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

    /**
     * The lines of [d, d + n) that get cached stores, from the rule NATIVE-NOTES.md states: below
     * the threshold all of them; otherwise a cached head {@code h = min(n, -d mod A')} (adaptive:
     * to the line end when d is not 8-aligned, else none) and, when the rest does not end on a
     * 4-byte piece, the whole last partial line.
     */
    private static long[] cachedLines(long d, long n, long threshold, int headAlign) {
        TreeSet<Long> lines = new TreeSet<>();
        if (n < threshold) {
            addLines(lines, d, n);
        } else {
            int a = headAlign != 1 ? headAlign : (d % 8 != 0 ? LINE : 8);
            long head = Math.min((-d) & (a - 1), n);
            long rest = n - head;
            long tail = rest % 4 == 0 ? 0 : Math.min(rest, (d + n) % LINE);
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
        sweep(0, 8);
        sweep(0, 1);
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
            // The head is cached up to the line end (the destination is not 8-aligned); 2 bytes are left
            // over past the last 4-byte piece, so the last partial line is cached too.
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
