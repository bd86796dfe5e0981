package io.jdax.fsdax;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;

/**
 * A file range mapped straight onto device memory, the DAX mmap path: loads and stores on
 * {@link #segment()} reach the device with no copy and no system call. Made by
 * {@link DaxIomap#map}.
 * <p>
 * Stores become durable only through {@link #persist}, the device's {@link DaxDevice#flushRange}
 * ({@code dax_flush}), which does what its {@link io.jdax.dax.PersistenceMode} needs: write-back
 * and fence of the range for {@code CPU_CACHE} (the {@code MAP_SYNC} rule: no system call), a
 * fence alone for {@code PERSISTENT_CACHE} (eADR: the caches are persistent), an msync for
 * {@code PAGE_CACHE} (which forces the dirty mapping to its file), nothing for {@code VOLATILE}.
 * <p>
 * The memory is valid only while the device is open. After the device closes, {@link #persist}
 * fails with ENXIO, and the segment either fails on access (its arena is closed) or, for a heap
 * device such as brd, is detached memory the device no longer reads. The mapping also does not
 * follow later changes to the file's extents (truncate, punch hole): map again after those.
 * <p>
 * <b>Memory that loses its backing.</b> If the device's own backing shrinks under the mapping
 * (another process truncates the file behind a {@code pmem:} device, or its filesystem cannot
 * allocate a page), a load or store through {@link #segment()} on such a page throws the JDK's
 * {@link InternalError} ("a fault occurred in an unsafe memory access operation"): the JVM goes
 * on. {@link #persist} over such a range fails with a {@link DaxException} (EIO, or ENOSPC when
 * the filesystem is full) and never reports it durable.
 */
public final class DaxMapping {
    private final DaxDevice device;
    private final long fileOffset;
    private final long deviceOffset;
    private final MemorySegment segment;
    private final DaxAccessMode mode;

    DaxMapping(DaxDevice device, long fileOffset, long deviceOffset, MemorySegment segment, DaxAccessMode mode) {
        this.device = device;
        this.fileOffset = fileOffset;
        this.deviceOffset = deviceOffset;
        this.segment = segment;
        this.mode = mode;
    }

    /**
     * The device memory holding the file range: file byte {@code fileOffset() + i} is byte
     * {@code i}. Read-only for a {@link DaxAccessMode#READ} mapping.
     */
    public MemorySegment segment() {
        return segment;
    }

    /** The file offset of the first mapped byte. */
    public long fileOffset() {
        return fileOffset;
    }

    /** The mapped length in bytes. */
    public long length() {
        return segment.byteSize();
    }

    /** The device the memory belongs to. */
    public DaxDevice device() {
        return device;
    }

    /** {@link DaxAccessMode#READ} or {@link DaxAccessMode#WRITE}. */
    public DaxAccessMode mode() {
        return mode;
    }

    /** Makes every store to the whole mapping durable; see {@link #persist(long, long)}. */
    public void persist() {
        persist(0, length());
    }

    /**
     * Makes the stores to {@code [offset, offset + length)} of the mapping durable, as far as the
     * device persists at all ({@code pmem_persist} / {@code msync}).
     *
     * @param offset the first byte, relative to the mapping
     * @param length how many bytes
     * @throws DaxException EINVAL for a negative offset or length, ERANGE past the mapping,
     *                      ENXIO after the device closed, EIO if the device could not persist
     *                      (also when pages of the range lost their backing)
     */
    public void persist(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new DaxException(Errno.EINVAL, "persist of mapping at file offset " + fileOffset + ": negative "
                    + (offset < 0 ? "offset " + offset : "length " + length));
        }
        if (offset > length() - length) {
            throw new DaxException(Errno.ERANGE, "persist of [" + offset + ", +" + length + ") is outside the "
                    + length() + "-byte mapping at file offset " + fileOffset);
        }
        // The device's dax_flush of the range: write-back + fence, an msync, or nothing, as its mode needs.
        device.flushRange(deviceOffset + offset, length);
    }

    /** {@link #memset(long, long, byte, int)} with no flags: durable when it returns. */
    public void memset(long offset, long length, byte value) {
        memset(offset, length, value, 0);
    }

    /**
     * Sets {@code [offset, offset + length)} of the mapping to {@code value} and makes it durable
     * ({@code pmem2_memset_fn}): on a {@code CPU_CACHE} device the Arch's memset (non-temporal
     * stores, the cached edges written back, a fence), on a {@code PERSISTENT_CACHE} device
     * stores (cached or non-temporal by size, as {@link io.jdax.arch.Arch#copyEadr}) and the fence
     * with nothing written back (libpmem2's eADR functions), on a
     * {@code PAGE_CACHE} device plain stores and {@link #persist}, on a volatile one plain stores.
     *
     * @param flags {@code Arch.MEM_*}: {@code MEM_NODRAIN} leaves the fence (or the msync) to a
     *              later {@link #persist}; {@code MEM_NOFLUSH} only stores; the store hints choose
     *              non-temporal or cached stores where the device writes back
     * @throws DaxException EINVAL/ERANGE for a bad range, EFAULT for a READ mapping, ENXIO after
     *                      the device closed, EIO if a page of the range lost its backing
     */
    public void memset(long offset, long length, byte value, int flags) {
        checkRange("memset", offset, length);
        try (io.jdax.dax.DaxReadLock lock = device.readLock()) {
            if (device.persistence() == io.jdax.dax.PersistenceMode.CPU_CACHE) {
                device.arch().memset(writable("memset"), offset, length, value, flags);
                return;
            }
            if (device.persistence() == io.jdax.dax.PersistenceMode.PERSISTENT_CACHE) {
                device.arch().memset(writable("memset"), offset, length, value, eadrFlags(flags, length));
                eadrFence(flags);
                return;
            }
            writable("memset").asSlice(offset, length).fill(value);
            if (device.persistence() == io.jdax.dax.PersistenceMode.PAGE_CACHE
                    && (flags & (io.jdax.arch.Arch.MEM_NOFLUSH | io.jdax.arch.Arch.MEM_NODRAIN)) == 0) {
                persist(offset, length);
            }
        }
    }

    /** {@link #memmove(long, long, long, int)} with no flags: durable when it returns. */
    public void memmove(long dstOffset, long srcOffset, long length) {
        memmove(dstOffset, srcOffset, length, 0);
    }

    /**
     * Copies {@code length} bytes from {@code srcOffset} to {@code dstOffset} of the mapping,
     * right when the two overlap either way, and makes the destination durable
     * ({@code pmem2_memmove_fn}); as {@link #memset(long, long, byte, int)} per device mode.
     */
    public void memmove(long dstOffset, long srcOffset, long length, int flags) {
        checkRange("memmove destination", dstOffset, length);
        checkRange("memmove source", srcOffset, length);
        try (io.jdax.dax.DaxReadLock lock = device.readLock()) {
            MemorySegment m = writable("memmove");
            if (device.persistence() == io.jdax.dax.PersistenceMode.CPU_CACHE) {
                device.arch().memmove(m, dstOffset, m, srcOffset, length, flags);
                return;
            }
            if (device.persistence() == io.jdax.dax.PersistenceMode.PERSISTENT_CACHE) {
                device.arch().memmove(m, dstOffset, m, srcOffset, length, eadrFlags(flags, length));
                eadrFence(flags);
                return;
            }
            MemorySegment.copy(m, srcOffset, m, dstOffset, length);
            if (device.persistence() == io.jdax.dax.PersistenceMode.PAGE_CACHE
                    && (flags & (io.jdax.arch.Arch.MEM_NOFLUSH | io.jdax.arch.Arch.MEM_NODRAIN)) == 0) {
                persist(dstOffset, length);
            }
        }
    }

    /**
     * eADR: stores only (nothing to write back); unless the caller chose the kind of store,
     * cached below the Arch's {@link io.jdax.arch.Arch#eadrNontemporalFrom()} and non-temporal
     * from there, as {@link io.jdax.arch.Arch#copyEadr} does.
     */
    private int eadrFlags(int flags, long length) {
        int hints = io.jdax.arch.Arch.MEM_TEMPORAL | io.jdax.arch.Arch.MEM_NONTEMPORAL | io.jdax.arch.Arch.MEM_WB
                | io.jdax.arch.Arch.MEM_WC;
        if ((flags & hints) == 0) {
            flags |= length < device.arch().eadrNontemporalFrom() ? io.jdax.arch.Arch.MEM_TEMPORAL
                    : io.jdax.arch.Arch.MEM_NONTEMPORAL;
        }
        return flags | io.jdax.arch.Arch.MEM_NOFLUSH;
    }

    /** eADR: the stores are in a persistent cache; the fence (unless the flags leave it out) makes them durable. */
    private void eadrFence(int flags) {
        if ((flags & (io.jdax.arch.Arch.MEM_NOFLUSH | io.jdax.arch.Arch.MEM_NODRAIN)) == 0) {
            device.arch().fence();
        }
    }

    private MemorySegment writable(String op) {
        if (mode != DaxAccessMode.WRITE) {
            throw new DaxException(Errno.EFAULT, op + " on a READ mapping at file offset " + fileOffset);
        }
        return segment;
    }

    private void checkRange(String op, long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new DaxException(Errno.EINVAL, op + " of mapping at file offset " + fileOffset + ": negative "
                    + (offset < 0 ? "offset " + offset : "length " + length));
        }
        if (offset > length() - length) {
            throw new DaxException(Errno.ERANGE, op + " of [" + offset + ", +" + length + ") is outside the "
                    + length() + "-byte mapping at file offset " + fileOffset);
        }
    }

    @Override
    public String toString() {
        return "DaxMapping[" + device.name() + " file [" + fileOffset + ", +" + length() + ") " + mode + "]";
    }
}
