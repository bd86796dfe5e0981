package io.jdax.pmem;

import io.jdax.arch.Arch;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** Wraps an Arch and counts what a device asks of it, with the length of every copy. */
class CountingArch implements Arch {
    private final Arch delegate;
    private final boolean cacheWriteback;
    final AtomicLong nocache = new AtomicLong();
    final AtomicLong writebacks = new AtomicLong();
    final AtomicLong fences = new AtomicLong();
    final List<Long> flushcacheCopies = new CopyOnWriteArrayList<>();

    CountingArch(Arch delegate) {
        this(delegate, delegate.hasCacheWriteback());
    }

    /** A wrapper that may claim a cache write-back the delegate lacks (its writeback then is never forced). */
    CountingArch(Arch delegate, boolean cacheWriteback) {
        this.delegate = delegate;
        this.cacheWriteback = cacheWriteback;
    }

    @Override
    public boolean processBarrier() {
        return delegate.processBarrier();
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
        return cacheWriteback;
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        nocache.incrementAndGet();
        delegate.copyNocache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        flushcacheCopies.add(bytes);
        delegate.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        writebacks.incrementAndGet();
        delegate.writeback(segment, offset, bytes);
    }

    @Override
    public void fence() {
        fences.incrementAndGet();
        delegate.fence();
    }
}
