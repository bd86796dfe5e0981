package io.jdax.x86;

import io.jdax.arch.Arch;
import io.jdax.arch.Ranges;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The x86 {@link Arch}: the kernel's {@code memcpy_flushcache} and friends, in C, reached through
 * JNI. One native call per contiguous run. Every range is checked against a live segment in Java
 * before its address reaches the C code (C8).
 * <p>
 * Segments on the Java heap cannot be handed to C by address: a heap destination gets a plain
 * copy (heap memory is never device memory), a heap source a copy chosen by
 * {@value #HEAP_COPY_PROPERTY}.
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
     * is pinned and copied non-temporally by C, 1.4x to 2x faster here, NATIVE-NOTES.md) or
     * {@code cached} (a Java copy, then one write-back call).
     */
    public static final String HEAP_COPY_PROPERTY = "jdax.x86.heapCopy";

    /** How heap sources are copied by {@link #copyFlushcache}. */
    public enum HeapCopy {
        /** Pin the array and copy non-temporally in C: write-back only for the edges. */
        PINNED,
        /** Copy with cached stores in Java, then write back every line in one native call. */
        CACHED
    }

    private final String origin;
    private final HeapCopy heapCopy;

    NativeArch(String origin, HeapCopy heapCopy) {
        this.origin = origin;
        this.heapCopy = heapCopy;
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

    @Override
    public Map<String, String> features() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("copy", copyKind().id() + " non-temporal stores (" + COPY_PROPERTY + ")");
        f.put("flush", flushKind().instruction() + " (" + FLUSH_PROPERTY + ")");
        f.put("fence", "sfence");
        f.put("flushcache.threshold", threshold() + " bytes (" + THRESHOLD_PROPERTY + ")");
        f.put("flushcache.headAlign", (headAlign() == 1 ? "adaptive" : headAlign() + " bytes") + " (" + HEAD_ALIGN_PROPERTY + ")");
        f.put("heap sources", heapCopy.name().toLowerCase(Locale.ROOT) + " (" + HEAP_COPY_PROPERTY + ")");
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
        if (src.isNative() && dst.isNative()) {
            X86Native.copyNocache(dst.address() + dstOffset, src.address() + srcOffset, bytes);
        } else {
            // copy_from_iter_nocache copies kernel memory with plain stores too: no promise either way.
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
        }
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!dst.isNative()) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes); // heap is never device memory
        } else if (src.isNative()) {
            X86Native.copyFlushcache(dst.address() + dstOffset, src.address() + srcOffset, bytes);
        } else if (heapCopy == HeapCopy.PINNED && bytes <= Integer.MAX_VALUE
                && src.heapBase().orElse(null) instanceof byte[] array) {
            X86Native.copyFlushcacheArray(dst.address() + dstOffset, array,
                    Math.toIntExact(src.address() + srcOffset), (int) bytes);
        } else {
            // Cached stores, then every line they touched is written back (C4's other half).
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
            if (bytes > 0) {
                X86Native.writeback(dst.address() + dstOffset, bytes);
            }
        }
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        Ranges.check(segment, offset, bytes);
        if (segment.isNative() && bytes > 0) {
            X86Native.writeback(segment.address() + offset, bytes);
        }
    }

    @Override
    public void fence() {
        X86Native.fence();
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
