package io.jdax.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Disk images made by the real tools (mkfs.btrfs, mkswap, cryptsetup, ...), small and sparse.
 * A tool that is missing skips the test saying which Debian package has it, except in CI
 * ({@code CI} set), where {@code scripts/test-packages.sh} installs them all and a missing one
 * fails.
 */
final class Images {
    private Images() {
    }

    /** The tool's path; skips (or, in CI, fails) when it is not installed. */
    static String tool(String name, String debianPackage) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        String why = name + " is not installed (Debian package " + debianPackage + ", which .ci/run installs through "
                + "scripts/test-packages.sh)";
        if (System.getenv("CI") != null) {
            fail(why + ": in CI it must be there");
        }
        assumeTrue(false, why + ": skipped");
        return null;
    }

    /** The uid of this process. */
    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** A sparse file of {@code bytes}. */
    static Path sparse(Path file, long bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
        }
        return file;
    }

    /** Rounds the file up to whole pages (the pmem driver maps whole pages). */
    static Path padToPages(Path file) throws IOException {
        long size = Files.size(file);
        return sparse(file, Math.ceilDiv(Math.max(size, 1), 4096) * 4096);
    }

    /** Runs a command, fails the test with its output unless it exits 0; returns the output. */
    static String run(List<String> cmd, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LVM_SUPPRESS_FD_WARNINGS", "1");
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        return run(new ArrayList<>(List.of(cmd)), null);
    }
}
