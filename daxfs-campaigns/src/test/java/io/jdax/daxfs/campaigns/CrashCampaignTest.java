package io.jdax.daxfs.campaigns;

import io.jdax.testkit.campaign.Campaign;
import io.jdax.testkit.campaign.CampaignReport;
import io.jdax.testkit.campaign.DeviceFactory;
import io.jdax.testkit.sim.CrashModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Power-fail campaigns over daxfs (the testkit's {@link Campaign} with {@link FsCrashWorkload}s):
 * each workload crashed at every flush boundary and at random points, several seeds each, every
 * crash image rebooted through the pmem driver (CPU_CACHE mode, so the simulator sees every
 * durability step) and judged: fsck clean, mount, files as promised, no foreign bytes.
 */
class CrashCampaignTest {
    /** Seeds per workload: 2 by default, more with {@code -Ddaxfs.campaign.seeds=N}. */
    static final int SEEDS = Integer.getInteger("daxfs.campaign.seeds", 2);
    /**
     * Random crash points per campaign besides the flush boundaries: 12 by default, more with
     * {@code -Ddaxfs.campaign.points=N}; every tick with {@code -Ddaxfs.campaign.points=all}.
     */
    static final Campaign.CrashPoints POINTS = "all".equals(System.getProperty("daxfs.campaign.points"))
            ? Campaign.CrashPoints.every()
            : Campaign.CrashPoints.boundariesAnd(Integer.getInteger("daxfs.campaign.points", 12));

    @TempDir
    Path scratch;

    private static final AtomicLong CAMPAIGNS = new AtomicLong();
    private static final AtomicLong POINTS_HIT = new AtomicLong();
    private static final AtomicLong IMAGES = new AtomicLong();
    private static final AtomicLong REJECTED = new AtomicLong();
    private static final AtomicLong ORPHANS = new AtomicLong();
    private static final AtomicLong TRUNCATES = new AtomicLong();

    @AfterAll
    static void summary() {
        System.out.printf("daxfs crash campaigns: %d campaigns, %d crash points, %d images checked, %d rejected;"
                + " %d images held an orphan and %d a truncate under way, all finished by mount%n",
                CAMPAIGNS.get(), POINTS_HIT.get(), IMAGES.get(), REJECTED.get(), ORPHANS.get(), TRUNCATES.get());
    }

    static Stream<Arguments> campaigns() {
        return LongStream.rangeClosed(1, SEEDS).boxed()
                .flatMap(seed -> FsCrashWorkloads.all(seed).stream().map(w -> Arguments.of(w.name() + " seed " + seed, w,
                        seed)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("campaigns")
    void everyCrashImageMountsCleanWithWhatWasPromised(String label, FsCrashWorkload w, long seed) {
        // odd seeds: whole lines survive or not; even seeds: each 8-byte word on its own (all x86 promises);
        // the device is the 1 MiB the workload asks for (minDeviceSize)
        Campaign.Config c = Campaign.Config.defaults().withScratch(scratch).withSeed(seed).withPoints(POINTS)
                .withSeedsPerPoint(2).withModel(seed % 2 == 1 ? CrashModel.LINE : CrashModel.WORD8);
        CampaignReport r = new Campaign(DeviceFactory.spec("pmem:{image}?mode=emulated"), c).run(w);
        System.out.print(r.describe());
        CAMPAIGNS.incrementAndGet();
        POINTS_HIT.addAndGet(r.crashPoints());
        IMAGES.addAndGet(r.imagesChecked());
        REJECTED.addAndGet(r.rebootFailures());
        ORPHANS.addAndGet(w.orphansSeen);
        TRUNCATES.addAndGet(w.truncatesSeen);
        assertTrue(r.passed(), r.describe());
        assertTrue(r.pmemcheck().clean(), r.pmemcheck().describe(10)); // no write-back in vain, nothing left dirty
        assertTrue(r.warnings().isEmpty(), r.warnings().toString());
        assertEquals(r.imagesChecked(), w.checks, "every image was judged by the filesystem check");
        assertTrue(r.crashPoints() > 20, "crash points: " + r.crashPoints());
        if (w.name().equals("daxfs-delete") || w.name().equals("daxfs-rename-over")) {
            assertTrue(w.orphansSeen > 0, "crashes in the middle of a delete left orphans for mount to free");
        }
        if (w.name().equals("daxfs-truncate")) {
            assertTrue(w.truncatesSeen > 0, "crashes in the middle of a truncate left blocks past the end for mount");
        }
    }
}
