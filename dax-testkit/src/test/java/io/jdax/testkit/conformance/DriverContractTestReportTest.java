package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * What a driver's contract test reports, run through the JUnit Platform as Maven runs it: checks
 * by name, not-applicable groups as skipped with their reason, a container per configuration, one
 * failure naming the fix when the device does not open, and the summary on standard output.
 * (The contract tests are nested classes: Maven's own run leaves them out.)
 */
class DriverContractTestReportTest {

    /** brd: volatile, with zeroPageRange, without bad blocks. */
    static class Brd extends DriverContractTest {
        @Override
        protected String scheme() {
            return "brd";
        }

        @Override
        protected String newDeviceSpec(Path scratch, long size) {
            return "brd:report?size=" + size;
        }
    }

    /** The stripe layout in two configurations. */
    static class TwoStripes extends DriverContractTest {
        @Override
        protected String scheme() {
            return "stripex";
        }

        @Override
        protected String newDeviceSpec(Path scratch, long size) {
            return "stripex:a?size=" + size + "&files=4&unit=4K";
        }

        @Override
        protected List<Configuration> configurations() {
            return List.of(new Configuration("files=4 unit=4K", this::newDeviceSpec),
                    new Configuration("files=3 unit=16K", (s, size) -> "stripex:b?size=" + size + "&files=3&unit=16K"));
        }
    }

    /** A driver that needs write-back, run on the portable Arch. */
    static class StripesOnThePortableArch extends DriverContractTest {
        @Override
        protected String scheme() {
            return "stripex";
        }

        @Override
        protected String newDeviceSpec(Path scratch, long size) {
            return "stripex:p?size=" + size;
        }

        @Override
        protected Arch arch() {
            return new PortableArch();
        }
    }

    private record Report(Map<String, TestExecutionResult> finished, Map<String, String> skipped,
                          List<String> containers, String stdout) {
    }

    private static Report run(Class<?> test) {
        Map<String, TestExecutionResult> finished = new ConcurrentHashMap<>();
        Map<String, String> skipped = new ConcurrentHashMap<>();
        List<String> containers = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            private TestPlan plan;

            @Override
            public void testPlanExecutionStarted(TestPlan testPlan) {
                plan = testPlan;
            }

            @Override
            public void dynamicTestRegistered(TestIdentifier id) {
                if (id.isContainer()) {
                    containers.add(id.getDisplayName());
                }
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    finished.put(path(id), result);
                    if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                        skipped.put(path(id), result.getThrowable().map(Throwable::getMessage).orElse(""));
                    }
                }
            }

            /** The display names from the factory's first container down, e.g. "files=4 unit=4K / C2 directAccess / ...". */
            private String path(TestIdentifier id) {
                String path = id.getDisplayName();
                for (var p = plan.getParent(id); p.isPresent() && p.get().getUniqueIdObject().getLastSegment().getType()
                        .startsWith("dynamic-"); p = plan.getParent(p.get())) {
                    path = p.get().getDisplayName() + " / " + path;
                }
                return path;
            }
        };
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request().selectors(selectClass(test)).build(), listener);
        } finally {
            System.setOut(out);
        }
        return new Report(finished, skipped, containers, captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void notApplicableGroupsAreSkippedWithTheirReasonAndChecksHaveTheirNames() {
        Report r = run(Brd.class);
        assertEquals(Map.of(
                        "C9 durability under the power-fail simulator / not applicable",
                        "C9 durability under the power-fail simulator: not applicable, the device is VOLATILE",
                        "bad blocks / not applicable", "bad blocks: not applicable, the device keeps no bad-block list"),
                r.skipped());
        assertEquals(TestExecutionResult.Status.SUCCESSFUL,
                r.finished().get("C2 directAccess / everyPageKeepsItsOwnBytesFirstToLast").getStatus(), r.finished()
                        .keySet().toString());
        assertTrue(r.finished().values().stream().allMatch(x -> x.getStatus() != TestExecutionResult.Status.FAILED),
                r.finished().toString());
        assertTrue(r.stdout().contains("jdax driver conformance, scheme 'brd' (Brd): ")
                && r.stdout().contains(" failed, 2 not applicable (skipped)")
                && r.stdout().contains("    PASS  closeWaitsForAHeldReadLock")
                && r.stdout().contains("    N/A   the device keeps no bad-block list"), r.stdout());
    }

    @Test
    void everyConfigurationRunsEveryContractInAContainerOfItsOwn() {
        Report r = run(TwoStripes.class);
        assertTrue(r.containers().containsAll(List.of("files=4 unit=4K", "files=3 unit=16K")), r.containers().toString());
        long passed = r.finished().values().stream().filter(x -> x.getStatus() == TestExecutionResult.Status.SUCCESSFUL)
                .count();
        long failed = r.finished().values().stream().filter(x -> x.getStatus() == TestExecutionResult.Status.FAILED)
                .count();
        // stripex is test code without module-info: that one check fails in each configuration
        assertEquals(2, failed, r.finished().toString());
        assertEquals(TestExecutionResult.Status.FAILED, r.finished().get("files=3 unit=16K / C1 discovery / "
                + "isDeclaredWithProvidesInModuleInfo").getStatus());
        assertTrue(passed > 50, "two configurations of every check: " + passed);
        assertTrue(r.stdout().contains("configuration files=3 unit=16K"), r.stdout());
    }

    @Test
    void aDeviceThatDoesNotOpenIsOneFailureThatSaysWhatToRunInstead() {
        Report r = run(StripesOnThePortableArch.class);
        assertEquals(1, r.finished().size(), r.finished().toString());
        TestExecutionResult x = r.finished().get("opening a device / opensAFreshDeviceToLearnWhatItClaims");
        assertEquals(TestExecutionResult.Status.FAILED, x.getStatus());
        String msg = x.getThrowable().orElseThrow().getMessage();
        assertTrue(msg.contains("cannot write cache lines back") && msg.contains("simulator"), msg);
    }
}
