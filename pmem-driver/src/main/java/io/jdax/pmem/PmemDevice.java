package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.MemoryFaultException;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceGate;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PageRange;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open pmem device: one linear mapping of a file or of device DAX, the kernel's
 * {@code drivers/nvdimm/pmem.c} in Java form.
 * <ul>
 *   <li>{@code directAccess} returns as many contiguous pages as asked, up to the end; a range
 *       holding a bad sector is EIO unless the mode is a recovery write, which gets the pages
 *       before the first bad sector (at least one).</li>
 *   <li>{@code copyFromIter} is the durable copy, {@link Arch#copyFromIterFlushcache}: the lines
 *       not stored non-temporally are written back, and only those (C4).</li>
 *   <li>{@code copyToIter} refuses (EIO) a range with known bad sectors rather than read poison,
 *       and reads with {@link Arch#copyMc}, which survives poison it did not know of.</li>
 *   <li>{@code zeroPageRange} zeroes through the same durable copy and clears the poison of the
 *       sectors it covers; {@code recoveryWrite} clears the whole sectors it rewrites.</li>
 *   <li>{@code flush} fences; in {@link PersistenceMode#PAGE_CACHE} it then msyncs the pages
 *       written since the last flush, and only those.</li>
 * </ul>
 * Every copy, write-back and fence goes through the device's {@link Arch}, so a simulated Arch
 * sees all of them.
 * <p>
 * <b>Faults.</b> A copy into or out of a page that lost its backing (the file truncated by
 * another process, a sparse file on a full filesystem) or that is poisoned fails with a
 * {@link DaxException} naming the device offset: ENOSPC when the filesystem could not back the
 * page, EIO otherwise; poison found that way is added to {@link #badBlocks()}. The JVM goes on,
 * and so does the device for other ranges.
 * <p>
 * <b>Direct stores.</b> In PAGE_CACHE mode a {@code directAccess} for WRITE or RECOVERY_WRITE
 * counts its pages as written (as the page cache would see stores through them): the next
 * {@code flush()} msyncs them. Stores made through that memory after that flush need a new
 * {@code directAccess} for WRITE before the flush that should cover them.
 * <p>
 * <b>Lifetime.</b> Memory from {@code directAccess} is valid until {@link #close()}; hold a
 * {@link #readLock()} across a directAccess and the accesses that follow. Close waits for
 * operations in flight and read locks, then unmaps.
 */
public final class PmemDevice implements DaxDevice {
    private static final int SECTORS_PER_PAGE = PAGE_SIZE / BadBlocks.SECTOR_SIZE;
    /** A native source of zeros, so zeroing streams non-temporally like any native copy. */
    private static final MemorySegment ZEROS = Arena.global().allocate(64 * 1024, PAGE_SIZE).asReadOnly();

    private final String name;
    private final DeviceSpec spec;
    private final Arch arch;
    private final MemorySegment memory;
    private final Arena arena;
    private final long size;
    private final PersistenceMode persistence;
    private final String persistenceReason;
    private final long alignment;
    private final BadBlockSource badBlockSource;
    private final BadBlocks badBlocks;
    private final DirtyRanges dirty;
    private final Platform.Msync msync;
    private final Duration closeTimeout;
    private final DeviceGate gate;
    private final AtomicBoolean released = new AtomicBoolean();
    private final Path file;
    private final DaxOperations ops = new Ops();

    PmemDevice(Mapping m, DeviceSpec spec, Arch arch, Platform platform) {
        this.name = m.name();
        this.spec = spec;
        this.arch = arch;
        this.memory = m.memory();
        this.arena = m.arena();
        this.size = m.memory().byteSize();
        this.persistence = m.persistence();
        this.persistenceReason = m.reason();
        this.alignment = m.alignment();
        this.badBlockSource = m.badBlocks();
        this.badBlocks = new BadBlocks(size / BadBlocks.SECTOR_SIZE);
        this.badBlocks.replaceAll(m.initial());
        this.dirty = persistence == PersistenceMode.PAGE_CACHE ? new DirtyRanges() : null;
        this.msync = platform.msync();
        this.closeTimeout = platform.closeTimeout();
        this.gate = new DeviceGate(name);
        this.file = m.file();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceSpec spec() {
        return spec;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long alignment() {
        return alignment;
    }

    @Override
    public PersistenceMode persistence() {
        return persistence;
    }

    @Override
    public String persistenceReason() {
        return persistenceReason;
    }

    @Override
    public DaxOperations operations() {
        return ops;
    }

    @Override
    public Arch arch() {
        return arch;
    }

    /**
     * The device's bad sectors: the kernel's list for device DAX and files on a pmem disk, read at
     * open; for other files only what was injected with {@link BadBlocks#set}. Either way
     * {@link BadBlocks#set}/{@link BadBlocks#clear} inject and clear emulated poison.
     */
    @Override
    public Optional<BadBlocks> badBlocks() {
        return Optional.of(badBlocks);
    }

    /** Where the device's bad-block list comes from, e.g. a region's {@code badblocks} file. */
    public String badBlocksSource() {
        return badBlockSource.describe();
    }

    /**
     * Re-reads the kernel's bad-block list, replacing the device's (injected entries included).
     * A device the kernel keeps no list for keeps its injected entries.
     *
     * @return the list now in force
     * @throws DaxException EIO if the kernel's list cannot be read; ENXIO after close
     */
    public List<BadBlocks.Range> refreshBadBlocks() {
        gate.enter();
        try {
            if (badBlockSource.isKernel()) {
                badBlocks.replaceAll(PmemFile.readBadBlocks(name, badBlockSource, size));
            }
            return badBlocks.list();
        } finally {
            gate.exit();
        }
    }

    /** Pages written since the last flush that the next one will msync; 0 unless PAGE_CACHE. */
    public long dirtyPages() {
        return dirty == null ? 0 : dirty.pages();
    }

    @Override
    public boolean isAlive() {
        return gate.isAlive();
    }

    @Override
    public DaxReadLock readLock() {
        return gate.lock();
    }

    @Override
    public void close() {
        gate.kill(closeTimeout);
        // Not "if kill returned true": after an EBUSY the retry is not the first kill, yet must unmap.
        if (released.compareAndSet(false, true)) {
            arena.close(); // unmaps: nothing is inside the gate any more
        }
    }

    @Override
    public String toString() {
        return "pmem " + name + " (" + Sizes.format(size) + ", " + persistence + ")";
    }

    /** The offset in the device of {@code addr}, which must be device memory from directAccess. */
    private long deviceOffset(MemorySegment addr, String op) {
        long off = addr.address() - memory.address();
        if (!addr.isNative() || off < 0 || off > size || addr.byteSize() > size - off) {
            throw new DaxException(Errno.EINVAL, name + ": " + op + " given " + addr
                    + ", which is not memory of this device (use directAccess)");
        }
        return off;
    }

    /**
     * What a memory fault during {@code op} on {@code [offset, offset + bytes)} of the device
     * means for this device; poison is recorded in the bad-block list. A fault outside the device
     * (the caller's memory) is passed on as it is.
     */
    private DaxException fault(MemoryFaultException f, String op, long offset, long bytes) {
        long at = f.address() - memory.address();
        boolean known = f.address() >= 0;
        if (known && (at < 0 || at >= size)) {
            return f;
        }
        String where = known ? "device offset " + at : "device bytes [" + offset + ", +" + bytes + ")";
        if (f.kind() == MemoryFaultException.Kind.POISON) {
            long start = at & -f.granule();
            long first = start / BadBlocks.SECTOR_SIZE;
            long sectors = Math.min(size - start, f.granule()) / BadBlocks.SECTOR_SIZE;
            badBlocks.set(first, Math.max(1, sectors));
            return new DaxException(Errno.EIO, name + ": " + op + " hit poisoned media at " + where + "; sectors ["
                    + first + ", +" + Math.max(1, sectors) + ") are now in badBlocks()", f);
        }
        if (file == null) {
            return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": the page has no backing", f);
        }
        long end = known ? at + 1 : offset + bytes;
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (IOException e) {
            fileSize = -1;
        }
        if (fileSize >= 0 && fileSize < end) {
            return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": " + file
                    + " was cut to " + fileSize + " bytes while mapped (truncated by another process?); the "
                    + size + "-byte device now ends early", f);
        }
        long free = freeSpace();
        if (free >= 0 && free < PAGE_SIZE) {
            return new DaxException(Errno.ENOSPC, name + ": " + op + " faulted at " + where + ": the filesystem of "
                    + file + " has no space left to back that page (a sparse file? open it without sparse=true to "
                    + "allocate it up front)", f);
        }
        return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": the filesystem of " + file
                + " could not back that page", f);
    }

    /**
     * A page-cache flush syncs by system call anyway, so it also checks that the file still
     * holds the whole device: pages cut off by another process are gone with whatever was
     * written to them, and must not be acknowledged as durable. The runs stay dirty.
     */
    private void requireWholeFile(List<DirtyRanges.Run> runs) {
        long fileSize;
        try {
            fileSize = file == null ? size : Files.size(file);
        } catch (IOException e) {
            fileSize = size; // unknown: msync itself will say what is wrong
        }
        if (fileSize < size) {
            for (DirtyRanges.Run run : runs) {
                dirty.mark(run.offset(), run.bytes());
            }
            throw new DaxException(Errno.EIO, name + ": flush refused: " + file + " was cut to " + fileSize
                    + " bytes while mapped (truncated by another process?); what was written past that is lost");
        }
    }

    private long freeSpace() {
        try {
            return Files.getFileStore(file).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void markDirty(long offset, long bytes) {
        if (dirty != null) {
            dirty.mark(offset, bytes);
        }
    }

    private DaxException poisoned(String what, long offset, long bytes, BadBlocks.Range bad) {
        return new DaxException(Errno.EIO, name + ": " + what + " [" + offset + ", +" + bytes + ") holds bad sectors ["
                + bad.sector() + ", " + bad.end() + ") (poisoned media)");
    }

    private final class Ops implements DaxOperations {
        // Made once: the engine asks for them on every I/O.
        private final Optional<CopyFromIter> copyFromIter = Optional.of(this::copyFromIterFlushcache);
        private final Optional<CopyToIter> copyToIter = Optional.of(this::copyToIterChecked);
        private final Optional<ZeroPageRange> zeroPageRange = Optional.of(this::zero);
        private final Optional<CopyFromIter> recoveryWrite = Optional.of(this::recoveryWrite);

        @Override
        public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
            if (mode == null) {
                throw new DaxException(Errno.EINVAL, name + ": directAccess needs an access mode");
            }
            gate.enter();
            try {
                long n = PageRange.clamp(name, nrPages(), pgoff, nrPages);
                Optional<BadBlocks.Range> bad = badBlocks.check(pgoff * SECTORS_PER_PAGE, n * SECTORS_PER_PAGE);
                if (bad.isPresent()) {
                    if (mode != DaxAccessMode.RECOVERY_WRITE) {
                        throw poisoned("pages " + pgoff + ".." + (pgoff + n - 1) + ", bytes", pgoff * PAGE_SIZE,
                                n * PAGE_SIZE, bad.get());
                    }
                    // The kernel's recovery stride: the pages before the first bad sector, or its page.
                    n = Math.max(1, bad.get().sector() / SECTORS_PER_PAGE - pgoff);
                }
                MemorySegment addr = memory.asSlice(pgoff * PAGE_SIZE, n * PAGE_SIZE);
                if (mode == DaxAccessMode.READ) {
                    return new DirectAccess(addr.asReadOnly(), n);
                }
                markDirty(pgoff * PAGE_SIZE, n * PAGE_SIZE);
                return new DirectAccess(addr, n);
            } finally {
                gate.exit();
            }
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return copyFromIter;
        }

        private long copyFromIterFlushcache(MemorySegment addr, long bytes, IovIter iter) {
            gate.enter();
            long before = iter.consumed();
            long off = 0;
            try {
                off = deviceOffset(addr, "copyFromIter");
                return arch.copyFromIterFlushcache(addr, bytes, iter);
            } catch (MemoryFaultException f) {
                throw fault(f, "copyFromIter", off, bytes);
            } finally {
                markDirty(off, iter.consumed() - before); // after the copy, so a racing flush cannot miss it
                gate.exit();
            }
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return copyToIter;
        }

        private long copyToIterChecked(MemorySegment addr, long bytes, IovIter iter) {
            gate.enter();
            try {
                long off = deviceOffset(addr, "copyToIter");
                long n = Math.min(Math.min(bytes, iter.count()), addr.byteSize()); // more is the iterator's ERANGE
                if (n > 0) {
                    Optional<BadBlocks.Range> bad = badBlocks.check(off / BadBlocks.SECTOR_SIZE,
                            (off + n - 1) / BadBlocks.SECTOR_SIZE - off / BadBlocks.SECTOR_SIZE + 1);
                    if (bad.isPresent()) {
                        throw poisoned("copyToIter of bytes", off, n, bad.get());
                    }
                }
                try {
                    return arch.copyToIterMc(addr, bytes, iter);
                } catch (MemoryFaultException f) {
                    throw fault(f, "copyToIter", off, n);
                }
            } finally {
                gate.exit();
            }
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return zeroPageRange;
        }

        private void zero(long pgoff, long nrPages) {
            gate.enter();
            try {
                long n = PageRange.clamp(name, nrPages(), pgoff, nrPages);
                if (n != nrPages) {
                    throw new DaxException(Errno.ERANGE, name + ": pages [" + pgoff + ", +" + nrPages
                            + ") go past the end (" + nrPages() + " pages)");
                }
                long off = pgoff * PAGE_SIZE;
                long bytes = n * PAGE_SIZE;
                long done = 0;
                try {
                    while (done < bytes) {
                        long chunk = Math.min(ZEROS.byteSize(), bytes - done);
                        arch.copyFlushcache(ZEROS, 0, memory, off + done, chunk);
                        done += chunk;
                    }
                } catch (MemoryFaultException f) {
                    throw fault(f, "zeroPageRange", off, bytes);
                } finally {
                    markDirty(off, done);
                }
                // Whole pages are whole sectors: all of their poison is gone (pmem_clear_poison).
                badBlocks.clear(pgoff * SECTORS_PER_PAGE, n * SECTORS_PER_PAGE);
            } finally {
                gate.exit();
            }
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            return recoveryWrite;
        }

        private long recoveryWrite(MemorySegment addr, long bytes, IovIter iter) {
            gate.enter();
            long before = iter.consumed();
            long off = 0;
            try {
                off = deviceOffset(addr, "recoveryWrite");
                long done;
                try {
                    done = arch.copyFromIterFlushcache(addr, bytes, iter);
                } catch (MemoryFaultException f) {
                    throw fault(f, "recoveryWrite", off, bytes);
                }
                // Only sectors rewritten whole are good again; a partly written one keeps its poison.
                long first = (off + BadBlocks.SECTOR_SIZE - 1) / BadBlocks.SECTOR_SIZE;
                long end = (off + done) / BadBlocks.SECTOR_SIZE;
                if (end > first) {
                    badBlocks.clear(first, end - first);
                }
                return done;
            } finally {
                markDirty(off, iter.consumed() - before);
                gate.exit();
            }
        }

        @Override
        public void flush() {
            gate.enter();
            try {
                arch.fence();
                if (dirty != null) {
                    msyncDirty();
                }
            } finally {
                gate.exit();
            }
        }

        private void msyncDirty() {
            List<DirtyRanges.Run> runs = dirty.drain();
            if (!runs.isEmpty()) {
                requireWholeFile(runs);
            }
            for (int i = 0; i < runs.size(); i++) {
                DirtyRanges.Run run = runs.get(i);
                try {
                    msync.sync(memory.asSlice(run.offset(), run.bytes()));
                } catch (RuntimeException e) {
                    // What was not synced stays dirty for the next flush.
                    for (DirtyRanges.Run left : runs.subList(i, runs.size())) {
                        dirty.mark(left.offset(), left.bytes());
                    }
                    throw e instanceof DaxException d ? d
                            : new DaxException(Errno.EIO, name + ": msync failed: " + e, e);
                }
            }
        }
    }
}
