package io.jdax.cli;

import io.jdax.arch.Archs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {

    /** A run small enough for a test: two sizes, one round, a second and a half, no libpmem. */
    private static String[] tiny(Path tmp, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("bench", "--time", "1.5", "--rounds", "1",
                "--sizes", "64,4K", "--libpmem", "none", "--scratch", tmp.resolve("scratch").toString(),
                "--out", tmp.resolve("out").toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The same arguments with another --out (each run needs a new output directory). */
    private static String[] withOut(String[] args, Path out) {
        String[] a = args.clone();
        a[List.of(a).indexOf("--out") + 1] = out.toString();
        return a;
    }

    private static void makeScratch(Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("scratch"));
    }

    private static long children(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void helpNamesTheOptionsAndTheExitCodes() {
        Cli r = Cli.run("bench", "--help");
        assertEquals(0, r.code(), r.toString());
        for (String s : List.of("--quick", "--time", "--device", "--destroy-data", "--out", "--json", "--methods",
                "--kinds", "--sizes", "--threads", "--compare", "--baseline", "--threshold", "jdax-durable",
                "seed-regression", "libpmem", "jdax-memset", "libpmem-memmove", "plain-read", "Exit codes",
                "did not read back", "PMEM_IS_PMEM_FORCE", "page_cache", "JDAX_NO_INSTALL")) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
    }

    @Test
    void badOptionsAreUsageErrorsOnOneLine() {
        for (String[] args : List.of(new String[] {"bench", "--sizes", "12Q"}, new String[] {"bench", "--methods", "warp"},
                new String[] {"bench", "--kinds", "PIPE"}, new String[] {"bench", "--time", "0"},
                new String[] {"bench", "--sizes", "0"}, new String[] {"bench", "--rounds", "0"},
                new String[] {"bench", "--region", "0"}, new String[] {"bench", "--region", "1"},
                new String[] {"bench", "--mode", "bogus"}, new String[] {"bench", "--scratch", "/nonexistent"},
                new String[] {"bench", "--scratch", "/dev/null"}, new String[] {"bench", "--threads", "0"},
                new String[] {"bench", "--threads", "x"}, new String[] {"bench", "--threshold", "120"},
                new String[] {"bench", "--compare", "/nonexistent/a.json", "/nonexistent/b.json"},
                new String[] {"bench", "--compare", "only-one.json"})) {
            Cli r = Cli.run(args);
            assertEquals(Jdax.EXIT_USAGE, r.code(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().startsWith("jdax bench: "), r.toString());
            assertEquals("", r.out());
        }
        assertTrue(Cli.run("bench", "--methods", "warp").err().contains("jdax-durable"), "lists the known methods");
        assertTrue(Cli.run("bench", "--sizes", "12Q").err().contains("12Q"));
        assertTrue(Cli.run("bench", "--region", "1").err().contains("--region must be a positive multiple of 4096"));
        Cli mode = Cli.run("bench", "--mode", "bogus");
        assertTrue(mode.err().contains("--mode must be emulated, page_cache or auto, not 'bogus'") && !mode.err().contains("pmem:"),
                mode.err());
        assertTrue(Cli.run("bench", "--scratch", "/nonexistent").err().contains("--scratch /nonexistent is not a directory"));
    }

    @Test
    void aBadDeviceFailsOnOneLineWithTheDriversReason() {
        Cli r = Cli.run("bench", "--device", "nosuch:/x", "--time", "1");
        assertEquals(Jdax.EXIT_FAILURE, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("nosuch") && r.err().contains("pmem"), "names the scheme and the installed ones: " + r);
    }

    @Test
    void aRunPrintsTheTableWritesCsvJsonAndSvgAndLeavesNoDeviceBehind(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp));
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, children(tmp.resolve("scratch")), "the emulated device is gone");
        boolean cpuCache = Archs.current().hasCacheWriteback();
        for (String s : List.of(cpuCache ? "pmem      EMULATED pmem (CPU_CACHE" : "PAGE_CACHE", "USER iterator",
                "KVEC iterator", "BVEC iterator", "jdax-durable", "nocache-ceiling", "fsdax-write+fsync", "brd-fallback",
                "jdax-read", "plain-read", "fsdax-read", "jdax-memset", "jdax-memmove",
                "memset and memmove (a DaxMapping", "latency p50/p99/p99.9/max", "skipped   libpmem",
                "dax       ", "verified  every operation checked")) {
            assertTrue(r.out().contains(s), s + " missing:\n" + r.out());
        }
        assertTrue(r.err().contains("bench: round 1/1"), "progress on stderr: " + r.err());

        Path out = tmp.resolve("out");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        for (String f : List.of("results.csv", "results.json", "throughput.svg")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(f))), f);
        }
        // Writes: durable, (fence-only on PAGE_CACHE,) seed, cached, ceiling, brd; reads: jdax, plain; fs-dax write and
        // read at 4 KiB; per kind. Then memset and memmove without a kind. libpmem skipped; the KVEC ceiling only
        // where the Arch streams heap sources.
        int writes = cpuCache ? 5 : 6;
        boolean kvecCeiling = cpuCache && "native-x86".equals(Archs.current().name())
                && Archs.current().features().getOrDefault("call", "").startsWith("ffm");
        int cells = (writes + 2) * 3 * 2 + 2 * 3 - (kvecCeiling ? 0 : 2) + 2 * 2;
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(BenchOutput.CSV_HEADER, csv.getFirst());
        assertEquals(cells, csv.size() - 1, String.join("\n", csv));
        Set<String> seen = new HashSet<>();
        List<String> header = List.of(csv.getFirst().split(","));
        for (String row : csv.subList(1, csv.size())) {
            String[] f = row.split(",", -1);
            assertEquals(header.size(), f.length, row);
            seen.add(f[0] + "/" + f[1] + "/" + f[2]);
            long size = Long.parseLong(f[2]);
            assertEquals("1", f[3], row);
            assertTrue(Long.parseLong(f[4]) > 0 && Double.parseDouble(f[5]) > 0, row);
            double gbs = Double.parseDouble(f[6]);
            assertEquals(size / Double.parseDouble(f[5]), gbs, 1e-3 * gbs + 1e-4, row);
            assertTrue(Double.parseDouble(f[7]) <= gbs + 1e-4 && gbs <= Double.parseDouble(f[8]) + 1e-4, "rounds' spread: " + row);
            long p50 = Long.parseLong(f[header.indexOf("latency_p50_ns")]);
            long max = Long.parseLong(f[header.indexOf("latency_max_ns")]);
            assertTrue(p50 > 0 && p50 <= max, "latency: " + row);
            assertEquals("", f[header.indexOf("ratio_libpmem")], "no libpmem, no ratio: " + row);
            assertTrue(Long.parseLong(f[header.indexOf("verified_bytes")]) >= Long.parseLong(f[4]) * size, row);
            assertEquals(f[0].equals("brd-fallback") ? "VOLATILE" : cpuCache ? "CPU_CACHE" : "PAGE_CACHE",
                    f[header.indexOf("persistence")], row);
        }
        assertEquals(cells, seen.size(), "one row per cell");
        assertTrue(seen.contains("fsdax-write+fsync/BVEC/4096") && !seen.contains("fsdax-write+fsync/USER/64"));
        assertTrue(seen.contains("jdax-memset/-/64") && seen.contains("jdax-memmove/-/4096"), seen.toString());

        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) JsonReader.parse(Files.readString(out.resolve("results.json")));
        assertEquals(Boolean.TRUE, json.get("verified"));
        assertEquals(cells, ((List<?>) json.get("results")).size());
        assertEquals(cpuCache ? "CPU_CACHE" : "PAGE_CACHE", ((Map<?, ?>) json.get("pmem")).get("persistence"));
        assertEquals(Boolean.TRUE, ((Map<?, ?>) json.get("pmem")).get("emulated"));
        assertTrue(((List<?>) json.get("skipped")).stream().anyMatch(s -> "libpmem".equals(((Map<?, ?>) s).get("method"))));

        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.resolve("throughput.svg").toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        NodeList lines = svg.getElementsByTagName("polyline");
        Set<String> methodsDrawn = new HashSet<>();
        int throughputLines = 0;
        for (int i = 0; i < lines.getLength(); i++) {
            Element e = (Element) lines.item(i);
            methodsDrawn.add(e.getAttribute("data-method"));
            throughputLines += e.getAttribute("class").equals("method") ? 1 : 0;
        }
        long methodsMeasured = csv.stream().skip(1).map(l -> l.split(",")[0]).distinct().count();
        assertEquals(methodsMeasured, methodsDrawn.size(), methodsDrawn.toString());
        assertEquals(csv.stream().skip(1).map(l -> l.split(",")[0] + "/" + l.split(",")[1]).distinct().count(),
                throughputLines, "a throughput line per method in each panel it has figures for");
        assertEquals(throughputLines, lines.getLength() - throughputLines, "and a latency line below each");
        assertEquals(cells, svg.getElementsByTagName("circle").getLength(), "a point per cell");
        String svgText = Files.readString(out.resolve("throughput.svg"));
        for (String label : List.of("bytes per operation (log scale)", "throughput, GB/s", "p99 latency, ns (log scale)",
                "USER iterator", "KVEC iterator", "BVEC iterator", "memset / memmove (no iterator)", "legend",
                cpuCache ? "EMULATED pmem (CPU_CACHE" : "EMULATED pmem on a page-cache file")) {
            assertTrue(svgText.contains(label), "the chart says '" + label + "'");
        }
        assertEquals(methodsMeasured, svg.getElementsByTagName("g").getLength(), "a legend entry per method drawn");
        NodeList texts = svg.getElementsByTagName("text");
        int xLabels = 0;
        int yLabels = 0;
        for (int i = 0; i < texts.getLength(); i++) {
            String c = ((Element) texts.item(i)).getAttribute("class");
            xLabels += c.equals("x-label") ? 1 : 0;
            yLabels += c.equals("y-label") ? 1 : 0;
        }
        assertEquals(2 * 4, xLabels, "an x axis label under each of the 2 x 4 panels");
        assertEquals(2 * 4, yLabels, "a y axis label beside each panel");
    }

    @Test
    void jsonOnStdoutIsTheReportWrittenToTheDirectory(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--json", "--methods", "jdax-durable,nocache-ceiling", "--kinds", "USER"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(Files.readString(tmp.resolve("out/results.json")), r.out());
        Map<?, ?> json = (Map<?, ?>) JsonReader.parse(r.out());
        List<?> results = (List<?>) json.get("results");
        assertEquals(4, results.size());
        for (Object o : results) {
            Map<?, ?> x = (Map<?, ?>) o;
            if (x.get("method").equals("nocache-ceiling")) {
                assertEquals(1.0, (Double) x.get("ratio_ceiling"), 1e-9);
            }
            assertEquals(null, x.get("ratio_libpmem"));
            assertEquals(1.0, (Double) x.get("threads"));
            Map<?, ?> lat = (Map<?, ?>) x.get("latency_ns");
            assertTrue((Double) lat.get("p50") <= (Double) lat.get("p99") && (Double) lat.get("p99") <= (Double) lat.get("p99_9")
                    && (Double) lat.get("p99_9") <= (Double) lat.get("max"), lat.toString());
            assertEquals(1, ((List<?>) x.get("rounds_gb_per_s")).size());
        }
    }

    @Test
    void modePageCacheMeasuresTheMsyncAndTheFenceOnlyRow(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--mode", "page_cache", "--methods", "jdax-durable,jdax-copy+fence", "--kinds", "USER"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("pmem      EMULATED pmem on a page-cache file (PAGE_CACHE: flush() msyncs)"), r.out());
        assertTrue(r.out().contains("PAGE_CACHE: flush() fences and msyncs"), r.out());
        assertTrue(r.out().contains("jdax-copy+fence"), r.out());
        assertFalse(r.out().contains("skipped   jdax-copy+fence"), r.out());
    }

    @Test
    void theDefaultIsTheEmulatedCpuCacheDeviceWithoutTheFenceOnlyRow(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--methods", "jdax-durable,jdax-copy+fence", "--kinds", "USER"));
        assertEquals(0, r.code(), r.toString());
        if (!Archs.current().hasCacheWriteback()) {
            // The pmem driver refuses to pretend CPU_CACHE without write-back instructions: the page cache it is.
            assertTrue(r.out().contains("pmem      EMULATED pmem on a page-cache file"), r.out());
            assertTrue(r.out().contains("cannot write back"), r.out());
            return;
        }
        assertTrue(r.out().contains("CPU_CACHE: flush() is a fence"), r.out());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(1).startsWith("pmem      EMULATED pmem (CPU_CACHE: flush() = fence, PMDK's "
                + "PMEM_IS_PMEM_FORCE=1"), "the emulation is named on the second line: " + lines.get(1));
        assertTrue(r.out().contains("--mode page_cache measures the page-cache device"), r.out());
        assertTrue(r.out().contains("skipped   jdax-copy+fence: the device is CPU_CACHE"), r.out());
        Cli both = Cli.run(tiny(tmp, "--mode", "emulated", "--device", "brd:x?size=4M"));
        assertEquals(Jdax.EXIT_USAGE, both.code(), both.toString());
    }

    @Test
    void anotherDriversDeviceIsLabelledADeviceAndItsWritePathIsNamed(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--device", "brd:b?size=4M", "--methods", "jdax-durable", "--kinds", "USER"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("\ndevice    brd:b?size=4M: VOLATILE\n          brd:b?size=4M (4 MiB"), r.out());
        assertFalse(r.out().contains("\npmem      "), "not the pmem driver: " + r.out());
        assertTrue(r.out().contains("write path: the driver has no copyFromIter; the core's fallback"
                + " copyFromIterNocache"), r.out());
    }

    @Test
    void aWriteThatDoesNotReadBackAsWrittenExitsWith3(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        String dev = "faulty:" + tmp.resolve("f.img") + "?size=2M&create=true&fault=drop-last-byte";
        Cli r = Cli.run(tiny(tmp, "--device", dev, "--methods", "jdax-durable,nocache-ceiling", "--kinds", "USER"));
        assertEquals(BenchCommand.EXIT_MISMATCH, r.code(), r.toString());
        assertTrue(r.out().contains("MISMATCH  jdax-durable USER 64 B: the operation at "), r.out());
        assertFalse(r.out().contains("MISMATCH  nocache-ceiling"), "the Arch's own copy is not the faulty one");
        assertTrue(r.errLines().getLast().contains("did not read back as written"), r.err());
    }

    @Test
    void aDeviceHoldingDataIsRefusedUntilDestroyDataIsGiven(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Path img = tmp.resolve("data.img");
        byte[] content = new byte[2 << 20];
        content[content.length - 3000] = 42; // in the last page, which the guard always samples
        Files.createFile(img, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(img, content, StandardOpenOption.WRITE);
        String[] args = tiny(tmp, "--device", "pmem:" + img, "--methods", "jdax-durable", "--kinds", "USER",
                "--sizes", "4K");

        Cli refused = Cli.run(args);
        assertEquals(Jdax.EXIT_REFUSED, refused.code(), refused.toString());
        assertEquals(1, refused.errLines().size(), refused.toString());
        assertTrue(refused.err().contains("holds data (non-zero bytes at byte " + (content.length - 3000))
                && refused.err().contains("--destroy-data"), refused.err());
        assertArrayEquals(content, Files.readAllBytes(img), "not a byte written");

        String[] destroy = Stream.concat(Stream.of(withOut(args, tmp.resolve("out2"))), Stream.of("--destroy-data"))
                .toArray(String[]::new);
        Cli ran = Cli.run(destroy);
        assertEquals(0, ran.code(), ran.toString());
        assertTrue(new String(Files.readAllBytes(img), 0, 40, StandardCharsets.ISO_8859_1).startsWith("jdax-scratch:"),
                "the run leaves its marker");

        assertFalse(Files.exists(tmp.resolve("out")), "the refused run removed its empty output directory");
        Cli again = Cli.run(withOut(args, tmp.resolve("out3")));
        assertEquals(Jdax.EXIT_REFUSED, again.code(), again.toString());
        assertTrue(again.err().contains("test data of an earlier jdax run, written by jdax bench at "), again.err());
    }

    @Test
    void aRealBtrfsFilesystemIsRefusedAndStillChecksCleanAfterwards(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        String mkfs = Images.tool("mkfs.btrfs", "btrfs-progs");
        String btrfs = Images.tool("btrfs", "btrfs-progs");
        Path img = Images.sparse(tmp.resolve("btrfs.img"), 1L << 30);
        Images.run(mkfs, "-q", img.toString());
        Cli r = Cli.run(tiny(tmp, "--device", "pmem:" + img, "--methods", "jdax-durable", "--kinds", "USER"));
        assertEquals(Jdax.EXIT_REFUSED, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("holds data (a btrfs filesystem signature at byte 65600)"), r.err());
        Images.run(btrfs, "check", "--readonly", img.toString());
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalRemovesTheEmulatedDeviceAndTheEmptyOutputDirectory(String signal, @TempDir Path tmp) throws Exception {
        ChildJdax.assumeDeliverable(signal);
        makeScratch(tmp);
        Path out = tmp.resolve("out");
        try (ChildJdax p = ChildJdax.start(List.of(), "bench", "--time", "60", "--libpmem", "none",
                "--scratch", tmp.resolve("scratch").toString(), "--out", out.toString())) {
            p.await(l -> l.startsWith("bench: emulated pmem in "), 60);
            assertEquals(1, children(tmp.resolve("scratch")), "the device directory exists while it runs");
            assertTrue(Files.isDirectory(out), "the output directory is made when the run starts");
            assertEquals(ChildJdax.exitCodeOf(signal), p.signal(signal), "128 + the signal's number");
            assertEquals(0, children(tmp.resolve("scratch")), "the shutdown hook removed the device directory");
            assertFalse(Files.exists(out), "and the output directory, empty: " + p.stderr());
            assertTrue(p.stderr().contains("jdax bench: stopped before the end; removed " + out), p.stderr());
        }
    }

    @Test
    void anOutputDirectoryThatExistsIsRefusedAndNothingIsWrittenThroughIt(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        // Another user made the directory first, results.csv a symlink to a file of the runner's.
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Path planted = Files.createDirectory(tmp.resolve("out"));
        Files.createSymbolicLink(planted.resolve("results.csv"), victim);
        Cli r = Cli.run(tiny(tmp, "--methods", "jdax-durable", "--kinds", "USER", "--sizes", "4K"));
        assertEquals(Jdax.EXIT_USAGE, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().startsWith("jdax bench: --out " + planted + " exists"), r.err());
        assertEquals("precious\n", Files.readString(victim));
    }

    @Test
    void aDirectoryPlantedWhileItRunsIsNeverWrittenThrough(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Path out = tmp.resolve("out");
        List<String> planted = new java.util.ArrayList<>();
        // Once the run has named its directory, another user tries to make it first and plant a
        // symlink in it. The run made it at the start, so only the owner (here: root) gets that far.
        Cli r = Cli.run(line -> {
            if (line.contains("results to " + out)) {
                try {
                    if (!Files.exists(out)) {
                        Files.createDirectory(out);
                        planted.add("directory");
                    }
                    Files.createSymbolicLink(out.resolve("results.csv"), victim);
                    planted.add("symlink");
                } catch (java.io.IOException e) {
                    planted.add(e.toString());
                }
            }
        }, tiny(tmp, "--methods", "jdax-durable", "--kinds", "USER", "--sizes", "4K"));
        assertEquals("precious\n", Files.readString(victim), "the victim is untouched: " + planted + "\n" + r);
        assertFalse(planted.contains("directory"), "the directory existed before the run measured: " + planted + r);
        assertEquals(Jdax.EXIT_FAILURE, r.code(), r.toString());
        assertTrue(r.errLines().getLast().contains("cannot write " + out.resolve("results.csv") + ": it exists already"),
                r.err());
    }

    @Test
    void theDefaultNameNeverReusesADirectory(@TempDir Path tmp) throws Exception {
        Path planted = Files.createDirectory(tmp.resolve("jdax-bench-x"));
        Files.createSymbolicLink(planted.resolve("results.csv"), tmp.resolve("victim"));
        try (RunFiles files = new RunFiles("test")) {
            Path dir = BenchCommand.newDirectory(files, tmp, "jdax-bench-x");
            assertEquals(tmp.resolve("jdax-bench-x-2"), dir);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            RunFiles.writeNew(dir.resolve("results.csv"), "x");
        }
        assertTrue(Files.isDirectory(tmp.resolve("jdax-bench-x-2")), "with a file in it, it stays");
        assertFalse(Files.exists(tmp.resolve("victim")), "nothing written through the planted symlink");
    }
}
