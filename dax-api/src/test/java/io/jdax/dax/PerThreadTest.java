package io.jdax.dax;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PerThreadTest {

    /** A value that remembers who made it. */
    private record Owned(Thread maker, long[] count) {
        Owned() {
            this(Thread.currentThread(), new long[1]);
        }
    }

    @Test
    void eachThreadGetsItsOwnValueAndTheSameOneEveryTime() throws Exception {
        PerThread<Owned> values = new PerThread<>(Owned::new, v -> true, v -> { });
        Owned mine = values.get();
        assertSame(mine, values.get());
        assertSame(Thread.currentThread(), mine.maker());
        int threads = 40; // past the first table's half: the table grows while they hold values
        CountDownLatch allHave = new CountDownLatch(threads);
        CountDownLatch done = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        Map<Owned, Thread> seen = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
        AtomicInteger wrong = new AtomicInteger();
        for (int i = 0; i < threads; i++) {
            Thread t = Thread.ofPlatform().start(() -> {
                Owned v = values.get();
                seen.put(v, Thread.currentThread());
                allHave.countDown();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // after every other thread registered (and the table was replaced), still its own
                if (values.get() != v || v.maker() != Thread.currentThread()) {
                    wrong.incrementAndGet();
                }
            });
            started.add(t);
        }
        allHave.await();
        assertEquals(threads + 1, values.size());
        List<Owned> all = new ArrayList<>();
        values.forEach(all::add);
        assertEquals(threads + 1, all.size());
        assertEquals(threads, seen.size(), "every thread made a value of its own");
        done.countDown();
        for (Thread t : started) {
            t.join();
        }
        assertEquals(0, wrong.get());
        assertSame(mine, values.get());
        assertNotSame(mine, all.stream().filter(v -> v.maker() != Thread.currentThread()).findFirst().orElseThrow());
    }

    @Test
    void valuesOfEndedThreadsAreRetiredOnceAndTheTableStaysSmall() throws Exception {
        AtomicLong retiredSum = new AtomicLong();
        AtomicInteger retiredCount = new AtomicInteger();
        PerThread<Owned> values = new PerThread<>(Owned::new, v -> true, v -> {
            retiredSum.addAndGet(v.count()[0]);
            retiredCount.incrementAndGet();
        });
        int threads = 2000;
        for (int i = 0; i < threads; i++) {
            Thread t = Thread.ofVirtual().start(() -> values.get().count()[0] += 3);
            t.join();
        }
        long[] inTable = {0};
        values.forEach(v -> inTable[0] += v.count()[0]);
        assertEquals(3L * threads, retiredSum.get() + inTable[0], "every count is in the table or retired, once");
        assertEquals(threads, retiredCount.get() + values.size());
        assertTrue(values.size() <= 64, "values of ended threads are dropped: " + values.size() + " held");
    }

    @Test
    void aValueThatIsNotIdleIsKeptAfterItsThreadEnds() throws Exception {
        PerThread<Owned> values = new PerThread<>(Owned::new, v -> v.count()[0] == 0, v -> { });
        Thread holder = Thread.ofPlatform().start(() -> values.get().count()[0] = 1); // ends "holding"
        holder.join();
        for (int i = 0; i < 200; i++) {
            Thread.ofVirtual().start(values::get).join();
        }
        List<Owned> kept = new ArrayList<>();
        values.forEach(v -> {
            if (v.maker() == holder) {
                kept.add(v);
            }
        });
        assertEquals(1, kept.size(), "the ended thread's busy value stays in the table");
    }
}
