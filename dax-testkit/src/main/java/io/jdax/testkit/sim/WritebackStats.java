package io.jdax.testkit.sim;

import io.jdax.dax.Sizes;

import java.util.Locale;

/**
 * What a {@link SimulatedArch} saw happen to tracked device memory: the figures that make the
 * write-back rule C4 checkable. A write-back is <em>redundant</em> when the line had no cached
 * store since it was last made pending or persistent: the write-back of a line just stored
 * non-temporally, the seed review's regression.
 *
 * @param bytesCopied         bytes copied into tracked memory by {@code copyNocache} and {@code copyFlushcache}
 * @param ntLines             lines stored non-temporally (whole lines from native sources)
 * @param cachedLines         lines that received cached stores through the Arch
 * @param linesWrittenBack    line write-backs, redundant ones included
 * @param redundantWritebacks write-backs of lines that had no cached store since their last write-back,
 *                            non-temporal store or fence
 * @param fences              fences
 */
public record WritebackStats(long bytesCopied, long ntLines, long cachedLines, long linesWrittenBack,
                             long redundantWritebacks, long fences) {

    private static final double MIB = 1 << 20;

    /** Nothing seen yet. */
    public static final WritebackStats NONE = new WritebackStats(0, 0, 0, 0, 0, 0);

    /** Line write-backs per MiB copied (0 when nothing was copied). */
    public double writebacksPerMiB() {
        return bytesCopied == 0 ? 0 : linesWrittenBack * MIB / bytesCopied;
    }

    /** Redundant write-backs per MiB copied: 0 for a driver that keeps C4. */
    public double redundantPerMiB() {
        return bytesCopied == 0 ? 0 : redundantWritebacks * MIB / bytesCopied;
    }

    /** The sum of two sets of figures. */
    public WritebackStats plus(WritebackStats o) {
        return new WritebackStats(bytesCopied + o.bytesCopied, ntLines + o.ntLines, cachedLines + o.cachedLines,
                linesWrittenBack + o.linesWrittenBack, redundantWritebacks + o.redundantWritebacks, fences + o.fences);
    }

    /** One line for reports. */
    public String describe() {
        return String.format(Locale.ROOT, "copied %s: %d lines non-temporal, %d lines cached; %d lines written back"
                        + " (%.1f per MiB), %d redundant (%.1f per MiB); %d fences",
                Sizes.format(bytesCopied), ntLines, cachedLines, linesWrittenBack, writebacksPerMiB(),
                redundantWritebacks, redundantPerMiB(), fences);
    }
}
