package io.jdax.daxfs;

import io.jdax.arch.Arch;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps an Arch and counts the copies a device makes through it: which write path the data took
 * (the device's durable copy or the core's nocache fallback), now that the chunk loop is the core's.
 */
final class CountingArch implements Arch {
    private final Arch delegate;
    final AtomicLong nocacheCopies = new AtomicLong();
    final AtomicLong flushcacheCopies = new AtomicLong();

    CountingArch(Arch delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return "counting(" + delegate.name() + ")";
    }

    @Override
    public Map<String, String> features() {
        return delegate.features();
    }

    @Override
    public boolean hasCacheWriteback() {
        return delegate.hasCacheWriteback();
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        nocacheCopies.incrementAndGet();
        delegate.copyNocache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        flushcacheCopies.incrementAndGet();
        delegate.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        delegate.writeback(segment, offset, bytes);
    }

    @Override
    public void fence() {
        delegate.fence();
    }

    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        delegate.copyMc(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public boolean processBarrier() {
        return delegate.processBarrier();
    }
}
