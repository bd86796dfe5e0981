package io.jdax.daxfs.campaigns;

import io.jdax.dax.DaxDevices;
import io.jdax.daxfs.fault.Fault;
import io.jdax.testkit.campaign.Campaign;
import io.jdax.testkit.campaign.CampaignReport;
import io.jdax.testkit.campaign.DeviceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The campaigns proved the other way: take away one step of the design (a fence, the NEW flag,
 * the driver's write-back) and the same workloads fail, each for the reason expected.
 */
class CampaignsCatchBrokenDesignsTest {
    private static final DeviceFactory PMEM = DeviceFactory.spec("pmem:{image}?mode=emulated");

    @TempDir
    Path scratch;

    private CampaignReport run(FsCrashWorkload w, DeviceFactory factory) {
        // the device: 1 MiB, as the workload asks (minDeviceSize)
        Campaign.Config c = Campaign.Config.defaults().withScratch(scratch).withRandomPoints(8).withSeedsPerPoint(2);
        CampaignReport r = new Campaign(factory, c).run(w);
        System.out.print((w.faults.isEmpty() && factory == PMEM ? "" : "(a deliberately broken design, its failures expected) ")
                + r.describe());
        return r;
    }

    private static boolean said(CampaignReport r, String words) {
        return r.losses().stream().anyMatch(l -> l.at().contains(words));
    }

    @Test
    void withoutTheFenceBeforeTheCommitWordTornTransactionsShow() {
        FsCrashWorkload w = new FsCrashWorkloads.AppendFsync(1);
        w.faults.add(Fault.NO_BODY_FENCE);
        CampaignReport r = run(w, PMEM);
        assertFalse(r.passed());
        assertTrue(said(r, "journal transaction"), "mount finds a committed transaction whose body is torn");
    }

    @Test
    void withoutTheFenceAfterTheCommitWordAReturnedDeleteCanComeBack() {
        FsCrashWorkload w = new FsCrashWorkloads.Delete(1);
        w.faults.add(Fault.NO_COMMIT_FENCE);
        CampaignReport r = run(w, PMEM);
        assertFalse(r.passed());
        assertTrue(said(r, "match none of the 1 allowed states"), "a promised state is missing after the crash");
    }

    @Test
    void withoutTheNewFlagADeletedFilesBytesShowInANewFile() {
        FsCrashWorkload w = new FsCrashWorkloads.Delete(1);
        w.faults.add(Fault.NO_NEW_FLAG);
        CampaignReport r = run(w, PMEM);
        assertFalse(r.passed());
        assertTrue(said(r, "which no write gave it"), "stale bytes of old1 are named");
    }

    @Test
    void aDriverThatForgetsTheWriteBackLosesMetadataAndData() {
        CampaignReport r = run(new FsCrashWorkloads.CreateWriteFsync(1),
                (image, arch) -> new CachedCopyDevice(DaxDevices.open("pmem:" + image + "?mode=emulated", arch)));
        assertFalse(r.passed());
    }

    @Test
    void theUnbrokenDesignPassesTheSameCampaigns() {
        assertTrue(run(new FsCrashWorkloads.AppendFsync(1), PMEM).passed());
        assertTrue(run(new FsCrashWorkloads.Delete(1), PMEM).passed());
        assertTrue(run(new FsCrashWorkloads.CreateWriteFsync(1), PMEM).passed());
    }
}
