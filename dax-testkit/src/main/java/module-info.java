/**
 * The jdax testkit, for driver authors and for jdax itself: the power-fail simulator
 * ({@link io.jdax.testkit.sim.SimulatedArch}), crash campaigns ({@link io.jdax.testkit.campaign}),
 * and the driver conformance suite ({@link io.jdax.testkit.conformance}).
 */
module io.jdax.testkit {
    requires transitive io.jdax.api;
    requires io.jdax.fsdax;
    // Only the conformance suite's JUnit adapter needs JUnit; the rest runs without it.
    requires static org.junit.jupiter.api;

    exports io.jdax.testkit;
    exports io.jdax.testkit.sim;
    exports io.jdax.testkit.campaign;
    exports io.jdax.testkit.conformance;

    uses io.jdax.dax.DaxDriver;

    provides io.jdax.arch.ArchProvider with io.jdax.testkit.sim.SimulatedArch.Provider;
}
