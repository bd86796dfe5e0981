package com.example.stripe;

import io.jdax.testkit.conformance.DriverContractTest;

import java.nio.file.Path;
import java.util.List;

/**
 * The jdax driver conformance suite against this driver, in every shape it takes: one stripe
 * unit of one page (a chunk per page), units of several pages over an odd number of files (the
 * last row of units partly unused), and one file (contiguous).
 */
class StripeContractTest extends DriverContractTest {
    @Override
    protected String scheme() {
        return "stripe";
    }

    @Override
    protected String newDeviceSpec(Path scratch, long size) {
        return spec(scratch, size, 4, "4K");
    }

    @Override
    protected List<Configuration> configurations() {
        return List.of(
                new Configuration("files=4 unit=4K", this::newDeviceSpec),
                new Configuration("files=3 unit=64K", (scratch, size) -> spec(scratch, size, 3, "64K")),
                new Configuration("files=1 unit=16K", (scratch, size) -> spec(scratch, size, 1, "16K")));
    }

    private static String spec(Path scratch, long size, int files, String unit) {
        return "stripe:" + scratch + "?size=" + size + "&files=" + files + "&unit=" + unit
                + "&create=true&mode=emulated";
    }

    @Override
    protected List<String> badSpecs() {
        return List.of("stripe:?size=1M", "stripe:/nonexistent-dir?size=1M&create=true&mode=emulated",
                "stripe:/tmp?size=100&mode=emulated", "stripe:/tmp?size=1M&files=0&mode=emulated",
                "stripe:/tmp?size=1M&unit=3000&mode=emulated", "stripe:/tmp?size=1M&mode=fast",
                "stripe:/tmp?mode=emulated");
    }
}
