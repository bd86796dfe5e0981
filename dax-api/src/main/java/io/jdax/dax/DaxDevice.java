package io.jdax.dax;

import io.jdax.arch.Arch;

import java.util.Optional;

/**
 * An open DAX device: byte-addressable memory, in pages, with the {@link DaxOperations} that read,
 * write and persist it. Opened by {@link DaxDevices#open(String)}; closed by {@link #close()}.
 * <p>
 * Thread-safe. Closing while other threads run operations neither crashes nor corrupts: calls in
 * flight finish (close waits for them), later calls fail with {@link Errno#ENXIO}. Memory obtained
 * from {@link DaxOperations#directAccess} is valid only while the device is open; hold a
 * {@link #readLock()} across a directAccess and the accesses that follow, as the kernel holds
 * {@code dax_read_lock}.
 */
public interface DaxDevice extends AutoCloseable {

    /** The kernel's {@code PAGE_SIZE}: the unit of {@link DaxOperations#directAccess}. */
    int PAGE_SIZE = 4096;

    /** The device's name, e.g. {@code pmem0} or the brd name. */
    String name();

    /** The specification the device was opened with. */
    DeviceSpec spec();

    /** Capacity in bytes, a multiple of {@link #pageSize()}. */
    long size();

    /** The page size of {@link DaxOperations#directAccess}: {@value #PAGE_SIZE}. */
    default int pageSize() {
        return PAGE_SIZE;
    }

    /** Capacity in pages. */
    default long nrPages() {
        return size() / pageSize();
    }

    /** The alignment of the device's memory, e.g. 2 MiB for device DAX; at least the page size. */
    long alignment();

    /** How stores become durable on this device (C7). */
    PersistenceMode persistence();

    /** Why the device got its persistence mode, e.g. "MAP_SYNC not supported on tmpfs: page-cache mapping". */
    String persistenceReason();

    /** The device's operations table. */
    DaxOperations operations();

    /** The CPU primitives this device uses; fs-dax's fallback copy uses the same. */
    Arch arch();

    /** The device's bad-block list, for devices that track poisoned media. */
    default Optional<BadBlocks> badBlocks() {
        return Optional.empty();
    }

    /** False once {@link #close()} has begun. */
    boolean isAlive();

    /**
     * Keeps the device from closing until the returned lock is closed ({@code dax_read_lock}).
     * Cheap, reentrant, shared by any number of threads.
     *
     * @throws DaxException ENXIO if the device is closed
     */
    DaxReadLock readLock();

    /**
     * Closes the device: new operations fail with ENXIO; operations in flight and read locks are
     * waited for; then the memory is released. Closing twice does nothing.
     *
     * @throws DaxException EBUSY if read locks are still held after a generous timeout (the
     *                      device stays closed to new operations; retry later)
     */
    @Override
    void close();
}
