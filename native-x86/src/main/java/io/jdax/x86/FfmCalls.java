package io.jdax.x86;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C routines through FFM downcalls. The JDK keeps every segment argument's memory alive for
 * the call (a shared arena cannot close under it: its {@code close()} fails instead), and a
 * critical downcall skips the thread-state transition, so no locked instruction drains the
 * non-temporal stores on the way back. Critical calls also take heap segments (the GC waits for
 * the call, which is why heap copies come in chunks) and must be short: a native copy longer
 * than {@link NativeArch#CHUNK} goes through an ordinary downcall, during which the GC runs.
 */
final class FfmCalls implements NativeCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBRARY = SymbolLookup.loaderLookup();
    private static final FunctionDescriptor COPY = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor RANGE = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);

    private static final MethodHandle COPY_NOCACHE = critical("jdax_g_copy_nocache", COPY);
    private static final MethodHandle COPY_NOCACHE_LONG = ordinary("jdax_g_copy_nocache", COPY);
    private static final MethodHandle COPY_FLUSHCACHE = critical("jdax_g_copy_flushcache", COPY);
    private static final MethodHandle COPY_FLUSHCACHE_LONG = ordinary("jdax_g_copy_flushcache", COPY);
    private static final MethodHandle COPY_MC = critical("jdax_g_copy_mc", COPY);
    private static final MethodHandle COPY_MC_LONG = ordinary("jdax_g_copy_mc", COPY);
    private static final MethodHandle WRITEBACK = critical("jdax_g_writeback", RANGE);
    private static final MethodHandle WRITEBACK_LONG = ordinary("jdax_g_writeback", RANGE);
    private static final FunctionDescriptor SET = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG,
            JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor MOVE = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MEMSET = critical("jdax_g_memset", SET);
    private static final MethodHandle MEMSET_LONG = ordinary("jdax_g_memset", SET);
    private static final MethodHandle MEMMOVE = critical("jdax_g_memmove", MOVE);
    private static final MethodHandle MEMMOVE_LONG = ordinary("jdax_g_memmove", MOVE);
    private static final MethodHandle FENCE = critical("jdax_fence", FunctionDescriptor.ofVoid());
    private static final MethodHandle FAULT_ADDR = critical("jdax_g_fault_addr", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle FAULT_SIMULATE = ordinary("jdax_g_fault_simulate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));

    private static MethodHandle critical(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(symbol(name), d, Linker.Option.critical(true));
    }

    private static MethodHandle ordinary(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(symbol(name), d);
    }

    private static MemorySegment symbol(String name) {
        return LIBRARY.find(name).orElseThrow(() -> new DaxException(Errno.EOPNOTSUPP,
                "libjdax_x86.so has no " + name + " (an older library? -D" + JniLibrary.LIBRARY_PROPERTY + ")"));
    }

    @Override
    public String id() {
        return "ffm";
    }

    @Override
    public String describe() {
        return "FFM downcalls (critical up to " + NativeArch.CHUNK / 1024 + " KiB; memory kept alive by the JDK)";
    }

    @Override
    public int copyNocache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) COPY_NOCACHE.invokeExact(dst, dstOffset, src, srcOffset, bytes)
                    : (int) COPY_NOCACHE_LONG.invokeExact(dst, dstOffset, src, srcOffset, bytes);
        } catch (Throwable t) {
            throw refused(t, dst, src);
        }
    }

    @Override
    public int copyFlushcache(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) COPY_FLUSHCACHE.invokeExact(dst, dstOffset, src, srcOffset, bytes)
                    : (int) COPY_FLUSHCACHE_LONG.invokeExact(dst, dstOffset, src, srcOffset, bytes);
        } catch (Throwable t) {
            throw refused(t, dst, src);
        }
    }

    @Override
    public int copyMc(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) COPY_MC.invokeExact(dst, dstOffset, src, srcOffset, bytes)
                    : (int) COPY_MC_LONG.invokeExact(dst, dstOffset, src, srcOffset, bytes);
        } catch (Throwable t) {
            throw refused(t, dst, src);
        }
    }

    @Override
    public int writeback(MemorySegment segment, long offset, long bytes) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) WRITEBACK.invokeExact(segment, offset, bytes)
                    : (int) WRITEBACK_LONG.invokeExact(segment, offset, bytes);
        } catch (Throwable t) {
            throw refused(t, segment, segment);
        }
    }

    @Override
    public int memset(MemorySegment dst, long offset, long bytes, int value, int flags) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) MEMSET.invokeExact(dst, offset, bytes, value, flags)
                    : (int) MEMSET_LONG.invokeExact(dst, offset, bytes, value, flags);
        } catch (Throwable t) {
            throw refused(t, dst, dst);
        }
    }

    @Override
    public int memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes, int flags) {
        try {
            return bytes <= NativeArch.CHUNK
                    ? (int) MEMMOVE.invokeExact(dst, dstOffset, src, srcOffset, bytes, flags)
                    : (int) MEMMOVE_LONG.invokeExact(dst, dstOffset, src, srcOffset, bytes, flags);
        } catch (Throwable t) {
            throw refused(t, dst, src);
        }
    }

    @Override
    public void fence() {
        try {
            FENCE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("sfence failed", t);
        }
    }

    @Override
    public long faultAddress() {
        try {
            return (long) FAULT_ADDR.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Override
    public int simulateFault(MemorySegment segment, long offset, int code, int lsb) {
        try {
            return (int) FAULT_SIMULATE.invokeExact(segment, offset, code, lsb);
        } catch (Throwable t) {
            throw refused(t, segment, segment);
        }
    }

    /**
     * The JDK refused to hand a segment over: its arena was closed after the range checks (the
     * race a raw address would lose), or it is confined to another thread.
     */
    private static RuntimeException refused(Throwable t, MemorySegment a, MemorySegment b) {
        if (t instanceof IllegalStateException || t instanceof WrongThreadException) {
            return new DaxException(Errno.EFAULT, "segment " + (a.scope().isAlive() ? b : a)
                    + " cannot be used here: " + t.getMessage(), t);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
