package io.jdax.x86;

import java.lang.foreign.MemorySegment;

/**
 * How Java reaches the C routines ({@value NativeArch#CALL_PROPERTY}): through FFM downcalls
 * ({@link FfmCalls}, the default) or JNI ({@link JniCalls}). Ranges are checked by
 * {@link NativeArch} before; each method that touches memory returns 0 or the fault code of
 * {@code jdax_fault.h}.
 * <p>
 * A segment here is native, or a heap segment of at most {@link NativeArch#CHUNK} bytes (the
 * caller splits longer heap copies, so the GC never waits for more than one chunk).
 */
sealed interface NativeCalls permits FfmCalls, JniCalls {

    /** {@code ffm} or {@code jni}. */
    String id();

    /** What {@code jdax info} says about this way in. */
    String describe();

    int copyNocache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes);

    int copyFlushcache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes);

    int copyMc(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes);

    int writeback(MemorySegment segment, long offset, long bytes);

    int memset(MemorySegment dst, long offset, long bytes, int value, int flags);

    int memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes, int flags);

    void fence();

    /** The address of this thread's last fault. */
    long faultAddress();

    /** For tests: the fault code for a SIGBUS with this si_code at {@code segment + offset}. */
    int simulateFault(MemorySegment segment, long offset, int code, int lsb);
}
