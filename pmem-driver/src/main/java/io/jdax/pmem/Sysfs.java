package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * What the kernel tells about DAX devices in sysfs, read below a root that tests replace with a
 * fake tree: device DAX size and alignment ({@code bus/dax/devices/daxX.Y}), what its memory is
 * (an nvdimm region, hmem, a CXL RAM region) and the driver it is bound to, the nvdimm region's
 * facts ({@link NdRegion}: persistence domain, DIMMs, deep flush, bad blocks, region-relative),
 * and the pmem block device under a filesystem ({@code dev/block/MAJ:MIN},
 * {@code block/pmemN/badblocks}) with its region.
 */
final class Sysfs {
    private static final Pattern REGION = Pattern.compile("region\\d+");
    private static final Pattern HMEM = Pattern.compile("hmem\\.\\d+");
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
     * @param name         e.g. {@code dax0.0}
     * @param size         bytes
     * @param align        the mapping alignment the device demands, a power of two
     * @param origin       where its memory comes from: an nvdimm region, or memory that is not
     *                     persistent (hmem, CXL RAM)
     * @param regionOffset where the device's memory starts within its nvdimm region, in bytes;
     *                     empty when that cannot be read (the {@code resource} attributes are
     *                     readable by root only) or there is no region
     * @param offsetProblem why {@code regionOffset} is empty for a device in a region, else null
     * @param driver       the driver it is bound to ({@code device_dax}, {@code kmem}), or empty
     */
    record DevDaxInfo(String name, long size, long align, Origin origin, OptionalLong regionOffset,
                      String offsetProblem, Optional<String> driver) {
        /** The region's bad-block list, if the device sits in an nvdimm region that shows one. */
        Optional<Path> regionBadBlocks() {
            return origin instanceof Origin.Nvdimm n ? n.region().badBlocks() : Optional.empty();
        }
    }

    /** Where a device's memory comes from, found by walking up its real sysfs path. */
    sealed interface Origin {
        /** In an nvdimm region: persistent memory, whose region says how it persists. */
        record Nvdimm(NdRegion region) implements Origin {
        }

        /**
         * Not under an nvdimm region: soft-reserved memory ({@code hmem}), a CXL RAM region, or
         * something this jdax does not know. Not persistent.
         *
         * @param what what it is, for messages
         */
        record Other(String what) implements Origin {
        }
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
        Origin origin = origin(link);
        OptionalLong offset = OptionalLong.empty();
        String problem = null;
        if (origin instanceof Origin.Nvdimm n) {
            Path dax = link.resolve("resource");
            Path region = n.region().dir().resolve("resource");
            if (!Files.exists(dax)) {
                offset = OptionalLong.of(0); // kernels without the attribute: the device starts the region
            } else {
                problem = unreadable(dax);
                if (problem == null) {
                    problem = unreadable(region);
                }
                if (problem == null) {
                    long at = readLong(dax) - readLong(region);
                    if (at < 0) {
                        throw new DaxException(Errno.EIO, name + " starts before its region " + n.region().dir());
                    }
                    offset = OptionalLong.of(at);
                }
            }
        }
        return new DevDaxInfo(name, size, align, origin, offset, problem, linkName(link.resolve("driver")));
    }

    /**
     * Why a sysfs attribute cannot be read by this process, or null when it can: the kernel
     * makes the {@code resource} attributes of regions and devices readable by root only.
     */
    private static String unreadable(Path file) {
        try {
            Files.readString(file);
            return null;
        } catch (AccessDeniedException e) {
            return file + " is readable by root only";
        } catch (IOException e) {
            return file + " cannot be read (" + e + ")";
        }
    }

    /** The file name a sysfs link points to, e.g. a device's driver. */
    private static Optional<String> linkName(Path link) {
        try {
            Path real = link.toRealPath();
            return Optional.ofNullable(real.getFileName()).map(Path::toString);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * What a device's memory is, from its place in the device tree (sysfs paths are symlinks
     * into it): the first {@code regionN} above it on the nd bus is its nvdimm region; a CXL
     * region or an {@code hmem} platform device above it (and no nvdimm region) is memory that
     * is not persistent.
     */
    Origin origin(Path device) {
        Path real;
        try {
            real = device.toRealPath();
        } catch (IOException e) {
            return new Origin.Other("no place in the device tree (" + device + ": " + e.getMessage() + ")");
        }
        for (Path p = real.getParent(); p != null; p = p.getParent()) {
            String n = p.getFileName() == null ? "" : p.getFileName().toString();
            if (REGION.matcher(n).matches()) {
                String bus = linkName(p.resolve("subsystem")).orElse("");
                if (bus.equals("nd")) {
                    return new Origin.Nvdimm(NdRegion.read(p));
                }
                if (bus.equals("cxl")) {
                    String mode = readString(p.resolve("mode")).orElse("?");
                    return new Origin.Other("CXL region " + n + " in " + mode + " mode"
                            + (mode.equals("ram") ? " (volatile memory)" : ""));
                }
            }
            if (HMEM.matcher(n).matches()) {
                return new Origin.Other("soft-reserved memory (" + n + ": hmem, memory the firmware marked "
                        + "EFI_MEMORY_SP; volatile)");
            }
        }
        return new Origin.Other("not under an nvdimm region (" + real + ")");
    }

    private static Optional<String> readString(Path file) {
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The pmem disk under a filesystem, found from the filesystem's {@code st_dev}.
     *
     * @param name           the disk, e.g. {@code pmem0}
     * @param badBlocks      its {@code badblocks} file (disk-relative sectors)
     * @param startSector    where the filesystem's partition starts on the disk (0 for a whole disk)
     * @param nrSectors      the partition's (or disk's) size in sectors
     * @param region         the nvdimm region the disk's namespace is in
     */
    record PmemDisk(String name, Path badBlocks, long startSector, long nrSectors, Optional<NdRegion> region) {
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
        Optional<NdRegion> region = origin(disk) instanceof Origin.Nvdimm n ? Optional.of(n.region()) : Optional.empty();
        return Optional.of(new PmemDisk(disk.getFileName().toString(), disk.resolve("badblocks"), start,
                readLong(real.resolve("size")), region));
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
