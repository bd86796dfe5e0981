package io.jdax.pmem;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirtyRangesTest {

    @Property(tries = 1000)
    void drainGivesSortedDisjointRunsCoveringExactlyTheMarkedPages(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 200_000) Integer> offsets,
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 30_000) Integer> lengths) {
        DirtyRanges dirty = new DirtyRanges();
        BitSet model = new BitSet();
        for (int i = 0; i < Math.min(offsets.size(), lengths.size()); i++) {
            long off = offsets.get(i);
            long len = lengths.get(i);
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
}
