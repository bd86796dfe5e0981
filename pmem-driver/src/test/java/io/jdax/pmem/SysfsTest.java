package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the kernel's sysfs, against fake trees laid out as the kernel lays them out. */
class SysfsTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    private Sysfs sysfs() {
        return new Sysfs(fx.sysfs);
    }

    @Test
    void deviceDaxSizeAlignmentAndPlaceInItsRegion() {
        fx.devDax("dax0.0", 64 * MIB, 2 * MIB, 0x2_4000_0000L, 0x2_4120_0000L, "");
        Sysfs.DevDaxInfo info = sysfs().devDax("dax0.0");
        assertEquals(64 * MIB, info.size());
        assertEquals(2 * MIB, info.align());
        assertEquals(0x120_0000L, info.regionOffset().getAsLong());
        assertTrue(info.regionBadBlocks().orElseThrow().endsWith("region0/badblocks"));
    }

    @Test
    void olderKernelsGiveTheAlignmentOnlyInTheRegionGroup() throws IOException {
        fx.devDax("dax3.0", 8 * MIB, 2 * MIB, 0, 0, null);
        Path dev = fx.sysfs.resolve("bus/dax/devices/dax3.0");
        Files.delete(dev.resolve("align"));
        Files.createDirectories(dev.resolve("dax_region"));
        Fixture.write(dev.resolve("dax_region/align"), "1073741824\n");
        DaxException e = assertThrows(DaxException.class, () -> sysfs().devDax("dax3.0"));
        assertTrue(e.getMessage().contains("not a positive multiple of the device's alignment 1073741824"),
                e.getMessage());
        Fixture.write(dev.resolve("dax_region/align"), "4096\n");
        assertEquals(4096, sysfs().devDax("dax3.0").align());
        assertEquals(Optional.empty(), sysfs().devDax("dax3.0").regionBadBlocks(), "region without a list");
    }

    @Test
    void aMissingOrMalformedDeviceIsAClearError() {
        DaxException none = assertThrows(DaxException.class, () -> sysfs().devDax("dax9.9"));
        assertEquals(Errno.ENODEV, none.errno());
        assertTrue(none.getMessage().contains("no device DAX named dax9.9"), none.getMessage());

        fx.devDax("dax1.0", 4 * MIB, 2 * MIB, 0, 0, null);
        Path dev = fx.sysfs.resolve("bus/dax/devices/dax1.0");
        Fixture.write(dev.resolve("align"), "3000\n");
        DaxException align = assertThrows(DaxException.class, () -> sysfs().devDax("dax1.0"));
        assertEquals(Errno.EIO, align.errno());
        assertTrue(align.getMessage().contains("not a power of two"), align.getMessage());
        Fixture.write(dev.resolve("align"), "two megs\n");
        DaxException text = assertThrows(DaxException.class, () -> sysfs().devDax("dax1.0"));
        assertTrue(text.getMessage().contains("holds 'two megs', not a number"), text.getMessage());
    }

    @Test
    void badBlockFilesParseAndRefuseGarbage() {
        Path f = fx.dir.resolve("badblocks");
        Fixture.write(f, "8 8\n\n1000 1\n");
        assertEquals(List.of(new BadBlocks.Range(8, 8), new BadBlocks.Range(1000, 1)), Sysfs.readBadBlocks(f));
        Fixture.write(f, "8\n");
        assertEquals(Errno.EIO, assertThrows(DaxException.class, () -> Sysfs.readBadBlocks(f)).errno());
        Fixture.write(f, "8 -1\n");
        assertEquals(Errno.EIO, assertThrows(DaxException.class, () -> Sysfs.readBadBlocks(f)).errno());
        DaxException missing = assertThrows(DaxException.class, () -> Sysfs.readBadBlocks(fx.dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("cannot read the bad-block list"), missing.getMessage());
    }

    @Test
    void deviceNumbersDecodeAsGlibcEncodesThem() {
        // makedev(259, 3) and makedev(0x1005, 0x107)
        assertEquals(259, Sysfs.major(0x10303L));
        assertEquals(3, Sysfs.minor(0x10303L));
        long big = (0x005L << 8) | (0x1000L << 32) | 0x07L | (0x100L << 12);
        assertEquals(0x1005, Sysfs.major(big));
        assertEquals(0x107, Sysfs.minor(big));
    }

    private void blockDevice(String devNumber, String devicePath, String... files) throws IOException {
        Path dir = Files.createDirectories(fx.sysfs.resolve(devicePath));
        for (int i = 0; i < files.length; i += 2) {
            Fixture.write(dir.resolve(files[i]), files[i + 1]);
        }
        Path link = Files.createDirectories(fx.sysfs.resolve("dev/block")).resolve(devNumber);
        Files.createSymbolicLink(link, link.getParent().relativize(dir));
    }

    @Test
    void aFilesystemOnAPmemDiskOrPartitionIsFoundAndOthersAreNot() throws IOException {
        blockDevice("259:0", "devices/platform/e820_pmem/ndbus0/region0/namespace0.0/block/pmem0",
                "badblocks", "16 8\n", "size", "2097152\n");
        blockDevice("259:1", "devices/platform/e820_pmem/ndbus0/region0/namespace0.0/block/pmem0/pmem0p1",
                "partition", "1\n", "start", "2048\n", "size", "1000000\n");
        blockDevice("259:2", "devices/platform/e820_pmem/ndbus0/region1/btt1.0/block/pmem1s",
                "badblocks", "", "size", "100\n");
        blockDevice("254:0", "devices/pci0000:00/virtio2/block/vda", "badblocks", "", "size", "100\n");

        Sysfs.PmemDisk whole = sysfs().pmemDisk((259L << 8)).orElseThrow();
        assertEquals(new Sysfs.PmemDisk("pmem0", whole.badBlocks(), 0, 2097152, Optional.empty()), whole);
        Sysfs.PmemDisk part = sysfs().pmemDisk((259L << 8) | 1).orElseThrow();
        assertEquals("pmem0", part.name());
        assertEquals(2048, part.startSector());
        assertEquals(1000000, part.nrSectors());
        assertTrue(part.badBlocks().endsWith("block/pmem0/badblocks"), "the disk's list, not the partition's");
        assertEquals(Optional.empty(), sysfs().pmemDisk((259L << 8) | 2), "a BTT device is not DAX");
        assertEquals(Optional.empty(), sysfs().pmemDisk(254L << 8), "virtio disk");
        assertEquals(Optional.empty(), sysfs().pmemDisk(0x2aL), "tmpfs: no block device at all");
    }

    @Test
    void diskSectorsMapToFileSectorsThroughTheExtents() {
        // The file: [0, 8K) at disk byte 1M, [8K, 16K) at 4M, [16K, 20K) not yet allocated.
        List<LibC.Extent> extents = List.of(new LibC.Extent(0, MIB, 8192, 0),
                new LibC.Extent(8192, 4 * MIB, 8192, 0), new LibC.Extent(16384, 0, 4096, 0x4 | 0x1));
        List<BadBlocks.Range> disk = List.of(
                new BadBlocks.Range(MIB / 512 + 3, 2),        // inside the first extent
                new BadBlocks.Range(4 * MIB / 512 - 1, 3),    // straddles the start of the second
                new BadBlocks.Range(0, 10));                  // nowhere near the file
        assertEquals(List.of(new BadBlocks.Range(3, 2), new BadBlocks.Range(16, 2)),
                BadBlockSource.toFile(disk, extents, 40));
        assertEquals(List.of(new BadBlocks.Range(3, 2)), BadBlockSource.toFile(disk, extents, 10),
                "clipped to the device size");
        assertEquals(List.of(new BadBlocks.Range(0, 5), new BadBlocks.Range(6, 4)),
                BadBlockSource.shift(List.of(new BadBlocks.Range(2040, 13), new BadBlocks.Range(2054, 100)), 2048, 10));
    }
}
