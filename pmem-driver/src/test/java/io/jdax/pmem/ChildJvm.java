package io.jdax.pmem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of the test sources in a child JVM, in a working directory of its own: what
 * could crash a JVM is tried there, so a crash fails the test instead of killing the test JVM.
 */
final class ChildJvm {
    private static final long TIMEOUT_SECONDS = 120;

    private ChildJvm() {
    }

    /**
     * What the child did: its exit code, its output (stdout and stderr), and the JVM crash logs
     * ({@code hs_err_pid*.log}) found in its working directory afterwards.
     */
    record Result(int exitCode, String out, List<Path> crashLogs) {
        @Override
        public String toString() {
            return "exit " + exitCode + ", crash logs " + crashLogs + ", output:\n" + out;
        }
    }

    /**
     * Runs {@code main} with {@code args} on the test class path, with {@code jvmArgs} (the native
     * access wanted is up to the caller), in a new directory under {@code parent}.
     */
    static Result run(Path parent, List<String> jvmArgs, Class<?> main, String... args)
            throws IOException, InterruptedException {
        Path cwd = Files.createTempDirectory(parent, "child-jvm-");
        Path output = cwd.resolve("output.txt");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        // A crash writes its log here (not into the build directory), and no core dump.
        cmd.add("-XX:ErrorFile=" + cwd.resolve("hs_err_pid%p.log"));
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("child JVM " + main.getName() + " still running after " + TIMEOUT_SECONDS
                    + " s, killed; its output:\n" + Files.readString(output));
        }
        List<Path> crashLogs;
        try (Stream<Path> s = Files.list(cwd)) {
            crashLogs = s.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).toList();
        }
        return new Result(p.exitValue(), Files.readString(output), crashLogs);
    }
}
