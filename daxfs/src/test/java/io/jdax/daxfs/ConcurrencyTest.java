package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many threads on different files (their commits interleave in one journal), namespace changes
 * racing them, and readers sharing a file with its writer.
 */
class ConcurrencyTest {

    private static Thread start(List<Throwable> failures, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        t.start();
        return t;
    }

    @Test
    void writersOnDifferentFilesKeepTheirBytesAndTheMetadataStaysSound() throws Exception {
        DaxDevice dev = Fixture.formatted("conc", 16 << 20);
        int writers = 4;
        byte[][] models = new byte[writers][];
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (DaxFs fs = DaxFs.mount(dev)) {
            List<Thread> threads = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int w = 0; w < writers; w++) {
                int id = w;
                DaxFile f = fs.create("w" + id);
                threads.add(start(failures, () -> {
                    await(go);
                    Random rnd = new Random(id);
                    byte[] model = new byte[0];
                    for (int i = 0; i < 150; i++) {
                        switch (rnd.nextInt(6)) {
                            case 0, 1, 2 -> {
                                int pos = rnd.nextInt(model.length + BLOCK);
                                byte[] d = new byte[1 + rnd.nextInt(2 * BLOCK)];
                                rnd.nextBytes(d);
                                write(f, pos, d);
                                model = Arrays.copyOf(model, Math.max(model.length, pos + d.length));
                                System.arraycopy(d, 0, model, pos, d.length);
                            }
                            case 3 -> {
                                int size = rnd.nextInt(model.length + 1);
                                f.truncate(size);
                                model = Arrays.copyOf(model, size);
                            }
                            case 4 -> {
                                int pos = rnd.nextInt(model.length + 1);
                                int len = 1 + rnd.nextInt(3 * BLOCK);
                                f.fallocate(pos, len);
                                model = Arrays.copyOf(model, Math.max(model.length, pos + len));
                            }
                            default -> f.fsync();
                        }
                        assertArrayEquals(model, read(f), "writer " + id + " step " + i);
                    }
                    models[id] = model;
                }));
            }
            threads.add(start(failures, () -> { // the namespace churns beside them
                await(go);
                for (int i = 0; i < 200; i++) {
                    String n = "tmp" + (i % 7);
                    if (!fs.exists(n)) {
                        write(fs.create(n), 0, new byte[1 + i]);
                    } else if (i % 3 == 0) {
                        fs.rename(n, "tmp" + ((i + 1) % 7));
                    } else {
                        fs.delete(n);
                    }
                }
            }));
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(List.of(), failures);
            for (int w = 0; w < writers; w++) {
                assertArrayEquals(models[w], read(fs.open("w" + w)));
            }
        }
        FsckReport r = Fsck.check(dev);
        assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
        dev.close();
        DaxDevice again = Fixture.reopen(dev);
        try (DaxFs fs = DaxFs.mount(again)) {
            for (int w = 0; w < writers; w++) {
                assertArrayEquals(models[w], read(fs.open("w" + w)), "after reopen");
            }
        }
        again.close();
        Fixture.delete(dev);
    }

    @Test
    void readersSharingAFileWithItsWriterSeeWholeAppendsOnly() throws Exception {
        DaxDevice dev = Fixture.formatted("share", 8 << 20);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        byte[] all = Fixture.random(11, 300 * 1000);
        try (DaxFs fs = DaxFs.mount(dev)) {
            DaxFile f = fs.create("log");
            AtomicBoolean done = new AtomicBoolean();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                readers.add(start(failures, () -> {
                    int reads = 0;
                    byte[] buf = new byte[all.length];
                    while (!done.get() || reads == 0) {
                        // one read, under the file's shared lock: never size() then read (size() takes no lock)
                        long n = f.read(0, io.jdax.uio.IovIter.kvec(io.jdax.uio.IovIter.Direction.DEST, buf));
                        byte[] seen = Arrays.copyOf(buf, (int) n);
                        assertTrue(seen.length % 1000 == 0, "a read saw half an append: " + seen.length);
                        assertArrayEquals(Arrays.copyOf(all, seen.length), seen);
                        reads++;
                    }
                }));
            }
            for (int i = 0; i < 300; i++) {
                write(f, (long) i * 1000, Arrays.copyOfRange(all, i * 1000, (i + 1) * 1000));
            }
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertEquals(List.of(), failures);
            assertArrayEquals(all, read(f));
        }
        FsckReport r = Fsck.check(dev);
        assertTrue(r.clean(), r.describe());
        dev.close();
        Fixture.delete(dev);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
