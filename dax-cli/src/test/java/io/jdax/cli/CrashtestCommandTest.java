package io.jdax.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrashtestCommandTest {

    private static String[] args(Path scratch, String... more) {
        return Stream.concat(Stream.of("crashtest", "--time", "0", "--random-points", "3", "--seeds-per-point", "1",
                "--scratch", scratch.toString()), Stream.of(more)).toArray(String[]::new);
    }

    private static List<?> workloads(Cli r) {
        return (List<?>) ((Map<?, ?>) JsonReader.parse(r.out())).get("workloads");
    }

    private static Map<?, ?> workload(Cli r, String name) {
        return (Map<?, ?>) workloads(r).stream().filter(w -> name.equals(((Map<?, ?>) w).get("workload")))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + r.out()));
    }

    @Test
    void helpNamesTheOptionsAndExitCodes() {
        Cli r = Cli.run("crashtest", "--help");
        assertEquals(0, r.code(), r.toString());
        for (String s : List.of("--seed", "--time", "--workloads", "--template", "{image}", "Exit codes",
                "acknowledged bytes were lost")) {
            assertTrue(r.out().contains(s), s + " missing:\n" + r.out());
        }
    }

    @Test
    void everyWorkloadPassesOnThePmemDriverAndTheReportHasTheFigures(@TempDir Path tmp) throws Exception {
        Cli r = Cli.run(args(tmp, "--json"));
        assertEquals(0, r.code(), r.toString());
        for (String name : List.of("sequential-append", "random-overwrite", "fs-file-writes", "fs-direct-mapped-stores",
                "test-plugin-append")) {
            Map<?, ?> w = workload(r, name);
            assertEquals(Boolean.TRUE, w.get("passed"), w.toString());
            assertEquals(0.0, w.get("acknowledged_bytes_lost"));
            double points = (Double) w.get("crash_points");
            assertTrue(points > 3, "flush boundaries and 3 random points: " + w);
            assertEquals(points * 2, (Double) w.get("images_checked"), "one seeded image and the harshest per point");
            assertEquals(0.0, w.get("reboot_failures"));
            assertEquals(0.0, w.get("redundant_writebacks"), "the pmem driver keeps C4: " + w);
            assertEquals(0.0, w.get("wasted_writebacks"), "pmemcheck: " + w);
            assertEquals(0.0, w.get("dirty_lines_left"), "pmemcheck: " + w);
            assertTrue(((String) w.get("device")).contains("CPU_CACHE"), w.toString());
        }
        assertTrue(r.err().contains("crashtest: round 1 (seed 1) sequential-append"), r.err());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.count(), "images removed");
        }
    }

    @Test
    void daxfsCampaignsAreFoundAndEveryImageIsJudgedByTheFilesystem(@TempDir Path tmp) {
        Cli r = Cli.run(args(tmp, "--workloads", "daxfs-append-fsync,daxfs-delete"));
        assertEquals(0, r.code(), r.toString());
        for (String name : List.of("daxfs-append-fsync", "daxfs-delete")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(name + " ") && l.endsWith("PASSED")), r.out());
            assertTrue(r.err().contains("crashtest: round 1 (seed 1) " + name), r.err());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("daxfs-delete ") && l.contains("(CPU_CACHE)")
                && l.endsWith("acknowledgements")), "each durability point of the filesystem is counted: " + r.out());

        Cli json = Cli.run(args(tmp, "--workloads", "daxfs-truncate", "--json"));
        assertEquals(0, json.code(), json.toString());
        Map<?, ?> w = workload(json, "daxfs-truncate");
        assertEquals(Boolean.TRUE, w.get("passed"), w.toString());
        assertEquals(0.0, w.get("reboot_failures"), "fsck, mount and the files promised, on every image: " + w);
        assertTrue((Double) w.get("crash_points") > 20, "a commit has several fences: " + w);
        assertEquals((Double) w.get("crash_points") * 2, (Double) w.get("images_checked"), w.toString());

        String known = Cli.run(args(tmp, "--workloads", "nope")).err();
        for (String name : List.of("daxfs-create-write-fsync", "daxfs-append-fsync", "daxfs-rename-over",
                "daxfs-truncate", "daxfs-fallocate", "daxfs-delete")) {
            assertTrue(known.contains(name), name + " is offered: " + known);
        }
    }

    @Test
    void theTableNamesEachWorkloadAndItsVerdict(@TempDir Path tmp) {
        Cli r = Cli.run(args(tmp, "--workloads", "random-overwrite,fs-file-writes"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("crash points") && r.out().contains("ack bytes lost")
                && r.out().contains("torn unacked bytes"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("random-overwrite") && l.endsWith("PASSED")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("fs-file-writes") && l.endsWith("PASSED")), r.out());
        assertTrue(r.out().contains("C4: copied"), r.out());
        assertTrue(r.out().contains("pmemcheck: 0 wasted write-backs, 0 dirty lines left"), r.out());
    }

    @Test
    void aDriverWhoseFlushDoesNotFenceLosesAcknowledgedDataAndExitsWith3(@TempDir Path tmp) {
        Cli r = Cli.run(args(tmp, "--template", "faulty:{image}?fault=no-flush", "--workloads", "sequential-append",
                "--json"));
        assertEquals(Jdax.EXIT_PROBLEM, r.code(), r.toString());
        Map<?, ?> w = workload(r, "sequential-append");
        assertEquals(Boolean.FALSE, w.get("passed"));
        assertTrue((Double) w.get("acknowledged_bytes_lost") > 0, w.toString());
        assertTrue(!((List<?>) w.get("losses")).isEmpty(), "says where: " + w);
        assertTrue(r.errLines().getLast().contains("acknowledged data was lost"), r.err());
    }

    @Test
    void theSameSeedGivesTheSameCampaigns(@TempDir Path tmp) {
        Cli a = Cli.run(args(tmp, "--seed", "7", "--workloads", "random-overwrite", "--json"));
        Cli b = Cli.run(args(tmp, "--seed", "7", "--workloads", "random-overwrite", "--json"));
        for (String k : List.of("crash_points", "images_checked", "unacknowledged_bytes_torn", "writes")) {
            assertEquals(workload(a, "random-overwrite").get(k), workload(b, "random-overwrite").get(k), k);
        }
    }

    @Test
    void directStoresNeedACpuCacheDeviceAndAreSkippedOtherwise(@TempDir Path tmp) {
        Cli r = Cli.run(args(tmp, "--template", "pmem:{image}", "--workloads", "fs-direct-mapped-stores"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("fs-direct-mapped-stores") && r.out().contains("skipped: ")
                && r.out().contains("CPU_CACHE"), r.out());
    }

    @Test
    void badOptionsAreUsageErrorsOnOneLine(@TempDir Path tmp) {
        for (String[] a : List.of(args(tmp, "--workloads", "nope"), args(tmp, "--template", "pmem:/x"),
                new String[] {"crashtest", "--time", "-1"}, args(tmp.resolve("missing")))) {
            Cli r = Cli.run(a);
            assertEquals(Jdax.EXIT_USAGE, r.code(), r.toString());
            assertEquals(1, r.errLines().size(), r.toString());
        }
        assertTrue(Cli.run(args(tmp, "--workloads", "nope")).err().contains("sequential-append"), "lists the known ones");
    }

    private static String[] pointsArgs(Path scratch, String... more) {
        return Stream.concat(Stream.of("crashtest", "--time", "0", "--seeds-per-point", "1", "--scratch",
                scratch.toString()), Stream.of(more)).toArray(String[]::new);
    }

    @Test
    void pointsNCrashesEachCampaignAtExactlyNTicks(@TempDir Path tmp) {
        Cli r = Cli.run(pointsArgs(tmp, "--points", "5", "--workloads",
                "sequential-append,daxfs-delete,test-plugin-append", "--json"));
        assertEquals(0, r.code(), r.toString());
        assertEquals("5 ticks", ((Map<?, ?>) JsonReader.parse(r.out())).get("crash_points_per_campaign"));
        for (String name : List.of("sequential-append", "daxfs-delete", "test-plugin-append")) {
            Map<?, ?> w = workload(r, name);
            assertEquals(5.0, w.get("crash_points"), w.toString());
            assertEquals(10.0, w.get("images_checked"), "one seeded image and the harshest per point: " + w);
            assertTrue((Double) w.get("ticks") > 5, w.toString());
            assertTrue(r.err().contains("round 1 (seed 1) " + name), r.err());
        }
        assertTrue(r.err().lines().filter(l -> l.contains("crashtest: round 1")).allMatch(l -> l.contains(" 5 crash points")),
                r.err());
    }

    @Test
    void pointsAllCrashesAtEveryTick(@TempDir Path tmp) {
        Cli r = Cli.run(pointsArgs(tmp, "--points", "all", "--workloads", "sequential-append,daxfs-fallocate", "--json"));
        assertEquals(0, r.code(), r.toString());
        assertEquals("every tick", ((Map<?, ?>) JsonReader.parse(r.out())).get("crash_points_per_campaign"));
        assertEquals(150.0, workload(r, "sequential-append").get("ticks"), "48 records, 12 flushes: " + r.out());
        for (String name : List.of("sequential-append", "daxfs-fallocate")) {
            Map<?, ?> w = workload(r, name);
            assertEquals(w.get("ticks"), w.get("crash_points"), w.toString());
            assertEquals((Double) w.get("ticks") * 2, (Double) w.get("images_checked"), w.toString());
        }

        Cli table = Cli.run(pointsArgs(tmp, "--points", "all", "--workloads", "sequential-append"));
        assertTrue(table.out().contains("crash points: every tick"), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.matches("sequential-append +1 +150 +150 +300 .*PASSED")),
                "ticks and crash points side by side: " + table.out());
    }

    @Test
    void badPointsAreUsageErrorsOnOneLineNamingTheOption(@TempDir Path tmp) {
        for (String bad : List.of("0", "-3", "x", "1.5", "")) {
            Cli r = Cli.run(pointsArgs(tmp, "--points", bad));
            assertEquals(Jdax.EXIT_USAGE, r.code(), bad + ": " + r);
            assertEquals(1, r.errLines().size(), r.toString());
            assertTrue(r.err().contains("--points"), r.err());
        }
        Cli both = Cli.run(args(tmp, "--points", "5"));
        assertEquals(Jdax.EXIT_USAGE, both.code(), both.toString());
        assertEquals(1, both.errLines().size(), both.toString());
        assertTrue(both.err().contains("--points and --random-points"), both.err());
        Cli help = Cli.run("crashtest", "--help");
        assertTrue(help.out().contains("--points") && help.out().contains("every tick"), help.out());
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalRemovesEveryImageDirectory(String signal, @TempDir Path tmp) throws Exception {
        ChildJdax.assumeDeliverable(signal);
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        try (ChildJdax p = ChildJdax.start(List.of(), "crashtest", "--time", "120", "--scratch", scratch.toString())) {
            p.await(l -> l.startsWith("crashtest: round 1 "), 120);
            assertEquals(ChildJdax.exitCodeOf(signal), p.signal(signal), "128 + the signal's number");
            try (Stream<Path> left = Files.list(scratch)) {
                assertEquals(List.of(), left.toList(), "nothing left behind; stderr:\n" + p.stderr());
            }
            assertTrue(p.stderr().contains("jdax crashtest: stopped before the end; removed " + scratch.resolve("jdax-crash-")),
                    p.stderr());
        }
    }

    @Test
    void aRunLeavesNothingInItsScratchDirectory(@TempDir Path tmp) throws Exception {
        Cli r = Cli.run(args(tmp, "--workloads", "sequential-append"));
        assertEquals(0, r.code(), r.toString());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList());
        }
    }
}
