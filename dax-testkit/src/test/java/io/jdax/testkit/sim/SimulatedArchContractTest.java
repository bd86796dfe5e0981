package io.jdax.testkit.sim;

import io.jdax.arch.Arch;
import io.jdax.arch.contract.ArchContractTest;

/** The simulator is an Arch like any other: it passes the same contract. */
class SimulatedArchContractTest extends ArchContractTest {
    private final SimulatedArch arch = new SimulatedArch();

    @Override
    protected Arch arch() {
        return arch;
    }
}
