package io.jdax.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What the C8 fault tests share: where devices go, and whether native-x86 was built at all. */
final class FaultTests {
    /** Where the children put their device files: tmpfs, as the pmem tests use. */
    static final Path SHM = Path.of("/dev/shm");

    private FaultTests() {
    }

    /**
     * Fails unless the native-x86 jar the children run carries its library: every check here is
     * about that library, and a build without gcc has none (then there is nothing to test).
     */
    static void requireNativeLibrary() throws IOException {
        Path jar;
        try (var s = Files.list(JdaxProcess.dir("jdax.it.jars"))) {
            jar = s.filter(p -> p.getFileName().toString().startsWith("native-x86-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no native-x86 jar among the children's jars"));
        }
        try (ZipFile z = new ZipFile(jar.toFile())) {
            if (z.getEntry("META-INF/native/linux-x86_64/libjdax_x86.so") == null) {
                fail(jar + " has no libjdax_x86.so (built without gcc?): the fault tests need it");
            }
        }
        assertTrue(Files.isDirectory(SHM), SHM + " is missing");
    }

    /** Where {@code test}'s child JVMs run: target/fault-tests/TEST/CHILD, kept for a look after a failure. */
    static Path workDir(String test) {
        return JdaxProcess.dir("jdax.it.faultTests").resolve(test);
    }

    /** The child's line that starts with {@code prefix + " "}, or a failure naming the child. */
    static String line(ChildJvm.Result r, String prefix) {
        return r.out().lines().filter(l -> l.startsWith(prefix + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + prefix + " ...' from the child: " + r));
    }

    /** The number after {@code key=} in {@code line}. */
    static long number(String line, String key) {
        var m = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(key) + "=(\\d+)").matcher(line);
        if (!m.find()) {
            throw new AssertionError("no " + key + "= in: " + line);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Removes the device files a child left in {@link #SHM} ({@code jdax-*-PID[-.]*}): one that
     * crashed (or was killed) could not.
     */
    static void removeDeviceFiles(ChildJvm.Result r) throws IOException {
        String infix = "-" + r.pid();
        try (var s = Files.list(SHM)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                int at = n.indexOf(infix);
                if (n.startsWith("jdax-") && at > 0 && n.length() > at + infix.length()
                        && (n.charAt(at + infix.length()) == '-' || n.charAt(at + infix.length()) == '.')) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A child ran to its end: no fatal error file, it said so, and it exited 0. */
    static void survived(ChildJvm.Result r) throws IOException {
        removeDeviceFiles(r);
        if (!r.hsErr().isEmpty()) {
            fail("the child JVM crashed (" + r.hsErr() + "):\n" + r);
        }
        assertTrue(r.out().contains("\nSURVIVED\n"), "the child did not reach its end: " + r);
        assertTrue(r.exitCode() == 0, "the child exited " + r.exitCode() + ": " + r);
    }
}
