package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C8: closing a device while other threads read and write it. Every call either completes or
 * fails with a DaxException (ENXIO once closed); the mapping is released only when nothing is
 * inside the device, so no thread ever touches unmapped memory (which would be SIGSEGV/SIGBUS and
 * end the test JVM).
 */
class CloseDuringIoTest {
    private static final long MIB = 1L << 20;

    /** A page-cache file, device DAX over a file with the model Arch, or with the JVM's own (native-x86: JNI copies). */
    private static PmemDevice open(Fixture fx, String kind) {
        if (kind.startsWith("devdax")) {
            fx.devDax("dax0.0", 8 * MIB, 2 * MIB, 0, 0, null);
            Arch arch = kind.equals("devdax-current") ? Archs.current() : new ModelArch();
            return fx.openDevDax("pmem:" + fx.dir.resolve("dax0.0")
                    + (arch.hasCacheWriteback() ? "" : "?mode=volatile"), arch);
        }
        return fx.open(fx.spec("stress", "size=8M&create=true"), new PortableArch());
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "devdax", "devdax-current"})
    void closingDuringIoEndsEveryCallCleanly(String kind) throws Exception {
        Random timing = new Random(kind.hashCode());
        for (int round = 0; round < 8; round++) {
            try (Fixture fx = new Fixture()) {
                PmemDevice d = open(fx, kind);
                int threads = 4;
                List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger sawEnxio = new AtomicInteger();
                AtomicLong completed = new AtomicLong();
                CountDownLatch running = new CountDownLatch(threads);
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    pool.submit(() -> {
                        try (Arena arena = Arena.ofConfined()) {
                            worker(d, id, arena, running, completed, sawEnxio, unexpected);
                        }
                    });
                }
                running.await();
                Thread.sleep(2 + timing.nextInt(20));
                d.close();
                pool.shutdown();
                assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS), "every worker came to an end");
                assertEquals(List.of(), unexpected, "only DaxExceptions, and only ENXIO");
                assertEquals(threads, sawEnxio.get(), "every worker was told the device is closed");
                assertTrue(completed.get() > 0, "work was done before the close");
                assertFalse(d.isAlive());
            }
        }
    }

    private static void worker(PmemDevice d, int id, Arena arena, CountDownLatch running, AtomicLong completed,
                               AtomicInteger sawEnxio, List<Throwable> unexpected) {
        DaxDevice ops = d;
        Random rnd = new Random(id);
        MemorySegment src = arena.allocate(8192, 64);
        byte[] heap = new byte[8192];
        boolean first = true;
        while (true) {
            try {
                long pg = rnd.nextInt((int) d.nrPages() - 4);
                if (id % 2 == 0) {
                    // The way to use directAccess memory: under a read lock.
                    try (DaxReadLock lock = d.readLock()) {
                        DirectAccess da = ops.directAccess(pg, 4, DaxAccessMode.WRITE);
                        ops.copyFromIter(pg * 4096L, 8192,
                                id == 0 ? IovIter.ubuf(IovIter.Direction.SOURCE, src) : IovIter.kvec(IovIter.Direction.SOURCE, heap));
                        da.addr().set(ValueLayout.JAVA_LONG, 8, pg);
                        ops.copyToIter(pg * 4096L, 8192, IovIter.kvec(IovIter.Direction.DEST, heap));
                    }
                } else {
                    // Operations alone, no lock: each one holds the device open itself.
                    ops.zeroPageRange(pg, 2);
                    ops.directAccess(pg, 2, DaxAccessMode.READ);
                    ops.copyToIter(pg * 4096L, 100, IovIter.kvec(IovIter.Direction.DEST, heap));
                    ops.flush();
                }
                completed.incrementAndGet();
            } catch (DaxException e) {
                if (e.errno() == Errno.ENXIO) {
                    sawEnxio.incrementAndGet();
                } else {
                    unexpected.add(e);
                }
                return;
            } catch (Throwable e) {
                unexpected.add(e);
                return;
            } finally {
                if (first) {
                    first = false;
                    running.countDown();
                }
            }
        }
    }

    @Test
    void closeFromTheThreadHoldingTheReadLockIsEbusyAtOnceNotADeadlock() {
        try (Fixture fx = new Fixture(Duration.ofSeconds(30))) {
            PmemDevice d = fx.open(fx.spec("self", "size=1M&create=true"), new PortableArch());
            long start = System.nanoTime();
            try (DaxReadLock lock = d.readLock()) {
                DaxException e = assertThrows(DaxException.class, d::close);
                assertEquals(Errno.EBUSY, e.errno());
                assertTrue(e.getMessage().contains("holds its read lock"), e.getMessage());
            }
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "no wait for the timeout");
            d.close(); // released: now it closes
            assertFalse(d.isAlive());
        }
    }

    @Test
    void closeWaitsForAReadLockAndIsEbusyIfItIsNeverReleased() throws Exception {
        try (Fixture fx = new Fixture(Duration.ofMillis(200))) {
            PmemDevice d = fx.open(fx.spec("held", "size=1M&create=true"), new PortableArch());
            // A lock is taken and released in one thread: a holder thread keeps one until told.
            CountDownLatch taken = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            MemorySegment[] memory = new MemorySegment[1];
            Thread holder = new Thread(() -> {
                try (DaxReadLock lock = d.readLock()) {
                    memory[0] = d.directAccess(0, 1, DaxAccessMode.WRITE).addr();
                    taken.countDown();
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holder.start();
            taken.await();
            MemorySegment held = memory[0];
            DaxException busy = assertThrows(DaxException.class, d::close);
            assertEquals(Errno.EBUSY, busy.errno());
            assertFalse(d.isAlive(), "closed to new operations");
            assertEquals(Errno.ENXIO, assertThrows(DaxException.class,
                    () -> d.directAccess(0, 1, DaxAccessMode.READ)).errno());
            held.set(ValueLayout.JAVA_INT, 0, 7); // the holder's memory is still mapped
            assertEquals(7, held.get(ValueLayout.JAVA_INT, 0));

            // Released while close waits: close then completes.
            Thread releaser = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
            });
            releaser.start();
            d.close();
            releaser.join();
            holder.join();
            assertThrows(IllegalStateException.class, () -> held.get(ValueLayout.JAVA_INT, 0), "unmapped now");
        }
    }
}
