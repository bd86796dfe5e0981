package io.jdax.testkit.conformance;

import java.nio.file.Path;
import java.util.List;

/** pmem runs the driver conformance suite over a file in the check's scratch directory. */
class PmemContractTest extends DriverContractTest {
    @Override
    protected String scheme() {
        return "pmem";
    }

    @Override
    protected String newDeviceSpec(Path scratch, long size) {
        return "pmem:" + scratch.resolve("pmem.img") + "?size=" + size + "&create=true";
    }

    @Override
    protected List<String> badSpecs() {
        return List.of("pmem:", "pmem:/nonexistent-dir/x.img?size=1M&create=true", "pmem:/tmp?size=1M",
                "pmem:/nonexistent.img", "pmem:/tmp/x.img?size=4097&create=true", "pmem:/tmp/x.img?mode=fast");
    }
}
