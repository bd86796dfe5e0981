package io.jdax.dax;

import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * A driver's operations table, the kernel's {@code struct dax_operations} (contracts C2, C11): what
 * a driver implements and hands to the core with its {@link DaxDevice}. Only {@link #directAccess}
 * and {@link #flush} are required; the copy operations are optional, as function pointers are in
 * the kernel, and the core uses its fallbacks where one is left out.
 * <p>
 * <b>What the core guarantees.</b> It calls these only while the device is alive, inside its read
 * side (close waits for every call to return before {@link #release}), with arguments it has
 * checked: pages and byte ranges lie on the device, counts are at least one, and a copy's
 * {@code memory} and {@code offset} are exactly what this driver's {@code directAccess} answered
 * (plus an offset within the pages it reported). A driver checks nothing of that again and holds
 * no lock of its own for it. It may be called by many threads at once. (One call comes from
 * outside the read side: a {@link Claim} still open when the device closes is closed after every
 * caller left, just before {@link #release}.)
 * <p>
 * <b>What a driver must do.</b> Every copy, write-back and fence through the device's
 * {@link io.jdax.arch.Arch} (that is how the power-fail simulator observes it); no native code fed
 * with an address that is not memory it owns; errors as {@link DaxException} with an
 * {@link Errno} that says what happened.
 */
public interface DaxOperations {

    /**
     * The driver's {@code direct_access}: finds device memory for the pages from {@code pgoff}.
     *
     * @param pgoff   the first page, on the device
     * @param nrPages the pages wanted, {@code 1 <= nrPages <=} the pages left on the device
     * @param mode    what the caller will do with the memory
     * @param kaddr   set to the memory of page {@code pgoff} ({@link Kaddr#set})
     * @return how many contiguous pages follow from there: at least one, at most {@code nrPages}
     * @throws DaxException EIO for a range holding a bad block unless {@code mode} is
     *                      {@link DaxAccessMode#RECOVERY_WRITE} (then: the pages before the first
     *                      bad sector, at least one)
     */
    long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr);

    /**
     * The device's own write path ({@code dax_copy_from_iter}), e.g. pmem's durable copy. When
     * empty, the core copies with {@link io.jdax.arch.Arch#copyFromIterFlushcache} for a
     * {@link PersistenceMode#CPU_CACHE} device, {@link io.jdax.arch.Arch#copyFromIterEadr} for a
     * {@link PersistenceMode#PERSISTENT_CACHE} one (no write-back: its {@link #flush} fences), and
     * {@link io.jdax.arch.Arch#copyFromIterNocache} otherwise (DESIGN.md C11).
     */
    default Optional<CopyFromIter> copyFromIter() {
        return Optional.empty();
    }

    /**
     * The device's own read path ({@code dax_copy_to_iter}), e.g. one that refuses poisoned memory.
     * When empty, the core reads with {@link io.jdax.arch.Arch#copyToIterMc}.
     */
    default Optional<CopyToIter> copyToIter() {
        return Optional.empty();
    }

    /**
     * Zeroes whole pages durably ({@code dax_zero_page_range}). When empty, the core stores zeros
     * through {@link #directAccess} and the write path.
     */
    default Optional<ZeroPageRange> zeroPageRange() {
        return Optional.empty();
    }

    /**
     * A write that repairs poisoned memory ({@code dax_recovery_write}), on memory answered for
     * {@link DaxAccessMode#RECOVERY_WRITE}. Empty for devices without bad-block support.
     */
    default Optional<CopyFromIter> recoveryWrite() {
        return Optional.empty();
    }

    /**
     * Makes stores made through {@code directAccess} memory in a byte range durable
     * ({@code dax_flush}: {@code pmem_persist}/{@code msync}). When empty, the core writes the
     * range back and fences for a {@link PersistenceMode#CPU_CACHE} device, only fences for a
     * {@link PersistenceMode#PERSISTENT_CACHE} one, asks for the range's pages in WRITE mode and
     * calls {@link #flush} for a {@link PersistenceMode#PAGE_CACHE} one, and does nothing for a
     * volatile one.
     */
    default Optional<FlushRange> flushRange() {
        return Optional.empty();
    }

    /**
     * The durability point ({@code nvdimm_flush}): when it returns, every byte the calling thread
     * wrote before it through the device's copy operations survives power loss, for devices that
     * persist at all (a fence orders only its own thread's write-backs and non-temporal stores;
     * the core makes the other threads' writes complete, so a driver's flush fences for the
     * calling thread only: C11).
     *
     * @throws DaxException EIO if the data could not be made durable
     */
    void flush();

    /**
     * A flush past every buffer the platform can drain on request, on top of {@link #flush}
     * (libpmem2's {@code pmem2_deep_flush}): for an nvdimm region, writing its {@code deep_flush}
     * attribute drains the memory controllers' write-pending queues. Expensive (a system call and
     * the platform's flush), and needed only where the persistence domain does not already cover
     * those queues at a power failure. Empty when the device offers nothing beyond {@link #flush}.
     */
    default Optional<DeepFlush> deepFlush() {
        return Optional.empty();
    }

    /**
     * The unsafe shutdown count of the memory under the device, read now (see
     * {@link UnsafeShutdownCount}). The default: {@link UnsafeShutdownCount.Unsupported}.
     */
    default UnsafeShutdownCount unsafeShutdownCount() {
        return new UnsafeShutdownCount.Unsupported("the driver reports none");
    }

    /**
     * What memory the device is, for those that must not use it twice at once (a filesystem
     * mounts it once, the kernel's one super block per block device): two opens of the same
     * memory, through any name, report equal strings; other memory, a different one. Asked for
     * once, when the device is made; best read from what the driver opened, not from a name
     * looked up again, which a rename could change meanwhile. The pmem driver's: {@code inode MAJOR:MINOR INO} for a file
     * ({@code st_dev}, {@code st_ino}), {@code chr MAJOR:MINOR} for a character device such as
     * device DAX ({@code st_rdev}). Empty by default: memory that only this open reaches (brd),
     * which is then told apart by its {@link DaxDevice} object.
     */
    default Optional<String> identity() {
        return Optional.empty();
    }

    /**
     * An exclusive claim on the device's memory that other processes see (the kernel's exclusive
     * open of a block device, {@code bd_prepare_to_claim}): {@link DaxDevice#hold} takes it, and a
     * second claim of the same memory, in this process or another, fails with EBUSY until the
     * first is closed or its device released. The pmem driver's is an advisory {@code flock(2)}
     * on the descriptor it keeps open for the device's life (held by the open file, not by the
     * process, so closing another descriptor of the same file does not drop it, as it would an
     * {@code fcntl} lock such as {@code FileChannel.tryLock}'s). Empty by default: nothing
     * outside this process is kept out.
     */
    default Optional<ClaimExclusive> claimExclusive() {
        return Optional.empty();
    }

    /**
     * What the driver learnt from the platform about this device, in display order, for
     * {@code jdax info --device}: e.g. the nvdimm region, its persistence domain, where the
     * bad-block list comes from, what a deep flush does. Each value says the fact and its reason.
     * Empty by default.
     */
    default Map<String, String> facts() {
        return Map.of();
    }

    /**
     * Releases the device's memory (unmap, free). Called once, by {@link DaxDevice#close()},
     * after every caller has left: nothing can touch the memory afterwards.
     */
    default void release() {
    }

    /** Copies from an iterator into device memory. */
    @FunctionalInterface
    interface CopyFromIter {
        /**
         * Copies up to {@code bytes} from {@code iter} to {@code offset} of {@code memory},
         * advancing the iterator.
         *
         * @return the bytes copied, {@code min(bytes, iter.count())}; fewer only on a fault
         */
        long copyFromIter(MemorySegment memory, long offset, long bytes, IovIter iter);
    }

    /** Copies from device memory into an iterator. */
    @FunctionalInterface
    interface CopyToIter {
        /**
         * Copies up to {@code bytes} from {@code offset} of {@code memory} into {@code iter},
         * advancing the iterator.
         *
         * @return the bytes copied
         */
        long copyToIter(MemorySegment memory, long offset, long bytes, IovIter iter);
    }

    /** Zeroes whole pages. */
    @FunctionalInterface
    interface ZeroPageRange {
        /** Zeroes {@code nrPages} pages from {@code pgoff}, durably for a persistent device. */
        void zeroPageRange(long pgoff, long nrPages);
    }

    /** The deep flush of {@link #deepFlush()}. */
    @FunctionalInterface
    interface DeepFlush {
        /**
         * Drains what the platform can drain on request; called after {@link #flush()}.
         *
         * @throws DaxException EACCES when this user may not ask for it (naming the file and the
         *                      fix), EIO when the platform's flush failed
         */
        void deepFlush();
    }

    /** The claim of {@link #claimExclusive()}. */
    @FunctionalInterface
    interface ClaimExclusive {
        /**
         * Claims the device's memory for {@code holder}.
         *
         * @return the claim, closed once: when its holder gives the device back, or when the
         *         device closes (after every caller left, before {@link #release})
         * @throws DaxException EBUSY when it is claimed already (saying by what, as far as the
         *                      driver knows)
         */
        Claim claimExclusive(String holder);
    }

    /** A claim taken by {@link ClaimExclusive}; closing it lets the next claim succeed. */
    @FunctionalInterface
    interface Claim extends AutoCloseable {
        @Override
        void close();
    }

    /** Makes a byte range durable. */
    @FunctionalInterface
    interface FlushRange {
        /** Makes the stores to device bytes {@code [pos, pos + bytes)} durable. */
        void flushRange(long pos, long bytes);
    }
}
