package io.jdax.testkit.conformance;

import java.nio.file.Path;
import java.util.List;

/** brd runs the driver conformance suite (here, since brd cannot depend on the testkit). */
class BrdContractTest extends DriverContractTest {
    @Override
    protected String scheme() {
        return "brd";
    }

    @Override
    protected String newDeviceSpec(Path scratch, long size) {
        return "brd:suite?size=" + size;
    }

    @Override
    protected List<String> badSpecs() {
        return List.of("brd:nosize", "brd:x?size=4097", "brd:x?size=-4096", "brd:x?size=1Q");
    }
}
