package io.jdax.testkit.conformance;

import io.jdax.arch.PortableArch;
import io.jdax.testkit.sim.SimulatedArch;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The suite's teeth, against broken copies of examples/stripe-driver ({@code stripex}, a test
 * driver with the example's layout over native memory): each bug class is caught in every run,
 * not when the scheduler obliges. The repeated tests run their check ten times each, on a fresh
 * device, so a catch that depends on timing shows as a failed repetition.
 * <p>
 * Two bug classes of the issue are out of a driver's reach since the device core: close freeing
 * memory while calls are in flight (the core calls {@code release()} only after every caller has
 * left) and a read lock that holds nothing (the lock is the core's). The suite still checks both
 * promises end to end ({@code closeWaitsForACallInsideTheDriver}, {@code closeWaitsForAHeldReadLock}),
 * which every variant here passes; stress-tests' jcstress tests catch a broken read side.
 */
class SuiteCatchesBrokenStripesTest {

    private static DriverUnderTest stripes(String params) {
        return DriverUnderTest.of("stripex", (scratch, size) -> "stripex:t?size=" + size + "&" + params)
                .withArch(SimulatedArch::new);
    }

    /** One check, by name, on a fresh device. */
    private static DriverConformance.Result check(DriverUnderTest d, String name) {
        for (DriverConformance.Group g : DriverConformance.groups(d)) {
            for (ConformanceCheck c : g.checks()) {
                if (c.name().equals(name)) {
                    try {
                        DriverConformance.execute(c);
                        return new DriverConformance.Result(g.contract(), name, DriverConformance.Status.PASSED, "");
                    } catch (Throwable t) {
                        return new DriverConformance.Result(g.contract(), name, DriverConformance.Status.FAILED,
                                String.valueOf(t.getMessage()));
                    }
                }
            }
        }
        throw new AssertionError("no check named " + name);
    }

    private static void assertCaught(DriverConformance.Result r, String why) {
        assertEquals(DriverConformance.Status.FAILED, r.status(), r.name() + " let the defect pass");
        assertTrue(r.message().contains(why), r.name() + ": " + r.message());
    }

    @RepeatedTest(10)
    void anOffByOnePageNearTheEndIsCaughtByEveryPageKeepingItsOwnBytes() {
        assertCaught(check(stripes("files=3&unit=16K&defect=alias-end"), "everyPageKeepsItsOwnBytesFirstToLast"),
                "holds the bytes of page");
    }

    @RepeatedTest(10)
    void answeringMorePagesThanAskedIsCaughtWithOnePageUnits() {
        assertCaught(check(stripes("files=4&unit=4K&defect=greedy"),
                "answersAtLeastOnePageAndNeverMoreThanAskedOrThanTheDeviceHas"), "it must answer 1 to");
    }

    @RepeatedTest(10)
    void answeringMorePagesThanAskedIsCaughtWithLongUnits() {
        assertCaught(check(stripes("files=4&unit=64K&defect=greedy"),
                "answersAtLeastOnePageAndNeverMoreThanAskedOrThanTheDeviceHas"), "it must answer 1 to");
    }

    @RepeatedTest(10)
    void writersRacingOnASharedBounceBufferAreCaught() {
        assertCaught(check(stripes("files=4&unit=16K&defect=shared-bounce"),
                "twoWritersInsideTheCopyAtOnceKeepTheirOwnBytes"), "shares state between concurrent calls");
    }

    @Test
    void aBounceBufferBehindALockPassesEveryCheck() {
        List<String> failed = failures(stripes("files=4&unit=16K&defect=locked-bounce"));
        assertEquals(List.of(), failed, "a lock around the shared buffer is correct");
    }

    @Test
    void theExamplesOwnLayoutPassesEveryCheck() {
        assertEquals(List.of(), failures(stripes("files=3&unit=16K")));
        assertEquals(List.of(), failures(stripes("files=4&unit=4K")));
    }

    @Test
    void aDriverThatRefusesAnArchWithoutWritebackIsOneFailureThatNamesTheFix() {
        List<DriverConformance.Result> all = DriverConformance.run(stripes("files=4").withArch(PortableArch::new));
        assertEquals(1, all.size(), all.toString());
        DriverConformance.Result r = all.getFirst();
        assertEquals("opensAFreshDeviceToLearnWhatItClaims", r.name());
        assertEquals(DriverConformance.Status.FAILED, r.status());
        assertTrue(r.message().contains("EOPNOTSUPP") && r.message().contains("cannot write cache lines back")
                && r.message().contains("simulator"), r.message());
    }

    private static List<String> failures(DriverUnderTest d) {
        Map<String, DriverConformance.Result> r = DriverConformance.run(d).stream()
                .collect(Collectors.toMap(DriverConformance.Result::name, x -> x, (a, b) -> a));
        // stripex is test code without module-info (as every driver in this module's tests)
        return r.values().stream().filter(x -> x.status() == DriverConformance.Status.FAILED)
                .filter(x -> !x.name().equals("isDeclaredWithProvidesInModuleInfo"))
                .map(x -> x.name() + ": " + x.message()).sorted().toList();
    }
}
