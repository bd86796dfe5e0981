package io.jdax.pmem;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DirtyRanges against a plain model, a bit per page. Each case is generated from its seed (shown
 * in the test name), so a failure reproduces exactly.
 */
class DirtyRangesTest {

    static LongStream seeds() {
        return LongStream.range(0, 300);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void drainGivesSortedDisjointRunsCoveringExactlyTheMarkedPages(long seed) {
        Random rnd = new Random(seed);
        DirtyRanges dirty = new DirtyRanges();
        BitSet model = new BitSet();
        // Few pages and many marks: overlaps, adjacent runs, rewrites and empty marks all occur.
        int span = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 4096);
        for (int i = rnd.nextInt(40); i > 0; i--) {
            long off = rnd.nextInt(span * 4096);
            long len = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 30_000);
            dirty.mark(off, len);
            if (len > 0) {
                model.set((int) (off / 4096), (int) ((off + len - 1) / 4096) + 1);
            }
        }
        assertEquals(model.cardinality(), dirty.pages());
        List<DirtyRanges.Run> runs = dirty.drain();
        BitSet got = new BitSet();
        long lastEnd = -2;
        for (DirtyRanges.Run r : runs) {
            assertTrue(r.firstPage() > lastEnd, "runs are sorted, disjoint and not adjacent: " + runs);
            assertTrue(r.endPage() > r.firstPage());
            got.set((int) r.firstPage(), (int) r.endPage());
            lastEnd = r.endPage();
        }
        assertEquals(model, got);
        assertEquals(0, dirty.pages());
        assertEquals(List.of(), dirty.drain());
    }

    @Test
    void adjacentAndOverlappingMarksMergeAndPagesAreCountedOnce() {
        DirtyRanges dirty = new DirtyRanges();
        dirty.mark(4096 * 10, 4096);      // page 10
        dirty.mark(4096 * 12, 1);         // page 12
        dirty.mark(4096 * 11 + 5, 10);    // page 11 joins them
        dirty.mark(4096 * 10, 3 * 4096);  // already dirty
        dirty.mark(4096 * 20 - 1, 2);     // pages 19 and 20
        assertEquals(5, dirty.pages());
        assertEquals(List.of(new DirtyRanges.Run(10, 13), new DirtyRanges.Run(19, 21)), dirty.drain());
    }
}
