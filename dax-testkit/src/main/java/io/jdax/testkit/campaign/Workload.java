package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;

import java.util.Optional;

/**
 * What a {@link Campaign} runs and crashes: a deterministic sequence of writes and durability
 * points against a device, each declared in the {@link Ledger} (a write before it is issued, an
 * acknowledgement after the flush, fsync or persist returned). Run twice with the same device
 * content, it must do exactly the same thing: the campaign counts crash points on a first run
 * and crashes at them on the second.
 */
public interface Workload {

    /** A short name for reports, e.g. {@code sequential-append}. */
    String name();

    /**
     * The smallest device this workload runs on, in bytes (fstests' {@code _require_scratch_size}):
     * a campaign configured with a smaller {@link Campaign.Config#deviceSize} gives it this much,
     * rounded up to whole pages. A workload found through the ServiceLoader (by {@code jdax
     * crashtest}) cannot be configured by its runner, so it says here what it needs.
     *
     * @return the size; 0 (the default) when any device will do
     */
    default int minDeviceSize() {
        return 0;
    }

    /**
     * This workload with its data, offsets and lengths drawn from {@code seed} instead of its
     * own: {@code jdax crashtest} gives every round its seed, so rounds differ in what they write
     * as well as where they crash. The same seed must give the same run.
     *
     * @return a workload like this one with that seed; this one (the default) when it draws nothing at random
     */
    default Workload withSeed(long seed) {
        return this;
    }

    /**
     * Why this workload cannot judge {@code device}, if it cannot: a {@link Campaign} asks before
     * the first run and reports the workload as not applicable to that device (not as an error),
     * e.g. a workload that maps a file onto device memory as one segment, on a device whose
     * pages are scattered.
     *
     * @param device the device, freshly opened over an image of zeros
     * @return the reason; empty (the default) when the workload runs on any device
     */
    default Optional<String> notApplicableTo(DaxDevice device) {
        return Optional.empty();
    }

    /**
     * Runs against a device over a fresh image of zeros.
     *
     * @param device the device, opened with the simulator
     * @param ledger where every write and acknowledgement is declared
     */
    void run(DaxDevice device, Ledger ledger);
}
