package io.jdax.x86;

import io.jdax.arch.Arch;
import io.jdax.arch.MemoryFaultException;
import io.jdax.arch.Ranges;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The x86 {@link Arch}: the kernel's {@code memcpy_flushcache} and friends, in C, reached through
 * FFM downcalls (or JNI, {@value #CALL_PROPERTY}). One native call per contiguous run. Every range
 * is checked in Java first; on the FFM path the JDK also keeps the memory alive for the call (C8).
 * A fault inside the C routines (a page that lost its backing, poison) comes back as a
 * {@link MemoryFaultException}.
 * <p>
 * A heap destination gets a plain copy (heap memory is never device memory); a heap source the
 * copy chosen by {@value #HEAP_COPY_PROPERTY}, handed to C in chunks of {@link #CHUNK} bytes so
 * the GC never waits for more than one.
 */
public final class NativeArch implements Arch {

    /** The provider name, for {@code -Djdax.arch=native-x86}. */
    public static final String NAME = "native-x86";

    /** System property: force the write-back instruction ({@code clwb}, {@code clflushopt}, {@code clflush}). */
    public static final String FLUSH_PROPERTY = "jdax.x86.flush";
    /** System property: force the copy loop ({@code avx512}, {@code avx2}, {@code sse2}, {@code movnti}). */
    public static final String COPY_PROPERTY = "jdax.x86.copy";
    /** System property: copies below this many bytes use cached stores + write-back (default 0: never). */
    public static final String THRESHOLD_PROPERTY = "jdax.x86.threshold";
    /**
     * System property: the cached head aligns the destination to this many bytes (8, 16, 32 or
     * 64), or 1 (the default, measured): adaptive — none when the destination is 8-aligned, else to
     * the line end, so no line ever takes both cached and non-temporal stores.
     */
    public static final String HEAD_ALIGN_PROPERTY = "jdax.x86.headAlign";
    /**
     * System property: how a heap source is copied durably: {@code pinned} (the default: the array
     * is handed to C a chunk at a time and copied non-temporally, 1.4x to 2x faster here,
     * NATIVE-NOTES.md) or {@code cached} (a Java copy, then one write-back call).
     */
    public static final String HEAP_COPY_PROPERTY = "jdax.x86.heapCopy";
    /**
     * System property: how Java calls the C routines: {@code ffm} (the default: FFM downcalls,
     * which keep every segment alive for the call) or {@code jni} (raw addresses, for
     * comparison: an arena another thread closes during a call is not held).
     */
    public static final String CALL_PROPERTY = "jdax.x86.call";

    /**
     * The most bytes one call copies from or to the Java heap (the GC waits for such a call), and
     * the most one critical downcall handles (longer native copies let the GC run beside them).
     */
    public static final long CHUNK = 1 << 20;

    /** How heap sources are copied by {@link #copyFlushcache}. */
    public enum HeapCopy {
        /** Hand the array to C a chunk at a time and copy non-temporally: write-back only for the edges. */
        PINNED,
        /** Copy with cached stores in Java, then write back every line in one native call. */
        CACHED
    }

    private final String origin;
    private final HeapCopy heapCopy;
    private final NativeCalls calls;
    // The copies the iterator methods hand to IovIter, made once (a method reference per call allocates).
    private final IovIter.SegmentCopy nocache = this::copyNocache;
    private final IovIter.SegmentCopy flushcache = this::copyFlushcache;
    private final IovIter.SegmentCopy mc = this::copyMc;

    NativeArch(String origin, HeapCopy heapCopy, NativeCalls calls) {
        this.origin = origin;
        this.heapCopy = heapCopy;
        this.calls = calls;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The write-back instruction in use. */
    public FlushKind flushKind() {
        return FlushKind.ofCode(X86Native.flushKind());
    }

    /** The non-temporal copy loop in use. */
    public CopyKind copyKind() {
        return CopyKind.ofCode(X86Native.copyKind());
    }

    /** Copies below this size use cached stores and write back every line they touch. */
    public long threshold() {
        return X86Native.threshold();
    }

    /** The alignment the cached head of a copy brings the destination to. */
    public int headAlign() {
        return X86Native.headAlign();
    }

    /** How heap sources are copied durably. */
    public HeapCopy heapCopy() {
        return heapCopy;
    }

    /** How Java calls the C routines: {@code ffm} or {@code jni}. */
    public String call() {
        return calls.id();
    }

    @Override
    public Map<String, String> features() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("copy", copyKind().id() + " non-temporal stores (" + COPY_PROPERTY + ")");
        f.put("flush", flushKind().instruction() + " (" + FLUSH_PROPERTY + ")");
        f.put("fence", "sfence");
        f.put("flushcache.threshold", threshold() + " bytes (" + THRESHOLD_PROPERTY + ")");
        f.put("flushcache.headAlign", (headAlign() == 1 ? "adaptive" : headAlign() + " bytes") + " (" + HEAD_ALIGN_PROPERTY + ")");
        f.put("eadr copy", "cached stores below " + eadrNontemporalFrom() + " bytes, non-temporal from there; nothing"
                + " written back (PERSISTENT_CACHE devices)");
        f.put("heap sources", heapCopy.name().toLowerCase(Locale.ROOT) + ", in " + CHUNK / 1024 + " KiB chunks ("
                + HEAP_COPY_PROPERTY + ")");
        f.put("call", calls.id() + ": " + calls.describe() + " (" + CALL_PROPERTY + ")");
        f.put("faults", faultHandlerNote());
        f.put("process barrier", X86Native.membarrier() ? "membarrier(PRIVATE_EXPEDITED): device read sides take no fence"
                : "none (membarrier not offered): device read sides fence on entry");
        f.put("cpu", cpuFeatureNames(X86Native.cpuFeatures()));
        f.put("library", origin);
        return f;
    }

    static String cpuFeatureNames(long bits) {
        StringJoiner j = new StringJoiner(" ");
        if ((bits & X86Native.F_SSE2) != 0) {
            j.add("sse2");
        }
        if ((bits & X86Native.F_AVX2) != 0) {
            j.add("avx2");
        } else if ((bits & X86Native.F_AVX2_CPU) != 0) {
            j.add("avx2(cpu only, OS does not save ymm)");
        }
        if ((bits & X86Native.F_AVX512F) != 0) {
            j.add("avx512f");
        } else if ((bits & X86Native.F_AVX512F_CPU) != 0) {
            j.add("avx512f(cpu only, OS does not save zmm)");
        }
        if ((bits & X86Native.F_CLFLUSH) != 0) {
            j.add("clflush");
        }
        if ((bits & X86Native.F_CLFLUSHOPT) != 0) {
            j.add("clflushopt");
        }
        if ((bits & X86Native.F_CLWB) != 0) {
            j.add("clwb");
        }
        return j.toString();
    }

    @Override
    public boolean hasCacheWriteback() {
        return true;
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!dst.isNative()) {
            // copy_from_iter_nocache copies kernel memory with plain stores too: no promise either way.
            MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
        } else if (src.isNative()) {
            check(calls.copyNocache(dst, dstOffset, src, srcOffset, bytes), "copyNocache", dst, dstOffset, src,
                    srcOffset, bytes);
        } else {
            for (long done = 0, n; done < bytes; done += n) {
                n = chunk(dst, dstOffset + done, bytes - done);
                check(calls.copyNocache(dst, dstOffset + done, src, srcOffset + done, n), "copyNocache", dst,
                        dstOffset + done, src, srcOffset + done, n);
            }
        }
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!dst.isNative()) {
            MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes); // heap is never device memory
        } else if (src.isNative()) {
            check(calls.copyFlushcache(dst, dstOffset, src, srcOffset, bytes), "copyFlushcache", dst, dstOffset,
                    src, srcOffset, bytes);
        } else if (heapCopy == HeapCopy.PINNED) {
            for (long done = 0, n; done < bytes; done += n) {
                n = chunk(dst, dstOffset + done, bytes - done);
                check(calls.copyFlushcache(dst, dstOffset + done, src, srcOffset + done, n), "copyFlushcache",
                        dst, dstOffset + done, src, srcOffset + done, n);
            }
        } else {
            // Cached stores, then every line they touched is written back (C4's other half).
            MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
            writeback(dst, dstOffset, bytes);
        }
    }

    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!src.isNative() && !dst.isNative()) {
            MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes); // heap to heap: nothing to fault
        } else if (src.isNative() && dst.isNative()) {
            check(calls.copyMc(dst, dstOffset, src, srcOffset, bytes), "copyMc", dst, dstOffset, src, srcOffset,
                    bytes);
        } else {
            for (long done = 0, n; done < bytes; done += n) {
                n = Math.min(CHUNK, bytes - done);
                check(calls.copyMc(dst, dstOffset + done, src, srcOffset + done, n), "copyMc", dst,
                        dstOffset + done, src, srcOffset + done, n);
            }
        }
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        Ranges.check(segment, offset, bytes);
        if (segment.isNative() && bytes > 0) {
            check(calls.writeback(segment, offset, bytes), "writeback", segment, offset, segment, offset, bytes);
        }
    }

    @Override
    public void fence() {
        calls.fence();
    }

    /** The C memset: non-temporal stores, the copy's C4 rule, a fence; per the flags. Heap memory: the default. */
    @Override
    public void memset(MemorySegment dst, long offset, long bytes, byte value, int flags) {
        Ranges.checkWritable(dst, offset, bytes);
        if (!dst.isNative()) {
            Arch.super.memset(dst, offset, bytes, value, flags);
            return;
        }
        check(calls.memset(dst, offset, bytes, value & 0xff, flags), "memset", dst, offset, dst, offset, bytes);
    }

    /** The C memmove, either direction of overlap; per the flags. Heap memory: the default. */
    @Override
    public void memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes, int flags) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!dst.isNative() || !src.isNative()) {
            Arch.super.memmove(dst, dstOffset, src, srcOffset, bytes, flags);
            return;
        }
        check(calls.memmove(dst, dstOffset, src, srcOffset, bytes, flags), "memmove", dst, dstOffset, src, srcOffset,
                bytes);
    }

    @Override
    public boolean processBarrier() {
        return X86Native.membarrier();
    }

    @Override
    public long copyFromIterNocache(MemorySegment dst, long dstOffset, long bytes, IovIter iter) {
        return iter.copyFromIter(dst, dstOffset, bytes, nocache);
    }

    @Override
    public long copyFromIterFlushcache(MemorySegment dst, long dstOffset, long bytes, IovIter iter) {
        return iter.copyFromIter(dst, dstOffset, bytes, flushcache);
    }

    @Override
    public long copyToIterMc(MemorySegment src, long srcOffset, long bytes, IovIter iter) {
        return iter.copyToIter(src, srcOffset, bytes, mc);
    }

    /**
     * The next chunk of a heap copy: at most {@link #CHUNK} bytes, ending (unless it is the last)
     * on a destination cache line, so the chunks store and write back exactly the lines one call
     * would (C4).
     */
    static long chunk(MemorySegment dst, long dstOffset, long left) {
        long misalign = dst.isNative() ? (dst.address() + dstOffset) & (CACHE_LINE - 1) : 0;
        return Math.min(left, CHUNK - misalign);
    }

    private void check(int rc, String op, MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset,
                       long bytes) {
        if (rc != 0) {
            throw fault(rc, calls.faultAddress(), op, dst, dstOffset, src, srcOffset, bytes);
        }
    }

    /** The exception for fault code {@code rc} ({@code jdax_fault.h}) at {@code address}. */
    static MemoryFaultException fault(int rc, long address, String op, MemorySegment dst, long dstOffset,
                                      MemorySegment src, long srcOffset, long bytes) {
        int code = rc & 0xff;
        int lsb = rc >> 8 & 0xff;
        boolean poison = code == X86Native.BUS_MCEERR_AR;
        long granule = poison && lsb > 0 && lsb < 63 ? 1L << lsb : 1;
        String where;
        if (dst.isNative() && address >= dst.address() + dstOffset && address < dst.address() + dstOffset + bytes) {
            where = "destination byte " + (address - dst.address() - dstOffset) + " of " + bytes;
        } else if (src.isNative() && address >= src.address() + srcOffset
                && address < src.address() + srcOffset + bytes) {
            where = "source byte " + (address - src.address() - srcOffset) + " of " + bytes;
        } else {
            where = "address 0x" + Long.toHexString(address);
        }
        return new MemoryFaultException(poison ? MemoryFaultException.Kind.POISON
                : MemoryFaultException.Kind.LOST_BACKING, address, granule, op + " faulted at " + where + ": "
                + (poison ? "the memory is poisoned (machine check)"
                : "the mapped page has no backing (file truncated, or its filesystem is full)"), null);
    }

    /** For tests: what a guarded routine reports for a SIGBUS with {@code code} at segment + offset. */
    MemoryFaultException simulateFault(MemorySegment segment, long offset, int code, int lsb) {
        Ranges.check(segment, offset, 1);
        int rc = calls.simulateFault(segment, offset, code, lsb);
        return rc == 0 ? null : fault(rc, calls.faultAddress(), "simulated access", segment, offset, segment,
                offset, 1);
    }

    private static String faultHandlerNote() {
        return switch (X86Native.faultHandler()) {
            case -1 -> "NO SIGBUS handler: a fault in a copy ends the JVM (sigaction failed)";
            case 0 -> "SIGBUS in jdax's routines becomes MemoryFaultException; others take the default action";
            case 2 -> "SIGBUS in jdax's routines becomes MemoryFaultException; others were ignored before";
            case 3 -> "SIGBUS in jdax's routines becomes MemoryFaultException; libjsig keeps the JVM's handler first, "
                    + "which passes jdax the SIGBUS it does not handle itself";
            default -> "SIGBUS in jdax's routines becomes MemoryFaultException; others go to the JVM's handler";
        };
    }

    /**
     * The same copy as {@link #copyFlushcache} for native segments, reporting the address of every
     * cache line it wrote back: how the tests prove C4 on the real instructions.
     *
     * @return the addresses of the lines written back, in order
     */
    long[] copyFlushcacheTraced(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!src.isNative() || !dst.isNative()) {
            throw new IllegalArgumentException("traced copies take native segments");
        }
        long[] lines = new long[(int) Math.min(bytes / CACHE_LINE + 2, 1 << 20)];
        int n = X86Native.copyFlushcacheTraced(dst.address() + dstOffset, src.address() + srcOffset, bytes, lines);
        return java.util.Arrays.copyOf(lines, n);
    }

    /**
     * Applies a configuration to the (process-wide) native library.
     *
     * @return 0, or the negative errno the library returned (EINVAL, ENOTSUP) with nothing changed
     */
    static int configure(FlushKind flush, CopyKind copy, long threshold, int headAlign) {
        return X86Native.configure(flush == null ? X86Native.AUTO : flush.code, copy == null ? X86Native.AUTO : copy.code,
                threshold, headAlign);
    }

    /** The CPU feature bits the library detected. */
    static long cpuFeatures() {
        return X86Native.cpuFeatures();
    }

    /** Whether this CPU can run that copy loop. */
    static boolean supports(CopyKind kind) {
        long f = cpuFeatures();
        return switch (kind) {
            case MOVNTI, SSE2 -> (f & X86Native.F_SSE2) != 0;
            case AVX2 -> (f & X86Native.F_AVX2) != 0;
            case AVX512 -> (f & X86Native.F_AVX512F) != 0;
        };
    }

    /** Whether this CPU has that write-back instruction. */
    static boolean supports(FlushKind kind) {
        long f = cpuFeatures();
        return switch (kind) {
            case CLFLUSH -> (f & X86Native.F_CLFLUSH) != 0;
            case CLFLUSHOPT -> (f & X86Native.F_CLFLUSHOPT) != 0;
            case CLWB -> (f & X86Native.F_CLWB) != 0;
        };
    }
}
