package io.jdax.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The paths {@code jdax bench} compares. Writes: one operation writes one iterator's bytes at one
 * position and commits; jdax's rows go through the device core ({@code copyFromIter}), the anchors
 * copy straight into the region's memory, so the ratios between them are the cost of the copy
 * strategy plus the device core's per-call work. Reads: one operation reads one position into one
 * iterator. Memset and memmove: one durable operation on a mapped range, no iterator.
 */
public enum BenchMethod {
    /**
     * The product: the device's {@code copyFromIter} (pmem: {@code copyFromIterFlushcache}, C4) and
     * {@code flush()}. In PAGE_CACHE mode flush also msyncs the pages written.
     */
    DURABLE("jdax-durable", "jdax durable copy: device copyFromIter + flush()"),
    /**
     * The same copy, committed with a fence only: what {@code flush()} does on a CPU_CACHE device
     * (MAP_SYNC or device DAX). Measured only where the device is in PAGE_CACHE mode, where it
     * differs from {@link #DURABLE}; on that device it does not make data durable.
     */
    DURABLE_FENCE("jdax-copy+fence", "device copyFromIter + sfence: flush() of CPU_CACHE mode, without the msync"),
    /**
     * The seed review's regression: the non-temporal copy, then a write-back of every line of the
     * range, then a fence.
     */
    SEED_REGRESSION("seed-regression", "seed's variant: nocache copy + clwb of every line + sfence"),
    /** Plain cached stores, a write-back of every line, a fence: durable, the slow way. */
    CACHED_WRITEBACK("cached+writeback", "cached copy + clwb of every line + sfence"),
    /**
     * The non-temporal copy and a fence, nothing written back: the store ceiling of the kind, no
     * durability promise. A heap source is streamed only where the Arch streams heap memory
     * (native-x86 through FFM); elsewhere the KVEC ceiling is not measured
     * ({@link Workbench#unavailable(BenchMethod, io.jdax.uio.IovIter.Kind)}).
     */
    NOCACHE("nocache-ceiling", "nocache copy + sfence: the non-temporal store ceiling, not durable"),
    /** libpmem's {@code pmem_memcpy_nodrain} per run and {@code pmem_drain}, through FFM. */
    LIBPMEM("libpmem", "libpmem pmem_memcpy_nodrain per run + pmem_drain (= pmem_memcpy_persist)"),
    /**
     * brd: no {@code copyFromIter}, so the framework's fallback ({@code Arch.copyFromIterNocache}),
     * one page per {@code directAccess}, then {@code flush()}. Volatile.
     */
    BRD_FALLBACK("brd-fallback", "brd: fallback copyFromIterNocache, one page per directAccess, flush()"),
    /**
     * A file write through fs-dax (the reference filesystem over the pmem device, the iomap engine)
     * into allocated blocks, then {@code fsync}. Measured at 4 KiB and 64 KiB.
     */
    FSDAX_FSYNC("fsdax-write+fsync", "fs-dax file write (memfs over the pmem device) + fsync"),
    /** The device's read: {@code copyToIter} (pmem: the machine-check-safe copy, {@code copyMc}). */
    READ("jdax-read", "device copyToIter (pmem: machine-check-safe copy) into the iterator"),
    /** A file read through fs-dax (the reference filesystem over the pmem device). 4 KiB and 64 KiB only. */
    FSDAX_READ("fsdax-read", "fs-dax file read (memfs over the pmem device)"),
    /** A plain copy from the same mapping into the iterator: the read ceiling, no fault handling. */
    PLAIN_READ("plain-read", "plain copy from the mapping into the iterator: the read ceiling"),
    /** {@code DaxMapping.memset} with no flags (durable): the Arch's memset on a CPU_CACHE device. */
    MEMSET("jdax-memset", "DaxMapping.memset, flags 0: durable (Arch.memset: nt stores, cached edges written back, sfence)"),
    /** libpmem's {@code pmem_memset_persist} on the same mapping, through FFM. */
    LIBPMEM_MEMSET("libpmem-memset", "libpmem pmem_memset_persist on the same mapping"),
    /** {@code DaxMapping.memmove} with no flags (durable), from the other half of the mapping. */
    MEMMOVE("jdax-memmove", "DaxMapping.memmove, flags 0: durable, from the mapping's other half"),
    /** libpmem's {@code pmem_memmove_persist} on the same mapping, through FFM. */
    LIBPMEM_MEMMOVE("libpmem-memmove", "libpmem pmem_memmove_persist on the same mapping");

    /** What one operation of a method does. */
    public enum Op {
        /** Writes an iterator's bytes to the device and commits them. */
        WRITE,
        /** Reads device bytes into an iterator. */
        READ,
        /** Sets a range to one byte value, durably. */
        MEMSET,
        /** Copies a range of the mapping to another, durably. */
        MEMMOVE
    }

    private final String id;
    private final String title;

    BenchMethod(String id, String title) {
        this.id = id;
        this.title = title;
    }

    /** The short name used on the command line and in the CSV and JSON, e.g. {@code jdax-durable}. */
    public String id() {
        return id;
    }

    /** One line saying what an operation does. */
    public String title() {
        return title;
    }

    /** Whether the method writes device memory through the loop every device-level method shares. */
    public boolean isDeviceLevel() {
        return op() == Op.WRITE && this != FSDAX_FSYNC;
    }

    /** What one operation does. */
    public Op op() {
        return switch (this) {
            case READ, FSDAX_READ, PLAIN_READ -> Op.READ;
            case MEMSET, LIBPMEM_MEMSET -> Op.MEMSET;
            case MEMMOVE, LIBPMEM_MEMMOVE -> Op.MEMMOVE;
            default -> Op.WRITE;
        };
    }

    /** Whether an operation takes an iterator (then it is measured per iterator kind). */
    public boolean usesIterator() {
        return op() == Op.WRITE || op() == Op.READ;
    }

    /** Whether the method goes through the fs-dax file (measured at 4 KiB and 64 KiB only). */
    public boolean isFile() {
        return this == FSDAX_FSYNC || this == FSDAX_READ;
    }

    /** Whether the method can run in several threads at once (brd and the one fs-dax file run alone). */
    public boolean scales() {
        return this != BRD_FALLBACK && !isFile();
    }

    /** The libpmem row this one is compared with (the "x libpmem" column), or null: none for reads. */
    public BenchMethod libpmemPeer() {
        return switch (op()) {
            case WRITE -> LIBPMEM;
            case READ -> null;
            case MEMSET -> LIBPMEM_MEMSET;
            case MEMMOVE -> LIBPMEM_MEMMOVE;
        };
    }

    /**
     * The ceiling this row is compared with (the "x ceiling" column): for writes the non-temporal
     * copy + fence, for reads the plain copy; null for memset and memmove, which have none.
     */
    public BenchMethod ceiling() {
        return switch (op()) {
            case WRITE -> NOCACHE;
            case READ -> PLAIN_READ;
            default -> null;
        };
    }

    /**
     * The method with this id (or enum name, any case).
     *
     * @throws IllegalArgumentException naming the known ids
     */
    public static BenchMethod of(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (BenchMethod m : values()) {
            if (m.id.equals(n) || m.name().toLowerCase(Locale.ROOT).equals(n)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + name + "' (known: "
                + Arrays.stream(values()).map(BenchMethod::id).collect(Collectors.joining(", ")) + ")");
    }
}
