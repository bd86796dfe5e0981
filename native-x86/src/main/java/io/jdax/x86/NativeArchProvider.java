package io.jdax.x86;

import io.jdax.arch.Arch;
import io.jdax.arch.ArchProvider;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.Locale;

/**
 * Finds the x86 {@link Arch} through the ServiceLoader, priority 100: chosen over the portable one
 * whenever the library loads and the CPU has SSE2. A forced instruction or loop the CPU cannot run
 * ({@value NativeArch#COPY_PROPERTY}=avx512 on an AVX2 machine) makes the load fail with that
 * reason rather than silently run something else.
 */
public final class NativeArchProvider implements ArchProvider {

    private static NativeArch loaded;

    /** Called by the ServiceLoader. */
    public NativeArchProvider() {
    }

    @Override
    public String name() {
        return NativeArch.NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean cacheInstructions() {
        return true;
    }

    @Override
    public synchronized Arch load() {
        return instance();
    }

    /** The process-wide native Arch (the library's configuration is process-wide too). */
    static synchronized NativeArch instance() {
        if (loaded == null) {
            String origin = JniLibrary.load();
            if ((X86Native.cpuFeatures() & X86Native.F_SSE2) == 0) {
                throw new DaxException(Errno.EOPNOTSUPP, "this CPU has no SSE2");
            }
            FlushKind flush = parse(FlushKind.class, NativeArch.FLUSH_PROPERTY);
            CopyKind copy = parse(CopyKind.class, NativeArch.COPY_PROPERTY);
            long threshold = parseLong(NativeArch.THRESHOLD_PROPERTY, -1);
            int headAlign = (int) parseLong(NativeArch.HEAD_ALIGN_PROPERTY, 0);
            int rc = NativeArch.configure(flush, copy, threshold, headAlign);
            if (rc != X86Native.OK) {
                throw new DaxException(Errno.EOPNOTSUPP, describe(rc, flush, copy, threshold, headAlign));
            }
            NativeArch.HeapCopy heap = parse(NativeArch.HeapCopy.class, NativeArch.HEAP_COPY_PROPERTY);
            Call call = parse(Call.class, NativeArch.CALL_PROPERTY);
            NativeCalls calls = call == Call.JNI ? new JniCalls() : new FfmCalls();
            loaded = new NativeArch(origin, heap == null ? NativeArch.HeapCopy.PINNED : heap, calls);
        }
        return loaded;
    }

    /** The values of {@value NativeArch#CALL_PROPERTY}. */
    private enum Call {
        FFM, JNI
    }

    private static String describe(int rc, FlushKind flush, CopyKind copy, long threshold, int headAlign) {
        if (rc == X86Native.ENOTSUP) {
            return "this CPU cannot run the forced " + (flush != null && !NativeArch.supports(flush)
                    ? NativeArch.FLUSH_PROPERTY + "=" + flush.instruction()
                    : NativeArch.COPY_PROPERTY + "=" + (copy == null ? "?" : copy.id()))
                    + " (it has: " + NativeArch.cpuFeatureNames(X86Native.cpuFeatures()) + ")";
        }
        return "invalid configuration: " + NativeArch.THRESHOLD_PROPERTY + "=" + threshold + " (0.."
                + (1 << 20) + "), " + NativeArch.HEAD_ALIGN_PROPERTY + "=" + headAlign + " (1 = adaptive, 8, 16, 32 or 64)";
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Enum.valueOf(type, v.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder known = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                known.append(known.isEmpty() ? "" : ", ").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new DaxException(Errno.EINVAL, "-D" + property + "=" + v + " is not one of: " + known);
        }
    }

    private static long parseLong(String property, long dflt) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new DaxException(Errno.EINVAL, "-D" + property + "=" + v + " is not a number");
        }
    }
}
