package io.jdax.pmem;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fake sysfs trees laid out as the kernel lays them out, for what the platform says about a device
 * (DESIGN.md C12): nvdimm regions on the nd bus with their persistence domain, DIMMs, deep flush
 * and bad blocks; device DAX in a region, in soft-reserved memory (hmem) or in a CXL RAM region;
 * a device bound to kmem. Each device DAX also gets the regular file that stands for it.
 */
final class FakeSysfs {
    private final Path sysfs;
    private final Path dir;

    /**
     * @param sysfs the fake tree's root
     * @param dir   where the stand-in device files go
     */
    FakeSysfs(Path sysfs, Path dir) {
        this.sysfs = sysfs;
        this.dir = dir;
    }

    /** A region, as {@link #ndRegion} makes it. */
    record Region(Path dir) {
        /** Sets (or, for null, removes) an attribute. */
        Region attr(String name, String value) {
            Path f = dir.resolve(name);
            try {
                if (value == null) {
                    Files.deleteIfExists(f);
                } else {
                    Files.writeString(f, value);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }

    /**
     * An nvdimm region under ACPI0012 (NFIT) on the nd bus: {@code resource} at {@code start},
     * {@code persistence_domain} (null: no such file, as before 4.16), an empty bad-block list,
     * no DIMMs ({@code mappings} 0) and no {@code deep_flush}.
     */
    Region ndRegion(String name, long start, String persistenceDomain) {
        Path r = mkdirs(sysfs.resolve("devices/platform/ACPI0012:00/ndbus0").resolve(name));
        onBus(r, sysfs, "nd");
        write(r.resolve("resource"), "0x" + Long.toHexString(start) + "\n");
        write(r.resolve("badblocks"), "");
        write(r.resolve("mappings"), "0\n");
        if (persistenceDomain != null) {
            write(r.resolve("persistence_domain"), persistenceDomain + "\n");
        }
        link(sysfs.resolve("bus/nd/devices").resolve(name), r);
        return new Region(r);
    }

    /** Gives {@code region} these DIMMs ({@code mappingN} = "nmemX,0,SIZE,N"). */
    void dimms(Region region, String... nmems) {
        region.attr("mappings", nmems.length + "\n");
        for (int i = 0; i < nmems.length; i++) {
            region.attr("mapping" + i, nmems[i] + ",0,1073741824," + i + "\n");
        }
    }

    /**
     * A DIMM on the nd bus; {@code dirtyShutdown} its {@code nfit/dirty_shutdown} (null: no such
     * attribute, a platform without the NFIT health method).
     */
    Path nmem(String name, String dirtyShutdown) {
        Path d = mkdirs(sysfs.resolve("devices/platform/ACPI0012:00/ndbus0").resolve(name));
        onBus(d, sysfs, "nd");
        if (dirtyShutdown != null) {
            write(mkdirs(d.resolve("nfit")).resolve("dirty_shutdown"), dirtyShutdown);
        }
        link(sysfs.resolve("bus/nd/devices").resolve(name), d);
        return d;
    }

    /** Soft-reserved memory (EFI_MEMORY_SP): the platform device {@code hmem.N}, its dax region. */
    Path hmem(int n) {
        Path h = mkdirs(sysfs.resolve("devices/platform/hmem." + n));
        onBus(h, sysfs, "platform");
        return h;
    }

    /** A CXL region in {@code mode} ({@code ram} or {@code pmem}) under a CXL root decoder. */
    Path cxlRegion(String name, String mode) {
        Path r = mkdirs(sysfs.resolve("devices/platform/ACPI0017:00/root0/decoder0.0").resolve(name));
        onBus(r, sysfs, "cxl");
        write(r.resolve("mode"), mode + "\n");
        write(r.resolve("resource"), "0x1080000000\n");
        return r;
    }

    /**
     * A device DAX {@code name} inside {@code parent} (a region, hmem or CXL region directory),
     * its {@code resource} at {@code resource} (null: no attribute), bound to {@code driver}
     * ({@code device_dax}, {@code kmem}); {@code bus/dax/devices/NAME} links to it. Returns the
     * regular file that stands for the device.
     */
    Path devDax(Path parent, String name, long size, long align, Long resource, String driver) {
        Path d = mkdirs(parent.resolve("dax" + name.substring(3, name.indexOf('.')) + ".1").resolve(name));
        write(d.resolve("size"), size + "\n");
        write(d.resolve("align"), align + "\n");
        if (resource != null) {
            write(d.resolve("resource"), "0x" + Long.toHexString(resource) + "\n");
        }
        Path drivers = mkdirs(sysfs.resolve("bus/dax/drivers").resolve(driver));
        link(d.resolve("driver"), drivers);
        link(sysfs.resolve("bus/dax/devices").resolve(name), d);
        Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * A pmem disk ({@code block/pmemN} under a namespace of {@code region}) that
     * {@code dev/block/MAJ:MIN} links to: how a file on a filesystem over it finds its region.
     */
    void pmemDisk(Region region, String devNumber, String name) {
        Path disk = mkdirs(region.dir().resolve("namespace0.0/block").resolve(name));
        write(disk.resolve("badblocks"), "");
        write(disk.resolve("size"), "2097152\n");
        link(mkdirs(sysfs.resolve("dev/block")).resolve(devNumber), disk);
    }

    /** Makes {@code dev}'s {@code subsystem} link point to {@code bus/BUS}, as the kernel does. */
    static void onBus(Path dev, Path sysfs, String bus) {
        Path b = mkdirs(sysfs.resolve("bus").resolve(bus));
        link(dev.resolve("subsystem"), b);
    }

    private static void link(Path link, Path target) {
        try {
            mkdirs(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, link.getParent().relativize(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path mkdirs(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path f, String text) {
        try {
            Files.writeString(f, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
