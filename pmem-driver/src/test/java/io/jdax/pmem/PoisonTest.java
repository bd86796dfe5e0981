package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad blocks as the kernel's pmem driver treats them: EIO for access, recovery writes that clear whole sectors. */
class PoisonTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    private PmemDevice device() {
        return fx.open(fx.spec("bb", "size=1M&create=true"), new PortableArch());
    }

    private static BadBlocks bb(PmemDevice d) {
        return d.badBlocks().orElseThrow();
    }

    @Test
    void aRangeHoldingABadSectorIsEioForReadAndWrite() {
        PmemDevice d = device();
        bb(d).set(5 * 8 + 3, 1); // one sector in the middle of page 5
        DaxDevice ops = d;
        for (DaxAccessMode mode : List.of(DaxAccessMode.READ, DaxAccessMode.WRITE)) {
            DaxException e = assertThrows(DaxException.class, () -> ops.directAccess(5, 1, mode));
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("bad sectors [43, 44)"), e.getMessage());
            assertEquals(Errno.EIO, assertThrows(DaxException.class, () -> ops.directAccess(0, 10, mode)).errno());
        }
        assertEquals(5, ops.directAccess(0, 5, DaxAccessMode.WRITE).nrPages(), "the pages before are fine");
        assertEquals(250, ops.directAccess(6, 1000, DaxAccessMode.READ).nrPages(), "and the pages after");
    }

    @Test
    void recoveryWriteGetsThePagesBeforeTheFirstBadSectorAtLeastOne() {
        PmemDevice d = device();
        bb(d).set(5 * 8 + 3, 1);
        bb(d).set(9 * 8, 2);
        DaxDevice ops = d;
        assertEquals(5, ops.directAccess(0, 100, DaxAccessMode.RECOVERY_WRITE).nrPages());
        assertEquals(2, ops.directAccess(3, 100, DaxAccessMode.RECOVERY_WRITE).nrPages());
        assertEquals(1, ops.directAccess(5, 100, DaxAccessMode.RECOVERY_WRITE).nrPages(), "its own page");
        assertEquals(3, ops.directAccess(6, 100, DaxAccessMode.RECOVERY_WRITE).nrPages());
        assertEquals(1, ops.directAccess(9, 100, DaxAccessMode.RECOVERY_WRITE).nrPages());
        assertEquals(4, ops.directAccess(10, 4, DaxAccessMode.RECOVERY_WRITE).nrPages(), "no bad sector in range");
    }

    @Test
    void copyToIterRefusesPoisonButReadsAroundIt() {
        PmemDevice d = device();
        Iters.write(d, 2 * 4096, IovIter.kvec(IovIter.Direction.SOURCE, filled(4096, (byte) 7)));
        bb(d).set(2 * 8 + 3, 1); // bytes [1536, 2048) of page 2
        // The page holding the bad sector is EIO for any read (directAccess refuses it, as the kernel's
        // dax_direct_access does); the pages around it read.
        byte[] over = new byte[2];
        IovIter dst = IovIter.kvec(IovIter.Direction.DEST, over);
        DaxException e = assertThrows(DaxException.class, () -> d.copyToIter(2 * 4096 + 1535, 2, dst));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(2, dst.count(), "nothing was read");
        Iters.write(d, 4096, IovIter.kvec(IovIter.Direction.SOURCE, filled(4096, (byte) 6)));
        byte[] before = new byte[4096];
        assertEquals(4096, d.copyToIter(4096, 4096, IovIter.kvec(IovIter.Direction.DEST, before)));
        assertArrayEquals(filled(4096, (byte) 6), before);
    }

    @Test
    void aRecoveryWriteClearsTheWholeSectorsItRewritesAndOnlyThose() {
        PmemDevice d = device();
        bb(d).set(5 * 8, 8); // all of page 5
        // A write over the poisoned page is retried by the core as the driver's recovery write.
        // Bytes [100, 1100): sector 1 is rewritten whole; sectors 0 and 2 only in part.
        assertEquals(1000, d.copyFromIter(5 * 4096 + 100, 1000,
                IovIter.kvec(IovIter.Direction.SOURCE, filled(1000, (byte) 3))));
        assertEquals(List.of(new BadBlocks.Range(40, 1), new BadBlocks.Range(42, 6)), bb(d).list());
        // Exactly sector-aligned: [1024, 2048) clears sectors 2 and 3.
        d.copyFromIter(5 * 4096 + 1024, 1024, IovIter.kvec(IovIter.Direction.SOURCE, filled(1024, (byte) 4)));
        assertEquals(List.of(new BadBlocks.Range(40, 1), new BadBlocks.Range(44, 4)), bb(d).list());
        // The whole page: all clear, and the page reads back what was written.
        d.copyFromIter(5 * 4096, 4096, IovIter.kvec(IovIter.Direction.SOURCE, filled(4096, (byte) 9)));
        assertTrue(bb(d).isEmpty());
        assertArrayEquals(filled(4096, (byte) 9),
                d.directAccess(5, 1, DaxAccessMode.READ).addr().toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void zeroPageRangeZeroesAndClearsThePoisonOfItsPages() {
        PmemDevice d = device();
        Iters.write(d, 3 * 4096, IovIter.kvec(IovIter.Direction.SOURCE, filled(3 * 4096, (byte) 5)));
        bb(d).set(3 * 8 + 1, 20); // pages 3..5
        bb(d).set(6 * 8, 1);      // page 6, not zeroed
        d.zeroPageRange(3, 3);
        assertEquals(List.of(new BadBlocks.Range(48, 1)), bb(d).list());
        byte[] zeros = d.directAccess(3, 3, DaxAccessMode.READ).addr().toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(new byte[3 * 4096], zeros);
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class,
                () -> d.zeroPageRange(250, 7)).errno());
    }

    @Test
    void aFileOffAPmemDiskKeepsItsInjectedBadBlocksOnRefresh() {
        PmemDevice d = device();
        bb(d).set(100, 3);
        assertEquals(List.of(new BadBlocks.Range(100, 3)), d.refreshBadBlocks());
        assertTrue(d.badBlocksSource().startsWith("emulated"), d.badBlocksSource());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> bb(d).set(MIB / 512, 1)).errno(),
                "injection past the device is refused");
    }

    @Test
    void deviceDaxReadsItsRegionsListMovedToTheDeviceAndRefreshesIt() {
        // The device starts 2 MiB (4096 sectors) into its region; the region lists sectors from its own start.
        java.nio.file.Path file = fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0x1_0000_0000L, 0x1_0020_0000L,
                "10 5\n4100 4\n4096 1\n12286 4\n");
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        assertEquals(List.of(new BadBlocks.Range(0, 1), new BadBlocks.Range(4, 4), new BadBlocks.Range(8190, 2)),
                bb(d).list(), "sectors before the device dropped, past its end clipped");
        assertEquals(Errno.EIO, assertThrows(DaxException.class,
                () -> d.directAccess(0, 1, DaxAccessMode.READ)).errno());
        assertTrue(d.badBlocksSource().contains("region0/badblocks"), d.badBlocksSource());

        bb(d).set(2000, 1); // injected: gone once the kernel's list is read again
        Fixture.write(fx.sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0/badblocks"), "4200 8\n");
        assertEquals(List.of(new BadBlocks.Range(104, 8)), d.refreshBadBlocks());
        assertEquals(List.of(new BadBlocks.Range(104, 8)), bb(d).list());

        Fixture.write(fx.sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0/badblocks"), "garbage\n");
        DaxException e = assertThrows(DaxException.class, d::refreshBadBlocks);
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("bad line 'garbage'"), e.getMessage());
        assertEquals(List.of(new BadBlocks.Range(104, 8)), bb(d).list(), "a failed refresh changes nothing");
    }

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }
}
