package io.jdax.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a main class of these test sources in a child JVM, in a working directory of its own, so
 * that a crash fails the test instead of the test runner, and the crash's {@code hs_err_pid*.log}
 * lands where the test looks for it. Class path: jdax's jars as users get them, plus the test
 * classes.
 */
final class ChildJvm {

    /**
     * What the child did.
     *
     * @param exitCode its exit status (1 after a HotSpot fatal error, as cores are off; 128 + n for signal n)
     * @param out      its standard output
     * @param err      its standard error
     * @param dir      its working directory
     * @param hsErr    the {@code hs_err_pid*.log} files found there afterwards
     * @param pid      its process id
     */
    record Result(int exitCode, String out, String err, Path dir, List<Path> hsErr, long pid) {
        /** Whether HotSpot reported a fatal error (or the child died of a signal). */
        boolean crashed() {
            return !hsErr.isEmpty() || exitCode >= 128;
        }

        /** The first hs_err file's text. */
        String hsErrText() throws IOException {
            return hsErr.isEmpty() ? "" : Files.readString(hsErr.getFirst(), StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("child exit ").append(exitCode).append(" in ").append(dir);
            for (Path p : hsErr) {
                b.append("\n--- ").append(p.getFileName()).append(" (head)\n");
                try (Stream<String> lines = Files.lines(p, StandardCharsets.ISO_8859_1)) {
                    lines.limit(25).forEach(l -> b.append(l).append('\n'));
                } catch (IOException e) {
                    b.append(e).append('\n');
                }
            }
            return b.append("\n--- stdout\n").append(out).append("--- stderr\n").append(err).toString();
        }
    }

    private ChildJvm() {
    }

    /** The child's class path: jdax's jars and these test classes. */
    static String classPath() throws IOException {
        List<Path> cp = new ArrayList<>(JdaxProcess.jars(JdaxProcess.dir("jdax.it.jars")));
        cp.add(JdaxProcess.dir("jdax.it.testClasses"));
        return JdaxProcess.path(cp);
    }

    /** A child that was started and has not been waited for. */
    record Running(Process process, Path dir, Path out, Path err, List<String> cmd) {
        /** What it printed so far. */
        String outSoFar() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs {@code main} with {@code args} in a new directory under {@code parent}.
     *
     * @param env     added to the child's environment
     * @param jvmArgs before the class path
     * @param timeout seconds; the child is killed after that and the test fails
     */
    static Result run(Path parent, String name, Map<String, String> env, List<String> jvmArgs, long timeout,
                      Class<?> main, String... args) throws IOException, InterruptedException {
        return finish(start(parent, name, env, jvmArgs, main, args), timeout);
    }

    /** Starts {@code main} as {@link #run} does, without waiting. */
    static Running start(Path parent, String name, Map<String, String> env, List<String> jvmArgs, Class<?> main,
                         String... args) throws IOException {
        Path dir = parent.resolve(name);
        if (Files.exists(dir)) { // an earlier run's: its hs_err files are not this run's
            try (Stream<Path> old = Files.walk(dir)) {
                for (Path p : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--illegal-native-access=deny");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        // The hs_err file is the evidence of a crash; a core would only fill the disk. (So a
        // crashed child exits with status 1, not 134: look for the file, not at the status.)
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        return new Running(p, dir, out, err, cmd);
    }

    /** Waits for a started child (killing it after {@code timeout} seconds) and collects what it left. */
    static Result finish(Running r, long timeout) throws IOException, InterruptedException {
        if (!r.process().waitFor(timeout, TimeUnit.SECONDS)) {
            r.process().destroyForcibly().waitFor();
            throw new AssertionError("child JVM in " + r.dir() + " did not finish in " + timeout + " s: " + r.cmd()
                    + "\n--- stdout\n" + Files.readString(r.out()) + "--- stderr\n" + Files.readString(r.err()));
        }
        List<Path> hsErr;
        try (Stream<Path> s = Files.list(r.dir())) {
            hsErr = s.filter(f -> f.getFileName().toString().matches("hs_err_pid\\d+\\.log")).sorted().toList();
        }
        return new Result(r.process().exitValue(), Files.readString(r.out(), StandardCharsets.UTF_8),
                Files.readString(r.err(), StandardCharsets.UTF_8), r.dir(), hsErr, r.process().pid());
    }

}
