package io.jdax.fsdax;

/**
 * Why the engine asks {@link IomapOps#begin} for a mapping (the kernel's {@code IOMAP_*} iter
 * flags). No flag means a read.
 */
public enum IomapFlag {
    /**
     * A write ({@code IOMAP_WRITE}): the filesystem must answer {@link Iomap.Mapped}, allocating
     * holes and converting unwritten extents, and flag what it allocated {@link Iomap.Mapped#isNew()
     * new}.
     */
    WRITE,
    /** Zeroing a range ({@code IOMAP_ZERO}): holes and unwritten extents already read as zeros; allocate nothing. */
    ZERO,
    /**
     * A direct mapping of the range ({@code IOMAP_FAULT}; the kernel maps on page fault, jdax maps
     * a whole range at once). The engine maps only what is already {@link Iomap.Mapped mapped}:
     * allocate nothing.
     */
    FAULT
}
