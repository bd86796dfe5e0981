package io.jdax.testkit.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What pmemcheck (valgrind's persistent-memory checker) would report about tracked memory, as far
 * as a {@link SimulatedArch} can see it: write-back calls that covered no dirty line (wasted: C4's
 * "no more"; pmemcheck counts its "redundant flushes" per line, as
 * {@link WritebackStats#redundantWritebacks()} does), and lines left dirty, its "stores not made
 * persistent": stored, and since then neither written back nor, on eADR media, fenced, when the
 * report was taken. Take it before closing the device: the memory's contents are gone afterwards.
 * <p>
 * Each entry carries the stack of the call that caused it when the simulator captures stacks
 * ({@link SimulatedArch#STACKS_PROPERTY}): the wasted {@code writeback}'s, or the first cached
 * store through the Arch that dirtied the line since it was last written back. A line dirtied by
 * plain stores into a mapping has no stack: the simulator sees those only as changed contents.
 *
 * @param wastedWritebacks write-back calls in which no line had a store since it was last made
 *                         pending or persistent
 * @param dirtyLines       lines dirty when the report was taken
 * @param entries          the first {@link #MAX_ENTRIES} of them: for each tracked memory, its wasted
 *                         write-backs in call order, then its dirty lines by offset
 */
public record PmemcheckReport(long wastedWritebacks, long dirtyLines, List<Entry> entries) {

    /** How many entries a report keeps. */
    public static final int MAX_ENTRIES = 10;

    /** Nothing reported. */
    public static final PmemcheckReport NONE = new PmemcheckReport(0, 0, List.of());

    /** What an entry is. */
    public enum Kind {
        /** A write-back call that covered no dirty line. */
        WASTED_WRITEBACK,
        /** A line stored and never written back. */
        DIRTY_LINE
    }

    /**
     * One report.
     *
     * @param kind         what it is
     * @param media        the name of the tracked memory
     * @param deviceOffset the first byte of the write-back's range, or of the line
     * @param bytes        the write-back's length, or 64
     * @param stack        the caller's stack, innermost first; empty when stacks were not
     *                     captured or the line was stored behind the Arch's back
     */
    public record Entry(Kind kind, String media, long deviceOffset, long bytes, List<StackTraceElement> stack) {
        /** Copies the stack. */
        public Entry {
            stack = List.copyOf(stack);
        }

        /** One line, and the stack below it when there is one. */
        public String describe() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s %s [%d, +%d)",
                    kind == Kind.WASTED_WRITEBACK ? "wasted write-back of" : "dirty line at", media, deviceOffset,
                    bytes));
            stack.forEach(f -> b.append("\n      at ").append(f));
            return b.toString();
        }
    }

    /** Copies the entries. */
    public PmemcheckReport {
        entries = List.copyOf(entries);
    }

    /** True when nothing was reported. */
    public boolean clean() {
        return wastedWritebacks == 0 && dirtyLines == 0;
    }

    /** Both reports, the entries still capped at {@link #MAX_ENTRIES}. */
    public PmemcheckReport plus(PmemcheckReport o) {
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(o.entries);
        return new PmemcheckReport(wastedWritebacks + o.wastedWritebacks, dirtyLines + o.dirtyLines,
                all.subList(0, Math.min(MAX_ENTRIES, all.size())));
    }

    /** A line of counts, then up to {@code maxEntries} entries. */
    public String describe(int maxEntries) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "pmemcheck: %d wasted write-backs, %d dirty lines left", wastedWritebacks, dirtyLines));
        entries.stream().limit(maxEntries).forEach(e -> b.append("\n    ").append(e.describe()));
        return b.toString();
    }
}
