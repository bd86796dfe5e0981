package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * libpmem (PMDK), called through FFM: the anchor jdax's durable copy is measured against. Present
 * only where the library is installed (Debian: {@code apt-get install libpmem1}, which provides
 * {@value #DEFAULT_LIBRARY}).
 * <p>
 * {@code pmem_memcpy_persist(d, s, n)} is {@code pmem_memcpy_nodrain(d, s, n)} followed by
 * {@code pmem_drain()} (an sfence): libpmem's own code, so an iterator of several runs is copied
 * with one {@link #memcpyNodrain} per run and one {@link #drain} at the end, the libpmem way of
 * making a scattered write durable. {@link #memsetPersist} and {@link #memmovePersist} are the
 * anchors of the durable memset and memmove.
 * <p>
 * The calling module needs native access ({@code --enable-native-access=io.jdax.bench}, or
 * {@code ALL-UNNAMED} on the class path).
 */
public final class LibPmem {

    /** The library name looked up by default: Debian's {@code libpmem1} package. */
    public static final String DEFAULT_LIBRARY = "libpmem.so.1";

    private final String library;
    private final MethodHandle memcpyPersist;
    private final MethodHandle memcpyNodrain;
    private final MethodHandle drain;
    private final MethodHandle memsetPersist;
    private final MethodHandle memmovePersist;

    private LibPmem(String library, MethodHandle memcpyPersist, MethodHandle memcpyNodrain, MethodHandle drain,
                    MethodHandle memsetPersist, MethodHandle memmovePersist) {
        this.library = library;
        this.memcpyPersist = memcpyPersist;
        this.memcpyNodrain = memcpyNodrain;
        this.drain = drain;
        this.memsetPersist = memsetPersist;
        this.memmovePersist = memmovePersist;
    }

    /** Loads {@value #DEFAULT_LIBRARY}. */
    public static LibPmem load() {
        return load(DEFAULT_LIBRARY);
    }

    /**
     * Loads libpmem by name or path.
     *
     * @throws DaxException ENOENT naming the library and how to install it when it cannot be
     *                      loaded; ENOSYS when a function is missing from it
     */
    public static LibPmem load(String library) {
        Objects.requireNonNull(library, "library");
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new DaxException(Errno.ENOENT, library + " is not installed (Debian: apt-get install libpmem1)", e);
        } catch (IllegalCallerException e) {
            throw new DaxException(Errno.EACCES, "native access to load " + library + " is denied: run with "
                    + "--enable-native-access=io.jdax.bench (module path) or ALL-UNNAMED (class path)", e);
        }
        Linker linker = Linker.nativeLinker();
        try {
            FunctionDescriptor copy = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
            // critical: no thread-state transition (these calls only copy and flush); the heap
            // variant lets a KVEC iterator's arrays be passed without a staging copy.
            MethodHandle persist = linker.downcallHandle(lib.find("pmem_memcpy_persist").orElseThrow(), copy,
                    Linker.Option.critical(false));
            MethodHandle nodrain = linker.downcallHandle(lib.find("pmem_memcpy_nodrain").orElseThrow(), copy,
                    Linker.Option.critical(true));
            MethodHandle drain = linker.downcallHandle(lib.find("pmem_drain").orElseThrow(), FunctionDescriptor.ofVoid(),
                    Linker.Option.critical(false));
            MethodHandle memset = linker.downcallHandle(lib.find("pmem_memset_persist").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG), Linker.Option.critical(false));
            MethodHandle memmove = linker.downcallHandle(lib.find("pmem_memmove_persist").orElseThrow(), copy,
                    Linker.Option.critical(false));
            return new LibPmem(library, persist, nodrain, drain, memset, memmove);
        } catch (NoSuchElementException e) {
            throw new DaxException(Errno.EOPNOTSUPP, library + " lacks one of pmem_memcpy_persist, pmem_memcpy_nodrain,"
                    + " pmem_drain, pmem_memset_persist, pmem_memmove_persist", e);
        }
    }

    /** The library, or empty when it cannot be loaded (see {@link #load(String)} for why). */
    public static Optional<LibPmem> tryLoad(String library) {
        try {
            return Optional.of(load(library));
        } catch (DaxException e) {
            return Optional.empty();
        }
    }

    /** The name or path it was loaded by. */
    public String library() {
        return library;
    }

    /**
     * {@code pmem_memcpy_persist(dst, src, n)}: non-temporal or flushed copy, then a drain (sfence).
     * Both segments must be native and at least {@code n} bytes long.
     */
    public void memcpyPersist(MemorySegment dst, MemorySegment src, long n) {
        checkSizes(dst, src, n);
        try {
            MemorySegment unused = (MemorySegment) memcpyPersist.invokeExact(dst, src, n);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memcpy_persist failed", t);
        }
    }

    /**
     * {@code pmem_memcpy_nodrain(dst, src, n)}: the copy of {@link #memcpyPersist} without its drain.
     * {@code dst} must be native; {@code src} may be a heap segment.
     */
    public void memcpyNodrain(MemorySegment dst, MemorySegment src, long n) {
        checkSizes(dst, src, n);
        if (!dst.isNative()) {
            throw new DaxException(Errno.EINVAL, "pmem_memcpy_nodrain needs a native destination, not " + dst);
        }
        try {
            MemorySegment unused = (MemorySegment) memcpyNodrain.invokeExact(dst, src, n);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memcpy_nodrain failed", t);
        }
    }

    /**
     * {@code pmem_memset_persist(dst, value, n)}: sets {@code n} bytes of native {@code dst} and
     * makes them durable.
     */
    public void memsetPersist(MemorySegment dst, byte value, long n) {
        checkSizes(dst, dst, n);
        if (!dst.isNative()) {
            throw new DaxException(Errno.EINVAL, "pmem_memset_persist needs a native destination, not " + dst);
        }
        try {
            MemorySegment unused = (MemorySegment) memsetPersist.invokeExact(dst, (int) value & 0xff, n);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memset_persist failed", t);
        }
    }

    /**
     * {@code pmem_memmove_persist(dst, src, n)}: copies {@code n} bytes between native segments,
     * right when they overlap, and makes the destination durable.
     */
    public void memmovePersist(MemorySegment dst, MemorySegment src, long n) {
        checkSizes(dst, src, n);
        if (!dst.isNative() || !src.isNative()) {
            throw new DaxException(Errno.EINVAL, "pmem_memmove_persist needs native segments");
        }
        try {
            MemorySegment unused = (MemorySegment) memmovePersist.invokeExact(dst, src, n);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memmove_persist failed", t);
        }
    }

    /** {@code pmem_drain()}: waits for earlier non-temporal stores and flushes (sfence). */
    public void drain() {
        try {
            drain.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_drain failed", t);
        }
    }

    /** The kernel's bounds rule for native calls (C8): Java checks before C is handed an address. */
    private static void checkSizes(MemorySegment dst, MemorySegment src, long n) {
        if (n < 0 || dst.byteSize() < n || src.byteSize() < n) {
            throw new DaxException(Errno.ERANGE, "a copy of " + n + " bytes from a " + src.byteSize()
                    + "-byte segment to a " + dst.byteSize() + "-byte one");
        }
        if (dst.isReadOnly()) {
            throw new DaxException(Errno.EFAULT, "a copy into a read-only segment");
        }
    }

    @Override
    public String toString() {
        return "libpmem (" + library + ")";
    }
}
