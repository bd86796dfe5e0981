package io.jdax.dax;

/**
 * What a caller of {@link DaxOperations#directAccess} intends to do with the memory it gets
 * (the kernel's {@code enum dax_access_mode}, plus a read-only mode).
 */
public enum DaxAccessMode {
    /**
     * Loads only. The driver may return a read-only segment, and may back memory that was never
     * written with a shared zero page instead of allocating it (brd does).
     */
    READ,
    /** Loads and stores (the kernel's {@code DAX_ACCESS}). A range holding a bad block fails with EIO. */
    WRITE,
    /**
     * A write meant to repair poisoned memory (the kernel's {@code DAX_RECOVERY_WRITE}): a range
     * holding bad blocks is not an error; the driver returns the pages before the first bad
     * sector, or at least one page.
     */
    RECOVERY_WRITE
}
