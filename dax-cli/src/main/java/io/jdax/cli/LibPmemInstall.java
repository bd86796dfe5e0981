package io.jdax.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * libpmem for {@code jdax bench}'s anchor rows: when it is missing and we are root with apt-get,
 * it is installed the way {@code integration-tests/qemu/setup.sh} installs its packages (one line
 * saying so, {@code apt-get update} and {@code install --no-install-recommends}, the output in a
 * log shown only on failure); otherwise the report's first lines say how to install it.
 * {@code JDAX_NO_INSTALL=1} (as for the QEMU setup and the test packages) never calls apt-get.
 */
final class LibPmemInstall {
    /** The Debian package that provides {@code libpmem.so.1}. */
    static final String PACKAGE = "libpmem1";
    /** The environment variable that forbids installing anything. */
    static final String NO_INSTALL = "JDAX_NO_INSTALL";

    /** Runs a command with its output to {@code log}; returns its exit code. */
    interface Runner {
        int run(List<String> command, Path log) throws IOException, InterruptedException;
    }

    /**
     * What happened.
     *
     * @param available whether libpmem loads now
     * @param note      a line for the report, or null when there is nothing to say (it was there already)
     */
    record Outcome(boolean available, String note) {
    }

    private LibPmemInstall() {
    }

    /** On this machine: root from /proc/self/status, apt-get on the usual path, the environment. */
    static Outcome ensure(BooleanSupplier loadable, Consumer<String> say) {
        return ensure(loadable, isRoot(), Files.isExecutable(Path.of("/usr/bin/apt-get")),
                "1".equals(System.getenv(NO_INSTALL)), LibPmemInstall::runCommand, say);
    }

    static Outcome ensure(BooleanSupplier loadable, boolean root, boolean apt, boolean forbidden, Runner runner,
                          Consumer<String> say) {
        if (loadable.getAsBoolean()) {
            return new Outcome(true, null);
        }
        String how = "apt-get install " + PACKAGE + " (Debian, Ubuntu; as root) and run again";
        if (forbidden) {
            return new Outcome(false, "not installed, its rows are skipped (" + NO_INSTALL + "=1: nothing installed); "
                    + how);
        }
        if (!root || !apt) {
            return new Outcome(false, "not installed, its rows are skipped: " + how);
        }
        say.accept("jdax bench: installing " + PACKAGE + " for the libpmem rows (apt-get, a minute or so; "
                + NO_INSTALL + "=1 or --libpmem none to skip)");
        Path log = null;
        try {
            log = Files.createTempFile("jdax-apt-", ".log", RunFiles.FILE_0600);
            int rc = runner.run(List.of("sh", "-c", "apt-get update -qq && apt-get install -y -qq "
                    + "--no-install-recommends " + PACKAGE), log);
            if (rc == 0 && loadable.getAsBoolean()) {
                Files.deleteIfExists(log);
                return new Outcome(true, "installed " + PACKAGE + " with apt-get for this run");
            }
            List<String> tail = Files.readAllLines(log, StandardCharsets.UTF_8);
            tail = tail.subList(Math.max(0, tail.size() - 5), tail.size());
            tail.forEach(l -> say.accept("  " + l));
            return new Outcome(false, "apt-get install " + PACKAGE + " failed (exit " + rc + ", log " + log
                    + "): its rows are skipped");
        } catch (IOException e) {
            return new Outcome(false, "apt-get install " + PACKAGE + " could not run (" + e.getMessage()
                    + "): its rows are skipped; " + how);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "apt-get install " + PACKAGE + " was interrupted: its rows are skipped");
        }
    }

    private static int runCommand(List<String> command, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        return pb.start().waitFor();
    }

    /** Whether the real user id is 0, from /proc/self/status (false when it cannot be read). */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).strip().split("\\s+")[0].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no /proc: not root as far as we can tell
        }
        return false;
    }
}
