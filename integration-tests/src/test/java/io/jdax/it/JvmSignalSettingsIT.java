package io.jdax.it;

import io.jdax.it.faults.SignalNeighbours;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jdax's SIGBUS handler beside HotSpot's (NATIVE-NOTES.md, "Faults become errors"), under the
 * JVM settings that touch signals: none, {@code -Xrs}, {@code -Xcheck:jni}, and libjsig
 * preloaded. In each, in a child JVM ({@link SignalNeighbours}):
 * <ul>
 *   <li>a fault in jdax's copy (the device file truncated by another process) is a
 *       DaxException, and the JVM lives;</li>
 *   <li>a fault jdax does not own — a JDK {@code MemorySegment} access to a truncated
 *       {@code FileChannel.map} mapping, native-x86 loaded — is still the JDK's InternalError.</li>
 * </ul>
 * And a SIGBUS sent by {@code kill} ends the JVM with HotSpot's fatal error report, exactly as
 * without jdax's handler ({@code -Djdax.arch=portable}: the library is never loaded).
 */
class JvmSignalSettingsIT {
    static final String JSIG = Path.of(System.getProperty("java.home"), "lib", "libjsig.so").toString();

    static final Path work = FaultTests.workDir("JvmSignalSettingsIT");

    @BeforeAll
    static void nativeLibraryBuilt() throws Exception {
        FaultTests.requireNativeLibrary();
        assertTrue(Files.isRegularFile(Path.of(JSIG)), "this JDK has no " + JSIG);
    }

    /** name, JVM options, environment. */
    static Stream<Arguments> settings() {
        return Stream.of(
                Arguments.of("default", List.of(), Map.of()),
                Arguments.of("Xrs", List.of("-Xrs"), Map.of()),
                Arguments.of("Xcheck-jni", List.of("-Xcheck:jni"), Map.of()),
                Arguments.of("libjsig", List.of(), Map.of("LD_PRELOAD", JSIG)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void faultInJdaxCopyIsDaxExceptionUnder(String name, List<String> jvm, Map<String, String> env) throws Exception {
        ChildJvm.Result r = ChildJvm.run(work, "truncate-" + name, env, jvm, 120, SignalNeighbours.class, "truncate",
                FaultTests.SHM.toString());
        System.out.println("JvmSignalSettingsIT truncate " + name + ":\n" + r.out() + r.err());
        FaultTests.survived(r);
        assertEquals("ARCH native-x86", FaultTests.line(r, "ARCH"), r.toString());
        assertTrue(FaultTests.line(r, "FAULTS").endsWith(name.equals("libjsig")
                ? "libjsig keeps the JVM's handler first, which passes jdax the SIGBUS it does not handle itself"
                : "others go to the JVM's handler"), "what jdax info says of the handler: " + r);
        String line = FaultTests.line(r, "RESULT pmem.copyFromIter.USER");
        assertTrue(FaultTests.number(line, "daxExceptions") > 0, line);
        assertEquals(0, FaultTests.number(line, "other"), r.toString());
        checkJniWarning(name, r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void faultInJdkAccessIsStillTheJdksInternalErrorUnder(String name, List<String> jvm, Map<String, String> env)
            throws Exception {
        ChildJvm.Result r = ChildJvm.run(work, "jdk-access-" + name, env, jvm, 120, SignalNeighbours.class,
                "jdk-access", FaultTests.SHM.toString());
        System.out.println("JvmSignalSettingsIT jdk-access " + name + ":\n" + r.out() + r.err());
        FaultTests.survived(r);
        assertEquals("ARCH native-x86", FaultTests.line(r, "ARCH"), r.toString());
        for (String access : List.of("MemorySegment.get", "MemorySegment.set", "MemorySegment.copy to heap",
                "MemorySegment.copy from heap")) {
            String line = FaultTests.line(r, "JDKACCESS " + access + ":");
            assertTrue(line.contains(": " + SignalNeighbours.ROUNDS + "/" + SignalNeighbours.ROUNDS + " InternalError ("
                    + "a fault occurred in an unsafe memory access operation)"), line);
            assertFalse(line.contains("; also"), line);
        }
        checkJniWarning(name, r);
    }

    /**
     * -Xcheck:jni compares the JVM's signal handlers with what it installed every 10 ms: ours in
     * front of its SIGBUS handler is reported once (then that check is off), the JVM goes on.
     * With libjsig the JVM's handler stays installed (ours is chained behind it): no warning.
     */
    private static void checkJniWarning(String name, ChildJvm.Result r) {
        long warnings = r.out().lines().filter(l -> l.equals("Warning: SIGBUS handler modified!")).count();
        assertEquals(name.equals("Xcheck-jni") ? 1 : 0, warnings, r.toString());
        if (name.equals("Xcheck-jni")) {
            assertTrue(r.out().contains("SIGBUS: ") && r.out().contains("in libjdax_x86.so"), r.toString());
            assertTrue(r.out().contains("Consider using jsig library."), r.toString());
        }
    }

    /**
     * HotSpot takes a SIGBUS sent by a process (si_code SI_USER) for a fatal error: hs_err file,
     * "(sent by kill)". jdax's handler, first in line, leaves it to the JVM's; under libjsig the
     * JVM's is first anyway. Same report, same exit status, as without the library loaded.
     */
    @Test
    void sigbusSentByKillEndsTheJvmAsItDoesWithoutJdax() throws Exception {
        ChildJvm.Result withJdax = killedByBus("kill-native", List.of(), Map.of());
        ChildJvm.Result withJsig = killedByBus("kill-native-libjsig", List.of(), Map.of("LD_PRELOAD", JSIG));
        ChildJvm.Result without = killedByBus("kill-portable", List.of("-Djdax.arch=portable"), Map.of());
        assertEquals("ARCH native-x86", FaultTests.line(withJdax, "ARCH"), withJdax.toString());
        assertEquals("ARCH native-x86", FaultTests.line(withJsig, "ARCH"), withJsig.toString());
        assertEquals("ARCH portable", FaultTests.line(without, "ARCH"), without.toString());
        for (ChildJvm.Result r : List.of(withJdax, withJsig, without)) {
            assertEquals(1, r.hsErr().size(), "HotSpot's fatal error report expected: " + r);
            String report = r.hsErrText();
            assertTrue(report.contains("#  SIGBUS (0x7) at pc="), report);
            assertTrue(report.contains("(sent by kill)"), report);
            assertTrue(report.contains("siginfo: si_signo: 7 (SIGBUS), si_code: 0 (SI_USER)"), report);
            assertFalse(r.out().contains("SURVIVED"), r.toString());
        }
        assertEquals(without.exitCode(), withJdax.exitCode(), "exit status with jdax " + withJdax.exitCode()
                + ", without " + without.exitCode());
        assertEquals(without.exitCode(), withJsig.exitCode(), "exit status with jdax and libjsig "
                + withJsig.exitCode() + ", without jdax " + without.exitCode());
    }

    private static ChildJvm.Result killedByBus(String name, List<String> jvm, Map<String, String> env)
            throws Exception {
        ChildJvm.Running child = ChildJvm.start(work, name, env, jvm, SignalNeighbours.class, "wait");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!child.outSoFar().contains("READY ") && child.process().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.outSoFar().contains("READY "), "the child never got ready: " + child.outSoFar());
        Process kill = new ProcessBuilder("kill", "-BUS", String.valueOf(child.process().pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -BUS failed");
        ChildJvm.Result r = ChildJvm.finish(child, 60);
        FaultTests.removeDeviceFiles(r);
        System.out.println("JvmSignalSettingsIT " + name + ": exit " + r.exitCode() + ", " + r.hsErr() + "\n"
                + r.out());
        return r;
    }
}
