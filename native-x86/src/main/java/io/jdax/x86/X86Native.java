package io.jdax.x86;

/**
 * The JNI entry points of {@code libjdax_x86.so} ({@code src/main/c/jdax_x86.c}). Raw addresses:
 * callers check every range against a live segment first. Codes and bits match
 * {@code jdax_x86.h} and {@code jdax_fault.h}. Each routine that touches memory returns 0 or a
 * fault code ({@link #faultAddress()} then names the address).
 */
final class X86Native {
    private X86Native() {
    }

    static final long F_SSE2 = 1L << 0;
    static final long F_CLFLUSH = 1L << 1;
    static final long F_CLFLUSHOPT = 1L << 2;
    static final long F_CLWB = 1L << 3;
    static final long F_AVX2 = 1L << 4;
    static final long F_AVX512F = 1L << 5;
    static final long F_AVX2_CPU = 1L << 8;
    static final long F_AVX512F_CPU = 1L << 9;

    static final int AUTO = 0;
    static final int OK = 0;
    static final int EINVAL = -22;
    static final int ENOTSUP = -95;

    static native long cpuFeatures();

    static native int configure(int flushKind, int copyKind, long threshold, int headAlign);

    static native int flushKind();

    static native int copyKind();

    static native long threshold();

    static native int headAlign();

    /** si_code of a SIGBUS for poisoned memory (the rest: the page lost its backing). */
    static final int BUS_MCEERR_AR = 4;

    static native int copyNocache(long dst, long src, long n);

    static native int copyFlushcache(long dst, long src, long n);

    static native int copyMc(long dst, long src, long n);

    static native int copyFlushcacheArray(long dst, byte[] src, int off, int len);

    static native int copyMcToArray(long src, byte[] dst, int off, int len);

    static native int copyFlushcacheTraced(long dst, long src, long n, long[] lines);

    static native int writeback(long addr, long n);

    static native void fence();

    /** The durable memset (flags: {@code Arch.MEM_*}, the same bits as {@code JDAX_MEM_*}). */
    static native int memset(long dst, long n, int c, int flags);

    /** The durable, overlap-safe memmove. */
    static native int memmove(long dst, long src, long n, int flags);

    /** A full fence on every running thread of the process (membarrier); false if not offered. */
    static native boolean membarrier();

    /** The address of this thread's last fault in a guarded routine. */
    static native long faultAddress();

    /**
     * -1: no SIGBUS handler installed; else what it chains to: 0 the default, 1 a handler, 2
     * ignore; 3: libjsig is preloaded, the JVM's handler stays first and chains to it.
     */
    static native int faultHandler();

    /** For tests: the fault code a guarded routine gets for a SIGBUS with this si_code at addr. */
    static native int simulateFault(long addr, int code, int lsb);
}
