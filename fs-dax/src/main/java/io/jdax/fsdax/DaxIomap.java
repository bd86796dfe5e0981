package io.jdax.fsdax;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxOperations.CopyFromIter;
import io.jdax.dax.DaxOperations.CopyToIter;
import io.jdax.dax.DaxOperations.ZeroPageRange;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The DAX iomap engine, the kernel's {@code fs/dax.c} (contract C6): file I/O straight between
 * the caller's {@link IovIter} and device memory, with a filesystem's {@link IomapOps} saying
 * where each extent lives.
 * <ul>
 *   <li>{@link #rw} ({@code dax_iomap_rw}): one step per extent, and within an extent one
 *       {@code directAccess} chunk after another (brd answers one page at a time). Writes use the
 *       device's {@code copyFromIter}, or {@link Arch#copyFromIterNocache} when it has none, chosen
 *       once per I/O; reads use the device's {@code copyToIter} or the plain copy.</li>
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
    /** The source of every zero the engine stores: heap, read-only, shared. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64 * 1024]).asReadOnly();

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
        Io io = new Io(iter.direction() == IovIter.Direction.SOURCE, iter, stats.cell());
        io.counts.add(IomapStats.IOS, 1);
        Set<IomapFlag> flags = io.write ? WRITE : READ;
        long done = 0;
        while (len > 0) {
            Iomap iomap;
            try {
                iomap = ops.begin(inode, pos, len, flags);
            } catch (RuntimeException e) {
                return finish(done, e);
            }
            io.counts.add(IomapStats.BEGINS, 1);
            long length = len;
            long processed = 0;
            RuntimeException failure = null;
            try {
                length = clip(iomap, pos, len);
                processed = io.write ? writeIter(io, pos, length, iomap) : readIter(io, inode, pos, length, iomap);
            } catch (RuntimeException e) {
                failure = e;
            }
            failure = end(io.counts, ops, inode, pos, length, processed, flags, iomap, failure);
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
        Io io = new Io(true, null, stats.cell());
        io.counts.add(IomapStats.IOS, 1);
        long len = length;
        while (len > 0) {
            Iomap iomap = ops.begin(inode, pos, len, ZERO);
            io.counts.add(IomapStats.BEGINS, 1);
            long n = len;
            long processed = 0;
            RuntimeException failure = null;
            try {
                n = clip(iomap, pos, len);
                if (iomap instanceof Iomap.Mapped m) {
                    try (DaxReadLock lock = m.device().readLock()) {
                        zeroDevice(io, m.device(), devAddr(m, pos), n);
                    }
                }
                processed = n; // holes and unwritten extents already read as zeros
            } catch (RuntimeException e) {
                failure = e;
            }
            failure = end(io.counts, ops, inode, pos, n, processed, ZERO, iomap, failure);
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
            DirectAccess da = directAccess(counts, device, devStart / PAGE, nrPages, mode);
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

    private long readIter(Io io, Inode inode, long pos, long length, Iomap iomap) {
        long end = Math.min(pos + length, inode.size());
        if (pos >= end) {
            return 0;
        }
        long n = end - pos;
        return switch (iomap) {
            // holes and unwritten extents read as zeros
            case Iomap.Hole h -> zeroIter(io, n);
            case Iomap.Unwritten u -> zeroIter(io, n);
            case Iomap.Mapped m -> mappedIter(io, pos, n, m);
        };
    }

    private long writeIter(Io io, long pos, long length, Iomap iomap) {
        if (!(iomap instanceof Iomap.Mapped m)) {
            throw new DaxException(Errno.EIO, "a write at file offset " + pos + " got " + iomap
                    + ": begin(WRITE) must answer a MAPPED extent (allocate holes, convert unwritten extents)");
        }
        return mappedIter(io, pos, length, m);
    }

    private long zeroIter(Io io, long n) {
        long done = io.iter.zero(n);
        io.counts.add(IomapStats.HOLE_BYTES, done);
        return done;
    }

    /** The chunk loop over a mapped extent, under the device's read lock ({@code dax_read_lock}). */
    private long mappedIter(Io io, long pos, long length, Iomap.Mapped m) {
        DaxDevice dev = m.device();
        boolean zeroNew = io.write && m.isNew();
        long start = pos;
        long end = pos + length;
        long done = 0;
        try (DaxReadLock lock = dev.readLock()) {
            if (zeroNew && pos > m.offset()) {
                zeroDevice(io, dev, m.addr(), pos - m.offset()); // a new block never shows a previous owner's data
            }
            try {
                while (pos < end) {
                    long devPos = devAddr(m, pos);
                    long inPage = devPos % PAGE;
                    DirectAccess da = access(io, dev, devPos / PAGE, pagesFor(inPage + (end - pos)));
                    long mapLen = Math.min(da.nrPages() * PAGE - inPage, end - pos);
                    long xfer = io.copy(dev, slice(da, inPage, mapLen), mapLen, io.iter);
                    if (xfer < 0 || xfer > mapLen) {
                        throw new DaxException(Errno.EIO, "device " + dev.name() + " reported copying " + xfer
                                + " bytes of a " + mapLen + "-byte chunk");
                    }
                    pos += xfer;
                    done += xfer;
                    if (xfer == 0) {
                        throw new DaxException(Errno.EFAULT, "no byte of the " + mapLen + "-byte chunk at file offset "
                                + pos + " could be copied");
                    }
                    if (xfer < mapLen) {
                        break; // a short copy: the next step starts here
                    }
                }
            } catch (RuntimeException e) {
                if (done == 0) {
                    throw e;
                }
                // As in the kernel, bytes done win over the error; the next step meets it again.
            }
            return zeroNew ? zeroNewTail(io, m, start, done) : done;
        }
    }

    /**
     * Zeroes a new extent past the {@code done} bytes written from {@code start}. If the block
     * holding the end of the write cannot be zeroed it must not be committed: its bytes go back to
     * the iterator and only the blocks before it count as written.
     */
    private long zeroNewTail(Io io, Iomap.Mapped m, long start, long done) {
        long writeEnd = start + done;
        long blockEnd = Math.min(alignUp(writeEnd), m.end());
        try {
            zeroDevice(io, m.device(), devAddr(m, writeEnd), blockEnd - writeEnd);
        } catch (RuntimeException e) {
            long keep = Math.max(alignDown(writeEnd) - start, 0);
            io.iter.revert(done - keep);
            if (keep == 0) {
                throw e;
            }
            return keep;
        }
        try {
            zeroDevice(io, m.device(), devAddr(m, blockEnd), m.end() - blockEnd);
        } catch (RuntimeException e) {
            // These blocks lie wholly past the write: end() releases them, so what they hold never shows.
        }
        return done;
    }

    /**
     * Stores zeros over device bytes: whole pages through {@code zeroPageRange} when the device
     * has it, everything else through the I/O's write path (so zeros persist as data does).
     */
    private void zeroDevice(Io io, DaxDevice dev, long devPos, long bytes) {
        Optional<ZeroPageRange> zeroPages = dev.operations().zeroPageRange();
        long end = devPos + bytes;
        while (devPos < end) {
            long inPage = devPos % PAGE;
            if (inPage == 0 && end - devPos >= PAGE && zeroPages.isPresent()) {
                long pages = (end - devPos) / PAGE;
                io.counts.add(IomapStats.ZERO_PAGE_RANGE, 1);
                zeroPages.get().zeroPageRange(devPos / PAGE, pages);
                io.counts.add(IomapStats.ZEROED_BYTES, pages * PAGE);
                devPos += pages * PAGE;
                continue;
            }
            long want = zeroPages.isPresent() ? 1 : pagesFor(inPage + (end - devPos));
            DirectAccess da = access(io, dev, devPos / PAGE, want);
            long n = Math.min(da.nrPages() * PAGE - inPage, end - devPos);
            long xfer = io.copy(dev, slice(da, inPage, n), n, zeros(n));
            if (xfer != n) {
                throw new DaxException(Errno.EIO, "device " + dev.name() + " stored " + xfer + " of " + n
                        + " zero bytes at byte " + devPos);
            }
            io.counts.add(IomapStats.ZEROED_BYTES, n);
            devPos += n;
        }
    }

    // ---- device access

    /**
     * {@code directAccess} for the I/O's direction; a write over poisoned memory retries in
     * recovery mode, and {@link Io#recovery} tells the copy of this chunk so.
     */
    private DirectAccess access(Io io, DaxDevice dev, long pgoff, long nrPages) {
        DaxAccessMode mode = io.write ? DaxAccessMode.WRITE : DaxAccessMode.READ;
        io.recovery = false;
        try {
            return directAccess(io.counts, dev, pgoff, nrPages, mode);
        } catch (DaxException e) {
            boolean poisoned = e.errno() == Errno.EIO || e.errno() == Errno.EHWPOISON;
            if (!io.write || !poisoned || dev.operations().recoveryWrite().isEmpty()) {
                throw e;
            }
            DirectAccess da = directAccess(io.counts, dev, pgoff, nrPages, DaxAccessMode.RECOVERY_WRITE);
            io.recovery = true;
            return da;
        }
    }

    private static DirectAccess directAccess(IomapStats.Cell counts, DaxDevice dev, long pgoff, long nrPages,
                                            DaxAccessMode mode) {
        counts.add(IomapStats.DIRECT_ACCESS, 1);
        DirectAccess da = dev.operations().directAccess(pgoff, nrPages, mode);
        if (da == null || da.nrPages() > nrPages || da.addr().byteSize() < da.nrPages() * PAGE) {
            throw new DaxException(Errno.EIO, "device " + dev.name() + " answered directAccess(" + pgoff + ", "
                    + nrPages + ") with " + da + ": at most the pages asked, each " + PAGE + " bytes");
        }
        return da;
    }

    // ---- the I/O's copy functions, chosen once per I/O (per device, should extents span devices)

    private static final class Io {
        final boolean write;
        final IovIter iter;
        /** The calling thread's counters. */
        final IomapStats.Cell counts;
        private DaxDevice device;
        private CopyFromIter copyFrom;
        private CopyToIter copyTo;
        /** The last {@link #access} was in recovery mode: its chunk is written with {@code recoveryWrite}. */
        boolean recovery;

        Io(boolean write, IovIter iter, IomapStats.Cell counts) {
            this.write = write;
            this.iter = iter;
            this.counts = counts;
        }

        long copy(DaxDevice dev, MemorySegment addr, long bytes, IovIter it) {
            if (recovery) {
                counts.add(IomapStats.RECOVERY_WRITE, 1);
                return dev.operations().recoveryWrite().orElseThrow().copyFromIter(addr, bytes, it);
            }
            select(dev);
            if (write) {
                if (copyFrom == null) {
                    counts.add(IomapStats.COPY_FROM_ITER_NOCACHE, 1);
                    return dev.arch().copyFromIterNocache(addr, bytes, it);
                }
                counts.add(IomapStats.COPY_FROM_ITER, 1);
                return copyFrom.copyFromIter(addr, bytes, it);
            }
            if (copyTo == null) {
                counts.add(IomapStats.PLAIN_COPY_TO_ITER, 1);
                return it.copyToIter(addr, bytes);
            }
            counts.add(IomapStats.COPY_TO_ITER, 1);
            return copyTo.copyToIter(addr, bytes, it);
        }

        /** The device's own copy for this I/O's direction, or null for the fallback; no wrapper per I/O. */
        private void select(DaxDevice dev) {
            if (dev != device) {
                DaxOperations ops = dev.operations();
                if (write) {
                    copyFrom = ops.copyFromIter().orElse(null);
                } else {
                    copyTo = ops.copyToIter().orElse(null);
                }
                device = dev;
            }
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

    /** {@code bytes} of a {@code directAccess} answer from {@code offset}; no new segment when that is all of it. */
    private static MemorySegment slice(DirectAccess da, long offset, long bytes) {
        MemorySegment addr = da.addr();
        return offset == 0 && bytes == addr.byteSize() ? addr : addr.asSlice(offset, bytes);
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

    private static IovIter zeros(long n) {
        List<MemorySegment> segs = new ArrayList<>();
        for (long left = n; left > 0; left -= ZEROS.byteSize()) {
            segs.add(ZEROS.asSlice(0, Math.min(left, ZEROS.byteSize())));
        }
        return IovIter.kvec(IovIter.Direction.SOURCE, segs);
    }
}
