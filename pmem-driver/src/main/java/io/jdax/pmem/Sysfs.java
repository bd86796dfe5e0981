package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the kernel tells about DAX devices in sysfs, read below a root that tests replace with a
 * fake tree: device DAX size and alignment ({@code bus/dax/devices/daxX.Y}), the nvdimm region
 * it lives in and its bad blocks ({@code regionN/badblocks}, region-relative), and the pmem block
 * device under a filesystem ({@code dev/block/MAJ:MIN}, {@code block/pmemN/badblocks}).
 */
final class Sysfs {
    private static final Pattern REGION = Pattern.compile("region\\d+");
    // fsdax namespaces are pmemN or pmemN.M; a trailing 's' is a BTT (sector mode) device, not DAX.
    private static final Pattern PMEM_DISK = Pattern.compile("pmem\\d+(\\.\\d+)?");

    private final Path root;

    Sysfs(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /**
     * A device DAX instance as sysfs describes it.
     *
     * @param name            e.g. {@code dax0.0}
     * @param size            bytes
     * @param align           the mapping alignment the device demands, a power of two
     * @param regionBadBlocks the region's {@code badblocks} file, if the device sits in an nvdimm region
     * @param regionOffset    where the device's memory starts within the region, in bytes
     */
    record DevDaxInfo(String name, long size, long align, Optional<Path> regionBadBlocks, long regionOffset) {
    }

    /**
     * Reads {@code bus/dax/devices/NAME}.
     *
     * @throws DaxException ENODEV if sysfs has no such device, EIO if its attributes are unreadable
     */
    DevDaxInfo devDax(String name) {
        Path link = root.resolve("bus/dax/devices").resolve(name);
        if (!Files.isDirectory(link)) {
            throw new DaxException(Errno.ENODEV, "no device DAX named " + name + " in " + link.getParent()
                    + " (is the device_dax driver bound? see 'daxctl list')");
        }
        long size = readLong(link.resolve("size"));
        Path alignFile = link.resolve("align");
        if (!Files.exists(alignFile)) {
            alignFile = link.resolve("dax_region/align"); // kernels before 5.10 only had the region's
        }
        long align = readLong(alignFile);
        if (align < 4096 || Long.bitCount(align) != 1) {
            throw new DaxException(Errno.EIO, alignFile + ": alignment " + align + " is not a power of two >= 4096");
        }
        if (size <= 0 || size % align != 0) {
            throw new DaxException(Errno.EIO, link.resolve("size") + ": size " + size
                    + " is not a positive multiple of the device's alignment " + align);
        }
        Optional<Path> region = findRegion(link);
        long offset = 0;
        if (region.isPresent() && Files.exists(link.resolve("resource"))) {
            offset = readLong(link.resolve("resource")) - readLong(region.get().resolve("resource"));
            if (offset < 0) {
                throw new DaxException(Errno.EIO, name + " starts before its region " + region.get());
            }
        }
        return new DevDaxInfo(name, size, align, region.map(r -> r.resolve("badblocks")).filter(Files::exists), offset);
    }

    /** The nvdimm region directory above a device (sysfs paths are symlinks into the device tree). */
    private static Optional<Path> findRegion(Path device) {
        Path real;
        try {
            real = device.toRealPath();
        } catch (IOException e) {
            return Optional.empty();
        }
        for (Path p = real.getParent(); p != null; p = p.getParent()) {
            if (p.getFileName() != null && REGION.matcher(p.getFileName().toString()).matches()
                    && Files.exists(p.resolve("resource"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The pmem disk under a filesystem, found from the filesystem's {@code st_dev}.
     *
     * @param name           the disk, e.g. {@code pmem0}
     * @param badBlocks      its {@code badblocks} file (disk-relative sectors)
     * @param startSector    where the filesystem's partition starts on the disk (0 for a whole disk)
     * @param nrSectors      the partition's (or disk's) size in sectors
     */
    record PmemDisk(String name, Path badBlocks, long startSector, long nrSectors) {
    }

    /** The pmem disk (or partition of one) with device number {@code dev}, if that is what it is. */
    Optional<PmemDisk> pmemDisk(long dev) {
        Path link = root.resolve("dev/block").resolve(major(dev) + ":" + minor(dev));
        Path real;
        try {
            real = link.toRealPath();
        } catch (IOException e) {
            return Optional.empty(); // tmpfs, overlay and other device-less filesystems have none
        }
        boolean partition = Files.exists(real.resolve("partition"));
        Path disk = partition ? real.getParent() : real;
        if (disk == null || disk.getFileName() == null || !PMEM_DISK.matcher(disk.getFileName().toString()).matches()
                || !Files.exists(disk.resolve("badblocks"))) {
            return Optional.empty();
        }
        long start = partition ? readLong(real.resolve("start")) : 0;
        return Optional.of(new PmemDisk(disk.getFileName().toString(), disk.resolve("badblocks"), start,
                readLong(real.resolve("size"))));
    }

    /** The major number of a Linux {@code dev_t} (glibc's {@code gnu_dev_major}). */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
    }

    /** The minor number of a Linux {@code dev_t} (glibc's {@code gnu_dev_minor}). */
    static long minor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
    }

    /**
     * Parses a kernel {@code badblocks} file: one {@code "sector count"} per line.
     *
     * @throws DaxException EIO naming the file and the bad line
     */
    static List<BadBlocks.Range> readBadBlocks(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot read the bad-block list " + file + ": " + e, e);
        }
        List<BadBlocks.Range> out = new ArrayList<>();
        for (String line : lines) {
            String s = line.strip();
            if (s.isEmpty()) {
                continue;
            }
            String[] f = s.split("\\s+");
            try {
                if (f.length != 2) {
                    throw new NumberFormatException("expected 'sector count'");
                }
                out.add(new BadBlocks.Range(Long.parseLong(f[0]), Long.parseLong(f[1])));
            } catch (NumberFormatException | DaxException e) {
                throw new DaxException(Errno.EIO, file + ": bad line '" + line + "' (expected 'sector count')", e);
            }
        }
        return out;
    }

    /** Reads a sysfs number, decimal or {@code 0x} hexadecimal. */
    static long readLong(Path file) {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (NoSuchFileException e) {
            throw new DaxException(Errno.EIO, "sysfs attribute " + file + " does not exist", e);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot read sysfs attribute " + file + ": " + e, e);
        }
        try {
            return text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16)
                    : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new DaxException(Errno.EIO, "sysfs attribute " + file + " holds '" + text + "', not a number", e);
        }
    }
}
