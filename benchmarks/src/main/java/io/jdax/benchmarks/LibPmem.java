package io.jdax.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * libpmem's {@code pmem_memcpy_persist}, called through FFM: the anchor jdax's durable copy is
 * measured against. Present only where Debian's {@code libpmem1} (libpmem.so.1) is installed.
 */
public final class LibPmem {
    private final MethodHandle memcpyPersist;

    private LibPmem(MethodHandle memcpyPersist) {
        this.memcpyPersist = memcpyPersist;
    }

    /** The library, or empty with nothing loaded when it is not installed. */
    public static Optional<LibPmem> load() {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libpmem.so.1", Arena.global());
            MemorySegment fn = lib.find("pmem_memcpy_persist").orElseThrow();
            MethodHandle h = Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), Linker.Option.critical(false));
            return Optional.of(new LibPmem(h));
        } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
            return Optional.empty();
        }
    }

    /** {@code pmem_memcpy_persist(dst, src, n)}: non-temporal/flushed copy, then a drain (sfence). */
    public void memcpyPersist(MemorySegment dst, MemorySegment src, long n) {
        try {
            MemorySegment unused = (MemorySegment) memcpyPersist.invokeExact(dst, src, n);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memcpy_persist failed", t);
        }
    }
}
