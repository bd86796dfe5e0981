/**
 * daxfs's power-fail campaigns: one {@link io.jdax.testkit.campaign.Workload} per operation
 * (create + write + fsync, append + fsync, rename over, truncate, fallocate, delete), each
 * judging every crash image as the filesystem promised it (fsck clean, mount, the files of one
 * acceptable state, no foreign byte). Services, so {@code jdax crashtest} runs them when this
 * module is present; daxfs itself does not depend on the testkit.
 */
module io.jdax.daxfs.campaigns {
    requires io.jdax.daxfs;
    requires io.jdax.testkit;

    provides io.jdax.testkit.campaign.Workload with
            io.jdax.daxfs.campaigns.FsCrashWorkloads.CreateWriteFsync,
            io.jdax.daxfs.campaigns.FsCrashWorkloads.AppendFsync,
            io.jdax.daxfs.campaigns.FsCrashWorkloads.RenameOver,
            io.jdax.daxfs.campaigns.FsCrashWorkloads.Truncate,
            io.jdax.daxfs.campaigns.FsCrashWorkloads.Fallocate,
            io.jdax.daxfs.campaigns.FsCrashWorkloads.Delete;
}
