package io.jdax.fsdax;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link IomapStats}' per-thread cells: each thread adds to its own cell with opaque stores (no
 * atomic instruction), readers sum the cells under the lock. Two actors, not three: jcstress
 * schedules an actor per CPU and never runs a test with more actors than the machine has CPUs
 * (2 here), so the concurrent reader is an actor of its own in {@link ReaderNeverAheadOfTheAdds}
 * and the adders read too in {@link TwoAddersTheLaterSumSeesBoth}.
 */
public final class IomapStatsCountsAreExact {
    private IomapStatsCountsAreExact() {
    }

    @JCStressTest
    @Description("Two threads register their cells and add 1 and 2 while each sums right after its add; "
            + "the arbiter then sums. A sum never loses its own add, the later sum (the lock orders it "
            + "after the other's add) sees both, and the total is exact.")
    @Outcome(id = {"1, 3, 3", "3, 2, 3"}, expect = ACCEPTABLE, desc = "one sum ran before the other's add")
    @Outcome(id = "3, 3, 3", expect = ACCEPTABLE, desc = "both sums after both adds")
    @Outcome(id = "1, 2, 3", expect = FORBIDDEN, desc = "both sums missed the other's add")
    @Outcome(expect = FORBIDDEN, desc = "an add lost or a count invented")
    @State
    public static class TwoAddersTheLaterSumSeesBoth {
        final IomapStats stats = new IomapStats();

        @Actor
        public void adder1(III_Result r) {
            stats.cell().add(IomapStats.IOS, 1);
            r.r1 = (int) stats.ios();
        }

        @Actor
        public void adder2(III_Result r) {
            stats.cell().add(IomapStats.IOS, 2);
            r.r2 = (int) stats.ios();
        }

        @Arbiter
        public void total(III_Result r) {
            r.r3 = (int) stats.ios();
        }
    }

    @JCStressTest
    @Description("One thread adds 1 then 2 to its cell; another sums twice meanwhile; the arbiter sums. "
            + "A sum is only ever 0, 1 or 3 (never above what was added, never a torn value), the "
            + "second sum never below the first, and the total is exact.")
    @Outcome(id = {"0, 0, 3", "0, 1, 3", "0, 3, 3", "1, 1, 3", "1, 3, 3", "3, 3, 3"}, expect = ACCEPTABLE,
            desc = "the sums saw a prefix of the adds, in order")
    @Outcome(expect = FORBIDDEN, desc = "a sum above what was added, going backwards, or a wrong total")
    @State
    public static class ReaderNeverAheadOfTheAdds {
        final IomapStats stats = new IomapStats();

        @Actor
        public void adder() {
            IomapStats.Cell c = stats.cell();
            c.add(IomapStats.IOS, 1);
            c.add(IomapStats.IOS, 2);
        }

        @Actor
        public void reader(III_Result r) {
            r.r1 = (int) stats.ios();
            r.r2 = (int) stats.ios();
        }

        @Arbiter
        public void total(III_Result r) {
            r.r3 = (int) stats.ios();
        }
    }
}
