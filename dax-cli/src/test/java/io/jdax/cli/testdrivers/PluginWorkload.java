package io.jdax.cli.testdrivers;

import io.jdax.dax.DaxDevice;
import io.jdax.testkit.campaign.Ledger;
import io.jdax.testkit.campaign.Workload;
import io.jdax.testkit.campaign.Workloads;

/** A campaign workload found through the ServiceLoader, as a filesystem plugin (daxfs) would offer one. */
public final class PluginWorkload implements Workload {
    private final Workload inner = Workloads.sequentialAppend(8, 300, 2);

    /** Called by the ServiceLoader. */
    public PluginWorkload() {
    }

    @Override
    public String name() {
        return "test-plugin-append";
    }

    @Override
    public void run(DaxDevice device, Ledger ledger) {
        inner.run(device, ledger);
    }
}
