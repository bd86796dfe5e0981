package io.jdax.stress;

import io.jdax.dax.DaxDevice;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The device read side's Dekker pair (DESIGN.md C11, NATIVE-NOTES.md "The process barrier for
 * device read sides"): a reader's {@code readLock()} stores its count then loads the dead flag;
 * {@code close()} stores the flag, runs the process barrier, then loads the counts. Whatever the
 * interleaving, a reader that got in must be seen by close: "entered, saw none" would let close
 * release memory under a reader.
 * <p>
 * Driven through {@link DaxDevice}'s public API rather than the package-private {@code ReadSide}:
 * {@code readLock()} and {@code close()} are exactly {@code enter} and {@code kill}, the device
 * wires the Arch's barrier in as production does, and each actor is one call. A close timeout of
 * zero makes close's first look its answer (EBUSY: it saw the reader). The reader has stores
 * pending when it enters ({@link ReadSides.PendingStores}), and for about half the states its
 * thread is registered already ({@link ReadSides#warm}), so its entry is the bare store and load.
 * <p>
 * Each variant is its own test: {@link Fenced} (no barrier: readers fence on entry),
 * {@link Membarrier} (native-x86's membarrier(2), readers take no fence), and
 * {@link BrokenNoBarrier}, which claims a barrier and runs none: the forbidden outcome is expected
 * there, so the default run leaves it out (JcstressIT, docs/STRESS.md).
 */
public final class ReadSideKillerSeesEveryEnteredReader {
    private ReadSideKillerSeesEveryEnteredReader() {
    }

    @JCStressTest
    @Description("Readers fence on entry (the Arch has no process barrier): close sees every reader that got in.")
    @Outcome(id = "entered, saw reader", expect = ACCEPTABLE, desc = "close saw the reader: it would wait for it")
    @Outcome(id = "refused, saw none", expect = ACCEPTABLE, desc = "the reader saw the dead flag and backed out")
    @Outcome(id = "refused, saw reader", expect = ACCEPTABLE, desc = "each saw the other: the reader backs out, close waits")
    @Outcome(id = "entered, saw none", expect = FORBIDDEN, desc = "a reader inside that close missed")
    @State
    public static class Fenced {
        final ReadSides.PendingStores pending = new ReadSides.PendingStores();
        final DaxDevice device = ReadSides.device(ReadSides.withBarrier(() -> false));

        public Fenced() {
            ReadSides.warm(device);
            if (!device.readSideFenced()) {
                throw new IllegalStateException("expected a fenced read side");
            }
        }

        @Actor
        public void reader(LL_Result r) {
            pending.store();
            r.r1 = ReadSides.enter(device);
        }

        @Actor
        public void killer(LL_Result r) {
            pending.load();
            r.r2 = ReadSides.kill(device);
        }
    }

    @JCStressTest
    @Description("Readers take no fence; close runs membarrier(2) through native-x86: close sees every reader that got in.")
    @Outcome(id = "entered, saw reader", expect = ACCEPTABLE, desc = "close saw the reader: it would wait for it")
    @Outcome(id = "refused, saw none", expect = ACCEPTABLE, desc = "the reader saw the dead flag and backed out")
    @Outcome(id = "refused, saw reader", expect = ACCEPTABLE, desc = "each saw the other: the reader backs out, close waits")
    @Outcome(id = "entered, saw none", expect = FORBIDDEN, desc = "a reader inside that close missed")
    @State
    public static class Membarrier {
        final ReadSides.PendingStores pending = new ReadSides.PendingStores();
        final DaxDevice device = ReadSides.device(ReadSides.membarrier());

        public Membarrier() {
            ReadSides.warm(device);
            if (device.readSideFenced()) {
                throw new IllegalStateException("expected an unfenced read side (membarrier)");
            }
        }

        @Actor
        public void reader(LL_Result r) {
            pending.store();
            r.r1 = ReadSides.enter(device);
        }

        @Actor
        public void killer(LL_Result r) {
            pending.load();
            r.r2 = ReadSides.kill(device);
        }
    }

    @JCStressTest
    @Description("BROKEN on purpose: readers take no fence and close's barrier does nothing. The store->load "
            + "reordering x86 allows shows up as the forbidden outcome; proof that the test can fail.")
    @Outcome(id = "entered, saw reader", expect = ACCEPTABLE, desc = "close saw the reader: it would wait for it")
    @Outcome(id = "refused, saw none", expect = ACCEPTABLE, desc = "the reader saw the dead flag and backed out")
    @Outcome(id = "refused, saw reader", expect = ACCEPTABLE, desc = "each saw the other: the reader backs out, close waits")
    @Outcome(id = "entered, saw none", expect = FORBIDDEN, desc = "a reader inside that close missed (no barrier)")
    @State
    public static class BrokenNoBarrier {
        final ReadSides.PendingStores pending = new ReadSides.PendingStores();
        final DaxDevice device = ReadSides.device(ReadSides.withBarrier(() -> true));

        public BrokenNoBarrier() {
            ReadSides.warm(device);
            if (device.readSideFenced()) {
                throw new IllegalStateException("expected an unfenced read side");
            }
        }

        @Actor
        public void reader(LL_Result r) {
            pending.store();
            r.r1 = ReadSides.enter(device);
        }

        @Actor
        public void killer(LL_Result r) {
            pending.load();
            r.r2 = ReadSides.kill(device);
        }
    }
}
