package io.jdax.dax;

/**
 * How a device makes stores durable (contract C7). The mode decides what
 * {@link DaxOperations#flush()} must do, and what survives which failure.
 */
public enum PersistenceMode {
    /**
     * Stores are durable once written back from the CPU cache and fenced: device DAX, or a file
     * mapped with {@code MAP_SYNC} on a DAX filesystem. No system call on the durability path.
     */
    CPU_CACHE,
    /**
     * The memory is a page-cache mapping of a file: {@code flush()} also forces the dirty part of
     * the mapping to the file (msync), so data survives an operating-system crash.
     */
    PAGE_CACHE,
    /** Nothing survives a power failure or a restart (RAM devices such as brd). */
    VOLATILE
}
