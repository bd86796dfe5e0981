package io.jdax.dax;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A device's list of poisoned 512-byte sectors (the kernel's {@code block/badblocks.c}):
 * filled from the kernel's list for real devices, by {@link #set} for emulated ones, cleared by
 * recovery writes. Thread-safe.
 */
public final class BadBlocks {
    /** The sector size bad blocks are counted in. */
    public static final int SECTOR_SIZE = 512;

    /**
     * A run of bad sectors.
     *
     * @param sector the first bad sector
     * @param count  how many consecutive sectors are bad, at least one
     */
    public record Range(long sector, long count) {
        /** Checks the range. */
        public Range {
            if (sector < 0 || count < 1 || sector > Long.MAX_VALUE - count) {
                throw new DaxException(Errno.EINVAL, "bad-block range sector " + sector + " count " + count);
            }
        }

        /** The sector after the last bad one. */
        public long end() {
            return sector + count;
        }
    }

    private final long nrSectors;
    private final TreeMap<Long, Long> runs = new TreeMap<>(); // first sector -> end (exclusive)
    // Whether runs is empty, readable without the lock: every directAccess checks, and a device
    // with no bad sector (nearly every one) answers with a load instead of a monitor.
    private volatile boolean empty = true;

    /** An empty list for a device of {@code nrSectors} sectors. */
    public BadBlocks(long nrSectors) {
        this.nrSectors = nrSectors;
    }

    /**
     * Marks sectors bad ({@code badblocks_set}); overlapping and adjacent runs merge.
     *
     * @throws DaxException ERANGE if the range goes past the device
     */
    public synchronized void set(long sector, long count) {
        Range r = checked(sector, count);
        long start = r.sector();
        long end = r.end();
        Map.Entry<Long, Long> before = runs.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
        }
        for (Map.Entry<Long, Long> e = runs.ceilingEntry(start); e != null && e.getKey() <= end;
             e = runs.ceilingEntry(start)) {
            end = Math.max(end, e.getValue());
            runs.remove(e.getKey());
        }
        runs.put(start, end);
        empty = false;
    }

    /** Marks sectors good again ({@code badblocks_clear}), splitting runs as needed. */
    public synchronized void clear(long sector, long count) {
        Range r = checked(sector, count);
        long start = r.sector();
        long end = r.end();
        Map.Entry<Long, Long> before = runs.lowerEntry(start);
        if (before != null && before.getValue() > start) {
            runs.put(before.getKey(), start);
            if (before.getValue() > end) {
                runs.put(end, before.getValue());
            }
        }
        for (Map.Entry<Long, Long> e = runs.ceilingEntry(start); e != null && e.getKey() < end;
             e = runs.ceilingEntry(start)) {
            runs.remove(e.getKey());
            if (e.getValue() > end) {
                runs.put(end, e.getValue());
            }
        }
        empty = runs.isEmpty();
    }

    /**
     * The first bad run overlapping {@code [sector, sector + count)} ({@code badblocks_check}),
     * clipped to that range.
     */
    public Optional<Range> check(long sector, long count) {
        if (count <= 0 || empty) {
            return Optional.empty();
        }
        return checkLocked(sector, count);
    }

    private synchronized Optional<Range> checkLocked(long sector, long count) {
        long end = sector + count;
        Map.Entry<Long, Long> e = runs.floorEntry(sector);
        if (e == null || e.getValue() <= sector) {
            e = runs.higherEntry(sector);
        }
        if (e == null || e.getKey() >= end) {
            return Optional.empty();
        }
        long first = Math.max(e.getKey(), sector);
        return Optional.of(new Range(first, Math.min(e.getValue(), end) - first));
    }

    /** True if any sector of the byte range {@code [offset, offset + bytes)} is bad. */
    public boolean isBad(long offset, long bytes) {
        if (bytes <= 0) {
            return false;
        }
        long first = offset / SECTOR_SIZE;
        long last = (offset + bytes - 1) / SECTOR_SIZE;
        return check(first, last - first + 1).isPresent();
    }

    /** All bad runs, in order. */
    public synchronized List<Range> list() {
        List<Range> out = new ArrayList<>();
        runs.forEach((s, e) -> out.add(new Range(s, e - s)));
        return out;
    }

    /** True when no sector is bad. */
    public boolean isEmpty() {
        return empty;
    }

    /** Replaces the whole list, e.g. after re-reading the kernel's. */
    public synchronized void replaceAll(List<Range> ranges) {
        runs.clear();
        for (Range r : ranges) {
            set(r.sector(), r.count());
        }
        empty = runs.isEmpty();
    }

    private Range checked(long sector, long count) {
        Range r = new Range(sector, count);
        if (r.end() > nrSectors) {
            throw new DaxException(Errno.ERANGE, "sectors [" + sector + ", " + r.end() + ") go past the device's "
                    + nrSectors + " sectors");
        }
        return r;
    }
}
