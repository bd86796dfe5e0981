package io.jdax.fsdax;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.Fixtures.Kind;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.jdax.fsdax.Fixtures.PAGE;
import static io.jdax.fsdax.Fixtures.pattern;
import static io.jdax.fsdax.Fixtures.read;
import static io.jdax.fsdax.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several threads on one filesystem, and a device closed under running I/O (C8). */
class ConcurrencyTest {
    private static final int THREADS = 4;
    private final List<DaxDevice> opened = new ArrayList<>();

    @AfterEach
    void close() {
        Fixtures.closeAll(opened);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void writersOnSeparateFilesKeepTheirDataAndEveryBlockIsAccountedFor(Kind kind) throws Exception {
        DaxDevice d = kind.open("threads", 64L * PAGE);
        opened.add(d);
        MemFs fs = new MemFs(d);
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<MemFile> files = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            MemFile f = fs.create();
            files.add(f);
            long seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    Random rnd = new Random(seed);
                    byte[] model = new byte[8 * PAGE];
                    int size = 0;
                    for (int i = 0; i < 60; i++) {
                        int pos = rnd.nextInt(7 * PAGE);
                        int len = 1 + rnd.nextInt(Math.min(2 * PAGE, 8 * PAGE - pos));
                        if (rnd.nextInt(5) == 0) {
                            f.truncate(pos);
                            Arrays.fill(model, Math.min(pos, size), size, (byte) 0);
                            size = pos;
                            continue;
                        }
                        byte[] data = pattern(len, rnd.nextLong());
                        assertEquals(len, write(f, pos, data));
                        System.arraycopy(data, 0, model, pos, len);
                        size = Math.max(size, pos + len);
                    }
                    assertArrayEquals(Arrays.copyOf(model, size), read(f, 0, 8 * PAGE));
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        long held = files.stream().mapToLong(MemFile::blockCount).sum();
        assertEquals(fs.nrBlocks(), held + fs.freeBlocks(), "no block leaked or counted twice");
    }

    /** Many threads, platform and virtual, counting at once: not one count lost or doubled. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void theCountersAreExactUnderConcurrentIo(Kind kind) throws Exception {
        DaxDevice d = kind.open("counters", 64L * PAGE);
        opened.add(d);
        MemFs fs = new MemFs(d);
        int threads = 35;
        int writes = 300;
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            MemFile f = fs.create();
            byte[] data = pattern(100, t);
            Runnable work = () -> {
                try {
                    for (int i = 0; i < writes; i++) {
                        assertEquals(data.length, write(f, (i % 8) * 100L, data));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            };
            started.add(t % 2 == 0 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        for (Thread t : started) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        IomapStats s = fs.dax().stats();
        long ios = (long) threads * writes;
        assertEquals(ios, s.ios(), s::toString);
        assertEquals(ios, s.begins(), s::toString); // 800 bytes per file: one block, one extent per write
        assertEquals(ios, s.ends(), s::toString);
        assertEquals((long) threads * (PAGE - 100), s.zeroedBytes(), "each file's new block zeroed once: " + s);
    }

    /** A thread per I/O (virtual threads serving requests): the counts stay exact and the cells do not pile up. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void shortLivedThreadsAreCountedAndTheirCellsFolded(Kind kind) throws Exception {
        DaxDevice d = kind.open("short-lived", 64L * PAGE);
        opened.add(d);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] data = pattern(100, 7);
        int ios = 2000;
        for (int i = 0; i < ios; i++) {
            Thread t = Thread.ofVirtual().start(() -> write(f, 0, data));
            t.join();
        }
        IomapStats s = fs.dax().stats();
        assertEquals(ios, s.ios(), s::toString);
        assertEquals(ios, s.ends(), s::toString);
        assertTrue(s.cellsHeld() <= 64, "cells of ended threads are folded: " + s.cellsHeld() + " held");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void closingTheDeviceUnderIoEndsEveryThreadWithENXIO(Kind kind) throws Exception {
        DaxDevice d = kind.open("closing", 64L * PAGE);
        MemFs fs = new MemFs(d);
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            MemFile f = fs.create();
            long seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                Random rnd = new Random(seed);
                byte[] data = pattern(3 * PAGE, seed);
                try {
                    for (int i = 0; ; i++) {
                        write(f, rnd.nextInt(4 * PAGE), data);
                        read(f, rnd.nextInt(4 * PAGE), 2 * PAGE);
                        if (i == 3) {
                            running.countDown();
                        }
                    }
                } catch (DaxException e) {
                    if (e.errno() != Errno.ENXIO) {
                        unexpected.add(e);
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    running.countDown();
                }
            }));
        }
        assertTrue(running.await(30, TimeUnit.SECONDS));
        Fixtures.closeAll(List.of(d));
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!t.isAlive(), "a thread is still running after close");
        }
        assertTrue(unexpected.isEmpty(), () -> "not a clean ENXIO: " + unexpected);
    }
}
