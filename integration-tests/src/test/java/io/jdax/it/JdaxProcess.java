package io.jdax.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Runs the jdax CLI in a child JVM with a chosen class path or module path, as a user would. */
final class JdaxProcess {

    /** What a child JVM printed and returned. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** The modules that use native access on purpose, granted as the ./jdax launcher grants them. */
    static final String NATIVE_MODULES = "io.jdax.x86,io.jdax.pmem,io.jdax.bench";

    private JdaxProcess() {
    }

    static Path dir(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException(property + " is not set: run through Maven (failsafe sets it)");
        }
        return Path.of(value);
    }

    static List<Path> jars(Path... dirs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(out::add);
            }
        }
        return out;
    }

    static String path(List<Path> jars) {
        return jars.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
    }

    static Result run(List<String> jvmArgs, String... cliArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--illegal-native-access=deny");
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of(cliArgs));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish: " + cmd);
        }
        return new Result(p.exitValue(), new String(out), new String(err));
    }
}
