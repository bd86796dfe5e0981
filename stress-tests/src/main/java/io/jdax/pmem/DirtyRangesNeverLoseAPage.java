package io.jdax.pmem;

import io.jdax.dax.DaxDevice;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link DirtyRanges}, what a page-cache device's {@code flush()} msyncs: a page marked dirty is
 * either in what a concurrent {@code drain()} returned or still dirty after it, never lost, never
 * twice; marks racing each other merge into one run.
 */
public final class DirtyRangesNeverLoseAPage {
    private static final long PAGE = DaxDevice.PAGE_SIZE;

    private DirtyRangesNeverLoseAPage() {
    }

    /**
     * The pages of {@code runs} as a bit mask (page p is bit p); -1 when a page is in two runs, -2
     * when runs are out of order or touch (they should have merged).
     */
    static int mask(List<DirtyRanges.Run> runs) {
        int m = 0;
        long lastEnd = -1;
        for (DirtyRanges.Run run : runs) {
            if (run.firstPage() <= lastEnd) {
                return -2;
            }
            for (long p = run.firstPage(); p < run.endPage(); p++) {
                if ((m & (1 << p)) != 0) {
                    return -1;
                }
                m |= 1 << p;
            }
            lastEnd = run.endPage();
        }
        return m;
    }

    @JCStressTest
    @Description("Page 0 is dirty; one thread marks page 1 (it merges into page 0's run) while another drains. "
            + "Outcome: the drain's pages (bit mask), the dirty page count after both, the pages a second drain gets.")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "drain first took page 0; page 1 stayed dirty for the next")
    @Outcome(id = "3, 0, 0", expect = ACCEPTABLE, desc = "mark first: the drain took the merged run [0, 2)")
    @Outcome(expect = FORBIDDEN, desc = "a page lost, drained twice, or counted wrong")
    @State
    public static class MarkRacingDrain {
        final DirtyRanges dirty = new DirtyRanges();

        public MarkRacingDrain() {
            dirty.mark(0, PAGE);
        }

        @Actor
        public void writer() {
            dirty.mark(PAGE, PAGE);
        }

        @Actor
        public void flusher(III_Result r) {
            r.r1 = mask(dirty.drain());
        }

        @Arbiter
        public void nextFlush(III_Result r) {
            r.r2 = (int) dirty.pages();
            r.r3 = mask(dirty.drain());
        }
    }

    @JCStressTest
    @Description("Page 4 is dirty; one thread marks pages [0, 2), another bytes 4196..16383 (pages [1, 4)): "
            + "overlapping and adjacent, in either order they merge into the one run [0, 5). "
            + "Outcome: the runs drained, their pages (bit mask), the dirty page count before the drain.")
    @Outcome(id = "1, 31, 5", expect = ACCEPTABLE, desc = "one run [0, 5), five pages")
    @Outcome(expect = FORBIDDEN, desc = "a page lost, runs left unmerged or overlapping, or a wrong count")
    @State
    public static class RacingMarksMerge {
        final DirtyRanges dirty = new DirtyRanges();

        public RacingMarksMerge() {
            dirty.mark(4 * PAGE, PAGE);
        }

        @Actor
        public void writer1() {
            dirty.mark(0, 2 * PAGE);
        }

        @Actor
        public void writer2() {
            dirty.mark(PAGE + 100, 3 * PAGE - 100);
        }

        @Arbiter
        public void flush(III_Result r) {
            int pages = (int) dirty.pages();
            List<DirtyRanges.Run> runs = dirty.drain();
            r.r1 = runs.size();
            r.r2 = mask(runs);
            r.r3 = pages;
        }
    }
}
