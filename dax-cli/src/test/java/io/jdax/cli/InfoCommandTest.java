package io.jdax.cli;

import io.jdax.arch.Archs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InfoCommandTest {

    @Test
    void showsTheCpuTheArchTheDriversAndThePlatformsPersistentMemory() {
        Cli r = Cli.run("info");
        assertEquals(0, r.code(), r.toString());
        // The native Arch names its instructions and threshold; the portable one says it cannot write back.
        String archLine = Archs.current().hasCacheWriteback() ? "flushcache.threshold" : "cache write-back         no";
        for (String s : List.of("cpu: ", "DAX-related flags", "arch: ", archLine, "drivers:",
                "pmem     ", "brd      ", "faulty   ", "persistent memory on this machine:", "libpmem  libpmem.so.1",
                "properties:")) {
            assertTrue(r.out().contains(s), s + " missing:\n" + r.out());
        }
        assertEquals("", r.err());
    }

    @Test
    void aDeviceShowsItsPersistenceModeItsReasonAndItsWritePath(@TempDir Path tmp) {
        Cli brd = Cli.run("info", "--device", "brd:i?size=1M");
        assertEquals(0, brd.code(), brd.toString());
        assertTrue(brd.out().contains("persistence  VOLATILE: "), brd.out());
        assertTrue(brd.out().contains("write path   the core's fallback copyFromIterNocache"), brd.out());
        assertTrue(brd.out().contains("operations   directAccess, flush, zeroPageRange (the core supplies the rest)"),
                brd.out());

        Cli pmem = Cli.run("info", "--device", "pmem:" + tmp.resolve("f") + "?size=1M&create=true");
        assertEquals(0, pmem.code(), pmem.toString());
        assertTrue(pmem.out().contains("persistence  PAGE_CACHE: ") && pmem.out().contains("MAP_SYNC"), pmem.out());
        assertTrue(pmem.out().contains("flush()      fence, then msync"), pmem.out());
        assertTrue(pmem.out().contains("write path   the driver's own copyFromIter"), pmem.out());
        assertTrue(pmem.out().contains("operations   directAccess, flush, copyFromIter, copyToIter, zeroPageRange,"
                + " recoveryWrite"), pmem.out());
        assertTrue(pmem.out().contains("read side    per-thread counters"), pmem.out());
        assertTrue(pmem.out().contains("\n  identity     inode "), pmem.out());
    }

    /**
     * What the platform says, through the pmem driver over a fake sysfs tree in which the
     * filesystem of {@code tmp} is pmem disk pmem0 of region0 (persistence_domain cpu_cache,
     * deep_flush 1, DIMMs nmem0 and nmem1 with dirty_shutdown 5 and 1).
     */
    @Test
    void aDeviceShowsWhatThePlatformSaysAboutIt(@TempDir Path tmp) throws Exception {
        Path sys = tmp.resolve("sys");
        Path region = Files.createDirectories(sys.resolve("devices/platform/ACPI0012:00/ndbus0/region0"));
        Files.createSymbolicLink(region.resolve("subsystem"), region.relativize(Files.createDirectories(
                sys.resolve("bus/nd"))));
        Files.writeString(region.resolve("persistence_domain"), "cpu_cache\n");
        Files.writeString(region.resolve("deep_flush"), "1\n");
        Files.writeString(region.resolve("mappings"), "2\n");
        Files.writeString(region.resolve("mapping0"), "nmem0,0,1073741824,0\n");
        Files.writeString(region.resolve("mapping1"), "nmem1,0,1073741824,1\n");
        Path disk = Files.createDirectories(region.resolve("namespace0.0/block/pmem0"));
        Files.writeString(disk.resolve("badblocks"), "");
        Files.writeString(disk.resolve("size"), "2097152\n");
        long dev = ((Number) Files.getAttribute(tmp, "unix:dev")).longValue();
        long major = ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
        long minor = (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
        Path link = Files.createDirectories(sys.resolve("dev/block")).resolve(major + ":" + minor);
        Files.createSymbolicLink(link, link.getParent().relativize(disk));
        for (String[] d : new String[][] {{"nmem0", "5"}, {"nmem1", "1"}}) {
            Files.writeString(Files.createDirectories(sys.resolve("bus/nd/devices").resolve(d[0]).resolve("nfit"))
                    .resolve("dirty_shutdown"), d[1] + "\n");
        }
        boolean cpu = Archs.current().hasCacheWriteback();
        System.setProperty("jdax.pmem.sysfs", sys.toString());
        try {
            Cli r = Cli.run("info", "--device", "pmem:" + tmp.resolve("f") + "?size=1M&create=true"
                    + (cpu ? "&mode=emulated" : ""));
            assertEquals(0, r.code(), r.toString());
            String out = r.out();
            if (cpu) {
                assertTrue(out.contains("persistence  PERSISTENT_CACHE: region0's persistence_domain is cpu_cache (eADR"),
                        out);
                assertTrue(out.contains("flush()      fence: the CPU caches are persistent (eADR)"), out);
            }
            for (String s : List.of("deepFlush()  flush(), then the driver's deep flush",
                    "platform     what the kernel reports for this device (C12):",
                    "    memory               a file on pmem disk pmem0 in nvdimm region0",
                    "    persistence domain   cpu_cache (eADR: the CPU caches are inside the persistence domain",
                    "    deep flush           fdatasync(2) of ",
                    "    bad blocks from      ",
                    "    unsafe shutdowns     6 (nmem0/nfit/dirty_shutdown + nmem1/nfit/dirty_shutdown of region0)",
                    "jdax.pmem.sysfs=" + sys)) {
                assertTrue(out.contains(s), s + " missing:\n" + out);
            }
        } finally {
            System.clearProperty("jdax.pmem.sysfs");
        }
        Cli brd = Cli.run("info", "--device", "brd:u?size=1M");
        assertTrue(brd.out().contains("    unsafe shutdowns     unsupported: the driver reports none"), brd.out());
        assertTrue(brd.out().contains("deepFlush()  flush() only"), brd.out());
    }

    /** The schema block of the README's "jdax info --json" section, parsed. */
    private static Map<?, ?> readmeSchema() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int from = readme.indexOf("```json", readme.indexOf("<!-- info-json-schema -->")) + "```json".length();
        int to = readme.indexOf("```", from);
        return (Map<?, ?>) JsonReader.parse(readme.substring(from, to));
    }

    /** Every key of {@code doc} is in {@code schema} and the other way round ("<x>" stands for any key). */
    private static void sameKeys(String at, Object schema, Object doc) {
        if (schema instanceof Map<?, ?> s && doc instanceof Map<?, ?> d) {
            if (s.size() == 1 && s.keySet().iterator().next().toString().startsWith("<")) {
                Object each = s.values().iterator().next();
                d.forEach((k, v) -> sameKeys(at + "." + k, each, v));
                return;
            }
            assertEquals(new java.util.TreeSet<>(s.keySet().stream().map(Object::toString).toList()),
                    new java.util.TreeSet<>(d.keySet().stream().map(Object::toString).toList()), "keys of " + at);
            s.forEach((k, v) -> sameKeys(at + "." + k, v, d.get(k)));
        } else if (schema instanceof List<?> s && doc instanceof List<?> d) {
            d.forEach(e -> sameKeys(at + "[]", s.getFirst(), e));
        } else if (doc instanceof Map || doc instanceof List) {
            throw new AssertionError(at + ": the README says " + schema + ", the output has " + doc);
        }
    }

    @Test
    void jsonHoldsWhatTheTextSaysWithExactlyTheKeysTheReadmeDocuments(@TempDir Path tmp) throws Exception {
        Map<?, ?> schema = readmeSchema();
        Cli text = Cli.run("info");
        Cli json = Cli.run("info", "--json");
        assertEquals(0, json.code(), json.toString());
        assertEquals("", json.err());
        Map<?, ?> doc = (Map<?, ?>) JsonReader.parse(json.out());
        Map<String, Object> withoutDevice = new java.util.LinkedHashMap<>();
        schema.forEach((k, v) -> withoutDevice.put(k.toString(), v));
        withoutDevice.put("device", null);
        sameKeys("info", withoutDevice, doc);
        Map<?, ?> arch = (Map<?, ?>) doc.get("arch");
        assertTrue(text.out().contains("arch: " + arch.get("name") + " (" + arch.get("reason") + ")"), text.out());
        for (Object d : (List<?>) doc.get("drivers")) {
            assertTrue(text.out().contains("  " + ((Map<?, ?>) d).get("scheme")), "driver in both: " + d);
        }
        assertEquals(text.out().contains("libpmem.so.1 installed"), ((Map<?, ?>) doc.get("libpmem")).get("installed"));
        assertTrue(text.out().contains(((Map<?, ?>) doc.get("cpu")).get("model").toString()));

        Cli dev = Cli.run("info", "--json", "--device", "pmem:" + tmp.resolve("f") + "?size=1M&create=true");
        assertEquals(0, dev.code(), dev.toString());
        Map<?, ?> withDevice = (Map<?, ?>) JsonReader.parse(dev.out());
        sameKeys("info", schema, withDevice);
        Map<?, ?> d = (Map<?, ?>) withDevice.get("device");
        assertEquals("PAGE_CACHE", d.get("persistence"));
        assertEquals(1048576.0, d.get("size"));
        assertEquals("fence+msync", d.get("flush"));
        assertTrue(((List<?>) d.get("operations")).containsAll(List.of("directAccess", "flush", "copyFromIter")));
        assertTrue(d.get("identity").toString().startsWith("inode "), d.toString());
        assertTrue(dev.out().contains("\"identity\""), dev.out());
        Map<?, ?> usc = (Map<?, ?>) d.get("unsafe_shutdowns");
        assertTrue(dev.out().contains("\"unsafe_shutdowns\""), dev.out());
        assertTrue(List.of("known", "unsupported", "unreadable").contains(usc.get("state")), usc.toString());
        assertEquals(usc.get("state").equals("known"), usc.get("count") != null, usc.toString());
        assertTrue(((Map<?, ?>) d.get("platform")).containsKey("memory") || text.out().contains("the driver does not say"),
                d.toString());
    }

    @Test
    void aDeviceThatCannotOpenIsOneLineOnStderr() {
        Cli r = Cli.run("info", "--device", "brd:x?size=12");
        assertEquals(Jdax.EXIT_FAILURE, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().startsWith("jdax info: ") && r.err().contains("4096"), r.err());
        assertEquals("", r.out(), "no half report before the error");
    }

    @Test
    void platformFactsComeFromProcAndSys(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), """
                processor	: 0
                model name	: Test CPU 9000
                flags		: fpu sse2 avx2 clwb clflushopt
                processor	: 1
                model name	: ignored
                """);
        Files.writeString(root.resolve("proc/mounts"), """
                /dev/vda / ext4 rw,relatime 0 0
                /dev/pmem0 /mnt/pmem ext4 rw,relatime,dax=always 0 0
                /dev/pmem1 /mnt/old xfs rw,dax 0 0
                """);
        Path region = Files.createDirectories(root.resolve("sys/bus/nd/devices/region0"));
        Files.writeString(region.resolve("persistence_domain"), "cpu_cache\n");
        Files.writeString(region.resolve("size"), "17179869184\n");
        Files.createDirectories(root.resolve("sys/bus/nd/devices/region1"));
        Files.writeString(root.resolve("sys/bus/nd/devices/region1/persistence_domain"), "\n");
        Files.createDirectories(root.resolve("dev"));
        Files.createFile(root.resolve("dev/dax0.0"));
        Files.createFile(root.resolve("dev/pmem0"));

        PlatformInfo p = new PlatformInfo(root);
        assertEquals("Test CPU 9000", p.cpuModel().orElseThrow());
        assertEquals(List.of("sse2", "avx-", "avx2", "avx512f-", "clflush-", "clflushopt", "clwb", "movdir64b-"), p.daxFlags());
        assertEquals(List.of("region0: persistence_domain cpu_cache, size 16 GiB",
                "region1: persistence_domain (none: flushes needed), size ?"), p.nvdimmRegions());
        assertTrue(p.daxDevices().get(0).startsWith("/dev/dax0.0 (device DAX"), p.daxDevices().toString());
        assertTrue(p.daxDevices().get(1).startsWith("/dev/pmem0 (pmem block device"), p.daxDevices().toString());
        assertEquals(2, p.daxMounts().size(), p.daxMounts().toString());
        assertTrue(p.daxMounts().get(0).startsWith("/mnt/pmem (ext4, dax=always"), p.daxMounts().toString());
        assertTrue(p.daxMounts().get(1).startsWith("/mnt/old (xfs, dax"), p.daxMounts().toString());

        PlatformInfo none = new PlatformInfo(root.resolve("nowhere"));
        assertTrue(none.cpuModel().isEmpty() && none.daxFlags().isEmpty() && none.nvdimmRegions().isEmpty()
                && none.daxDevices().isEmpty() && none.daxMounts().isEmpty());
    }
}
