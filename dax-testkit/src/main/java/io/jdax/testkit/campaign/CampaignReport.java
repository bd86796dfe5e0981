package io.jdax.testkit.campaign;

import io.jdax.dax.Sizes;
import io.jdax.testkit.sim.PmemcheckReport;
import io.jdax.testkit.sim.WritebackStats;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a {@link Campaign} found.
 *
 * @param workload                the workload's name
 * @param device                  the device crashed: name and persistence mode
 * @param seed                    the campaign's seed: the same seed gives the same report
 * @param ticks                   the points the workload passed through (writes, acknowledgements, Arch operations)
 * @param crashPoints             the points crashed at
 * @param imagesChecked           crash images rebooted and judged
 * @param acknowledgedBytesLost   acknowledged bytes that some image did not hold, summed over images (must be 0)
 * @param lostRanges              the device ranges lost in any image, merged: exactly which bytes
 * @param losses                  the first losses, each with where and how it happened
 * @param unacknowledgedBytesTorn bytes written but not yet acknowledged that an image did not hold in
 *                                their newest version, summed over images (allowed)
 * @param rebootFailures          images the driver failed to open or read, or a {@link CheckedWorkload}'s
 *                                check rejected (must be 0)
 * @param writeback               the simulator's C4 figures for the whole workload
 * @param pmemcheck               what pmemcheck would report about the whole workload: wasted
 *                                write-backs, and lines left dirty when the workload ended
 * @param writes                  writes the workload declared
 * @param acknowledgements        durability points the workload declared
 * @param elapsed                 wall time
 * @param warnings                anything that makes the figures less trustworthy
 * @param notApplicable           why the workload could not judge the device
 *                                ({@link Workload#notApplicableTo}); empty when it ran
 */
public record CampaignReport(String workload, String device, long seed, int ticks, int crashPoints,
                             int imagesChecked, long acknowledgedBytesLost, List<Ledger.LostRange> lostRanges,
                             List<Loss> losses, long unacknowledgedBytesTorn, int rebootFailures,
                             WritebackStats writeback, PmemcheckReport pmemcheck, long writes,
                             long acknowledgements, Duration elapsed,
                             List<String> warnings, String notApplicable) {

    /** Copies the lists. */
    public CampaignReport {
        lostRanges = List.copyOf(lostRanges);
        losses = List.copyOf(losses);
        warnings = List.copyOf(warnings);
        notApplicable = notApplicable == null ? "" : notApplicable;
    }

    /** The report of a workload that could not judge the device: nothing ran, nothing passed or failed. */
    static CampaignReport notApplicable(String workload, String device, long seed, Duration elapsed, String why) {
        return new CampaignReport(workload, device, seed, 0, 0, 0, 0, List.of(), List.of(), 0, 0, WritebackStats.NONE,
                PmemcheckReport.NONE, 0, 0, elapsed, List.of(), why);
    }

    /** False when the workload could not judge the device ({@link #notApplicable} says why). */
    public boolean applicable() {
        return notApplicable.isEmpty();
    }

    /**
     * Acknowledged bytes missing from one crash image.
     *
     * @param tick   the crash point's index among the ticks
     * @param at     what the workload had just done, e.g. "after COPY_FLUSHCACHE [4096, +4096)"
     * @param image  which image: {@code seed N} or {@code harshest} (every unfenced line lost)
     * @param ranges the device ranges lost
     */
    public record Loss(int tick, String at, String image, List<Ledger.LostRange> ranges) {
        /** Copies the list. */
        public Loss {
            ranges = List.copyOf(ranges);
        }
    }

    /**
     * True when the workload ran, no acknowledged byte was lost and every image rebooted; false
     * too when it was not {@link #applicable()} (neither passed nor failed: check that first).
     */
    public boolean passed() {
        return applicable() && acknowledgedBytesLost == 0 && rebootFailures == 0;
    }

    /** A few lines for people: the figures, then the first losses. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        if (!applicable()) {
            return String.format(Locale.ROOT, "campaign %s on %s: NOT APPLICABLE: %s%n", workload, device, notApplicable);
        }
        b.append(String.format(Locale.ROOT, "campaign %s on %s, seed %d: %s%n", workload, device, seed,
                passed() ? "PASSED" : "FAILED"));
        b.append(String.format(Locale.ROOT, "  %d writes, %d acknowledgements, %d ticks; %d crash points, %d images"
                + " checked in %d ms%n", writes, acknowledgements, ticks, crashPoints, imagesChecked, elapsed.toMillis()));
        b.append(String.format(Locale.ROOT, "  acknowledged bytes lost: %d%s%n", acknowledgedBytesLost,
                lostRanges.isEmpty() ? "" : " in " + lostRanges.size() + " ranges, " + Sizes.format(
                        lostRanges.stream().mapToLong(Ledger.LostRange::length).sum()) + " of the device: "
                        + lostRanges.stream().limit(8).map(Object::toString).collect(Collectors.joining(" "))
                        + (lostRanges.size() > 8 ? " ..." : "")));
        b.append(String.format(Locale.ROOT, "  unacknowledged bytes torn: %d%n", unacknowledgedBytesTorn));
        if (rebootFailures > 0) {
            b.append("  images that failed to reboot: ").append(rebootFailures).append('\n');
        }
        b.append("  ").append(writeback.describe()).append('\n');
        b.append("  ").append(pmemcheck.describe(3)).append('\n');
        for (Loss l : losses.subList(0, Math.min(5, losses.size()))) {
            b.append(String.format(Locale.ROOT, "  lost at tick %d (%s), %s: %s%n", l.tick(), l.at(), l.image(),
                    l.ranges().stream().limit(8).map(Object::toString).collect(Collectors.joining(" "))));
        }
        warnings.forEach(w -> b.append("  warning: ").append(w).append('\n'));
        return b.toString();
    }
}
