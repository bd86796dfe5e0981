package io.jdax.stress;

import io.jdax.fsdax.Rwsem;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * fs-dax's biased {@link Rwsem}: the bias holder enters with a plain store (busy) and a load (was
 * the bias revoked?); a second thread revokes (store the flag, process barrier, wait until not
 * busy), then both go through the lock. Two actors each increment a plain counter under
 * {@code writeLock()}: both reading 0 means both were inside at once.
 * <p>
 * The state takes the lock once where jcstress builds it (one of the actors' threads), so that
 * thread holds the bias before the race and its entry is the bare store and load; the other actor
 * revokes. The holder enters with stores pending ({@link ReadSides.PendingStores}), as a thread
 * that was just writing does. {@link BrokenNoBarrier} claims a barrier and runs none: the default
 * run leaves it out (JcstressIT, docs/STRESS.md).
 */
public final class RwsemExcludes {
    private RwsemExcludes() {
    }

    /** Takes the write lock, reads and increments the counter, releases; returns what it read. */
    static int increment(Rwsem rw, int[] counter) {
        long stamp = rw.writeLock();
        try {
            int v = counter[0];
            counter[0] = v + 1;
            return v;
        } finally {
            rw.unlock(stamp);
        }
    }

    @JCStressTest
    @Description("The bias holder against a revoker, with membarrier(2) through native-x86: never both inside.")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one after the other")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "both inside at once")
    @Outcome(expect = FORBIDDEN, desc = "a lost or invented increment")
    @State
    public static class Membarrier {
        final ReadSides.PendingStores pending = new ReadSides.PendingStores();
        final Rwsem rw = new Rwsem(ReadSides.membarrier()::processBarrier);
        final int[] counter = new int[1];

        public Membarrier() {
            rw.unlock(rw.writeLock()); // this thread takes the bias
        }

        @Actor
        public void a(II_Result r) {
            pending.store();
            r.r1 = increment(rw, counter);
        }

        @Actor
        public void b(II_Result r) {
            pending.load();
            r.r2 = increment(rw, counter);
        }
    }

    @JCStressTest
    @Description("BROKEN on purpose: the revoker's barrier does nothing, so the holder's busy store may "
            + "still sit in its store buffer when the revoker looks; proof that the test can fail.")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one after the other")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "both inside at once (no barrier)")
    @Outcome(expect = FORBIDDEN, desc = "a lost or invented increment")
    @State
    public static class BrokenNoBarrier {
        final ReadSides.PendingStores pending = new ReadSides.PendingStores();
        final Rwsem rw = new Rwsem(() -> true);
        final int[] counter = new int[1];

        public BrokenNoBarrier() {
            rw.unlock(rw.writeLock());
        }

        @Actor
        public void a(II_Result r) {
            pending.store();
            r.r1 = increment(rw, counter);
        }

        @Actor
        public void b(II_Result r) {
            pending.load();
            r.r2 = increment(rw, counter);
        }
    }
}
