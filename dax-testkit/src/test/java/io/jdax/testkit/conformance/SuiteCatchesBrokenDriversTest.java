package io.jdax.testkit.conformance;

import io.jdax.arch.PortableArch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The suite proved the other way: drivers with known defects fail exactly the checks they must. */
class SuiteCatchesBrokenDriversTest {

    private static Map<String, DriverConformance.Result> results(String params) {
        DriverUnderTest d = DriverUnderTest.of("pmemx", (scratch, size) -> "pmemx:" + scratch.resolve("x.img")
                + "?size=" + size + "&create=true&" + params).withArch(PortableArch::new);
        return DriverConformance.run(d).stream().collect(Collectors.toMap(DriverConformance.Result::name, r -> r));
    }

    private static void assertStatus(Map<String, DriverConformance.Result> r, String check,
                                     DriverConformance.Status status) {
        assertEquals(status, r.get(check).status(), check + ": " + r.get(check).message());
    }

    @Test
    void cachedCopiesWithoutWritebackFailDurabilityAndNothingElseOfTheIoContracts() {
        Map<String, DriverConformance.Result> r = results("copy=cached");
        assertStatus(r, "everyByteWrittenBeforeFlushSurvivesAnyCrash", DriverConformance.Status.FAILED);
        assertTrue(r.get("everyByteWrittenBeforeFlushSurvivesAnyCrash").message().contains("DIRTY"),
                r.get("everyByteWrittenBeforeFlushSurvivesAnyCrash").message());
        assertStatus(r, "writesBackNoLineInVain", DriverConformance.Status.PASSED);
        assertStatus(r, "roundTripsEveryAlignmentWritingFromKVEC", DriverConformance.Status.PASSED);
        assertStatus(r, "closeDuringIoEndsEveryCallCleanly", DriverConformance.Status.PASSED);
    }

    @Test
    void theSeedsCopyKeepsTheDataButFailsTheWritebackAccounting() {
        Map<String, DriverConformance.Result> r = results("copy=seed");
        assertStatus(r, "everyByteWrittenBeforeFlushSurvivesAnyCrash", DriverConformance.Status.PASSED);
        assertStatus(r, "writesBackNoLineInVain", DriverConformance.Status.FAILED);
        assertTrue(r.get("writesBackNoLineInVain").message().contains("redundant"),
                r.get("writesBackNoLineInVain").message());
    }

    @Test
    void aTestDriverWithoutModuleInfoFailsTheDiscoveryContract() {
        Map<String, DriverConformance.Result> r = results("copy=pmem");
        assertStatus(r, "isDeclaredWithProvidesInModuleInfo", DriverConformance.Status.FAILED);
        assertStatus(r, "isDeclaredInMetaInfServices", DriverConformance.Status.PASSED);
        List<String> failed = r.values().stream().filter(x -> x.status() == DriverConformance.Status.FAILED)
                .map(DriverConformance.Result::name).sorted().toList();
        assertEquals(List.of("isDeclaredWithProvidesInModuleInfo"), failed, "pmem's own copy keeps every other contract");
    }

    @Test
    void aDriverAnsweringMorePagesThanAskedFailsTheDirectAccessContract() {
        Map<String, DriverConformance.Result> r = results("defect=greedy");
        String check = "answersAtLeastOnePageAndNeverMoreThanAskedOrThanTheDeviceHas";
        assertStatus(r, check, DriverConformance.Status.FAILED);
        // The core refuses the driver's answer before a caller sees it, naming the count.
        assertTrue(r.get(check).message().contains("with 2 page(s)")
                && r.get(check).message().contains("it must answer 1 to 1 pages"), r.get(check).message());
    }

    @Test
    void aNocacheCopyWithoutWritebackFailsDurabilityOnACpuCacheDevice() {
        Map<String, DriverConformance.Result> r = results("copy=nocache");
        assertStatus(r, "everyByteWrittenBeforeFlushSurvivesAnyCrash", DriverConformance.Status.FAILED);
        assertStatus(r, "roundTripsEveryAlignmentWritingFromKVEC", DriverConformance.Status.PASSED);
    }

    @Test
    void withoutItsOwnCopyADriverKeepsEveryIoContractThroughTheCoresFallback() {
        Map<String, DriverConformance.Result> r = results("copy=none");
        List<String> failed = r.values().stream().filter(x -> x.status() == DriverConformance.Status.FAILED)
                .map(DriverConformance.Result::name).sorted().toList();
        assertEquals(List.of("isDeclaredWithProvidesInModuleInfo"), failed, "the core's flushcache fallback");
    }
}
