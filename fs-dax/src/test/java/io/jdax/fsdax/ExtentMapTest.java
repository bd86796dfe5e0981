package io.jdax.fsdax;

import io.jdax.fsdax.ExtentMap.Extent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extent map against its contract: runs merge with the neighbours they continue, ranges split
 * the extents at both edges, written and unwritten never merge, and, for random changes, every
 * answer agrees with a plain per-block array while the extents stay exactly the maximal runs.
 */
class ExtentMapTest {

    private static List<Extent> all(ExtentMap m) {
        List<Extent> out = new ArrayList<>();
        m.forEach(out::add);
        return out;
    }

    @Test
    void aRunThatContinuesBothNeighboursInFileAndDeviceMergesWithBoth() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 4, false);
        m.set(8, 108, 2, false);
        m.set(4, 104, 4, false);
        assertEquals(List.of(new Extent(0, 100, 10, false)), all(m));
        assertEquals(10, m.blockCount());
        assertSame(m.lookup(0), m.lookup(9), "one extent answers every block of the run");
    }

    @Test
    void runsTouchingInTheFileButNotOnTheDeviceStaySeparate() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 4, false);
        m.set(4, 200, 4, false); // next in the file, elsewhere on the device
        m.set(10, 208, 2, false); // next on the device, a hole away in the file
        assertEquals(List.of(new Extent(0, 100, 4, false), new Extent(4, 200, 4, false), new Extent(10, 208, 2, false)),
                all(m));
    }

    @Test
    void writtenAndUnwrittenNeverMerge() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 4, true);
        m.set(4, 104, 4, false);
        m.set(8, 108, 4, true);
        assertEquals(3, m.size());
        assertTrue(m.lookup(3).unwritten());
        assertFalse(m.lookup(4).unwritten());
        assertTrue(m.lookup(8).unwritten());
    }

    @Test
    void clearingTheMiddleSplitsAtBothEndsAndReturnsWhatItHeld() {
        ExtentMap m = new ExtentMap();
        m.set(10, 500, 20, true);
        assertEquals(List.of(new Extent(14, 504, 6, true)), m.clear(14, 20));
        assertEquals(List.of(new Extent(10, 500, 4, true), new Extent(20, 510, 10, true)), all(m));
        assertEquals(14, m.blockCount());
        assertNull(m.lookup(17));
        assertEquals(new Extent(20, 510, 10, true), m.ceiling(14), "the hole at 14 ends at 20");
    }

    @Test
    void clearingAcrossSeveralExtentsCutsTheFirstAndLastAndDropsTheOnesBetween() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 5, false);
        m.set(5, 300, 5, true);
        m.set(12, 400, 5, false);
        assertEquals(List.of(new Extent(3, 103, 2, false), new Extent(5, 300, 5, true), new Extent(12, 400, 2, false)),
                m.clear(3, 14));
        assertEquals(List.of(new Extent(0, 100, 3, false), new Extent(14, 402, 3, false)), all(m));
        assertEquals(List.of(), m.clear(3, 14), "clearing holes takes nothing");
        assertEquals(6, m.blockCount());
    }

    @Test
    void markingWrittenMergesWithWrittenNeighboursAndLeavesHoles() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 4, false);
        m.set(4, 104, 4, true);
        m.set(8, 108, 4, false);
        m.set(14, 114, 2, true);
        m.markWritten(2, 15);
        assertEquals(List.of(new Extent(0, 100, 12, false), new Extent(14, 114, 1, false), new Extent(15, 115, 1, true)),
                all(m));
        assertNull(m.lookup(12), "a hole stays a hole");
        assertEquals(14, m.blockCount());
    }

    @Test
    void settingAMappedRangeReplacesWhatItHeld() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 10, true);
        m.set(3, 900, 2, false);
        assertEquals(List.of(new Extent(0, 100, 3, true), new Extent(3, 900, 2, false), new Extent(5, 105, 5, true)),
                all(m));
        assertEquals(10, m.blockCount());
        m.set(3, 103, 2, true); // back where it was: one extent again
        assertEquals(List.of(new Extent(0, 100, 10, true)), all(m));
    }

    @Test
    void piecesCutTheExtentsAtTheRangeAndMappedCountsThem() {
        ExtentMap m = new ExtentMap();
        m.set(0, 100, 10, false);
        m.set(20, 50, 10, true);
        assertEquals(List.of(new Extent(5, 105, 5, false), new Extent(20, 50, 3, true)), m.pieces(5, 23));
        assertEquals(8, m.mapped(5, 23));
        assertEquals(0, m.mapped(10, 20));
        assertEquals(List.of(), m.pieces(7, 7));
        assertNull(m.ceiling(30), "nothing from 30 on");
        assertNull(m.lookup(-1));
    }

    @Test
    void theIteratorCannotChangeTheMap() {
        ExtentMap m = new ExtentMap();
        m.set(0, 1, 1, false);
        Iterator<Extent> it = m.iterator();
        it.next();
        assertThrows(UnsupportedOperationException.class, it::remove);
        assertEquals(1, m.size());
    }

    @Test
    void badRunsAreRefused() {
        ExtentMap m = new ExtentMap();
        assertThrows(IllegalArgumentException.class, () -> m.set(-1, 0, 1, false));
        assertThrows(IllegalArgumentException.class, () -> m.set(0, -1, 1, false));
        assertThrows(IllegalArgumentException.class, () -> m.set(0, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> m.set(Long.MAX_VALUE, 0, 1, false));
        assertThrows(IllegalArgumentException.class, () -> m.clear(-1, 5));
        assertTrue(m.isEmpty());
        m.set(Long.MAX_VALUE - 2, 7, 2, false); // the last blocks there are
        assertEquals(List.of(new Extent(Long.MAX_VALUE - 2, 7, 2, false)), m.clear(0, Long.MAX_VALUE));
        assertEquals(0, m.blockCount());
    }

    // ---- the model: one slot per file block, -1 for a hole

    private static final int BLOCKS = 64;
    private static final long UNWRITTEN = 1L << 40;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 60);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomChangesAgreeWithAPerBlockArrayAndKeepTheRunsMaximal(long seed) {
        Random rnd = new Random(seed);
        ExtentMap m = new ExtentMap();
        long[] model = new long[BLOCKS];
        Arrays.fill(model, -1);
        for (int step = 0; step < 300; step++) {
            int first = rnd.nextInt(BLOCKS);
            int last = Math.min(BLOCKS, first + 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : BLOCKS - first));
            String what;
            switch (rnd.nextInt(4)) {
                case 0, 1 -> {
                    // Device blocks near the neighbours' half the time, so runs meet and merge.
                    long dev = rnd.nextBoolean() ? 1000 + first : rnd.nextInt(3 * BLOCKS);
                    boolean unwritten = rnd.nextInt(3) == 0;
                    m.set(first, dev, last - first, unwritten);
                    for (int b = first; b < last; b++) {
                        model[b] = (dev + b - first) | (unwritten ? UNWRITTEN : 0);
                    }
                    what = "set [" + first + ", " + last + ") at " + dev + (unwritten ? " unwritten" : "");
                }
                case 2 -> {
                    List<Extent> taken = m.clear(first, last);
                    what = "clear [" + first + ", " + last + ")";
                    assertEquals(runs(model, first, last), taken, "step " + step + ": " + what + " returns what it held");
                    Arrays.fill(model, first, last, -1);
                }
                default -> {
                    m.markWritten(first, last);
                    for (int b = first; b < last; b++) {
                        model[b] = model[b] < 0 ? -1 : model[b] & ~UNWRITTEN;
                    }
                    what = "mark written [" + first + ", " + last + ")";
                }
            }
            check(m, model, rnd, "step " + step + " (" + what + ")");
        }
    }

    /** Every answer of the map against the model, after a change. */
    private static void check(ExtentMap m, long[] model, Random rnd, String where) {
        assertEquals(runs(model, 0, BLOCKS), all(m), where + ": the extents are the model's maximal runs");
        assertEquals(Arrays.stream(model).filter(v -> v >= 0).count(), m.blockCount(), where + ": blocks");
        assertEquals(all(m).size(), m.size(), where + ": size");
        for (int b = 0; b < BLOCKS; b++) {
            Extent e = m.lookup(b);
            if (model[b] < 0) {
                assertNull(e, where + ": block " + b + " is a hole");
                int next = b;
                while (next < BLOCKS && model[next] < 0) {
                    next++;
                }
                Extent c = m.ceiling(b);
                assertEquals(next == BLOCKS ? -1 : next, c == null ? -1 : c.start(), where + ": the hole at " + b + " ends");
            } else {
                assertTrue(e != null && e.contains(b), where + ": block " + b + " is in " + e);
                assertEquals(model[b], e.devOf(b) | (e.unwritten() ? UNWRITTEN : 0), where + ": block " + b);
                assertSame(e, m.ceiling(b));
            }
        }
        int first = rnd.nextInt(BLOCKS);
        int last = first + rnd.nextInt(BLOCKS - first + 1);
        assertEquals(runs(model, first, last), m.pieces(first, last), where + ": pieces of [" + first + ", " + last + ")");
        assertEquals(Arrays.stream(model, first, last).filter(v -> v >= 0).count(), m.mapped(first, last),
                where + ": mapped in [" + first + ", " + last + ")");
    }

    /** The maximal runs of the model inside {@code [first, last)}. */
    private static List<Extent> runs(long[] model, int first, int last) {
        List<Extent> out = new ArrayList<>();
        int b = first;
        while (b < last) {
            if (model[b] < 0) {
                b++;
                continue;
            }
            int s = b;
            while (b + 1 < last && model[b + 1] == model[b] + 1) { // +1 keeps the state bit: same state, next device block
                b++;
            }
            b++;
            out.add(new Extent(s, model[s] & ~UNWRITTEN, b - s, (model[s] & UNWRITTEN) != 0));
        }
        return out;
    }
}
