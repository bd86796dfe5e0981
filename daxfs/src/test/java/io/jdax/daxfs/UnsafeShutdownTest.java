package io.jdax.daxfs;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.UnsafeShutdownCount;
import io.jdax.pmem.PmemDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The unsafe shutdown count at mount ({@link ShutdownState}) and the deep flush at unmount. The
 * pmem cases read a fake sysfs tree ({@value PmemDriver#SYSFS_PROPERTY}): the image file's tmpfs
 * taken for a pmem disk in region0, whose DIMM nmem0 has a {@code nfit/dirty_shutdown}.
 */
class UnsafeShutdownTest {
    @TempDir
    Path tmp;
    private Path counter;

    @AfterEach
    void clearProperty() {
        System.clearProperty(PmemDriver.SYSFS_PROPERTY);
    }

    /** A fake sysfs where the filesystem of the scratch directory is pmem0 in region0 on DIMM nmem0. */
    private void fakePmemDisk(String dirtyShutdown) throws IOException {
        Path sys = tmp.resolve("sys");
        Path region = Files.createDirectories(sys.resolve("devices/platform/ACPI0012:00/ndbus0/region0"));
        Path nd = Files.createDirectories(sys.resolve("bus/nd"));
        Files.createSymbolicLink(region.resolve("subsystem"), region.relativize(nd));
        Files.writeString(region.resolve("persistence_domain"), "memory_controller\n");
        Files.writeString(region.resolve("mappings"), "1\n");
        Files.writeString(region.resolve("mapping0"), "nmem0,0,1073741824,0\n");
        Path disk = Files.createDirectories(region.resolve("namespace0.0/block/pmem0"));
        Files.writeString(disk.resolve("badblocks"), "");
        Files.writeString(disk.resolve("size"), "2097152\n");
        long dev = ((Number) Files.getAttribute(Fixture.scratch(), "unix:dev")).longValue();
        Path link = Files.createDirectories(sys.resolve("dev/block")).resolve(major(dev) + ":" + minor(dev));
        Files.createSymbolicLink(link, link.getParent().relativize(disk));
        Path nmem = Files.createDirectories(sys.resolve("bus/nd/devices/nmem0/nfit"));
        counter = nmem.resolve("dirty_shutdown");
        Files.writeString(counter, dirtyShutdown);
        System.setProperty(PmemDriver.SYSFS_PROPERTY, sys.toString());
    }

    private static long major(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
    }

    private static long minor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
    }

    @Test
    void aCountThatWentFrom5To6RunsTheFullCheckAndSaysSoAndAnUnchangedOneMountsQuietly() throws IOException {
        fakePmemDisk("5\n");
        try (DaxDevice d = Fixture.pmem("usc", 4 << 20)) {
            assertEquals(new UnsafeShutdownCount.Known(5, "nmem0/nfit/dirty_shutdown of region0"),
                    d.unsafeShutdownCount());
            DaxFs.format(d, FormatOptions.defaults());
            try (DaxFs fs = DaxFs.mount(d)) {
                Fixture.write(fs.create("a"), 0, Fixture.random(1, 10_000));
                assertEquals(List.of(), fs.notices(), "recorded at format, unchanged: a quiet mount");
            }
            Files.writeString(counter, "6\n"); // the machine lost power unsafely and rebooted
            try (DaxFs fs = DaxFs.mount(d)) {
                assertEquals(1, fs.notices().size(), fs.notices().toString());
                String n = fs.notices().getFirst();
                assertTrue(n.contains("unsafe shutdown count of ") && n.contains("went from 5 to 6 since the last clean "
                        + "unmount"), n);
                assertTrue(n.contains("the full check (Fsck.check) found no problem"), n);
                assertEquals(List.of("a"), fs.list());
            }
            try (DaxFs fs = DaxFs.mount(d)) {
                assertEquals(List.of(), fs.notices(), "6 was recorded when the check passed: quiet again");
            }
        }
    }

    @Test
    void aChangedCountWithDamageTheMountWouldMissFailsTheMountNamingBoth() throws IOException {
        fakePmemDisk("5\n");
        try (DaxDevice d = Fixture.pmem("usc-damage", 4 << 20)) {
            DaxFs.format(d, FormatOptions.defaults());
            try (DaxFs fs = DaxFs.mount(d)) {
                fs.create("a");
            }
            Geometry g = Geometry.decode(Fixture.block(d, 0));
            Fixture.flipBit(d, g.backupBlock(), 40, 1); // mount reads only the primary; the full check both
            Files.writeString(counter, "6\n");
            DaxException e = assertThrows(DaxException.class, () -> DaxFs.mount(d));
            assertEquals(Errno.EUCLEAN, e.errno());
            assertTrue(e.getMessage().contains("went from 5 to 6") && e.getMessage().contains("backup superblock")
                    && e.getMessage().endsWith("Run Fsck.repair"), e.getMessage());
            assertTrue(Fsck.repair(d).remaining().isEmpty());
            try (DaxFs fs = DaxFs.mount(d)) {
                assertEquals(List.of(), fs.notices(), "repair rewrote the journal: nothing recorded, 6 recorded now");
                assertEquals(List.of("a"), fs.list());
            }
            Files.writeString(counter, "7\n");
            try (DaxFs fs = DaxFs.mount(d)) {
                assertTrue(fs.notices().getFirst().contains("went from 6 to 7"), fs.notices().toString());
            }
        }
    }

    @Test
    void aCountThatCannotBeReadIsSaidAndChangesNothing() throws IOException {
        fakePmemDisk("5\n");
        try (DaxDevice d = Fixture.pmem("usc-unreadable", 4 << 20)) {
            DaxFs.format(d, FormatOptions.defaults());
            Files.writeString(counter, "five\n");
            try (DaxFs fs = DaxFs.mount(d)) {
                assertEquals(1, fs.notices().size(), fs.notices().toString());
                assertTrue(fs.notices().getFirst().contains("could not be read") && fs.notices().getFirst()
                        .contains("nmem0/nfit/dirty_shutdown"), fs.notices().getFirst());
            }
            Files.writeString(counter, "5\n");
            try (DaxFs fs = DaxFs.mount(d)) {
                assertEquals(List.of(), fs.notices(), "5 is still the count recorded at format");
            }
        }
    }

    @Test
    void aDeviceWithoutACountMountsQuietly() {
        try (DaxDevice d = Fixture.formatted("usc-none", 4 << 20); DaxFs fs = DaxFs.mount(d)) {
            assertTrue(d.unsafeShutdownCount() instanceof UnsafeShutdownCount.Unsupported, d.unsafeShutdownCount()
                    .describe());
            assertEquals(List.of(), fs.notices());
        }
    }

    // ---- the deep flush at unmount

    /** A device in memory whose count and deep flush the test sets. */
    private static final class PlatformOps implements DaxOperations {
        final MemorySegment memory;
        final AtomicInteger deepFlushes = new AtomicInteger();
        volatile DaxException deepFailure;

        PlatformOps(Arena arena, long size) {
            memory = arena.allocate(size, 4096);
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            kaddr.set(memory, pgoff * DaxDevice.PAGE_SIZE);
            return nrPages;
        }

        @Override
        public void flush() {
        }

        @Override
        public Optional<DeepFlush> deepFlush() {
            return Optional.of(() -> {
                deepFlushes.incrementAndGet();
                if (deepFailure != null) {
                    throw deepFailure;
                }
            });
        }
    }

    @Test
    void unmountEndsWithOneDeepFlushAndAFailedOneIsANoticeNotAnError() {
        try (Arena arena = Arena.ofShared()) {
            PlatformOps ops = new PlatformOps(arena, 4 << 20);
            DaxDevice d = new DaxDevice(new DaxDevice.Info("plat", DeviceSpec.parse("test:plat"), 4 << 20,
                    DaxDevice.PAGE_SIZE, PersistenceMode.VOLATILE, "test memory"), new PortableArch(), ops);
            DaxFs.format(d, FormatOptions.defaults());
            DaxFs fs = DaxFs.mount(d);
            fs.create("x");
            assertEquals(0, ops.deepFlushes.get(), "never per write");
            fs.unmount();
            assertEquals(1, ops.deepFlushes.get(), "one deep flush at unmount");
            fs.unmount();
            assertEquals(1, ops.deepFlushes.get(), "twice unmounted, once flushed");

            ops.deepFailure = new DaxException(Errno.EACCES, "region0/deep_flush is writable by root only");
            DaxFs again = DaxFs.mount(d);
            again.unmount();
            assertEquals(2, ops.deepFlushes.get());
            assertTrue(again.notices().getLast().startsWith("unmount: the deep flush failed (everything was fenced): "
                    + "EACCES"), again.notices().toString());
            assertThrows(DaxException.class, again::list, "unmounted all the same");
            d.close();
        }
    }
}
