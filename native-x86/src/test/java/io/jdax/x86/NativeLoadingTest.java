package io.jdax.x86;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading and its ways out, each in a fresh JVM (a library loads once per JVM). */
class NativeLoadingTest {

    private static String probe(String... props) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(props));
        cmd.add(ArchProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void extractsIntoAPrivateDirectoryAndLeavesNothingBehind(@TempDir Path dir) throws Exception {
        String out = probe("-Djdax.x86.extractDir=" + dir);
        assertTrue(out.contains("arch=native-x86"), out);
        assertTrue(out.contains("feature.library=extracted from the jar into " + dir + "/jdax-x86-"), out);
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "the extracted library and its directory are removed after loading");
        }
    }

    @Test
    void aForcedLoopTheCpuLacksFallsBackToPortableWithTheReason() throws Exception {
        CopyKind missing = null;
        for (CopyKind k : CopyKind.values()) {
            if (!NativeArch.supports(k)) {
                missing = k;
            }
        }
        if (missing == null) {
            // This CPU runs every loop: force something invalid instead.
            String out = probe("-Djdax.x86.headAlign=12");
            assertTrue(out.contains("arch=portable") && out.contains("invalid configuration"), out);
            return;
        }
        String out = probe("-Djdax.x86.copy=" + missing.id());
        assertTrue(out.contains("arch=portable"), out);
        assertTrue(out.contains("native-x86 unavailable: this CPU cannot run the forced jdax.x86.copy="
                + missing.id()), out);
    }

    @Test
    void anUnloadableExternalLibraryFallsBackToPortableWithTheReason(@TempDir Path dir) throws Exception {
        Path bogus = dir.resolve("libjdax_x86.so");
        Files.writeString(bogus, "not an ELF file");
        String out = probe("-Djdax.x86.library=" + bogus);
        assertTrue(out.contains("arch=portable"), out);
        assertTrue(out.contains("native-x86 unavailable: cannot load " + bogus), out);
    }

    @Test
    void forcedSettingsAreAppliedAndShown() throws Exception {
        String out = probe("-Djdax.x86.copy=sse2", "-Djdax.x86.flush=clflush", "-Djdax.x86.threshold=128",
                "-Djdax.x86.headAlign=64", "-Djdax.x86.heapCopy=cached");
        assertTrue(out.contains("feature.copy=sse2 non-temporal stores"), out);
        assertTrue(out.contains("feature.flush=clflush"), out);
        assertTrue(out.contains("feature.flushcache.threshold=128 bytes"), out);
        assertTrue(out.contains("feature.flushcache.headAlign=64 bytes"), out);
        assertTrue(out.contains("feature.heap sources=cached"), out);
    }

    @Test
    void platformsOtherThanLinuxX8664AreRefused() {
        assertNull(JniLibrary.platformProblem("Linux", "amd64"));
        assertTrue(JniLibrary.platformProblem("Mac OS X", "aarch64").startsWith("not Linux"));
        assertTrue(JniLibrary.platformProblem("Linux", "aarch64").startsWith("not x86-64"));
    }
}
