package io.jdax.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code jdax} in a child JVM, so that a test can send it signals; stderr is read as it comes. */
final class ChildJdax implements AutoCloseable {
    private static final String END = "\u0000end";
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    private ChildJdax(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(stderr: " + e + ")");
            }
            lines.add(END);
        }, "child-jdax-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code jdax args...} on this test's class path, with {@code jvmOptions} before the main class. */
    static ChildJdax start(List<String> jvmOptions, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(jvmOptions);
        cmd.add(Jdax.class.getName());
        cmd.addAll(List.of(args));
        return new ChildJdax(new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    /** Waits for a stderr line that matches; fails with everything seen if the child ends first. */
    String await(Predicate<String> wanted, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                fail((line == null ? "timed out" : "the child ended") + " before the line awaited; stderr:\n"
                        + String.join("\n", seen));
            }
            seen.add(line);
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    /** Sends {@code SIGNAME} ("INT", "TERM") and returns the exit code, after it exits within 30 s. */
    int signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exits on SIG" + name);
        return process.exitValue();
    }

    /** Everything on stderr so far and until the child's end (after it exited). */
    String stderr() throws InterruptedException {
        for (String line = lines.poll(5, TimeUnit.SECONDS); line != null && !line.equals(END);
             line = lines.poll(5, TimeUnit.SECONDS)) {
            seen.add(line);
        }
        return String.join("\n", seen);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** 128 + the signal's number, the exit code of a JVM that a signal ended (its hooks run first). */
    static int exitCodeOf(String signal) {
        return 128 + switch (signal) {
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException(signal);
        };
    }

    /**
     * Skips a SIGINT test when this JVM ignores SIGINT: then it was inherited ignored (a job a shell
     * started in the background), the child inherits that too, and SIGINT cannot reach it.
     */
    static void assumeDeliverable(String signal) throws IOException {
        if (!signal.equals("INT")) {
            return;
        }
        long ignored = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                ignored = Long.parseUnsignedLong(line.substring(7).strip(), 16);
            }
        }
        assumeFalse((ignored & (1L << (2 - 1))) != 0, "SIGINT is ignored by this JVM (inherited so, as by a job "
                + "started in the background), and so by its child: the SIGINT case is skipped, SIGTERM runs");
    }
}
