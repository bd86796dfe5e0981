package io.jdax.it.realdax;

import io.jdax.arch.Arch;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The JVM's Arch, counting every instruction a device could write cache lines back with: the
 * Arch's {@code writeback}, the flushcache copy (which writes back the lines it stored cached,
 * inside the native routine), and memset/memmove unless they were asked not to flush
 * ({@link Arch#MEM_NOFLUSH}). The nocache copy, reads and fences write nothing back. Everything
 * else goes to the real Arch unchanged, one native call per contiguous run.
 */
final class CountingArch implements Arch {
    private final Arch real;
    final AtomicLong writebacks = new AtomicLong();
    final AtomicLong flushcacheCopies = new AtomicLong();
    final AtomicLong flushingMemOps = new AtomicLong();
    final AtomicLong nocacheCopies = new AtomicLong();
    final AtomicLong fences = new AtomicLong();

    CountingArch(Arch real) {
        this.real = real;
    }

    /** Every call that could have written a cache line back. */
    long writingBack() {
        return writebacks.get() + flushcacheCopies.get() + flushingMemOps.get();
    }

    String describe() {
        return "writeback " + writebacks + ", flushcache copies " + flushcacheCopies + ", flushing memset/memmove "
                + flushingMemOps + ", nocache copies " + nocacheCopies + ", fences " + fences;
    }

    void reset() {
        writebacks.set(0);
        flushcacheCopies.set(0);
        flushingMemOps.set(0);
        nocacheCopies.set(0);
        fences.set(0);
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public Map<String, String> features() {
        return real.features();
    }

    @Override
    public boolean hasCacheWriteback() {
        return real.hasCacheWriteback();
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        nocacheCopies.incrementAndGet();
        real.copyNocache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        flushcacheCopies.incrementAndGet();
        real.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        writebacks.incrementAndGet();
        real.writeback(segment, offset, bytes);
    }

    @Override
    public void fence() {
        fences.incrementAndGet();
        real.fence();
    }

    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        real.copyMc(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void memset(MemorySegment dst, long offset, long bytes, byte value, int flags) {
        if ((flags & MEM_NOFLUSH) == 0) {
            flushingMemOps.incrementAndGet();
        }
        real.memset(dst, offset, bytes, value, flags);
    }

    @Override
    public void memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes, int flags) {
        if ((flags & MEM_NOFLUSH) == 0) {
            flushingMemOps.incrementAndGet();
        }
        real.memmove(dst, dstOffset, src, srcOffset, bytes, flags);
    }

    @Override
    public boolean processBarrier() {
        return real.processBarrier();
    }
}
