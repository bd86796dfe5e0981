package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.UnsafeShutdownCount;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the platform says about a device (DESIGN.md C12), from fake sysfs trees: the region's
 * persistence domain decides CPU_CACHE or PERSISTENT_CACHE (and {@code eadr=} overrides it),
 * memory that is not an nvdimm region is volatile, kmem is refused, an unreadable
 * {@code resource} still opens where the bad blocks allow it, the unsafe shutdown count tells
 * unsupported from unreadable, and the deep flush writes the region's {@code deep_flush}.
 */
class PlatformTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();
    private final FakeSysfs sys = new FakeSysfs(fx.sysfs, fx.dir);

    @AfterEach
    void cleanup() {
        fx.close();
    }

    /** A 4 MiB device DAX in region0, whose persistence_domain is {@code domain} (null: no file). */
    private Path inRegion(String domain) {
        FakeSysfs.Region r = sys.ndRegion("region0", 0x2_0000_0000L, domain);
        return sys.devDax(r.dir(), "dax0.0", 4 * MIB, 2 * MIB, 0x2_0000_0000L, "device_dax");
    }

    // ---- the persistence domain

    @Test
    void aCpuCacheDomainIsPersistentCacheAndWritesNothingBackButFences() {
        Path file = inRegion("cpu_cache");
        CountingArch arch = new CountingArch(new ModelArch());
        PmemDevice d = fx.openDevDax("pmem:" + file, arch);
        assertEquals(PersistenceMode.PERSISTENT_CACHE, d.persistence());
        assertTrue(d.persistenceReason().contains("region0's persistence_domain is cpu_cache (eADR"),
                d.persistenceReason());
        assertTrue(d.persistenceReason().contains("durable once fenced by counting(model), no write-back"),
                d.persistenceReason());

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(3 * 4096 + 100);
            for (long off : new long[] {0, 13, 4096 + 61}) {
                Iters.write(d, off, IovIter.ubuf(IovIter.Direction.SOURCE, src));
            }
        }
        Iters.write(d, 7, IovIter.kvec(IovIter.Direction.SOURCE, new byte[5000])); // heap: cached stores
        d.flush();
        assertEquals(0, arch.writebacks.get(), "copyFromIter + flush wrote lines back on an eADR device");
        assertTrue(arch.flushcacheCopies.isEmpty(), "the flushcache copy (which writes back) was used");
        assertTrue(arch.fences.get() >= 1, "flush() did not fence");

        long fences = arch.fences.get();
        d.flushRange(5, 9000); // DaxMapping.persist
        assertEquals(0, arch.writebacks.get(), "flushRange wrote lines back");
        assertEquals(fences + 1, arch.fences.get(), "flushRange is one fence");

        d.zeroPageRange(2, 3);
        d.flush();
        assertEquals(0, arch.writebacks.get(), "zeroPageRange wrote lines back");
    }

    @Test
    void memoryControllerEmptyAndMissingDomainsAreCpuCacheAndSaySo() {
        FakeSysfs.Region r = sys.ndRegion("region0", 0x2_0000_0000L, null);
        Path file = sys.devDax(r.dir(), "dax0.0", 4 * MIB, 2 * MIB, 0x2_0000_0000L, "device_dax");
        for (String domain : new String[] {"memory_controller", "", null}) {
            r.attr("persistence_domain", domain == null ? null : domain + "\n");
            CountingArch arch = new CountingArch(new ModelArch());
            PmemDevice d = fx.openDevDax("pmem:" + file, arch);
            assertEquals(PersistenceMode.CPU_CACHE, d.persistence(), "domain " + domain);
            String want = domain == null ? "has no persistence_domain" : domain.isEmpty() ? "empty (the platform"
                    : "memory_controller (ADR";
            assertTrue(d.persistenceReason().contains(want), domain + ": " + d.persistenceReason());
            assertTrue(d.facts().get("persistence domain").contains(want), d.facts().toString());
            Iters.write(d, 13, IovIter.kvec(IovIter.Direction.SOURCE, new byte[100]));
            d.flush();
            assertFalse(arch.flushcacheCopies.isEmpty(), "ADR: the durable copy, which writes back its cached lines");
            d.flushRange(0, 4096);
            assertTrue(arch.writebacks.get() > 0, "ADR: flushRange writes back");
            d.close();
        }
    }

    @Test
    void eadrOnAndOffOverrideTheRegionAndAnythingElseIsRefused() {
        Path file = inRegion("memory_controller");
        PmemDevice on = fx.openDevDax("pmem:" + file + "?eadr=on", new ModelArch());
        assertEquals(PersistenceMode.PERSISTENT_CACHE, on.persistence());
        assertTrue(on.persistenceReason().startsWith("eadr=on asked for"), on.persistenceReason());
        on.close();
        sys.ndRegion("region0", 0x2_0000_0000L, "cpu_cache");
        PmemDevice off = fx.openDevDax("pmem:" + file + "?eadr=off", new ModelArch());
        assertEquals(PersistenceMode.CPU_CACHE, off.persistence());
        assertTrue(off.persistenceReason().contains("eadr=off: write-backs kept (region0's persistence_domain is "
                + "cpu_cache"), off.persistenceReason());
        off.close();
        DaxException bad = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file + "?eadr=maybe",
                new ModelArch()));
        assertEquals(Errno.EINVAL, bad.errno());
        assertTrue(bad.getMessage().contains("expected auto, on or off"), bad.getMessage());
        System.setProperty(PmemDriver.EADR_PROPERTY, "off");
        try {
            assertEquals(PersistenceMode.CPU_CACHE, fx.openDevDax("pmem:" + file, new ModelArch()).persistence());
        } finally {
            System.clearProperty(PmemDriver.EADR_PROPERTY);
        }
        // a volatile device stays volatile, and says eadr=on changed nothing
        PmemDevice v = fx.openDevDax("pmem:" + file + "?mode=volatile&eadr=on", new ModelArch());
        assertEquals(PersistenceMode.VOLATILE, v.persistence());
        assertTrue(v.persistenceReason().contains("eadr=on does not apply to VOLATILE"), v.persistenceReason());
    }

    @Test
    void eadrStillNeedsAnArchWithCacheInstructions() {
        Path file = inRegion("cpu_cache");
        DaxException e = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file, new PortableArch()));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }

    @Test
    void aFileOnAPmemDiskTakesTheDomainOfItsRegion() throws IOException {
        Path file = fx.dir.resolve("emulated.pmem");
        long dev = ((Number) Files.getAttribute(fx.dir, "unix:dev")).longValue();
        FakeSysfs.Region r = sys.ndRegion("region1", 0x3_0000_0000L, "cpu_cache");
        sys.pmemDisk(r, Sysfs.major(dev) + ":" + Sysfs.minor(dev), "pmem1");
        PmemDevice d = fx.open("pmem:" + file + "?size=1M&create=true&mode=emulated", new ModelArch());
        assertEquals(PersistenceMode.PERSISTENT_CACHE, d.persistence(), d.persistenceReason());
        assertTrue(d.persistenceReason().contains("region1's persistence_domain is cpu_cache"), d.persistenceReason());
        assertTrue(d.facts().get("memory").contains("a file on pmem disk pmem1 in nvdimm region1"), d.facts().toString());
        assertTrue(d.hasDeepFlush(), "a file's deep flush is its fdatasync");
        d.deepFlush();
    }

    // ---- memory that is not an nvdimm region

    @Test
    void hmemAndCxlRamAreVolatileUnlessEmulated() {
        Path hmem = sys.devDax(sys.hmem(0), "dax1.0", 4 * MIB, 2 * MIB, 0x10_0000_0000L, "device_dax");
        PmemDevice h = fx.openDevDax("pmem:" + hmem, new ModelArch());
        assertEquals(PersistenceMode.VOLATILE, h.persistence());
        assertTrue(h.persistenceReason().contains("soft-reserved memory (hmem.0"), h.persistenceReason());
        assertTrue(h.persistenceReason().contains("nothing survives power loss"), h.persistenceReason());
        assertInstanceOf(UnsafeShutdownCount.Unsupported.class, h.unsafeShutdownCount());
        assertFalse(h.hasDeepFlush());
        h.close();
        assertEquals(PersistenceMode.VOLATILE, fx.openDevDax("pmem:" + hmem, new PortableArch()).persistence(),
                "volatile needs no write-back: any Arch will do");
        DaxException strict = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + hmem
                + "?mode=cpu_cache", new ModelArch()));
        assertEquals(Errno.EOPNOTSUPP, strict.errno());
        assertTrue(strict.getMessage().contains("not persistent memory"), strict.getMessage());
        PmemDevice emulated = fx.openDevDax("pmem:" + hmem + "?mode=emulated", new ModelArch());
        assertEquals(PersistenceMode.CPU_CACHE, emulated.persistence());
        assertTrue(emulated.persistenceReason().startsWith("mode=emulated asked for"), emulated.persistenceReason());

        Path cxl = sys.devDax(sys.cxlRegion("region7", "ram").resolve("dax_region7"), "dax7.0", 4 * MIB, 2 * MIB,
                0x10_8000_0000L, "device_dax");
        PmemDevice c = fx.openDevDax("pmem:" + cxl, new ModelArch());
        assertEquals(PersistenceMode.VOLATILE, c.persistence());
        assertTrue(c.persistenceReason().contains("CXL region region7 in ram mode (volatile memory)"),
                c.persistenceReason());
        assertTrue(c.facts().get("bad blocks from").contains("bad blocks only by injection"), c.facts().toString());
    }

    @Test
    void aCxlPersistentRegionIsAnNvdimmRegionReportingMemoryController() {
        // CXL pmem reaches device DAX through an nvdimm region the cxl_pmem driver makes
        FakeSysfs.Region r = sys.ndRegion("region3", 0x20_0000_0000L, "memory_controller");
        Path dev = sys.devDax(r.dir(), "dax3.0", 4 * MIB, 2 * MIB, 0x20_0000_0000L, "device_dax");
        CountingArch arch = new CountingArch(new ModelArch());
        PmemDevice d = fx.openDevDax("pmem:" + dev, arch);
        assertEquals(PersistenceMode.CPU_CACHE, d.persistence());
        d.flushRange(0, 64);
        assertEquals(1, arch.writebacks.get(), "write-backs kept");
    }

    @Test
    void aDeviceGivenToTheKernelAsSystemRamIsRefusedWithTheWayBack() {
        FakeSysfs.Region r = sys.ndRegion("region0", 0, "memory_controller");
        Path file = sys.devDax(r.dir(), "dax0.0", 4 * MIB, 2 * MIB, 0L, "kmem");
        DaxException e = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file, new ModelArch()));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("in use as system RAM (bound to the kmem driver"), e.getMessage());
        assertTrue(e.getMessage().contains("daxctl reconfigure-device --mode=devdax dax0.0"), e.getMessage());
        // kmem devices have no character device: the path a user gives does not exist
        DaxException gone = assertThrows(DaxException.class, () -> fx.open("pmem:" + fx.dir.resolve("dax9.0"),
                new ModelArch()));
        assertEquals(Errno.ENOENT, gone.errno(), "no such device anywhere: the file opener's ENOENT");
        sys.devDax(r.dir(), "dax9.0", 4 * MIB, 2 * MIB, 0L, "kmem");
        try {
            Files.delete(fx.dir.resolve("dax9.0"));
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        DaxException kmem = assertThrows(DaxException.class, () -> fx.open("pmem:" + fx.dir.resolve("dax9.0"),
                new ModelArch()));
        assertEquals(Errno.EBUSY, kmem.errno(), kmem.getMessage());
    }

    // ---- unprivileged: resource attributes readable by root only

    @Test
    void anUnreadableResourceOpensWhenTheRegionListsNoBadBlocksAndSaysSo() throws IOException {
        Path file = inRegion("memory_controller");
        Path resource = fx.sysfs.resolve("bus/dax/devices/dax0.0/resource");
        // Tests run as root, who reads a 0400 file: a directory fails the read the same way.
        Files.delete(resource);
        Files.createDirectory(resource);
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        assertEquals(List.of(), d.badBlocks().orElseThrow().list());
        String source = d.facts().get("bad blocks from");
        assertTrue(source.contains("where the device starts is unknown") && source.contains("dax0.0/resource"), source);
        assertEquals(source, d.badBlocksSource());
        d.close();

        Fixture.write(fx.sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0/badblocks"), "100 8\n");
        DaxException e = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file, new ModelArch()));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("lists 8 bad sector(s) of the region"), e.getMessage());
        assertTrue(e.getMessage().contains("dax0.0/resource cannot be read"), e.getMessage());
        assertTrue(e.getMessage().contains("Open it as root, or let this user read the resource attributes"),
                e.getMessage());
    }

    @Test
    void aReadableResourcePlacesTheRegionsBadBlocks() {
        FakeSysfs.Region r = sys.ndRegion("region0", 0x1000_0000L, "memory_controller");
        r.attr("badblocks", "4096 8\n");
        Path file = sys.devDax(r.dir(), "dax0.0", 4 * MIB, 2 * MIB, 0x1000_0000L + MIB, "device_dax");
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        assertEquals(List.of(new BadBlocks.Range(4096 - 2048, 8)), d.badBlocks().orElseThrow().list());
    }

    // ---- unsafe shutdowns

    @Test
    void theUnsafeShutdownCountSumsTheDimmsAndTellsUnsupportedFromUnreadable() throws IOException {
        Path file = inRegion("memory_controller");
        FakeSysfs.Region r = new FakeSysfs.Region(fx.sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0"));
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        UnsafeShutdownCount none = d.unsafeShutdownCount();
        assertInstanceOf(UnsafeShutdownCount.Unsupported.class, none);
        assertTrue(none.describe().contains("region0 has no DIMMs"), none.describe());

        sys.dimms(r, "nmem0", "nmem1");
        sys.nmem("nmem0", "5\n");
        sys.nmem("nmem1", null);
        UnsafeShutdownCount partly = d.unsafeShutdownCount();
        assertInstanceOf(UnsafeShutdownCount.Unsupported.class, partly);
        assertTrue(partly.describe().contains("nmem1 of region0 reports no dirty_shutdown"), partly.describe());

        sys.nmem("nmem1", "2\n");
        UnsafeShutdownCount known = d.unsafeShutdownCount();
        assertEquals(new UnsafeShutdownCount.Known(7, "nmem0/nfit/dirty_shutdown + nmem1/nfit/dirty_shutdown of region0"),
                known, "read live: the count is asked for again");

        Path counter = fx.sysfs.resolve("bus/nd/devices/nmem1/nfit/dirty_shutdown");
        Files.delete(counter);
        Files.createDirectory(counter); // unreadable (as root, a directory stands for a file we may not read)
        UnsafeShutdownCount unreadable = d.unsafeShutdownCount();
        assertInstanceOf(UnsafeShutdownCount.Unreadable.class, unreadable);
        assertTrue(unreadable.describe().contains("nmem1/nfit/dirty_shutdown"), unreadable.describe());
        Files.delete(counter);
        Fixture.write(counter, "lots\n");
        assertInstanceOf(UnsafeShutdownCount.Unreadable.class, d.unsafeShutdownCount());
    }

    // ---- deep flush

    @Test
    void theDeepFlushWritesTheRegionsDeepFlushOnlyWhenItHasFlushHints() throws IOException {
        Path file = inRegion("memory_controller");
        Path deep = fx.sysfs.resolve("devices/platform/ACPI0012:00/ndbus0/region0/deep_flush");
        PmemDevice none = fx.openDevDax("pmem:" + file, new ModelArch());
        assertFalse(none.hasDeepFlush(), "no deep_flush attribute: nothing beyond flush()");
        assertTrue(none.facts().get("deep flush").startsWith("none: region0 shows no deep_flush"),
                none.facts().toString());
        none.deepFlush(); // flush() only
        none.close();

        Fixture.write(deep, "0\n");
        PmemDevice zero = fx.openDevDax("pmem:" + file, new ModelArch());
        assertTrue(zero.hasDeepFlush());
        assertTrue(zero.facts().get("deep flush").startsWith("nothing beyond the fence"), zero.facts().toString());
        zero.deepFlush();
        assertEquals("0\n", Files.readString(deep), "no flush hints: nothing written, as libpmem2");
        zero.close();

        Fixture.write(deep, "1\n");
        ModelArch arch = new ModelArch();
        PmemDevice one = fx.openDevDax("pmem:" + file, arch);
        long fences = arch.fences.get();
        one.deepFlush();
        assertEquals("1", Files.readString(deep), "flush hints: 1 written to deep_flush");
        assertEquals(fences + 1, arch.fences.get(), "the deep flush starts with flush()'s fence");
        Map<String, String> facts = one.facts();
        assertTrue(facts.get("deep flush").startsWith("writes 1 to "), facts.toString());
    }
}
