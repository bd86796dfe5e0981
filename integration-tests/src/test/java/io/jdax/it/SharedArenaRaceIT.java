package io.jdax.it;

import io.jdax.it.faults.SharedArenaRace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C8: memory handed to native code stays alive for the whole call. A segment of an
 * {@code Arena.ofShared()} is closed by one thread while another copies from it (into it, for
 * copyMc and copyToIter) — at least 1,000 races per Arch primitive and per pmem iterator copy,
 * 64 KiB to 4 MiB, closes timed to land before, inside and after the copy (more races, up to
 * 5,000, on a machine so loaded that few closes landed in a copy). In a child JVM ({@link SharedArenaRace}),
 * with glibc told to unmap every freed block of 64 KiB or more ({@code MALLOC_MMAP_THRESHOLD_}),
 * so a copy that outlived its memory would fault at once instead of reading freed bytes.
 * <p>
 * Allowed: the copy completes with the right bytes, or fails with DaxException EFAULT; the close
 * fails with IllegalStateException when it lands during the downcall (the JDK's rule). Nothing
 * else, and no crash.
 */
class SharedArenaRaceIT {
    static final int RACES = 1000;
    static final List<String> KINDS = List.of("arch.copyFlushcache", "arch.copyNocache", "arch.copyMc",
            "arch.writeback", "pmem.copyFromIter.USER", "pmem.copyFromIter.BVEC", "pmem.copyToIter.USER",
            "pmem.copyToIter.BVEC");
    /** glibc: serve every allocation of 64 KiB or more with its own mmap, and unmap it on free. */
    static final Map<String, String> UNMAP_ON_FREE = Map.of("MALLOC_MMAP_THRESHOLD_", "65536");

    static final Path work = FaultTests.workDir("SharedArenaRaceIT");

    @BeforeAll
    static void nativeLibraryBuilt() throws Exception {
        FaultTests.requireNativeLibrary();
    }

    @Test
    void sharedArenaClosedDuringCopiesFailsCleanlyAndNeverCrashes() throws Exception {
        ChildJvm.Result r = ChildJvm.run(work, "race-ffm", UNMAP_ON_FREE, List.of("-Djdax.x86.call=ffm"), 300,
                SharedArenaRace.class, FaultTests.SHM.toString(), String.valueOf(RACES), "all");
        System.out.println("SharedArenaRaceIT ffm:\n" + r.out());
        FaultTests.survived(r);
        assertTrue(FaultTests.line(r, "ARCH").startsWith("ARCH native-x86 call=ffm"), r.toString());
        for (String kind : KINDS) {
            String line = FaultTests.line(r, "RACES " + kind);
            long n = FaultTests.number(line, "n");
            assertTrue(n >= RACES, line);
            assertEquals(0, FaultTests.number(line, "wrong"), "wrong outcomes: " + r);
            assertEquals(n, FaultTests.number(line, "completed") + FaultTests.number(line, "efault"), line);
            // The races were real, both ways: closes that came first, and closes during the call.
            assertTrue(FaultTests.number(line, "efault") > 0, "no close came before the copy: " + line);
            assertTrue(FaultTests.number(line, "closeRefused") > 0, "no close landed in the downcall: " + line);
        }
    }

    /**
     * The JNI way in hands C raw addresses and holds no arena (documented in JniCalls): the same
     * races end in a SIGSEGV in libjdax_x86 (a use after free). Not in the default run; it shows
     * what the FFM test above guards against: {@code -Djdax.it.jniRace=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = "jdax.it.jniRace", matches = "true",
            disabledReason = "shows the JNI path crashing on purpose: -Djdax.it.jniRace=true")
    void jniCallsHoldNoArenaSoTheSameRacesCrash() throws Exception {
        ChildJvm.Result r = ChildJvm.run(work, "race-jni", UNMAP_ON_FREE, List.of("-Djdax.x86.call=jni"), 300,
                SharedArenaRace.class, FaultTests.SHM.toString(), String.valueOf(RACES), "all");
        System.out.println("SharedArenaRaceIT jni:\n" + r);
        FaultTests.removeDeviceFiles(r);
        assertFalse(r.hsErr().isEmpty(), "the JNI path survived the races: " + r);
        assertTrue(r.hsErrText().contains("SIGSEGV"), r.toString());
        assertTrue(r.hsErrText().contains("libjdax_x86.so"), r.toString());
    }
}
