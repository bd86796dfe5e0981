package io.jdax.dax;

import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A device's operations table, the kernel's {@code struct dax_operations} (contract C2). Only
 * {@link #directAccess} and {@link #flush} are required. The copy operations are optional, as
 * function pointers are in the kernel: where a device leaves one out, the framework uses the
 * plain fallback, chosen once per I/O.
 * <p>
 * Every operation may be called from many threads at once, on the same or different pages.
 * After the device is closed every operation fails with {@link Errno#ENXIO}; none may crash.
 */
public interface DaxOperations {

    /**
     * Translates a page offset to device memory ({@code dax_direct_access}).
     *
     * @param pgoff   the first page wanted, {@code 0 <= pgoff < nrPages of the device}
     * @param nrPages how many pages the caller would like, at least one
     * @param mode    what the caller will do with the memory
     * @return the memory at {@code pgoff} and how many contiguous pages it covers: at least one,
     *         never more than asked; callers loop for the rest
     * @throws DaxException EINVAL for {@code pgoff < 0} or {@code nrPages < 1}; ERANGE for a page
     *                      past the end; EIO for a range holding a bad block unless {@code mode}
     *                      is {@link DaxAccessMode#RECOVERY_WRITE}; ENXIO after close
     */
    DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode);

    /**
     * The device's own write path ({@code dax_copy_from_iter}), e.g. pmem's durable copy. When
     * empty, fs-dax writes with {@link io.jdax.arch.Arch#copyFromIterNocache}.
     */
    default Optional<CopyFromIter> copyFromIter() {
        return Optional.empty();
    }

    /**
     * The device's own read path ({@code dax_copy_to_iter}), e.g. one that refuses poisoned
     * memory. When empty, fs-dax reads with {@link IovIter#copyToIter(MemorySegment, long)}.
     */
    default Optional<CopyToIter> copyToIter() {
        return Optional.empty();
    }

    /**
     * Zeroes whole pages durably ({@code dax_zero_page_range}). When empty, the framework stores
     * zeros through {@link #directAccess} and the device's copy path.
     */
    default Optional<ZeroPageRange> zeroPageRange() {
        return Optional.empty();
    }

    /**
     * A write that repairs poisoned memory ({@code dax_recovery_write}), used on memory obtained
     * with {@link DaxAccessMode#RECOVERY_WRITE}. Empty for devices without bad-block support.
     */
    default Optional<CopyFromIter> recoveryWrite() {
        return Optional.empty();
    }

    /**
     * The durability point ({@code dax_flush} / {@code nvdimm_flush}): when it returns, every
     * byte written before it through this device's copy operations survives power loss, for
     * devices that persist at all ({@link PersistenceMode}).
     *
     * @throws DaxException EIO if the device could not make the data durable; ENXIO after close
     */
    void flush();

    /** Copies from an iterator into device memory. */
    @FunctionalInterface
    interface CopyFromIter {
        /**
         * Copies up to {@code bytes} from {@code iter} to {@code addr} (memory from
         * {@link #directAccess}), advancing the iterator.
         *
         * @return the bytes copied, {@code min(bytes, iter.count())}; fewer only on a fault
         */
        long copyFromIter(MemorySegment addr, long bytes, IovIter iter);
    }

    /** Copies from device memory into an iterator. */
    @FunctionalInterface
    interface CopyToIter {
        /**
         * Copies up to {@code bytes} from {@code addr} (memory from {@link #directAccess}) into
         * {@code iter}, advancing the iterator.
         *
         * @return the bytes copied
         */
        long copyToIter(MemorySegment addr, long bytes, IovIter iter);
    }

    /** Zeroes whole pages. */
    @FunctionalInterface
    interface ZeroPageRange {
        /** Zeroes {@code nrPages} pages from {@code pgoff}, durably for a persistent device. */
        void zeroPageRange(long pgoff, long nrPages);
    }
}
