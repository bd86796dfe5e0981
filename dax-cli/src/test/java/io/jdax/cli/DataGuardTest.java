package io.jdax.cli;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxReadLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class DataGuardTest {

    private static void store(DaxDevice dev, long at, byte[] bytes) {
        try (DaxReadLock ignored = dev.readLock()) {
            MemorySegment m = dev.directAccess(at / 4096, 1, DaxAccessMode.WRITE).addr();
            MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, at % 4096, bytes.length);
        }
    }

    @Test
    void anEmptyDeviceHoldsNothingAndAnyDestroyDataPasses(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("pmem:" + tmp.resolve("a") + "?size=4M&create=true")) {
            assertEquals(Optional.empty(), DataGuard.inspect(dev));
            DataGuard.check(dev, "x", false);
            store(dev, 0, new byte[] {1});
            DataGuard.check(dev, "x", true);
            DataGuard.Refused e = assertThrows(DataGuard.Refused.class, () -> DataGuard.check(dev, "pmem:x", false));
            assertTrue(e.getMessage().startsWith("pmem:x holds data (non-zero bytes at byte 0"), e.getMessage());
        }
    }

    @Test
    void theFirstAndLastPagesAreAlwaysSampled(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("brd:g?size=64M")) {
            store(dev, dev.size() - 1, new byte[] {7});
            assertTrue(DataGuard.inspect(dev).orElseThrow().contains("byte " + (dev.size() - 1)));
        }
    }

    @Test
    void filesystemSignaturesAndOurMarkerAreNamed(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("brd:s?size=1M")) {
            store(dev, 1080, new byte[] {0x53, (byte) 0xEF});
            assertEquals("an ext2/3/4 filesystem signature at byte 1080", DataGuard.inspect(dev).orElseThrow());
            store(dev, 0, "XFSB".getBytes(StandardCharsets.US_ASCII));
            assertEquals("an XFS filesystem signature at byte 0", DataGuard.inspect(dev).orElseThrow());
            DataGuard.markScratch(dev, "selftest");
            String found = DataGuard.inspect(dev).orElseThrow();
            assertTrue(found.startsWith("test data of an earlier jdax run, written by jdax selftest at "), found);
        }
    }

    @Test
    void poisonedPagesArePassedOver(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("pmem:" + tmp.resolve("p") + "?size=1M&create=true")) {
            store(dev, 4096 * 255 + 5, new byte[] {9}); // the last page
            dev.badBlocks().orElseThrow().set(0, 8); // page 0 poisoned
            String found = DataGuard.inspect(dev).orElseThrow();
            assertTrue(found.contains("byte " + (4096 * 255 + 5)), found);
            dev.badBlocks().orElseThrow().set(255 * 8, 8);
            assertEquals(Optional.empty(), DataGuard.inspect(dev), "nothing readable is non-zero");
        }
    }

    // ---- signatures, each at its own offset, in images the real tools made

    /** Makes an image in a directory; returns its path. */
    @FunctionalInterface
    interface Maker {
        Path make(Path dir) throws Exception;
    }

    /** A format: how to make an image of it, and what the guard must say about it. */
    record Format(String name, String expected, Maker maker) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final long MIB = 1L << 20;

    /** {@code tool args... IMAGE} on a new sparse file of {@code bytes} (the smallest the tool accepts). */
    private static Maker mkfs(long bytes, String tool, String pkg, String... args) {
        return dir -> {
            String exe = Images.tool(tool, pkg);
            Path img = Images.sparse(dir.resolve(tool + ".img"), bytes);
            List<String> cmd = new java.util.ArrayList<>(List.of(exe));
            cmd.addAll(List.of(args));
            cmd.add(img.toString());
            Images.run(cmd, null);
            return img;
        };
    }

    static Stream<Format> formats() {
        return Stream.of(
                new Format("btrfs", "a btrfs filesystem signature at byte 65600",
                        mkfs(109 * MIB, "mkfs.btrfs", "btrfs-progs", "-q")),
                new Format("xfs", "an XFS filesystem signature at byte 0",
                        mkfs(300 * MIB, "mkfs.xfs", "xfsprogs", "-q")),
                new Format("ext4", "an ext2/3/4 filesystem signature at byte 1080",
                        mkfs(MIB, "mkfs.ext4", "e2fsprogs", "-q", "-F")),
                new Format("f2fs", "an F2FS filesystem signature at byte 1024",
                        mkfs(52 * MIB, "mkfs.f2fs", "f2fs-tools", "-q")),
                new Format("ntfs", "an NTFS filesystem signature at byte 3",
                        mkfs(2 * MIB, "mkntfs", "ntfs-3g", "-q", "-F", "-f")),
                new Format("vfat", "a FAT12 filesystem signature at byte 54",
                        mkfs(64 * 1024, "mkfs.vfat", "dosfstools")),
                new Format("vfat32", "a FAT32 filesystem signature at byte 82",
                        mkfs(33 * MIB, "mkfs.vfat", "dosfstools", "-F", "32")),
                new Format("swap", "a swap area signature at byte 4086",
                        mkfs(40 * 1024, "mkswap", "util-linux")),
                new Format("luks", "a LUKS encrypted volume signature at byte 0", dir -> {
                    String exe = Images.tool("cryptsetup", "cryptsetup-bin");
                    Path img = Images.sparse(dir.resolve("luks.img"), 16 * MIB);
                    Images.run(List.of(exe, "luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2",
                            "--pbkdf-force-iterations", "1000", img.toString(), "-"), "passphrase");
                    return img;
                }),
                new Format("gpt", "a GPT partition table signature at byte 512",
                        mkfs(64 * 1024, "sgdisk", "gdisk", "-o")),
                new Format("mbr", "a DOS/MBR partition table or boot sector signature at byte 510", dir -> {
                    String exe = Images.tool("sfdisk", "fdisk");
                    Path img = Images.sparse(dir.resolve("mbr.img"), 64 * 1024);
                    Images.run(List.of(exe, "-q", img.toString()), "label: dos\n");
                    return img;
                }),
                new Format("iso9660", "an ISO 9660 filesystem signature at byte 32769", dir -> {
                    String exe = Images.tool("genisoimage", "genisoimage");
                    Path src = Files.createDirectory(dir.resolve("iso-src"));
                    Files.writeString(src.resolve("hello.txt"), "hello\n");
                    Path img = dir.resolve("iso.img");
                    Images.run(exe, "-quiet", "-o", img.toString(), src.toString());
                    return Images.padToPages(img);
                }),
                new Format("squashfs", "a squashfs filesystem signature at byte 0", dir -> {
                    String exe = Images.tool("mksquashfs", "squashfs-tools");
                    Path src = Files.createDirectory(dir.resolve("sq-src"));
                    Files.writeString(src.resolve("hello.txt"), "hello\n");
                    Path img = dir.resolve("sq.img");
                    Images.run(exe, src.toString(), img.toString(), "-quiet", "-noappend", "-no-progress");
                    return Images.padToPages(img);
                }),
                new Format("lvm2", "an LVM2 physical volume signature at byte 512", dir -> {
                    String exe = Images.tool("pvcreate", "lvm2");
                    int uid = Images.uid();
                    assumeTrue(uid == 0, "pvcreate needs a block device (a loop device, so root) and this runs as uid "
                            + uid + ": skipped (CI runs as root, where it is not)");
                    Path img = Images.sparse(dir.resolve("lvm.img"), 8 * MIB);
                    String losetup = Images.tool("losetup", "mount");
                    String loop = Images.run(losetup, "--find", "--show", img.toString()).strip();
                    try {
                        // --devicesfile "": this PV stays out of the machine's LVM devices file
                        Images.run(exe, "-q", "-y", "--devicesfile", "", loop);
                    } finally {
                        Images.run(losetup, "-d", loop);
                    }
                    return img;
                }),
                // Formats Debian does not package the tools of: the header as the format puts it.
                new Format("zfs", "a ZFS label (uberblock magic 0x00bab10c) signature at byte " + (4 * MIB - 384 * 1024
                        + 5 * 1024), dir -> {
                    // Only the third label's sixth uberblock: the labels at the end count as much.
                    Path img = Images.sparse(dir.resolve("zfs.img"), 4 * MIB);
                    write(img, 4 * MIB - 512 * 1024 + 128 * 1024 + 5 * 1024, new byte[] {0x0c, (byte) 0xb1, (byte) 0xba, 0, 0,
                            0, 0, 0});
                    return img;
                }),
                new Format("bcachefs", "a bcachefs filesystem signature at byte 4120", dir -> {
                    Path img = Images.sparse(dir.resolve("bcachefs.img"), MIB);
                    write(img, 4096 + 24, uuid("c68573f6-66ce-90a9-d96a-60cf803df7ef"));
                    return img;
                }),
                new Format("bcache", "a bcache device or bcachefs filesystem signature at byte 4120", dir -> {
                    Path img = Images.sparse(dir.resolve("bcache.img"), MIB);
                    write(img, 4096 + 24, uuid("c68573f6-4e1a-45ca-8265-f57f48ba6d81"));
                    return img;
                }),
                new Format("daxfs-backup", "a jdax daxfs filesystem signature at byte " + (4 * MIB - 4096), dir -> {
                    // A damaged primary superblock: fsck restores it from the backup in the last block.
                    Path img = Images.sparse(dir.resolve("daxfs.img"), 4 * MIB);
                    write(img, 4 * MIB - 4096, "JDAXDAXF".getBytes(StandardCharsets.US_ASCII));
                    return img;
                }),
                // Signatures far from the first and last MiB and from every sampled page of a 1 GiB device.
                new Format("btrfs-mirror-only", "a btrfs filesystem signature at byte " + (64 * MIB + 0x40), dir -> {
                    Path img = Images.sparse(dir.resolve("btrfs-mirror.img"), 1024 * MIB);
                    write(img, 64 * MIB + 0x40, "_BHRfS_M".getBytes(StandardCharsets.US_ASCII));
                    return img;
                }),
                new Format("luks2-second-header-only", "a LUKS2 encrypted volume (its second header) signature at byte "
                        + 4 * MIB, dir -> {
                    Path img = Images.sparse(dir.resolve("luks2.img"), 1024 * MIB);
                    write(img, 4 * MIB, new byte[] {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe});
                    return img;
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void everySignatureIsFoundAtItsOwnOffset(Format f, @TempDir Path tmp) throws Exception {
        Path img = f.maker().make(tmp);
        // sparse=true: map the image as it is, holes and all (the guard reads, never writes)
        try (DaxDevice dev = DaxDevices.open("pmem:" + img + "?sparse=true")) {
            assertEquals(Optional.of(f.expected()), DataGuard.inspect(dev), f.name());
        }
    }

    @Test
    void theFirstAndLastMibAreReadWhole(@TempDir Path tmp) throws Exception {
        Path img = Images.sparse(tmp.resolve("ends.img"), 1024 * MIB);
        try (DaxDevice dev = DaxDevices.open("pmem:" + img + "?sparse=true")) {
            assertEquals(Optional.empty(), DataGuard.inspect(dev));
            for (long at : new long[] {MIB - 1, 1024 * MIB - MIB + 4097}) {
                store(dev, at, new byte[] {3});
                String found = DataGuard.inspect(dev).orElseThrow();
                assertTrue(found.startsWith("non-zero bytes at byte " + at), found);
                store(dev, at, new byte[] {0});
            }
            assertEquals(Optional.empty(), DataGuard.inspect(dev));
        }
    }

    private static void write(Path img, long at, byte[] bytes) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(img.toFile(), "rw")) {
            raf.seek(at);
            raf.write(bytes);
        }
    }

    private static byte[] uuid(String text) {
        return java.util.HexFormat.of().parseHex(text.replace("-", ""));
    }
}
