package io.jdax.fsdax;

import io.jdax.arch.Archs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RwsemTest {
    /** Counts the barriers run: native-x86's membarrier(2) (a test dependency, built with gcc in CI). */
    private static final class CountingBarrier implements java.util.function.BooleanSupplier {
        final AtomicInteger runs = new AtomicInteger();

        @Override
        public boolean getAsBoolean() {
            runs.incrementAndGet();
            if (!Archs.current().processBarrier()) {
                throw new AssertionError("no process barrier from " + Archs.current().name()
                        + ": these tests need native-x86's membarrier(2)");
            }
            return true;
        }
    }

    @Test
    void oneThreadKeepsTheBiasAndRunsNoBarrier() {
        CountingBarrier barrier = new CountingBarrier();
        Rwsem rw = new Rwsem(barrier);
        for (int i = 0; i < 10_000; i++) {
            rw.unlock(i % 2 == 0 ? rw.writeLock() : rw.readLock());
        }
        assertFalse(rw.isShared(), "one thread: still biased");
        assertEquals(0, barrier.runs.get());
    }

    @Test
    void aSecondThreadRevokesTheBiasOnceWithOneBarrier() throws Exception {
        CountingBarrier barrier = new CountingBarrier();
        Rwsem rw = new Rwsem(barrier);
        rw.unlock(rw.writeLock());
        Thread other = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 100; i++) {
                rw.unlock(rw.writeLock());
            }
        });
        other.join();
        rw.unlock(rw.writeLock());
        assertTrue(rw.isShared());
        assertEquals(1, barrier.runs.get(), "one revocation, one barrier");
    }

    @Test
    void theRevokerWaitsForTheBiasHolderToLeave() throws Exception {
        Rwsem rw = new Rwsem(new CountingBarrier());
        long held = rw.writeLock(); // this thread: the bias
        CountDownLatch tried = new CountDownLatch(1);
        AtomicInteger inside = new AtomicInteger();
        Thread other = Thread.ofPlatform().start(() -> {
            tried.countDown();
            long s = rw.writeLock();
            inside.incrementAndGet();
            rw.unlock(s);
        });
        tried.await();
        Thread.sleep(100);
        assertEquals(0, inside.get(), "the second thread got in while the bias holder was inside");
        rw.unlock(held);
        other.join(10_000);
        assertEquals(1, inside.get());
    }

    @Test
    void writersExcludeEachOtherAcrossTheRevocation() throws Exception {
        for (int round = 0; round < 50; round++) {
            Rwsem rw = new Rwsem(new CountingBarrier());
            int[] counter = {0};
            int threads = 4;
            int each = 2_000;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (int i = 0; i < each; i++) {
                        long s = rw.writeLock();
                        counter[0]++; // a plain increment: lost ones show two threads inside
                        rw.unlock(s);
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            long s = rw.readLock();
            try {
                assertEquals(threads * each, counter[0], "round " + round);
            } finally {
                rw.unlock(s);
            }
        }
    }

    @Test
    void aVirtualThreadNeverTakesTheBias() throws Exception {
        CountingBarrier barrier = new CountingBarrier();
        Rwsem rw = new Rwsem(barrier);
        Thread.ofVirtual().start(() -> rw.unlock(rw.writeLock())).join();
        assertTrue(rw.isShared());
        assertEquals(0, barrier.runs.get(), "nobody held the bias: no barrier needed");
    }

    @Test
    void withoutAProcessBarrierThereIsNoBias() {
        Rwsem rw = new Rwsem(null);
        assertTrue(rw.isShared());
        rw.unlock(rw.writeLock());
        assertTrue(rw.isShared());
    }
}
