package io.jdax.daxfs;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.fsdax.IomapOps;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input fails with a DaxException naming the problem, and changes nothing. */
class BadInputTest {
    private DaxDevice dev;
    private DaxFs fs;

    @BeforeEach
    void mount() {
        dev = Fixture.formatted("bad", 2 << 20);
        fs = DaxFs.mount(dev);
    }

    @AfterEach
    void unmount() {
        fs.unmount();
        FsckReport r = Fsck.check(dev);
        dev.close();
        Fixture.delete(dev);
        assertTrue(r.clean(), r.describe());
    }

    private static DaxException fails(Errno errno, String words, Runnable r) {
        DaxException e = assertThrows(DaxException.class, r::run);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        return e;
    }

    @Test
    void namesLongerThan255Utf8BytesFail() {
        fs.create("x".repeat(255));
        fails(Errno.ENAMETOOLONG, "256 UTF-8 bytes", () -> fs.create("y".repeat(256)));
        // 128 two-byte characters: 128 characters, 256 bytes
        fails(Errno.ENAMETOOLONG, "256 UTF-8 bytes", () -> fs.create("é".repeat(128)));
        fs.create("é".repeat(127) + "e");
        fails(Errno.ENAMETOOLONG, "longer than 255", () -> fs.rename("x".repeat(255), "€".repeat(86)));
        assertEquals(2, fs.list().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a\u0000b", "\u0000", "dir/file", ".", "..", "bad\uD800surrogate"})
    void emptyNulSlashDotAndMalformedNamesFail(String name) {
        DaxException e = assertThrows(DaxException.class, () -> fs.create(name));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("file name"), e.getMessage());
        assertThrows(DaxException.class, () -> fs.open(name));
        assertThrows(DaxException.class, () -> fs.delete(name));
        assertTrue(fs.list().isEmpty());
    }

    @Test
    void nullNameFails() {
        fails(Errno.EINVAL, "null", () -> fs.create(null));
    }

    @Test
    void aFileLargerThanTheDeviceFailsWithEnospcAndLeavesNothing() {
        DaxFile f = fs.create("huge");
        long device = dev.size();
        fails(Errno.ENOSPC, "free blocks", () -> write(f, 0, new byte[(int) device]));
        fails(Errno.ENOSPC, "free blocks", () -> f.fallocate(0, device));
        assertEquals(0, f.size());
        assertEquals(0, f.stat().blocks());
        fails(Errno.EFBIG, "largest file size", () -> f.truncate(DaxFs.MAX_FILE_SIZE + 1));
        fails(Errno.EFBIG, "largest file size", () -> write(f, DaxFs.MAX_FILE_SIZE - 1, new byte[2]));
        fails(Errno.EFBIG, "largest file size", () -> f.fallocate(DaxFs.MAX_FILE_SIZE, 1));
        f.truncate(DaxFs.MAX_FILE_SIZE); // sparse: allowed, takes no space
        write(f, DaxFs.MAX_FILE_SIZE - 1, new byte[] {7});
        assertEquals(1, f.stat().blocks());
        byte[] b = new byte[1];
        f.read(DaxFs.MAX_FILE_SIZE - 1, IovIter.kvec(IovIter.Direction.DEST, b));
        assertEquals(7, b[0]);
    }

    @Test
    void badOffsetsAndIteratorsFail() {
        DaxFile f = fs.create("f");
        fails(Errno.EINVAL, "negative", () -> write(f, -1, new byte[1]));
        fails(Errno.EINVAL, "negative", () -> f.truncate(-1));
        fails(Errno.EINVAL, "offset must be", () -> f.fallocate(-5, 10));
        fails(Errno.EINVAL, "offset must be", () -> f.punchHole(0, 0));
        fails(Errno.EINVAL, "needs a DEST iterator", () -> f.read(0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[1])));
        fails(Errno.EINVAL, "needs a SOURCE iterator", () -> f.write(0, IovIter.kvec(IovIter.Direction.DEST, new byte[1])));
        fails(Errno.EINVAL, "within the file", () -> f.map(0, BLOCK, DaxAccessMode.READ));
        assertEquals(0, f.size());
    }

    @Test
    void mountingADeviceWithoutDaxfsSaysSo() {
        DaxDevice zeros = Fixture.pmem("zeros", 1 << 20);
        DaxDevice garbage = Fixture.pmem("garbage", 1 << 20);
        try (DaxReadLock l = garbage.readLock()) {
            MemorySegment m = garbage.directAccess(0, garbage.nrPages(), DaxAccessMode.WRITE).addr();
            byte[] junk = new byte[(int) garbage.size()];
            new Random(5).nextBytes(junk);
            MemorySegment.copy(junk, 0, m, ValueLayout.JAVA_BYTE, 0, junk.length);
        }
        for (DaxDevice d : List.of(zeros, garbage)) {
            fails(Errno.EINVAL, "not a daxfs filesystem", () -> DaxFs.mount(d));
            fails(Errno.EINVAL, "not a daxfs filesystem", () -> Fsck.check(d));
            DaxFs.format(d, FormatOptions.defaults()); // and after a format it is one
            DaxFs.mount(d).unmount();
            d.close();
            Fixture.delete(d);
        }
    }

    @Test
    void mountingOneDeviceTwiceIsEbusy() {
        fails(Errno.EBUSY, "already mounted", () -> DaxFs.mount(dev));
        DaxDevice second = Fixture.reopen(dev); // another open of the same file
        try {
            fails(Errno.EBUSY, "already mounted", () -> DaxFs.mount(second));
            fails(Errno.EBUSY, "before running fsck", () -> Fsck.check(second));
            fails(Errno.EBUSY, "before formatting", () -> DaxFs.format(dev, FormatOptions.defaults()));
            fs.unmount();
            DaxFs.mount(second).unmount(); // once unmounted, any open of it may mount
            fs = DaxFs.mount(dev);
        } finally {
            second.close();
        }
    }

    @Test
    void formatRefusesTooSmallDevicesAndBadOptions() {
        DaxDevice tiny = Fixture.pmem("tiny", 64 * 1024);
        try {
            fails(Errno.EINVAL, "too small for daxfs", () -> DaxFs.format(tiny, FormatOptions.defaults()));
            fails(Errno.EINVAL, "not a daxfs", () -> DaxFs.mount(tiny));
        } finally {
            tiny.close();
            Fixture.delete(tiny);
        }
        DaxDevice other = Fixture.pmem("opts", 1 << 20);
        try {
            fails(Errno.EINVAL, "transactionBlocks", () -> DaxFs.format(other, FormatOptions.defaults().withTransactionBlocks(3)));
            fails(Errno.EINVAL, "inodes", () -> DaxFs.format(other, FormatOptions.defaults().withInodes(-1)));
            fails(Errno.EINVAL, "too small", () -> DaxFs.format(other, FormatOptions.defaults().withInodes(100_000)));
        } finally {
            other.close();
            Fixture.delete(other);
        }
    }

    @Test
    void runningOutOfInodesIsEnospc() {
        fs.unmount();
        DaxDevice few = Fixture.pmem("few", 1 << 20);
        DaxFs.format(few, FormatOptions.defaults().withInodes(8));
        try (DaxFs f = DaxFs.mount(few)) {
            for (int i = 0; i < 8; i++) {
                f.create("f" + i);
            }
            fails(Errno.ENOSPC, "all 8 inodes are in use", () -> f.create("one-more"));
            f.delete("f3");
            f.create("one-more");
        } finally {
            few.close();
            Fixture.delete(few);
        }
        fs = DaxFs.mount(dev);
    }

    @Test
    void noHandleCanDriveTheEngineAroundItsFilesLocks() {
        // The iomap ops are private to DaxFile, used only by its own locked methods: neither the
        // filesystem nor a file is an IomapOps that a handle (of this filesystem or another) could
        // be passed to.
        assertFalse(IomapOps.class.isAssignableFrom(DaxFs.class));
        assertFalse(IomapOps.class.isAssignableFrom(DaxFile.class));
    }
}
