package io.jdax.fsdax;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The portable Arch, counting the copies a device or the core's fallback asks of it: which path ran. */
final class CountingArch implements Arch {
    private final Arch real = new PortableArch();
    private final boolean writeback;
    final AtomicLong nocache = new AtomicLong();
    final AtomicLong flushcache = new AtomicLong();
    final AtomicLong mc = new AtomicLong();

    CountingArch() {
        this(false);
    }

    /** One that claims a cache write-back (for CPU_CACHE devices; its write-back is the portable one). */
    CountingArch(boolean writeback) {
        this.writeback = writeback;
    }

    @Override
    public String name() {
        return "counting";
    }

    @Override
    public Map<String, String> features() {
        return Map.of();
    }

    @Override
    public boolean hasCacheWriteback() {
        return writeback;
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        nocache.incrementAndGet();
        real.copyNocache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        flushcache.incrementAndGet();
        real.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        mc.incrementAndGet();
        real.copyMc(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        real.writeback(segment, offset, bytes);
    }

    @Override
    public void fence() {
        real.fence();
    }
}
