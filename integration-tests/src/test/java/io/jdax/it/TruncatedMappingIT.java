package io.jdax.it;

import io.jdax.it.faults.TruncatedWhileWriting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C8: a pmem device file truncated by another process while jdax writes and reads through its
 * mapping. Every path that copies into or out of the mapping — pmem's durable
 * {@code copyFromIter} for USER, KVEC and BVEC iterators, the nocache fallback, zeroPageRange,
 * copyToIter; fs-dax's memfs file writes and reads; daxfs file writes — runs in a child JVM
 * ({@link TruncatedWhileWriting}) while {@code truncate -s 4096} cuts the file. Each must see
 * DaxExceptions (EIO) and nothing else, and the JVM must live: exit 0, no hs_err file. Once with
 * FFM downcalls (the default), once with JNI.
 */
class TruncatedMappingIT {
    static final Path work = FaultTests.workDir("TruncatedMappingIT");

    @BeforeAll
    static void nativeLibraryBuilt() throws Exception {
        FaultTests.requireNativeLibrary();
    }

    @ParameterizedTest(name = "jdax.x86.call={0}")
    @ValueSource(strings = {"ffm", "jni"})
    void truncationUnderEveryCopyPathBecomesDaxExceptionsAndTheJvmLives(String call) throws Exception {
        ChildJvm.Result r = ChildJvm.run(work, "truncated-" + call, Map.of(), List.of("-Djdax.x86.call=" + call), 180,
                TruncatedWhileWriting.class, FaultTests.SHM.toString(), "all");
        System.out.println("TruncatedMappingIT " + call + ":\n" + r.out());
        FaultTests.survived(r);
        assertTrue(FaultTests.line(r, "ARCH").startsWith("ARCH native-x86 call=" + call), r.toString());
        for (String scenario : TruncatedWhileWriting.scenarioNames()) {
            String line = FaultTests.line(r, "RESULT " + scenario);
            assertTrue(FaultTests.number(line, "daxExceptions") > 0, "no DaxException in " + line);
            assertEquals(0, FaultTests.number(line, "other"), "other exceptions: " + r);
            assertTrue(line.matches(".* errnos=\\{EIO=\\d+\\} .*"), "a cut file is EIO, always: " + line);
        }
    }
}
