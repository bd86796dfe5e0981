package io.jdax.pmem;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import io.jdax.arch.PortableArch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PAGE_CACHE flush: a fence, then an msync of the pages written since the last flush, and only those. */
class FlushTest {
    private static final long PAGE = 4096;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    private static Fixture.Sync pages(long first, long count) {
        return new Fixture.Sync(first * PAGE, count * PAGE);
    }

    @Test
    void aSmallWriteToATebibyteFileMsyncsOnlyItsPages() throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(fx.dir.resolve("tib").toFile(), "rw")) {
            raf.setLength(1L << 40); // sparse, beyond tmpfs's free space: only the pages written cost anything
        }
        CountingArch arch = new CountingArch(new PortableArch());
        PmemDevice d = fx.open(fx.spec("tib", "sparse=true"), arch); // sparse on purpose: never allocate it
        assertEquals(1L << 40, d.size());
        long at = (512L << 30) + 100; // 4 KiB from here straddles two pages
        Iters.write(d, at, IovIter.kvec(IovIter.Direction.SOURCE, new byte[4096]));
        assertEquals(2, d.dirtyPages());
        d.flush();
        assertEquals(List.of(pages(at / PAGE, 2)), fx.takeSyncs(d));
        assertEquals(1, arch.fences.get());
        d.flush();
        assertEquals(List.of(), fx.takeSyncs(d), "nothing written since: nothing to msync");
    }

    /**
     * A flush that runs while a copy is still storing must not take the copy's pages with it: the
     * pages it msyncs were marked when directAccess answered, before the copy's bytes arrived.
     * The copy marks them again when it ends, so the next flush covers what it stored.
     */
    @Test
    void aFlushDuringACopyDoesNotLoseTheCopysPagesToTheNextFlush() throws Exception {
        java.util.concurrent.CountDownLatch copying = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch flushed = new java.util.concurrent.CountDownLatch(1);
        PortableArch real = new PortableArch();
        io.jdax.arch.Arch blocking = new CountingArch(real) {
            @Override
            public void copyFlushcache(java.lang.foreign.MemorySegment src, long srcOffset,
                                       java.lang.foreign.MemorySegment dst, long dstOffset, long bytes) {
                copying.countDown();
                try {
                    flushed.await(); // the copy stores after the other thread's flush
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
            }
        };
        PmemDevice d = fx.open(fx.spec("race", "size=1M&create=true&mode=page_cache"), blocking);
        Thread writer = Thread.ofPlatform().start(() ->
                Iters.write(d, 7 * PAGE, IovIter.kvec(IovIter.Direction.SOURCE, new byte[100])));
        copying.await();
        d.flush(); // msyncs page 7 while its bytes are not there yet
        assertEquals(List.of(pages(7, 1)), fx.takeSyncs(d));
        flushed.countDown();
        writer.join();
        d.flush();
        assertEquals(List.of(pages(7, 1)), fx.takeSyncs(d), "the next flush msyncs what the copy stored after the first");
    }

    @Test
    void writesCoalesceIntoRunsOfPages() {
        PmemDevice d = fx.open(fx.spec("runs", "size=1M&create=true"), new PortableArch());
        for (long p : new long[] {5, 3, 4, 10}) {
            Iters.write(d, p * PAGE + 7, IovIter.kvec(IovIter.Direction.SOURCE, new byte[10]));
        }
        d.flush();
        assertEquals(List.of(pages(3, 3), pages(10, 1)), fx.takeSyncs(d));
    }

    @Test
    void directAccessForWritingCountsAsDirtyAndReadingDoesNot() {
        PmemDevice d = fx.open(fx.spec("da", "size=1M&create=true"), new PortableArch());
        d.directAccess(20, 4, DaxAccessMode.READ);
        d.flush();
        assertEquals(List.of(), fx.takeSyncs(d));
        var da = d.directAccess(7, 2, DaxAccessMode.WRITE);
        da.addr().set(java.lang.foreign.ValueLayout.JAVA_INT, 5000, 42); // a store straight into the mapping
        d.directAccess(30, 1, DaxAccessMode.RECOVERY_WRITE);
        d.flush();
        assertEquals(List.of(pages(7, 2), pages(30, 1)), fx.takeSyncs(d));
    }

    @Test
    void zeroingAndRecoveryWritesAreDirtyToo() {
        PmemDevice d = fx.open(fx.spec("zr", "size=1M&create=true"), new PortableArch());
        d.zeroPageRange(40, 3);
        var addr = d.directAccess(60, 1, DaxAccessMode.RECOVERY_WRITE).addr();
        d.flush();
        fx.takeSyncs(d); // the directAccess above already counted page 60
        d.copyFromIter(60L * 4096, 512, IovIter.kvec(IovIter.Direction.SOURCE, new byte[512]));
        d.zeroPageRange(40, 3);
        d.flush();
        assertEquals(List.of(pages(40, 3), pages(60, 1)), fx.takeSyncs(d));
    }

    @Test
    void aFailedMsyncIsEioAndLeavesThePagesDirtyForTheNextFlush() {
        AtomicInteger failures = new AtomicInteger(1);
        Platform flaky = new Platform(new Sysfs(fx.sysfs), range -> {
            if (failures.getAndDecrement() > 0) {
                throw new DaxException(Errno.EIO, "msync of " + range.byteSize() + " bytes failed: injected");
            }
            Platform.Msync.FORCE.sync(range);
        }, Duration.ofSeconds(5));
        try (PmemDevice d = (PmemDevice) new PmemDriver(flaky).open(
                DeviceSpec.parse(fx.spec("flaky", "size=1M&create=true")), new PortableArch())) {
            Iters.write(d, 0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[100]));
            Iters.write(d, 9 * PAGE, IovIter.kvec(IovIter.Direction.SOURCE, new byte[100]));
            DaxException e = assertThrows(DaxException.class, () -> d.flush());
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            assertEquals(2, d.dirtyPages(), "both runs are still to be synced");
            d.flush();
            assertEquals(0, d.dirtyPages());
        }
    }

    @Test
    void cpuCacheDevicesNeverMsync() {
        ModelArch model = new ModelArch();
        fx.devDax("dax1.0", 4L << 20, 2L << 20, 0x2_0000_0000L, 0x2_0000_0000L, null);
        PmemDevice d = fx.openDevDax("pmem:" + fx.dir.resolve("dax1.0"), model);
        assertEquals(PersistenceMode.CPU_CACHE, d.persistence());
        try (Arena arena = Arena.ofConfined()) {
            Iters.write(d, 5, IovIter.ubuf(IovIter.Direction.SOURCE, arena.allocate(9000)));
        }
        d.directAccess(100, 3, DaxAccessMode.WRITE);
        d.flush();
        assertEquals(0, d.dirtyPages());
        assertEquals(List.of(), fx.syncs);
        assertEquals(1, model.fences.get());
    }
}
