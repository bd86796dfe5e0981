package io.jdax.bench;

import java.nio.file.Path;

/** Small workbenches for tests: megabytes, not the benchmark's hundreds. */
final class Fixture {
    static final long REGION = 1L << 20;
    static final long FILE = 256L << 10;
    static final long BRD = 256L << 10;
    static final int SOURCE = 1 << 20;

    private Fixture() {
    }

    /** An emulated device in {@code scratch}, no libpmem. */
    static Workbench.Config small(Path scratch) {
        return Workbench.Config.defaults().withScratchParent(scratch).withSizes(REGION, FILE, BRD, SOURCE)
                .withLibpmem(null);
    }
}
