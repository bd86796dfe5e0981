package io.jdax.stress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.openjdk.jcstress.infra.runners.TestList;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs this module's jcstress tests the way jcstress runs: {@code org.openjdk.jcstress.Main} in a
 * child JVM on the test class path, which forks a JVM per test and configuration. Fails when a
 * test is not [OK] (a forbidden outcome, an error, a timeout) or did not run at all. Tests whose
 * simple name starts with {@code Broken} are wrong on purpose and run only with
 * {@code -Djdax.stress.broken=true}, where jcstress must catch them (docs/STRESS.md).
 * <p>
 * Properties (Maven passes them through): {@code jdax.stress.mode} (jcstress preset, default
 * quick), {@code jdax.stress.jvmArgs} (the one VM configuration; {@code auto} lets jcstress probe
 * its four: interpreter, C1, C2, C2 with randomized scheduling), {@code jdax.stress.args} (more
 * jcstress options, e.g. {@code -iters 10 -time 1000}).
 */
class JcstressIT {

    /** C2 only, with its scheduling randomizers: where compiler reorderings would show. */
    private static final String DEFAULT_JVM_ARGS = "-XX:-TieredCompilation -XX:+UnlockDiagnosticVMOptions "
            + "-XX:+StressLCM -XX:+StressGCM -XX:+StressIGVN -XX:+StressCCP";
    private static final String NATIVE_LIBRARY = "META-INF/native/linux-x86_64/libjdax_x86.so";
    private static final Pattern LABEL = Pattern.compile("^\\.*\\s*\\[([A-Z ]+)\\] (\\S+)\\s*$");

    private final Path dir = Path.of(System.getProperty("jdax.stress.dir", "target/jcstress"));

    @Test
    void everyStressTestPasses() throws Exception {
        List<String> tests = tests(false);
        if (ClassLoader.getSystemResource(NATIVE_LIBRARY) == null) {
            // native-x86 built without gcc: the membarrier variant has nothing to run on
            System.out.println("jcstress: native-x86 has no " + NATIVE_LIBRARY + " (built without gcc): "
                    + "skipping the membarrier read-side test");
            tests.removeIf(t -> t.endsWith(".Membarrier"));
        }
        Run run = jcstress("default", tests, List.of());
        List<String> notOk = new ArrayList<>();
        for (String t : tests) {
            String status = run.status(t);
            if (!"OK".equals(status)) {
                notOk.add(t + ": " + (status == null ? "did not run" : status));
            }
        }
        if (run.exit != 0 || !notOk.isEmpty()) {
            fail("jcstress: " + (notOk.isEmpty() ? "exit code " + run.exit : String.join("; ", notOk))
                    + "\n" + run.summary + "\nfull log: " + run.log);
        }
    }

    /**
     * The deliberately broken read side (readers take no fence, close's barrier does nothing) must
     * be caught: proof that the read-side test can fail. Longer iterations, as the window is short.
     */
    @Test
    @EnabledIfSystemProperty(named = "jdax.stress.broken", matches = "true")
    void theBrokenReadSideIsCaught() throws Exception {
        List<String> tests = tests(true);
        assertFalse(tests.isEmpty(), "no Broken* tests in META-INF/TestList");
        Run run = jcstress("broken", tests, List.of("-iters", "5", "-time", "1000"));
        for (String t : tests) {
            assertEquals("FAILED", run.status(t), t + " was not caught\n" + run.summary + "\nfull log: " + run.log);
        }
        assertTrue(run.exit != 0, "jcstress exited 0 though a test failed");
        Matcher m = Pattern.compile("entered, saw none\\s+([\\d,]+)\\s+(\\S+)").matcher(run.summary);
        assertTrue(m.find() && !m.group(1).equals("0"), "no forbidden outcome counted\n" + run.summary);
        System.out.println("jcstress: the broken read side was caught: 'entered, saw none' " + m.group(1)
                + " times (" + m.group(2) + ")");
    }

    /** The jcstress tests in this module's META-INF/TestList, the Broken* ones or all others. */
    private static List<String> tests(boolean broken) {
        List<String> tests = TestList.tests().stream()
                .filter(t -> t.startsWith("io.jdax."))
                .filter(t -> t.substring(t.lastIndexOf('.') + 1).startsWith("Broken") == broken)
                .sorted()
                .collect(Collectors.toCollection(ArrayList::new));
        if (!broken) {
            assertTrue(tests.size() >= 6, "expected the module's jcstress tests in META-INF/TestList, found " + tests);
        }
        return tests;
    }

    private record Run(int exit, String summary, Path log) {
        /** The label jcstress gave {@code test} in its final results (OK, FAILED, ERROR, ...), or null. */
        String status(String test) {
            for (String line : summary.lines().toList()) {
                Matcher m = LABEL.matcher(line);
                if (m.matches() && m.group(2).equals(test)) {
                    return m.group(1).strip();
                }
            }
            return null;
        }
    }

    private Run jcstress(String name, List<String> tests, List<String> extra) throws IOException, InterruptedException {
        Path work = dir.resolve(name).toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java,
                // jcstress prepends its own JVM's arguments to every fork's
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "org.openjdk.jcstress.Main",
                "-m", System.getProperty("jdax.stress.mode", "quick"),
                // one compilation mode for both actors (split modes multiply the forks by nine)
                "-sc", "false",
                // both actors meet at every state: the read side's window is a few nanoseconds
                "-strideSize", "1",
                "-t", tests.stream().map(Pattern::quote).collect(Collectors.joining("|", "^(", ")$")),
                "-r", work.resolve("results").toString(),
                "-v"));
        String jvmArgs = System.getProperty("jdax.stress.jvmArgs", DEFAULT_JVM_ARGS).strip();
        if (!jvmArgs.equalsIgnoreCase("auto")) {
            cmd.addAll(List.of("-jvmArgs", jvmArgs.isEmpty() ? DEFAULT_JVM_ARGS : jvmArgs));
        }
        cmd.addAll(extra);
        String more = System.getProperty("jdax.stress.args", "").strip();
        if (!more.isEmpty()) {
            cmd.addAll(Arrays.asList(more.split("\\s+")));
        }
        Path log = work.resolve("jcstress.log");
        Files.writeString(log, String.join(" ", cmd) + "\n\n");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("jcstress took more than 15 minutes; log: " + log);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        int at = out.indexOf("RUN RESULTS:");
        String summary = at < 0 ? "(no RUN RESULTS in the log)" : out.substring(at).strip();
        String timing = String.format(Locale.ROOT, "jcstress %s: %d tests, exit %d, %.1f s", name, tests.size(),
                p.exitValue(), (System.nanoTime() - start) / 1e9);
        Files.writeString(work.resolve("summary.txt"), timing + "\n\n" + summary + "\n");
        System.out.println(timing + "\n" + summary);
        return new Run(p.exitValue(), summary, log);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(q);
            }
        }
    }
}
