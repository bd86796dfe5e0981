package io.jdax.fsdax;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Set;

/**
 * The DAX iomap engine, the kernel's {@code fs/dax.c} (contract C6): file I/O straight between
 * the caller's {@link IovIter} and device memory, with a filesystem's {@link IomapOps} saying
 * where each extent lives.
 * <ul>
 *   <li>{@link #rw} ({@code dax_iomap_rw}): one step per extent; within an extent the device
 *       core's chunk loop ({@link DaxDevice#copyFromIter}, {@link DaxDevice#copyToIter}) walks the
 *       {@code directAccess} chunks and picks the device's copy or the core's one fallback.</li>
 *   <li>{@link #zeroRange} ({@code dax_zero_range}): stores zeros over the mapped parts of a range,
 *       e.g. the tail of the last block on truncate.</li>
 *   <li>{@link #map} ({@code dax_iomap_direct_access}, the mmap path): a file range as one
 *       {@link DaxMapping} over device memory.</li>
 * </ul>
 * The engine holds no state between calls besides its {@link #stats() counters}; it is
 * thread-safe, and the caller serialises I/O on a file as the file needs.
 */
public final class DaxIomap {
    private static final int PAGE = DaxDevice.PAGE_SIZE;
    private static final Set<IomapFlag> READ = Set.of();
    private static final Set<IomapFlag> WRITE = Set.of(IomapFlag.WRITE);
    private static final Set<IomapFlag> ZERO = Set.of(IomapFlag.ZERO);
    private static final Set<IomapFlag> FAULT = Set.of(IomapFlag.FAULT);

    private final IomapStats stats = new IomapStats();

    /** An engine with its own counters. */
    public DaxIomap() {
    }

    /** This engine's counters. */
    public IomapStats stats() {
        return stats;
    }

    /**
     * Reads or writes a file at {@code pos}, as the iterator's direction says ({@code dax_iomap_rw}):
     * a {@link IovIter.Direction#SOURCE SOURCE} iterator is written to the file, a
     * {@link IovIter.Direction#DEST DEST} iterator is filled from it. Reads stop at the end of the
     * file; holes and unwritten extents read as zeros. The iterator advances by the bytes done.
     *
     * @return the bytes done: all of {@code iter.count()} unless the end of the file, a short copy
     *         or an error stopped the I/O (an error after some bytes were done is not thrown: the
     *         bytes done are returned, and the next call meets the error again)
     * @throws DaxException EINVAL for a negative {@code pos} or one where {@code pos + count}
     *                      overflows; when no byte was done, the error that stopped the I/O (EFAULT
     *                      if the copy moved nothing, EIO from the device or a filesystem that
     *                      answered a write with a hole, ENOSPC, ENXIO after close, ...)
     */
    public <I extends Inode> long rw(I inode, long pos, IovIter iter, IomapOps<I> ops) {
        Objects.requireNonNull(inode, "inode");
        Objects.requireNonNull(iter, "iter");
        Objects.requireNonNull(ops, "ops");
        long len = iter.count();
        checkFileRange(iter.direction() == IovIter.Direction.SOURCE ? "write" : "read", pos, len);
        if (len == 0) {
            return 0;
        }
        boolean write = iter.direction() == IovIter.Direction.SOURCE;
        IomapStats.Cell counts = stats.cell();
        counts.add(IomapStats.IOS, 1);
        Set<IomapFlag> flags = write ? WRITE : READ;
        long done = 0;
        while (len > 0) {
            Iomap iomap;
            try {
                iomap = ops.begin(inode, pos, len, flags);
            } catch (RuntimeException e) {
                return finish(done, e);
            }
            counts.add(IomapStats.BEGINS, 1);
            long length = len;
            long processed = 0;
            RuntimeException failure = null;
            try {
                length = clip(iomap, pos, len);
                processed = write ? writeIter(iter, counts, pos, length, iomap)
                        : readIter(iter, counts, inode, pos, length, iomap);
            } catch (RuntimeException e) {
                failure = e;
            }
            failure = end(counts, ops, inode, pos, length, processed, flags, iomap, failure);
            pos += processed;
            len -= processed;
            done += processed;
            if (failure != null) {
                return finish(done, failure);
            }
            if (processed == 0) {
                break; // no progress: end of file
            }
        }
        return done;
    }

    /**
     * Stores zeros over {@code [pos, pos + length)} of a file ({@code dax_zero_range}): mapped
     * extents are zeroed on the device, through its {@code zeroPageRange} for whole pages and its
     * write path for the rest, so the zeros persist as data does; holes and unwritten extents are
     * left alone (they read as zeros already). Allocates nothing.
     *
     * @throws DaxException EINVAL for a negative or overflowing range; the first error met
     */
    public <I extends Inode> void zeroRange(I inode, long pos, long length, IomapOps<I> ops) {
        Objects.requireNonNull(inode, "inode");
        Objects.requireNonNull(ops, "ops");
        checkFileRange("zero range", pos, length);
        if (length == 0) {
            return;
        }
        IomapStats.Cell counts = stats.cell();
        counts.add(IomapStats.IOS, 1);
        long len = length;
        while (len > 0) {
            Iomap iomap = ops.begin(inode, pos, len, ZERO);
            counts.add(IomapStats.BEGINS, 1);
            long n = len;
            long processed = 0;
            RuntimeException failure = null;
            try {
                n = clip(iomap, pos, len);
                if (iomap instanceof Iomap.Mapped m) {
                    zeroDevice(counts, m.device(), devAddr(m, pos), n);
                }
                processed = n; // holes and unwritten extents already read as zeros
            } catch (RuntimeException e) {
                failure = e;
            }
            failure = end(counts, ops, inode, pos, n, processed, ZERO, iomap, failure);
            if (failure != null) {
                throw daxException(failure);
            }
            pos += processed;
            len -= processed;
        }
    }

    /**
     * Maps {@code [pos, pos + length)} of a file straight onto device memory, the DAX mmap path
     * ({@code dax_iomap_direct_access}). The range must already be written: every byte in
     * {@link Iomap.Mapped mapped} extents, contiguous on one device, and the device must hand the
     * whole range out in one {@code directAccess} answer. Nothing is allocated: write (or
     * fallocate and write) a range before mapping it.
     *
     * @param mode {@link DaxAccessMode#READ} for a read-only segment, {@link DaxAccessMode#WRITE} for loads and stores
     * @throws DaxException EINVAL for a bad range or mode, a hole or unwritten extent in the range
     *                      (the message says to allocate it first), or extents that are not
     *                      contiguous on the device; EOPNOTSUPP when the device cannot hand out
     *                      the range as one segment (brd: at most one page); ENXIO after close
     */
    public <I extends Inode> DaxMapping map(I inode, long pos, long length, DaxAccessMode mode, IomapOps<I> ops) {
        Objects.requireNonNull(inode, "inode");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(ops, "ops");
        if (mode == DaxAccessMode.RECOVERY_WRITE) {
            throw new DaxException(Errno.EINVAL, "a mapping is READ or WRITE, not RECOVERY_WRITE");
        }
        checkFileRange("map", pos, length);
        if (length == 0) {
            throw new DaxException(Errno.EINVAL, "cannot map 0 bytes at file offset " + pos);
        }
        IomapStats.Cell counts = stats.cell();
        counts.add(IomapStats.IOS, 1);
        String range = "file range [" + pos + ", +" + length + ")";
        DaxDevice device = null;
        long devStart = 0;
        long end = pos + length;
        for (long p = pos; p < end; ) {
            Iomap iomap = ops.begin(inode, p, end - p, FAULT);
            counts.add(IomapStats.BEGINS, 1);
            long n = end - p;
            long processed = 0;
            RuntimeException failure = null;
            try {
                n = clip(iomap, p, end - p);
                String part = "[" + p + ", +" + n + ")";
                Iomap.Mapped m = switch (iomap) {
                    case Iomap.Mapped mapped -> mapped;
                    case Iomap.Hole h -> throw new DaxException(Errno.EINVAL, "cannot map " + range + ": " + part
                            + " is a hole; allocate it first (write it), so the mapping has device memory behind it");
                    case Iomap.Unwritten u -> throw new DaxException(Errno.EINVAL, "cannot map " + range + ": " + part
                            + " is unwritten (allocated, e.g. by fallocate, but never written); write it first, "
                            + "so the mapping cannot show what the device held before");
                };
                long addr = devAddr(m, p);
                if (device == null) {
                    device = m.device();
                    devStart = addr;
                } else if (m.device() != device || addr != devStart + (p - pos)) {
                    throw new DaxException(Errno.EINVAL, "cannot map " + range + " as one segment: it is not "
                            + "contiguous on the device (file offset " + p + " is at byte " + addr + " of "
                            + m.device().name() + ", not at byte " + (devStart + (p - pos)) + " of " + device.name() + ")");
                }
                processed = n;
            } catch (RuntimeException e) {
                failure = e;
            }
            failure = end(counts, ops, inode, p, n, processed, FAULT, iomap, failure);
            if (failure != null) {
                throw daxException(failure);
            }
            p += processed;
        }
        long inPage = devStart % PAGE;
        long nrPages = pagesFor(inPage + length);
        try (DaxReadLock lock = device.readLock()) {
            DirectAccess da = device.directAccess(devStart / PAGE, nrPages, mode);
            if (da.nrPages() < nrPages) {
                throw new DaxException(Errno.EOPNOTSUPP, "cannot map " + range + " as one segment: device "
                        + device.name() + " gave " + da.nrPages() + " contiguous page(s) at page " + devStart / PAGE
                        + " where " + nrPages + " are needed (devices with scattered pages, such as brd, "
                        + "map at most one page at a time)");
            }
            MemorySegment segment = da.addr().asSlice(inPage, length);
            return new DaxMapping(device, pos, devStart, mode == DaxAccessMode.READ ? segment.asReadOnly() : segment, mode);
        }
    }

    // ---- one step of rw: the kernel's dax_iomap_iter

    private long readIter(IovIter iter, IomapStats.Cell counts, Inode inode, long pos, long length, Iomap iomap) {
        long end = Math.min(pos + length, inode.size());
        if (pos >= end) {
            return 0;
        }
        long n = end - pos;
        return switch (iomap) {
            // holes and unwritten extents read as zeros
            case Iomap.Hole h -> zeroIter(iter, counts, n);
            case Iomap.Unwritten u -> zeroIter(iter, counts, n);
            case Iomap.Mapped m -> mappedIter(false, iter, counts, pos, n, m);
        };
    }

    private long writeIter(IovIter iter, IomapStats.Cell counts, long pos, long length, Iomap iomap) {
        if (!(iomap instanceof Iomap.Mapped m)) {
            throw new DaxException(Errno.EIO, "a write at file offset " + pos + " got " + iomap
                    + ": begin(WRITE) must answer a MAPPED extent (allocate holes, convert unwritten extents)");
        }
        return mappedIter(true, iter, counts, pos, length, m);
    }

    private static long zeroIter(IovIter iter, IomapStats.Cell counts, long n) {
        long done = iter.zero(n);
        counts.add(IomapStats.HOLE_BYTES, done);
        return done;
    }

    /**
     * A mapped extent: the core loops the chunks. A new extent's zeroing and copy run under one
     * read lock ({@code dax_read_lock}), so the device cannot close between them; an overwrite is
     * one core call, which holds the read side itself.
     */
    private static long mappedIter(boolean write, IovIter iter, IomapStats.Cell counts, long pos, long length,
                                   Iomap.Mapped m) {
        DaxDevice dev = m.device();
        long devPos = devAddr(m, pos);
        if (!write || !m.isNew()) {
            return write ? dev.copyFromIter(devPos, length, iter) : dev.copyToIter(devPos, length, iter);
        }
        try (DaxReadLock lock = dev.readLock()) {
            if (pos > m.offset()) {
                zeroDevice(counts, dev, m.addr(), pos - m.offset()); // a new block never shows a previous owner's data
            }
            long done = dev.copyFromIter(devPos, length, iter);
            return zeroNewTail(iter, counts, m, pos, done);
        }
    }

    /**
     * Zeroes a new extent past the {@code done} bytes written from {@code start}. If the block
     * holding the end of the write cannot be zeroed it must not be committed: its bytes go back to
     * the iterator and only the blocks before it count as written.
     */
    private static long zeroNewTail(IovIter iter, IomapStats.Cell counts, Iomap.Mapped m, long start, long done) {
        long writeEnd = start + done;
        long blockEnd = Math.min(alignUp(writeEnd), m.end());
        try {
            zeroDevice(counts, m.device(), devAddr(m, writeEnd), blockEnd - writeEnd);
        } catch (RuntimeException e) {
            long keep = Math.max(alignDown(writeEnd) - start, 0);
            iter.revert(done - keep);
            if (keep == 0) {
                throw e;
            }
            return keep;
        }
        try {
            zeroDevice(counts, m.device(), devAddr(m, blockEnd), m.end() - blockEnd);
        } catch (RuntimeException e) {
            // These blocks lie wholly past the write: end() releases them, so what they hold never shows.
        }
        return done;
    }

    /** Stores zeros over device bytes, durably as data ({@link DaxDevice#zero}). */
    private static void zeroDevice(IomapStats.Cell counts, DaxDevice dev, long devPos, long bytes) {
        if (bytes > 0) {
            dev.zero(devPos, bytes);
            counts.add(IomapStats.ZEROED_BYTES, bytes);
        }
    }

    // ---- helpers

    private static <I extends Inode> RuntimeException end(IomapStats.Cell counts, IomapOps<I> ops, I inode, long pos,
                                                          long length, long written, Set<IomapFlag> flags, Iomap iomap,
                                                          RuntimeException failure) {
        try {
            ops.end(inode, pos, length, written, flags, iomap);
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        } finally {
            counts.add(IomapStats.ENDS, 1);
        }
        return failure;
    }

    /** Checks {@code begin}'s answer ({@code iomap_iter_done}) and clips it to the I/O: the step's length. */
    private static long clip(Iomap iomap, long pos, long len) {
        if (iomap == null) {
            throw new DaxException(Errno.EIO, "begin returned no extent for file offset " + pos);
        }
        if (iomap.offset() > pos || iomap.end() <= pos) {
            throw new DaxException(Errno.EIO, "begin(" + pos + ") returned " + iomap + ", which does not hold " + pos);
        }
        if (iomap instanceof Iomap.Mapped m) {
            if (m.offset() % PAGE != 0 || m.addr() % PAGE != 0 || (m.isNew() && m.length() % PAGE != 0)) {
                throw new DaxException(Errno.EIO, "extent " + m + " is not page-aligned: DAX needs filesystem blocks of "
                        + PAGE + " bytes");
            }
            if (m.addr() > m.device().size() - m.length()) {
                throw new DaxException(Errno.EIO, "extent " + m + " ends past the end of device " + m.device().name()
                        + " (" + m.device().size() + " bytes)");
            }
        }
        return Math.min(iomap.end() - pos, len);
    }

    private static long finish(long done, RuntimeException failure) {
        if (done > 0) {
            return done;
        }
        throw daxException(failure);
    }

    /** Memory-access failures (a closed arena, a read-only segment) become EFAULT; a filesystem's own errors pass. */
    private static RuntimeException daxException(RuntimeException e) {
        if (e instanceof DaxException) {
            return e;
        }
        if (e instanceof IllegalStateException || e instanceof IndexOutOfBoundsException
                || e instanceof WrongThreadException || e instanceof UnsupportedOperationException) {
            return new DaxException(Errno.EFAULT, "memory access failed: " + e.getMessage(), e);
        }
        return e;
    }

    private static void checkFileRange(String what, long pos, long length) {
        if (pos < 0) {
            throw new DaxException(Errno.EINVAL, what + " at negative file offset " + pos);
        }
        if (length < 0) {
            throw new DaxException(Errno.EINVAL, what + " of negative length " + length);
        }
        if (pos > Long.MAX_VALUE - length) {
            throw new DaxException(Errno.EINVAL, what + " of " + length + " bytes at file offset " + pos
                    + " overflows the file offset range");
        }
    }

    private static long devAddr(Iomap.Mapped m, long filePos) {
        return m.addr() + (filePos - m.offset());
    }

    private static long pagesFor(long bytes) {
        return Math.ceilDiv(bytes, PAGE);
    }

    private static long alignUp(long pos) {
        return Math.ceilDiv(pos, PAGE) * PAGE;
    }

    private static long alignDown(long pos) {
        return pos - pos % PAGE;
    }
}
