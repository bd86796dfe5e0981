package io.jdax.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCompareTest {

    /** A report with one cell per entry: method -> the rounds' medians (GB/s); the figure is their median. */
    private static String report(Map<String, double[]> cells) {
        Json j = new Json().beginObject().field("tool", "jdax bench").name("java").string("25");
        j.name("pmem").beginObject().field("persistence", "CPU_CACHE").field("emulated", true).endObject();
        j.name("arch").beginObject().field("name", "native-x86").endObject();
        j.name("results").beginArray();
        for (Map.Entry<String, double[]> e : cells.entrySet()) {
            double[] r = e.getValue().clone();
            java.util.Arrays.sort(r);
            j.beginObject().field("method", e.getKey()).field("kind", "USER").field("size_bytes", 4096)
                    .field("threads", 1).field("gb_per_s", r[r.length / 2]);
            j.name("rounds_gb_per_s").beginArray();
            for (double v : e.getValue()) {
                j.number(v);
            }
            j.endArray().endObject();
        }
        return j.endArray().endObject().toString();
    }

    private static Map<String, double[]> cells(double durableScale) {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put("jdax-durable", new double[] {10.0 * durableScale, 10.4 * durableScale, 9.8 * durableScale});
        m.put("libpmem", new double[] {9.0, 9.3, 8.8});
        m.put("nocache-ceiling", new double[] {11.0, 11.5, 10.9});
        return m;
    }

    @Test
    void identicalRunsShowNoRegressionAndExit0(@TempDir Path tmp) throws Exception {
        Path a = Files.writeString(tmp.resolve("a.json"), report(cells(1)));
        Path b = Files.writeString(tmp.resolve("b.json"), report(cells(1)));
        Cli r = Cli.run("bench", "--compare", a.toString(), b.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("compare   3 cells: 0 regression(s), 0 faster, 3 the same"), r.out());
        assertTrue(r.out().contains("jdax-durable USER 4 KiB") && r.out().contains("1.000  same"), r.out());
    }

    @Test
    void aTwentyPercentSlowdownInOnePathIsFlaggedAndExits3(@TempDir Path tmp) throws Exception {
        Path a = Files.writeString(tmp.resolve("a.json"), report(cells(1)));
        Path b = Files.writeString(tmp.resolve("b.json"), report(cells(0.8)));
        Cli r = Cli.run("bench", "--compare", a.toString(), b.toString());
        assertEquals(BenchCommand.EXIT_MISMATCH, r.code(), r.toString());
        assertTrue(r.out().contains("compare   3 cells: 1 regression(s), 0 faster, 2 the same"), r.out());
        String line = r.out().lines().filter(l -> l.startsWith("jdax-durable")).findFirst().orElseThrow();
        assertTrue(line.contains("0.800") && line.endsWith("REGRESSION"), line);
        // The other way round it is faster, not a regression.
        Cli back = Cli.run("bench", "--compare", b.toString(), a.toString());
        assertEquals(0, back.code(), back.toString());
        assertTrue(back.out().contains("1 faster"), back.out());
        // Above the threshold, not flagged.
        Cli loose = Cli.run("bench", "--compare", a.toString(), b.toString(), "--threshold", "25");
        assertEquals(0, loose.code(), loose.toString());
    }

    @Test
    void aSlowdownWithinTheRoundsSpreadIsNoise() {
        // The new rounds overlap the old ones: one disturbed round is not a regression, however big the ratio.
        BenchCompare.Figures old = new BenchCompare.Figures(10, 6, 10.5);
        BenchCompare.Figures now = new BenchCompare.Figures(7.5, 7, 8);
        assertEquals("same", BenchCompare.verdict(old, now, 0.10));
        assertEquals("regression", BenchCompare.verdict(old, new BenchCompare.Figures(7.5, 5, 5.9), 0.10));
        assertEquals("same", BenchCompare.verdict(old, new BenchCompare.Figures(9.5, 5, 5.9), 0.10),
                "spreads apart but the ratio within the threshold");
    }

    @Test
    void theReportsOwnJsonRoundTripsThroughTheComparison(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("scratch"));
        Cli run = Cli.run("bench", "--time", "1", "--rounds", "2", "--sizes", "4K", "--kinds", "USER",
                "--methods", "jdax-durable,jdax-memset", "--libpmem", "none", "--scratch",
                tmp.resolve("scratch").toString(), "--out", tmp.resolve("out").toString());
        assertEquals(0, run.code(), run.toString());
        Path json = tmp.resolve("out/results.json");
        Map<String, BenchCompare.Figures> cells = BenchCompare.cells(BenchCompare.read(json));
        assertEquals(List.of("jdax-durable USER 4 KiB", "jdax-memset - 4 KiB"), new ArrayList<>(cells.keySet()));
        List<String> csv = Files.readAllLines(tmp.resolve("out/results.csv"));
        for (String row : csv.subList(1, csv.size())) {
            String[] f = row.split(",");
            BenchCompare.Figures x = cells.get(BenchCompare.key(f[0], f[1].equals("-") ? null : f[1], 4096, 1));
            assertEquals(Double.parseDouble(f[6]), x.gbPerSecond(), 1e-4 * x.gbPerSecond(), row);
            assertEquals(Double.parseDouble(f[7]), x.low(), 1e-4 * x.low(), row);
            assertEquals(Double.parseDouble(f[8]), x.high(), 1e-4 * x.high(), row);
        }
        // A run against its own results as the baseline: the same cells, compared, never a crash.
        Cli again = Cli.run("bench", "--time", "1", "--rounds", "2", "--sizes", "4K", "--kinds", "USER",
                "--methods", "jdax-durable,jdax-memset", "--libpmem", "none", "--scratch",
                tmp.resolve("scratch").toString(), "--out", tmp.resolve("out2").toString(), "--baseline", json.toString(),
                "--threshold", "99");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("compare   2 cells: 0 regression(s)"), again.out());
    }

    @Test
    void somethingElseThanAReportIsAUsageError(@TempDir Path tmp) throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"tool\": \"other\"}");
        Cli r = Cli.run("bench", "--compare", bad.toString(), bad.toString());
        assertEquals(Jdax.EXIT_USAGE, r.code(), r.toString());
        assertTrue(r.err().contains("is not a jdax bench report"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
