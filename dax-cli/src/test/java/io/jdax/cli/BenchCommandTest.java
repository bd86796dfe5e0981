package io.jdax.cli;

import io.jdax.arch.Archs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
                "--kinds", "--sizes", "jdax-durable", "seed-regression", "libpmem", "Exit codes", "did not read back")) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
    }

    @Test
    void badOptionsAreUsageErrorsOnOneLine() {
        for (String[] args : List.of(new String[] {"bench", "--sizes", "12Q"}, new String[] {"bench", "--methods", "warp"},
                new String[] {"bench", "--kinds", "PIPE"}, new String[] {"bench", "--time", "0"},
                new String[] {"bench", "--sizes", "0"}, new String[] {"bench", "--rounds", "0"})) {
            Cli r = Cli.run(args);
            assertEquals(Jdax.EXIT_USAGE, r.code(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().startsWith("jdax bench: "), r.toString());
            assertEquals("", r.out());
        }
        assertTrue(Cli.run("bench", "--methods", "warp").err().contains("jdax-durable"), "lists the known methods");
        assertTrue(Cli.run("bench", "--sizes", "12Q").err().contains("12Q"));
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
        for (String s : List.of("PAGE_CACHE", "msyncs", "USER iterator", "KVEC iterator", "BVEC iterator", "jdax-durable",
                "jdax-copy+fence", "nocache-ceiling", "fsdax-write+fsync", "brd-fallback", "skipped   libpmem",
                "verified  every write read back")) {
            assertTrue(r.out().contains(s), s + " missing:\n" + r.out());
        }
        assertTrue(r.err().contains("bench: round 1/1"), "progress on stderr: " + r.err());

        Path out = tmp.resolve("out");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        for (String f : List.of("results.csv", "results.json", "throughput.svg")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(f))), f);
        }
        // 6 methods at 64 B and 7 (with fs-dax) at 4 KiB, for 3 iterator kinds; libpmem skipped
        int cells = (6 + 7) * 3;
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals("method,kind,size_bytes,ops,ns_per_op,gb_per_s,ratio_libpmem,ratio_ceiling,verified_bytes,persistence",
                csv.getFirst());
        assertEquals(cells, csv.size() - 1);
        Set<String> seen = new HashSet<>();
        for (String row : csv.subList(1, csv.size())) {
            String[] f = row.split(",", -1);
            assertEquals(10, f.length, row);
            seen.add(f[0] + "/" + f[1] + "/" + f[2]);
            long size = Long.parseLong(f[2]);
            assertTrue(Long.parseLong(f[3]) > 0 && Double.parseDouble(f[4]) > 0, row);
            assertEquals(size / Double.parseDouble(f[4]), Double.parseDouble(f[5]), 1e-3 * Double.parseDouble(f[5]) + 1e-4, row);
            assertEquals("", f[6], "no libpmem, no ratio: " + row);
            assertTrue(Long.parseLong(f[8]) >= Long.parseLong(f[3]) * size, row);
            assertEquals(f[0].equals("brd-fallback") ? "VOLATILE" : "PAGE_CACHE", f[9], row);
        }
        assertEquals(cells, seen.size(), "one row per cell");
        assertTrue(seen.contains("fsdax-write+fsync/BVEC/4096") && !seen.contains("fsdax-write+fsync/USER/64"));

        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) MiniJson.parse(Files.readString(out.resolve("results.json")));
        assertEquals(Boolean.TRUE, json.get("verified"));
        assertEquals(cells, ((List<?>) json.get("results")).size());
        assertEquals("PAGE_CACHE", ((Map<?, ?>) json.get("pmem")).get("persistence"));
        assertTrue(((List<?>) json.get("skipped")).stream().anyMatch(s -> "libpmem".equals(((Map<?, ?>) s).get("method"))));

        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.resolve("throughput.svg").toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        NodeList lines = svg.getElementsByTagName("polyline");
        Set<String> methodsDrawn = new HashSet<>();
        for (int i = 0; i < lines.getLength(); i++) {
            methodsDrawn.add(((Element) lines.item(i)).getAttribute("data-method"));
        }
        assertEquals(7 * 3, lines.getLength(), "a line per method in each of the 3 panels");
        assertEquals(7, methodsDrawn.size(), methodsDrawn.toString());
        assertEquals(cells, svg.getElementsByTagName("circle").getLength(), "a point per cell");
    }

    @Test
    void jsonOnStdoutIsTheReportWrittenToTheDirectory(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--json", "--methods", "jdax-durable,nocache-ceiling", "--kinds", "USER"));
        assertEquals(0, r.code(), r.toString());
        assertEquals(Files.readString(tmp.resolve("out/results.json")), r.out());
        Map<?, ?> json = (Map<?, ?>) MiniJson.parse(r.out());
        List<?> results = (List<?>) json.get("results");
        assertEquals(4, results.size());
        for (Object o : results) {
            Map<?, ?> x = (Map<?, ?>) o;
            if (x.get("method").equals("nocache-ceiling")) {
                assertEquals(1.0, (Double) x.get("ratio_ceiling"), 1e-9);
            }
            assertEquals(null, x.get("ratio_libpmem"));
        }
    }

    @Test
    void modeEmulatedMeasuresTheCpuCachePathAndDropsTheFenceOnlyRow(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        Cli r = Cli.run(tiny(tmp, "--mode", "emulated", "--methods", "jdax-durable,jdax-copy+fence", "--kinds", "USER"));
        if (!Archs.current().hasCacheWriteback()) {
            // The pmem driver refuses to pretend: CPU_CACHE needs write-back instructions.
            assertEquals(Jdax.EXIT_FAILURE, r.code(), r.toString());
            assertTrue(r.err().contains("cache write-back"), r.toString());
            return;
        }
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("CPU_CACHE: flush() is a fence"), r.out());
        assertTrue(r.out().contains("skipped   jdax-copy+fence: the device is CPU_CACHE"), r.out());
        Cli both = Cli.run(tiny(tmp, "--mode", "emulated", "--device", "brd:x?size=4M"));
        assertEquals(Jdax.EXIT_USAGE, both.code(), both.toString());
    }

    @Test
    void aWriteThatDoesNotReadBackAsWrittenExitsWith3(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        String dev = "faulty:" + tmp.resolve("f.img") + "?size=2M&create=true&fault=drop-last-byte";
        Cli r = Cli.run(tiny(tmp, "--device", dev, "--methods", "jdax-durable,nocache-ceiling", "--kinds", "USER"));
        assertEquals(BenchCommand.EXIT_MISMATCH, r.code(), r.toString());
        assertTrue(r.out().contains("MISMATCH  jdax-durable USER 64 B"), r.out());
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

        String[] destroy = Stream.concat(Stream.of(args), Stream.of("--destroy-data")).toArray(String[]::new);
        Cli ran = Cli.run(destroy);
        assertEquals(0, ran.code(), ran.toString());
        assertTrue(new String(Files.readAllBytes(img), 0, 40, StandardCharsets.ISO_8859_1).startsWith("jdax-scratch:"),
                "the run leaves its marker");

        Cli again = Cli.run(args);
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

    @Test
    void ctrlCRemovesTheEmulatedDevice(@TempDir Path tmp) throws Exception {
        makeScratch(tmp);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Jdax.class.getName(), "bench", "--time", "60", "--libpmem", "none",
                "--scratch", tmp.resolve("scratch").toString(), "--out", tmp.resolve("out").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CompletableFuture<String> started = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    StringBuilder seen = new StringBuilder();
                    for (String line = err.readLine(); line != null; line = err.readLine()) {
                        seen.append(line).append('\n');
                        if (line.startsWith("bench: emulated pmem in ")) {
                            CompletableFuture.runAsync(() -> err.lines().forEach(l -> { })); // keep draining
                            return line;
                        }
                    }
                    return "ended before starting:\n" + seen;
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            String line = started.get(60, TimeUnit.SECONDS);
            assertTrue(line.startsWith("bench: emulated pmem in "), line);
            assertEquals(1, children(tmp.resolve("scratch")), "the device directory exists while it runs");
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits on SIGINT");
            assertEquals(130, p.exitValue(), "128 + SIGINT");
            assertEquals(0, children(tmp.resolve("scratch")), "the shutdown hook removed the device directory");
        } finally {
            p.destroyForcibly();
        }
    }
}
