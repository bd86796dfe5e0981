package io.jdax.pmem;

import io.jdax.dax.DaxDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pages of a page-cache mapping written since the last flush, as coalesced runs: what
 * {@code flush()} must msync, and nothing more (a 4 KiB write to a 1 TiB file syncs one page).
 * Thread-safe.
 */
final class DirtyRanges {
    private static final int PAGE_SHIFT = Integer.numberOfTrailingZeros(DaxDevice.PAGE_SIZE);

    /**
     * A run of dirty pages.
     *
     * @param firstPage the first dirty page
     * @param endPage   the page after the last dirty one
     */
    record Run(long firstPage, long endPage) {
        long offset() {
            return firstPage << PAGE_SHIFT;
        }

        long bytes() {
            return (endPage - firstPage) << PAGE_SHIFT;
        }
    }

    private final TreeMap<Long, Long> runs = new TreeMap<>(); // first page -> end page (exclusive)
    private long pages;

    /** Marks the pages overlapping {@code [offset, offset + bytes)} dirty; adjacent runs merge. */
    synchronized void mark(long offset, long bytes) {
        if (bytes <= 0) {
            return;
        }
        long start = offset >>> PAGE_SHIFT;
        long end = ((offset + bytes - 1) >>> PAGE_SHIFT) + 1;
        Map.Entry<Long, Long> before = runs.floorEntry(start);
        if (before != null && before.getValue() >= end) {
            return; // already dirty: the common case of rewriting the same pages
        }
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
            pages -= before.getValue() - before.getKey();
            runs.remove(before.getKey());
        }
        for (Map.Entry<Long, Long> e = runs.ceilingEntry(start); e != null && e.getKey() <= end;
             e = runs.ceilingEntry(start)) {
            end = Math.max(end, e.getValue());
            pages -= e.getValue() - e.getKey();
            runs.remove(e.getKey());
        }
        runs.put(start, end);
        pages += end - start;
    }

    /** Takes every run, in order, leaving the set empty. */
    synchronized List<Run> drain() {
        List<Run> out = new ArrayList<>(runs.size());
        runs.forEach((s, e) -> out.add(new Run(s, e)));
        runs.clear();
        pages = 0;
        return out;
    }

    /** The number of dirty pages. */
    synchronized long pages() {
        return pages;
    }
}
