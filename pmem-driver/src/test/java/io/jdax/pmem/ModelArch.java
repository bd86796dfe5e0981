package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.Ranges;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only Arch that copies with plain stores but accounts cache lines the way a real one
 * must (C4): {@code copyFlushcache} from native memory streams the 64-byte-aligned body
 * non-temporally and writes back only the partial head and tail lines; from heap memory every
 * line is stored cached and written back. It claims cache write-back, so devices treat it as
 * able to make MAP_SYNC and device DAX durable.
 */
final class ModelArch implements Arch {
    private final TreeMap<Long, Integer> writtenBack = new TreeMap<>(); // line address -> count
    final AtomicLong fences = new AtomicLong();

    @Override
    public String name() {
        return "model";
    }

    @Override
    public Map<String, String> features() {
        return Map.of("flushcache", "model: nt body, written-back edges; heap sources cached");
    }

    @Override
    public boolean hasCacheWriteback() {
        return true;
    }

    /** The machine's own process barrier (membarrier through native-x86), as the Arch modelled has. */
    @Override
    public boolean processBarrier() {
        return io.jdax.arch.Archs.current().processBarrier();
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        copyNocache(src, srcOffset, dst, dstOffset, bytes);
        if (bytes == 0) {
            return;
        }
        long start = dst.address() + dstOffset;
        long end = start + bytes;
        long bodyStart = (start + CACHE_LINE - 1) & -CACHE_LINE;
        long bodyEnd = end & -CACHE_LINE;
        if (!src.isNative() || bodyStart >= bodyEnd) {
            lines(start, end); // cached stores throughout
            return;
        }
        if (start < bodyStart) {
            lines(start, bodyStart);
        }
        if (bodyEnd < end) {
            lines(bodyEnd, end);
        }
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        Ranges.check(segment, offset, bytes);
        if (bytes > 0) {
            lines(segment.address() + offset, segment.address() + offset + bytes);
        }
    }

    @Override
    public void fence() {
        fences.incrementAndGet();
    }

    private synchronized void lines(long start, long end) {
        for (long line = start & -CACHE_LINE; line < end; line += CACHE_LINE) {
            writtenBack.merge(line, 1, Integer::sum);
        }
    }

    /** Write-backs per line since the last reset, keyed by line address. */
    synchronized Map<Long, Integer> writtenBack() {
        return new TreeMap<>(writtenBack);
    }

    synchronized void reset() {
        writtenBack.clear();
        fences.set(0);
    }
}
