package io.jdax.brd;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;

import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BrdDeviceTest {
    private static final long TIB = 1L << 40;
    private final List<DaxDevice> opened = new ArrayList<>();

    private BrdDevice open(String spec) {
        DaxDevice d = DaxDevices.open(spec, new PortableArch());
        opened.add(d);
        return (BrdDevice) d;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(DaxDevice::close);
    }

    private static void write(DaxDevice ops, long pgoff, int offset, byte value) {
        DirectAccess da = ops.directAccess(pgoff, 1, DaxAccessMode.WRITE);
        da.addr().set(ValueLayout.JAVA_BYTE, offset, value);
    }

    private static byte read(DaxDevice ops, long pgoff, int offset) {
        return ops.directAccess(pgoff, 1, DaxAccessMode.READ).addr().get(ValueLayout.JAVA_BYTE, offset);
    }

    @Test
    void aTebibyteDeviceOpensAndAllocatesOnlyWrittenPages() {
        BrdDevice dev = open("brd:big?size=1T");
        assertEquals(TIB, dev.size());
        assertEquals(TIB / 4096, dev.nrPages());
        assertEquals(PersistenceMode.VOLATILE, dev.persistence());
        assertEquals(0, dev.allocatedPages());
        DaxDevice ops = dev;
        write(ops, 0, 5, (byte) 1);
        write(ops, dev.nrPages() - 1, 4095, (byte) 2);
        write(ops, 123_456_789, 0, (byte) 3);
        write(ops, 0, 6, (byte) 4); // same page again
        assertEquals(3, dev.allocatedPages());
        assertEquals(1, read(ops, 0, 5));
        assertEquals(4, read(ops, 0, 6));
        assertEquals(2, read(ops, dev.nrPages() - 1, 4095));
        assertEquals(3, read(ops, 123_456_789, 0));
    }

    @Test
    void neverWrittenPagesReadAsZerosAndAllocateNothing() {
        BrdDevice dev = open("brd:z?size=1G");
        for (long p = 0; p < dev.nrPages(); p += 997) {
            MemorySegment page = dev.directAccess(p, 1, DaxAccessMode.READ).addr();
            assertEquals(4096, page.byteSize());
            assertTrue(page.isReadOnly(), "READ gives a read-only page");
            assertEquals(-1, page.mismatch(MemorySegment.ofArray(new byte[4096])), "page " + p + " reads as zeros");
        }
        assertEquals(0, dev.allocatedPages());
        assertThrows(IllegalArgumentException.class, () -> dev
                .directAccess(0, 1, DaxAccessMode.READ).addr().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 16, 1 << 20, Long.MAX_VALUE})
    void directAccessReturnsExactlyOnePage(long asked) {
        BrdDevice dev = open("brd:one?size=64M");
        for (DaxAccessMode mode : DaxAccessMode.values()) {
            DirectAccess da = dev.directAccess(7, asked, mode);
            assertEquals(1, da.nrPages());
            assertEquals(4096, da.addr().byteSize());
        }
    }

    @Test
    void zeroPageRangeFreesWholePages() {
        BrdDevice dev = open("brd:free?size=64M");
        DaxDevice ops = dev;
        for (long p = 10; p < 20; p++) {
            write(ops, p, 100, (byte) 9);
        }
        assertEquals(10, dev.allocatedPages());
        ops.zeroPageRange(12, 5);
        assertEquals(5, dev.allocatedPages());
        assertEquals(0, read(ops, 12, 100));
        assertEquals(0, read(ops, 16, 100));
        assertEquals(9, read(ops, 11, 100));
        assertEquals(9, read(ops, 17, 100));
        // Freeing a huge sparse range walks the map, not every page.
        BrdDevice big = open("brd:bigfree?size=1T");
        write(big, 5, 0, (byte) 1);
        big.zeroPageRange(0, big.nrPages());
        assertEquals(0, big.allocatedPages());
    }

    @Test
    void itHasNoCopyFromIterSoWritesTakeTheFallback() {
        BrdDevice dev = open("brd:nocopy?size=1M");
        assertFalse(dev.hasOwnCopyFromIter());
        assertFalse(dev.hasOwnCopyToIter());
    }

    @Test
    void concurrentWritersToDifferentPagesAndOneRacedPage() throws Exception {
        BrdDevice dev = open("brd:race?size=256M");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2000; i++) {
                        write(dev, 1000 + id * 2000L + i, i % 4096, (byte) id);
                        // Every thread also writes its own byte of the one shared page.
                        write(dev, 0, id, (byte) (id + 1));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(threads * 2000L + 1, dev.allocatedPages());
        assertEquals(threads * 2000L + 1, dev.pageAllocations(), "the raced page was allocated once");
        for (int t = 0; t < threads; t++) {
            assertEquals(t + 1, read(dev, 0, t), "no writer lost its byte of the shared page");
            assertEquals(t, read(dev, 1000 + t * 2000L + 1999, 1999 % 4096));
        }
    }

    @Test
    void badPageArgumentsAreRefusedWithoutEffect() {
        BrdDevice dev = open("brd:bad?size=1M");
        DaxDevice ops = dev;
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(-1, 1, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(Long.MIN_VALUE, 1, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(0, 0, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class,
                () -> ops.directAccess(0, -5, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> ops.directAccess(256, 1, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> ops.directAccess(Long.MAX_VALUE, Long.MAX_VALUE, DaxAccessMode.WRITE)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> ops.zeroPageRange(250, 7)).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> ops.zeroPageRange(1, Long.MAX_VALUE)).errno());
        assertEquals(0, dev.allocatedPages());
    }

    @Test
    void malformedSpecsAreClearErrors() {
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> open("brd:?size=-1")).errno());
        DaxException unit = assertThrows(DaxException.class, () -> open("brd:x?size=1Q"));
        assertTrue(unit.getMessage().contains("unknown unit 'Q'"), unit.getMessage());
        DaxException none = assertThrows(DaxException.class, () -> open("brd:x"));
        assertTrue(none.getMessage().contains("needs a size"), none.getMessage());
        DaxException odd = assertThrows(DaxException.class, () -> open("brd:x?size=4097"));
        assertTrue(odd.getMessage().contains("multiple of the 4096-byte page"), odd.getMessage());
        assertThrows(DaxException.class, () -> open("brd:x?size=0"));
        DaxException typo = assertThrows(DaxException.class, () -> open("brd:x?sise=1M"));
        assertTrue(typo.getMessage().contains("unknown parameter 'sise'"), typo.getMessage());
    }

    @Test
    void everyOperationAfterCloseFailsWithEnxioAndOldPagesStaySafe() {
        BrdDevice dev = open("brd:closed?size=1M");
        MemorySegment held = dev.directAccess(3, 1, DaxAccessMode.WRITE).addr();
        dev.close();
        dev.close(); // twice is fine
        assertFalse(dev.isAlive());
        DaxDevice ops = dev;
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, () -> ops.directAccess(0, 1, DaxAccessMode.READ)).errno());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, ops::flush).errno());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class,
                () -> ops.zeroPageRange(0, 1)).errno());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, dev::readLock).errno());
        held.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // a page held past close is heap memory: no crash
        assertEquals(0, dev.allocatedPages());
    }

    @Test
    void closeWaitsForAReadLockHolderWhoseMemoryStaysUsable() throws Exception {
        BrdDevice dev = open("brd:locked?size=1M");
        MemorySegment page;
        Thread closer;
        try (DaxReadLock lock = dev.readLock()) {
            page = dev.directAccess(1, 1, DaxAccessMode.WRITE).addr();
            closer = new Thread(dev::close);
            closer.start();
            Thread.sleep(100);
            assertTrue(closer.isAlive(), "close waits while a read lock is held");
            assertFalse(dev.isAlive(), "but the device already refuses new work");
            assertEquals(Errno.ENXIO, assertThrows(DaxException.class,
                    () -> dev.directAccess(2, 1, DaxAccessMode.WRITE)).errno());
            page.set(ValueLayout.JAVA_BYTE, 0, (byte) 1); // memory obtained under the lock is still usable
        }
        closer.join(5000);
        assertFalse(closer.isAlive(), "close finished once the lock was released");
    }
}
