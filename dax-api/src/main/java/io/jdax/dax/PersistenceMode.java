package io.jdax.dax;

/**
 * How a device makes stores durable (contract C7). The mode decides what
 * {@link DaxOperations#flush()} must do, and what survives which failure. A driver decides it per
 * device from what the platform reports (C12), never from the CPU model.
 */
public enum PersistenceMode {
    /**
     * Stores are durable once written back from the CPU cache and fenced: device DAX, or a file
     * mapped with {@code MAP_SYNC} on a DAX filesystem, where the persistence domain ends at the
     * memory controller (ADR: the region's {@code persistence_domain} is
     * {@code memory_controller}, or says nothing). No system call on the durability path.
     */
    CPU_CACHE,
    /**
     * The CPU caches are inside the persistence domain (eADR: the region's
     * {@code persistence_domain} is {@code cpu_cache}, the kernel's {@code ND_REGION_PERSIST_CACHE}):
     * a store is durable once it is fenced. No write-back (it would be wasted work), the fence
     * kept, no system call. The mapping is the same as for {@link #CPU_CACHE}.
     */
    PERSISTENT_CACHE,
    /**
     * The memory is a page-cache mapping of a file: {@code flush()} also forces the dirty part of
     * the mapping to the file (msync), so data survives an operating-system crash.
     */
    PAGE_CACHE,
    /**
     * Nothing survives a power failure or a restart: RAM devices such as brd, and device DAX
     * over memory that is not persistent (soft-reserved or hmem memory, CXL RAM).
     */
    VOLATILE;

    /**
     * Whether a store becomes durable only after its cache line is written back
     * ({@link #CPU_CACHE}): the mode in which the write-back rule C4 applies.
     */
    public boolean needsWriteback() {
        return this == CPU_CACHE;
    }

    /**
     * Whether stores into the device memory are made durable by CPU instructions alone, with no
     * system call ({@link #CPU_CACHE}: write-back and fence; {@link #PERSISTENT_CACHE}: a fence).
     */
    public boolean persistsByCpu() {
        return this == CPU_CACHE || this == PERSISTENT_CACHE;
    }
}
