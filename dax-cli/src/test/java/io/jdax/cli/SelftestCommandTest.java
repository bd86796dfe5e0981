package io.jdax.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelftestCommandTest {

    private static List<Map<?, ?>> checks(Cli r) {
        return ((List<?>) ((Map<?, ?>) JsonReader.parse(r.out())).get("checks")).stream().<Map<?, ?>>map(o -> (Map<?, ?>) o).toList();
    }

    @Test
    void brdPassesAndTheContractsItDoesNotClaimAreNotApplicable() {
        Cli r = Cli.run("selftest", "--device", "brd:selftest?size=1M");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("jdax selftest brd:selftest?size=1M: 29 passed, 0 failed, 0 skipped, 2 not applicable"),
                r.out());
        assertTrue(r.out().contains("persistence  VOLATILE: "), r.out());
        assertTrue(r.out().contains("arch         ") && r.out().contains("flush "), r.out());
        assertTrue(r.out().contains("C9 durability under the power-fail simulator\n  N/A     the device is VOLATILE"), r.out());
        assertTrue(r.err().contains("selftest: [29/29] PASS"), r.err());
    }

    @Test
    void aPmemFilePassesEveryContractThenCarriesTheMarker(@TempDir Path tmp) throws Exception {
        Path img = tmp.resolve("st.img");
        String dev = "pmem:" + img + "?size=1M&create=true";
        Cli r = Cli.run("selftest", "--device", dev, "--json");
        assertEquals(0, r.code(), r.toString());
        Map<?, ?> report = (Map<?, ?>) JsonReader.parse(r.out());
        assertEquals("PAGE_CACHE", report.get("persistence"));
        assertEquals(Boolean.TRUE, report.get("passed"));
        List<Map<?, ?>> checks = checks(r);
        assertTrue(checks.stream().allMatch(c -> c.get("status").equals("PASS")), checks.toString());
        assertTrue(checks.stream().anyMatch(c -> c.get("check").equals("everyByteWrittenBeforeFlushSurvivesAnyCrash")));
        assertTrue(checks.stream().anyMatch(c -> c.get("contract").equals("C5 round trips")));
        assertTrue(new String(Files.readAllBytes(img), 0, 13, StandardCharsets.ISO_8859_1).equals("jdax-scratch:"));

        Cli again = Cli.run("selftest", "--device", dev);
        assertEquals(Jdax.EXIT_REFUSED, again.code(), again.toString());
        assertTrue(again.err().contains("written by jdax selftest"), again.err());
        assertEquals(0, Cli.run("selftest", "--device", dev, "--destroy-data").code());
    }

    @Test
    void aDriverThatDropsBytesOrSkipsTheFenceFailsItsContractsWithExit3(@TempDir Path tmp) {
        Cli drop = Cli.run("selftest", "--device", "faulty:" + tmp.resolve("a") + "?size=1M&create=true&fault=drop-last-byte",
                "--json");
        assertEquals(Jdax.EXIT_PROBLEM, drop.code(), drop.toString());
        assertTrue(checks(drop).stream().anyMatch(c -> c.get("status").equals("FAIL")
                && ((String) c.get("check")).startsWith("roundTripsEveryAlignment")), drop.out());
        assertTrue(drop.errLines().getLast().contains("check(s) failed"), drop.err());

        Cli noFlush = Cli.run("selftest", "--device", "faulty:" + tmp.resolve("b") + "?size=1M&create=true&fault=no-flush",
                "--json");
        assertEquals(Jdax.EXIT_PROBLEM, noFlush.code(), noFlush.toString());
        assertTrue(checks(noFlush).stream().anyMatch(c -> c.get("status").equals("FAIL")
                && c.get("check").equals("everyByteWrittenBeforeFlushSurvivesAnyCrash")), noFlush.out());
    }

    @Test
    void aDeviceHoldingDataIsRefusedAndNotTouched(@TempDir Path tmp) throws Exception {
        Path img = tmp.resolve("data.img");
        byte[] content = new byte[1 << 20];
        System.arraycopy("XFSB".getBytes(StandardCharsets.US_ASCII), 0, content, 0, 4);
        Files.createFile(img, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(img, content, StandardOpenOption.WRITE);
        Cli r = Cli.run("selftest", "--device", "pmem:" + img);
        assertEquals(Jdax.EXIT_REFUSED, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("an XFS filesystem signature"), r.err());
        assertEquals("", r.out());
        assertArrayEquals(content, Files.readAllBytes(img));
    }

    @Test
    void aRealBtrfsFilesystemIsRefusedAndStillChecksCleanAfterwards(@TempDir Path tmp) throws Exception {
        // The superblock sits at 64 KiB; page 0 and every sampled page of 1 GiB are zero.
        String mkfs = Images.tool("mkfs.btrfs", "btrfs-progs");
        String btrfs = Images.tool("btrfs", "btrfs-progs");
        Path img = Images.sparse(tmp.resolve("btrfs.img"), 1L << 30);
        Images.run(mkfs, "-q", img.toString());
        Cli r = Cli.run("selftest", "--device", "pmem:" + img);
        assertEquals(Jdax.EXIT_REFUSED, r.code(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.err().contains("holds data (a btrfs filesystem signature at byte 65600)"), r.err());
        Images.run(btrfs, "check", "--readonly", img.toString());
    }

    @Test
    void usageErrors() {
        Cli missing = Cli.run("selftest");
        assertEquals(Jdax.EXIT_USAGE, missing.code(), missing.toString());
        assertTrue(missing.err().contains("--device"), missing.err());
        Cli bad = Cli.run("selftest", "--device", "no scheme");
        assertEquals(Jdax.EXIT_USAGE, bad.code(), bad.toString());
        assertEquals(1, bad.errLines().size(), bad.toString());
        Cli small = Cli.run("selftest", "--device", "brd:s?size=64K");
        assertEquals(Jdax.EXIT_FAILURE, small.code(), small.toString());
        assertTrue(small.err().contains("at least 256 KiB"), small.err());
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalRemovesTheChecksScratchDirectories(String signal, @TempDir Path tmp) throws Exception {
        ChildJdax.assumeDeliverable(signal);
        Path javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
        try (ChildJdax p = ChildJdax.start(List.of("-Djava.io.tmpdir=" + javaTmp), "selftest", "--device",
                "pmem:" + tmp.resolve("dev.img") + "?size=4M&create=true")) {
            p.await(l -> l.startsWith("selftest: [2/"), 60);
            assertEquals(ChildJdax.exitCodeOf(signal), p.signal(signal), "128 + the signal's number");
            try (Stream<Path> left = Files.list(javaTmp)) {
                assertEquals(List.of(), left.toList(), "nothing left behind; stderr:\n" + p.stderr());
            }
        }
    }
}
