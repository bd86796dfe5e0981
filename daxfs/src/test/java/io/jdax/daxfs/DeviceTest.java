package io.jdax.daxfs;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.random;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** daxfs over other devices and device trouble: brd's one-page answers, a device closed under a mount. */
class DeviceTest {

    @Test
    void brdWorksOnePageAtATimeWithTheFallbackCopies() {
        CountingArch arch = new CountingArch(new PortableArch());
        try (DaxDevice brd = DaxDevices.open("brd:daxfs-test?size=4M", arch)) {
            assertEquals(PersistenceMode.VOLATILE, brd.persistence());
            DaxFs.format(brd, FormatOptions.defaults());
            byte[] data = random(21, 5 * BLOCK + 3);
            try (DaxFs fs = DaxFs.mount(brd)) {
                DaxFile f = fs.create("f");
                write(f, 100, data);
                f.fsync();
                assertArrayEquals(data, read(f, 100, data.length));
                // brd has no copyFromIter: a volatile device takes the core's nocache fallback
                assertTrue(!brd.hasOwnCopyFromIter() && arch.nocacheCopies.get() > 0 && arch.flushcacheCopies.get() == 0,
                        "brd's writes: " + arch.nocacheCopies + " nocache, " + arch.flushcacheCopies + " flushcache copies");
                DaxException e = assertThrows(DaxException.class, () -> f.map(0, 2 * BLOCK, DaxAccessMode.READ));
                assertEquals(Errno.EOPNOTSUPP, e.errno(), "brd's pages are not contiguous: " + e.getMessage());
            }
            try (DaxFs fs = DaxFs.mount(brd)) { // remount while the RAM lives
                assertArrayEquals(data, read(fs.open("f"), 100, data.length));
            }
            assertTrue(Fsck.check(brd).clean());
        }
    }

    @Test
    void closingTheDeviceUnderAMountFailsCallsCleanlyAndAFreshOpenMounts() {
        DaxDevice dev = Fixture.formatted("closed", 2 << 20);
        byte[] data = random(22, 3 * BLOCK);
        DaxFs fs = DaxFs.mount(dev);
        DaxFile f = fs.create("f");
        write(f, 0, data);
        f.fsync();
        dev.close();
        for (Runnable r : List.<Runnable>of(() -> read(f), () -> write(f, 0, new byte[10]), () -> fs.create("g"),
                () -> f.truncate(1), f::fsync)) {
            DaxException e = assertThrows(DaxException.class, r::run);
            assertTrue(Set.of(Errno.ENXIO, Errno.EIO, Errno.EFAULT).contains(e.errno()), e.toString());
        }
        try {
            fs.unmount();
        } catch (DaxException e) {
            assertTrue(Set.of(Errno.ENXIO, Errno.EIO).contains(e.errno()), e.toString());
        }
        DaxDevice again = Fixture.reopen(dev);
        try (DaxFs fs2 = DaxFs.mount(again)) {
            assertArrayEquals(data, read(fs2.open("f")), "everything fsynced before the close is there");
        }
        assertTrue(Fsck.check(again).clean());
        again.close();
        Fixture.delete(dev);
    }

    /**
     * The image under a pmem device cut (as another process's truncate(1) would) while it is
     * open: metadata loads and stores past the cut fault in the JDK's own accesses, which report
     * an InternalError. daxfs makes each an EIO, and a mount of the cut image fails with one.
     */
    @Test
    void metadataAccessPastACutInTheImageIsEioNotTheJdksInternalError() throws Exception {
        try (DaxDevice d = Fixture.pmem("cut", 4L << 20)) {
            DaxFs.format(d, FormatOptions.defaults());
            try (FileChannel ch = FileChannel.open(Path.of(d.spec().path()), StandardOpenOption.WRITE)) {
                ch.truncate(BLOCK); // the superblock stays, the journal header (block 1) goes
            }
            MetaIo io = new MetaIo(d);
            List<Executable> accesses = List.of(() -> io.read(1), () -> io.readWord(1, Journal.COMMIT_OFFSET),
                    () -> io.storeWord(1, Journal.COMMIT_OFFSET, 42));
            for (Executable access : accesses) {
                DaxException e = assertThrows(DaxException.class, access);
                assertEquals(Errno.EIO, e.errno(), e.getMessage());
            }
            DaxException e = assertThrows(DaxException.class, () -> DaxFs.mount(d));
            assertEquals(Errno.EIO, e.errno(), e.getMessage());
        }
    }
}
