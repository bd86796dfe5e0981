/** The jdax command line: info, bench, crashtest, selftest. */
module io.jdax.cli {
    requires io.jdax.api;
    requires io.jdax.bench;
    requires io.jdax.testkit;
    requires info.picocli;

    // crashtest also runs the campaign workloads that daxfs-campaigns and plugins provide.
    uses io.jdax.testkit.campaign.Workload;

    opens io.jdax.cli to info.picocli;
}
