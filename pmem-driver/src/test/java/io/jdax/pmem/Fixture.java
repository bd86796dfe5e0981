package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DeviceSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * What the pmem tests share: a scratch directory on tmpfs (page cache, no MAP_SYNC), a fake sysfs
 * tree, a driver whose msyncs are recorded, and cleanup of everything opened.
 */
final class Fixture implements AutoCloseable {
    /** One msync the device asked for: offset within the mapping and length. */
    record Sync(long offset, long bytes) {
    }

    final Path dir;
    final Path sysfs;
    final List<Sync> syncs = new CopyOnWriteArrayList<>();
    private final List<DaxDevice> opened = new ArrayList<>();
    final PmemDriver driver;

    Fixture() {
        this(Duration.ofSeconds(30));
    }

    Fixture(Duration closeTimeout) {
        try {
            Path shm = Path.of("/dev/shm");
            dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                    "jdax-pmem-test-");
            sysfs = Files.createDirectories(dir.resolve("sys"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Platform.Msync recording = range -> {
            syncs.add(new Sync(range.address(), range.byteSize()));
            Platform.Msync.FORCE.sync(range);
        };
        driver = new PmemDriver(new Platform(new Sysfs(sysfs), recording, closeTimeout));
    }

    /** Msyncs recorded since the last call, as offsets within {@code device}'s mapping. */
    List<Sync> takeSyncs(PmemDevice device) {
        long base = device.directAccess(0, 1, io.jdax.dax.DaxAccessMode.READ).addr().address();
        List<Sync> out = syncs.stream().map(s -> new Sync(s.offset() - base, s.bytes())).toList();
        syncs.clear();
        return out;
    }

    PmemDevice open(String spec, Arch arch) {
        PmemDevice d = (PmemDevice) driver.open(DeviceSpec.parse(spec), arch);
        opened.add(d);
        return d;
    }

    PmemDevice openDevDax(String spec, Arch arch) {
        PmemDevice d = driver.openDevDax(DeviceSpec.parse(spec), arch);
        opened.add(d);
        return d;
    }

    /** The spec of a file in the scratch directory. */
    String spec(String file, String params) {
        return "pmem:" + dir.resolve(file) + (params.isEmpty() ? "" : "?" + params);
    }

    /**
     * A fake device DAX {@code name} in region0 of a fake nvdimm bus: its directory holds size,
     * align and resource, {@code bus/dax/devices/NAME} links to it, and the region (on the nd bus,
     * with no persistence_domain: ADR assumed) has a resource and (if given) a badblocks list.
     * Also creates the regular file that stands for the device. {@link FakeSysfs} builds the rest
     * of the platform (domains, DIMMs, hmem, CXL, kmem).
     */
    Path devDax(String name, long size, long align, long regionStart, long daxStart, String regionBadBlocks) {
        try {
            Path region = Files.createDirectories(sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0"));
            write(region.resolve("resource"), "0x" + Long.toHexString(regionStart));
            FakeSysfs.onBus(region, sysfs, "nd"); // what makes it an nvdimm region
            if (regionBadBlocks != null) {
                write(region.resolve("badblocks"), regionBadBlocks);
            }
            Path dev = Files.createDirectories(region.resolve("dax0.1").resolve(name));
            write(dev.resolve("size"), Long.toString(size));
            write(dev.resolve("align"), Long.toString(align));
            write(dev.resolve("resource"), "0x" + Long.toHexString(daxStart));
            Path bus = Files.createDirectories(sysfs.resolve("bus/dax/devices"));
            Files.createSymbolicLink(bus.resolve(name), bus.relativize(dev));
            Path file = dir.resolve(name);
            try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(size);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file in the scratch directory, bar the fake sysfs. */
    List<Path> files() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.equals(sysfs)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (DaxDevice d : opened) {
            try {
                d.close();
            } catch (RuntimeException ignored) {
                // a test that left a lock held has already failed
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
