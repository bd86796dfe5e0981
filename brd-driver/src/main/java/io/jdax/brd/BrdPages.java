package io.jdax.brd;

import io.jdax.dax.DaxDevice;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * brd's page store: page offset to page, filled on first write. Pages live on the Java heap, so a
 * page freed while another thread still holds it is only garbage, never a dangling address.
 */
final class BrdPages {
    /** What never-written pages read as: one shared, read-only page of zeros. */
    static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[DaxDevice.PAGE_SIZE]).asReadOnly();

    private final ConcurrentHashMap<Long, MemorySegment> pages = new ConcurrentHashMap<>();
    private final AtomicLong allocations = new AtomicLong();

    /** The page at {@code pgoff}, or null if it was never written. */
    MemorySegment lookup(long pgoff) {
        return pages.get(pgoff);
    }

    /** The page at {@code pgoff}, allocated (zeroed) if absent; racing callers get the same page. */
    MemorySegment allocate(long pgoff) {
        return pages.computeIfAbsent(pgoff, k -> {
            allocations.incrementAndGet();
            return MemorySegment.ofArray(new byte[DaxDevice.PAGE_SIZE]);
        });
    }

    /** Drops the pages of {@code [from, to)}, walking whichever is smaller: the range or the map. */
    void free(long from, long to) {
        if (to - from > pages.size()) {
            pages.keySet().removeIf(p -> p >= from && p < to);
        } else {
            for (long p = from; p < to; p++) {
                pages.remove(p);
            }
        }
    }

    /** Pages currently held. */
    long count() {
        return pages.size();
    }

    /** Pages ever allocated. */
    long allocations() {
        return allocations.get();
    }

    void clear() {
        pages.clear();
    }
}
