package io.jdax.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program of the checkout as a user runs it (the {@code jdax} launcher, the Maven
 * Wrapper), its output in a file so that no pipe fills, and gives back what it printed.
 */
final class Command {

    /** What a command printed (stdout and stderr together) and returned. */
    record Result(int exitCode, String output, List<String> command) {
        @Override
        public String toString() {
            return String.join(" ", command) + "\nexit " + exitCode + "\n--- output\n" + output;
        }
    }

    private Command() {
    }

    /** The checkout's root directory (failsafe sets {@code jdax.it.root}). */
    static Path root() {
        return JdaxProcess.dir("jdax.it.root");
    }

    /** The {@code jdax} launcher with {@code env} added, never building (the build running this test built it). */
    static Result jdax(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(root().resolve("jdax").toString()));
        cmd.addAll(List.of(args));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("JDAX_NO_BUILD", "1");
        return run(cmd, root(), all, Duration.ofMinutes(2));
    }

    static Result run(List<String> cmd, Path dir, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("jdax-it-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("did not finish within " + timeout + ": " + cmd + "\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), cmd);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
