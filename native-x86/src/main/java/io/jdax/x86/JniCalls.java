package io.jdax.x86;

import java.lang.foreign.MemorySegment;

/**
 * The C routines through JNI, with raw addresses, kept for comparison
 * ({@value NativeArch#CALL_PROPERTY}=jni). Faults are caught as on the FFM path, but nothing
 * holds a segment's arena for the call: the ranges are checked alive just before, and an arena
 * that another thread closes in between is freed under the copy. Use it only with memory that no
 * other thread closes while jdax copies from or to it. Heap sources other than {@code byte[]}
 * are copied in Java and written back.
 */
final class JniCalls implements NativeCalls {

    @Override
    public String id() {
        return "jni";
    }

    @Override
    public String describe() {
        return "JNI (raw addresses: arenas closed by another thread during a call are not held)";
    }

    @Override
    public int copyNocache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        if (!src.isNative()) {
            return javaCopy(dst, dstOffset, src, srcOffset, bytes, false);
        }
        return X86Native.copyNocache(dst.address() + dstOffset, src.address() + srcOffset, bytes);
    }

    @Override
    public int copyFlushcache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        if (src.isNative()) {
            return X86Native.copyFlushcache(dst.address() + dstOffset, src.address() + srcOffset, bytes);
        }
        if (src.heapBase().orElse(null) instanceof byte[] array) {
            return X86Native.copyFlushcacheArray(dst.address() + dstOffset, array,
                    Math.toIntExact(src.address() + srcOffset), (int) bytes);
        }
        return javaCopy(dst, dstOffset, src, srcOffset, bytes, true);
    }

    @Override
    public int copyMc(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        if (dst.isNative() && src.isNative()) {
            return X86Native.copyMc(dst.address() + dstOffset, src.address() + srcOffset, bytes);
        }
        if (src.isNative() && dst.heapBase().orElse(null) instanceof byte[] array) {
            return X86Native.copyMcToArray(src.address() + srcOffset, array,
                    Math.toIntExact(dst.address() + dstOffset), (int) bytes);
        }
        io.jdax.arch.MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
        return 0;
    }

    /** Cached stores in Java, then (for a durable copy) one write-back of every line they touched. */
    private static int javaCopy(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes,
                                boolean writeback) {
        io.jdax.arch.MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
        return writeback && bytes > 0 ? X86Native.writeback(dst.address() + dstOffset, bytes) : 0;
    }

    @Override
    public int writeback(MemorySegment segment, long offset, long bytes) {
        return X86Native.writeback(segment.address() + offset, bytes);
    }

    @Override
    public int memset(MemorySegment dst, long offset, long bytes, int value, int flags) {
        return X86Native.memset(dst.address() + offset, bytes, value, flags);
    }

    @Override
    public int memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes, int flags) {
        return X86Native.memmove(dst.address() + dstOffset, src.address() + srcOffset, bytes, flags);
    }

    @Override
    public void fence() {
        X86Native.fence();
    }

    @Override
    public long faultAddress() {
        return X86Native.faultAddress();
    }

    @Override
    public int simulateFault(MemorySegment segment, long offset, int code, int lsb) {
        return X86Native.simulateFault(segment.address() + offset, code, lsb);
    }
}
