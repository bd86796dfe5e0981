package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.testkit.sim.SimulatedArch;

import java.nio.file.Path;

/**
 * pmem with its CPU caches taken as persistent ({@code mode=emulated&eadr=on}: PERSISTENT_CACHE):
 * the whole suite, the simulator modelling eADR media, and the check that nothing is written back.
 * The ordinary checks run on the simulator too: the eADR mode needs an Arch with cache
 * instructions, which this module's tests (portable Arch) lack.
 */
class PmemEadrContractTest extends DriverContractTest {
    @Override
    protected String scheme() {
        return "pmem";
    }

    @Override
    protected Arch arch() {
        return new SimulatedArch();
    }

    @Override
    protected String newDeviceSpec(Path scratch, long size) {
        return "pmem:" + scratch.resolve("pmem.img") + "?size=" + size + "&create=true&mode=emulated&eadr=on";
    }
}
