package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A file on a filesystem over a pmem disk: the disk's bad sectors reach the file through its real
 * extent map (FIEMAP on this machine's filesystem), with the disk itself faked in sysfs.
 */
class FsDaxBadBlocksTest {
    private static final int SIZE = 64 * 1024;

    @TempDir
    Path dir;
    private Path file;
    private List<LibC.Extent> extents;
    private String devNumber;

    @BeforeEach
    void fileWithRealExtents() throws IOException {
        file = dir.resolve("data");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[SIZE]).put(0, (byte) 1));
            ch.force(true); // allocate blocks now, so the extents have physical addresses
        }
        try {
            extents = LibC.fiemap(file);
        } catch (DaxException e) {
            assumeTrue(e.errno() != Errno.EOPNOTSUPP, "no extent map on the filesystem of " + dir + ": " + e.getMessage());
            throw e;
        }
        long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
        devNumber = Sysfs.major(dev) + ":" + Sysfs.minor(dev);
    }

    @Test
    void theExtentMapCoversTheFile() {
        assertTrue(!extents.isEmpty(), "a written file has extents");
        long covered = 0;
        long next = 0;
        for (LibC.Extent e : extents) {
            assertEquals(next, e.logical(), "extents in file order, without gaps: " + extents);
            assertTrue(e.hasPhysical(), "allocated after fsync: " + e);
            covered += e.length();
            next = e.logical() + e.length();
        }
        assertTrue(covered >= SIZE, "extents cover " + covered + " of " + SIZE + " bytes");
        assertTrue((extents.getLast().flags() & LibC.FIEMAP_EXTENT_LAST) != 0, "the last extent says so");
    }

    /** A fake sysfs where the file's filesystem is {@code pmem0} (or its partition starting at {@code start}). */
    private Path sysfsWithPmemDisk(long start, String badblocks) throws IOException {
        Path sys = Files.createDirectories(dir.resolve("sys-" + start));
        Path disk = Files.createDirectories(sys.resolve("devices/platform/e820_pmem/ndbus0/region0/namespace0.0/block/pmem0"));
        Fixture.write(disk.resolve("badblocks"), badblocks);
        Fixture.write(disk.resolve("size"), Long.toString(1L << 40));
        Path fs = disk;
        if (start > 0) {
            fs = Files.createDirectories(disk.resolve("pmem0p1"));
            Fixture.write(fs.resolve("partition"), "1\n");
            Fixture.write(fs.resolve("start"), start + "\n");
            Fixture.write(fs.resolve("size"), Long.toString((1L << 40) - start));
        }
        Path link = Files.createDirectories(sys.resolve("dev/block")).resolve(devNumber);
        Files.createSymbolicLink(link, link.getParent().relativize(fs));
        return sys;
    }

    private PmemDevice open(Path sys) {
        Platform platform = new Platform(new Sysfs(sys), Platform.Msync.FORCE, Duration.ofSeconds(5));
        return (PmemDevice) new PmemDriver(platform).open(DeviceSpec.parse("pmem:" + file), new PortableArch());
    }

    @Test
    void theDisksBadSectorsAppearAtTheirFileOffsets() throws IOException {
        long firstSector = extents.getFirst().physical() / 512;
        try (PmemDevice d = open(sysfsWithPmemDisk(0, firstSector + 3 + " 2\n" + (firstSector - 100) + " 50\n"))) {
            assertEquals(List.of(new BadBlocks.Range(3, 2)), d.badBlocks().orElseThrow().list(),
                    "the sectors before the file's blocks are not its concern");
            assertTrue(d.badBlocksSource().contains("through the extents of"), d.badBlocksSource());
        }
    }

    @Test
    void aPartitionsStartIsTakenOff() throws IOException {
        long firstSector = extents.getFirst().physical() / 512;
        try (PmemDevice d = open(sysfsWithPmemDisk(2048, (firstSector + 2048 + 9) + " 1\n"))) {
            assertEquals(List.of(new BadBlocks.Range(9, 1)), d.badBlocks().orElseThrow().list());
            // The kernel's list changes: a refresh follows it.
            Fixture.write(dir.resolve("sys-2048/devices/platform/e820_pmem/ndbus0/region0/namespace0.0/block/pmem0/badblocks"), "");
            assertEquals(List.of(), d.refreshBadBlocks());
        }
    }
}
