package io.jdax.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The write paths {@code jdax bench} compares. Every device-level method runs the same loop (the
 * device's read lock, {@code directAccess} chunks, a copy per chunk) and then its own commit; they
 * differ only in the copy and the commit, so the ratios between them are the cost of the copy
 * strategy. One operation writes one iterator's bytes at one position and commits.
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
     * The non-temporal copy and a fence, nothing written back: the store ceiling, no durability
     * promise (a heap source is copied with cached stores and stays in the cache).
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
    FSDAX_FSYNC("fsdax-write+fsync", "fs-dax file write (memfs over the pmem device) + fsync");

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
        return this != FSDAX_FSYNC;
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
