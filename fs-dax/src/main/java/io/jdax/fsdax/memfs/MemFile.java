package io.jdax.fsdax.memfs;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.ExtentMap;
import io.jdax.fsdax.ExtentMap.Extent;
import io.jdax.fsdax.Inode;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.IomapFlag;
import io.jdax.fsdax.Rwsem;
import io.jdax.uio.IovIter;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.jdax.fsdax.memfs.MemFs.BLOCK_SIZE;
import static io.jdax.fsdax.memfs.MemFs.MAX_FILE_SIZE;

/**
 * A file of a {@link MemFs}: a size and an extent map from file blocks to device blocks, each
 * extent written or unwritten. Reads and writes run through the filesystem's {@link io.jdax.fsdax.DaxIomap};
 * reads share the file, every other operation has it to itself ({@code i_rwsem}). That lock
 * guards the extent map and the size, as daxfs's files do: the filesystem's
 * {@code begin} and {@code end} run under it, taken by the method that drives the engine.
 * <p>
 * Invariant: every byte a read can see is either data written to it or zero. Writes zero what a
 * new block does not receive, fallocate's blocks read as zeros until written, and truncate and
 * punch hole zero the parts of blocks they keep.
 */
public final class MemFile implements Inode {
    private final MemFs fs;
    private final long ino;
    // Not reentrant (as i_rwsem is not): nothing under it takes it again. Biased to the first
    // thread: no locked instruction per I/O while one thread uses the file (see Rwsem).
    private final Rwsem rwsem;
    /* Guarded by rwsem. A run is one extent, so one lookup finds it, however many blocks it has. */
    private final ExtentMap extents = new ExtentMap();
    private volatile long size; // written under the write lock; volatile so size() takes no lock

    MemFile(MemFs fs, long ino) {
        this.fs = fs;
        this.ino = ino;
        DaxDevice device = fs.device();
        this.rwsem = new Rwsem(device.readSideFenced() ? null : device.arch()::processBarrier);
    }

    /** The inode number, unique within the filesystem. */
    public long ino() {
        return ino;
    }

    MemFs fs() {
        return fs;
    }

    @Override
    public long size() {
        return size;
    }

    /** Device blocks the file holds, written or not. */
    public long blockCount() {
        return locked(false, extents::blockCount);
    }

    /**
     * The file's extents, as {@code FIEMAP} lists them: runs of blocks contiguous on the device,
     * {@link Iomap.Mapped} (written) or {@link Iomap.Unwritten}, in file order; holes left out.
     */
    public List<Iomap> fiemap() {
        return locked(false, () -> {
            List<Iomap> out = new ArrayList<>();
            for (Extent e : extents) {
                out.add(iomap(e.start(), e, e.count(), false));
            }
            return out;
        });
    }

    /**
     * Reads from {@code pos} into {@code dst} ({@code read_iter}); stops at the end of the file.
     *
     * @return the bytes read, 0 at or past the end of the file
     * @throws DaxException EINVAL for a SOURCE iterator or a bad position; as {@link io.jdax.fsdax.DaxIomap#rw}
     */
    public long read(long pos, IovIter dst) {
        requireDirection(dst, IovIter.Direction.DEST, "read");
        long stamp = rwsem.readLock(); // not locked(...): no capturing lambda per read or write
        try {
            return fs.dax().rw(this, pos, dst, fs);
        } finally {
            rwsem.unlock(stamp);
        }
    }

    /**
     * Writes {@code src} at {@code pos} ({@code write_iter}), allocating holes and growing the file.
     *
     * @return the bytes written: all of them unless an error stopped the write part-way
     * @throws DaxException EINVAL for a DEST iterator or a bad position; EFBIG past
     *                      {@link MemFs#MAX_FILE_SIZE}; ENOSPC, before anything is written, when the
     *                      device has too few free blocks for the whole write; as
     *                      {@link io.jdax.fsdax.DaxIomap#rw}
     */
    public long write(long pos, IovIter src) {
        requireDirection(src, IovIter.Direction.SOURCE, "write");
        long count = src.count();
        if (pos >= 0 && pos <= Long.MAX_VALUE - count && pos + count > MAX_FILE_SIZE) {
            throw new DaxException(Errno.EFBIG, "file " + ino + ": a write of " + count + " bytes at " + pos
                    + " goes past the largest file size " + MAX_FILE_SIZE);
        }
        long stamp = rwsem.writeLock();
        try {
            return fs.dax().rw(this, pos, src, fs);
        } finally {
            rwsem.unlock(stamp);
        }
    }

    /**
     * Allocates every block of {@code [pos, pos + length)} that is a hole, as unwritten (reads
     * as zeros), and grows the file to cover the range ({@code fallocate} mode 0).
     *
     * @throws DaxException EINVAL for a bad range; EFBIG past the largest file size; ENOSPC, with
     *                      nothing allocated, when the device has too few free blocks
     */
    public void fallocate(long pos, long length) {
        checkRange("fallocate", pos, length);
        locked(true, () -> {
            long first = pos / BLOCK_SIZE;
            long last = Math.ceilDiv(pos + length, BLOCK_SIZE);
            fs.allocator.require((last - first) - extents.mapped(first, last),
                    () -> "file " + ino + ": fallocate of " + length + " bytes at " + pos);
            for (long b = first; b < last; ) {
                Extent e = extents.lookup(b);
                if (e != null) {
                    b = e.end();
                    continue;
                }
                BlockAllocator.Run run = fs.allocator.allocate(holeEnd(b, last) - b);
                extents.set(b, run.start(), run.count(), true);
                b += run.count();
            }
            size = Math.max(size, pos + length);
            return null;
        });
    }

    /**
     * Releases the blocks wholly inside {@code [pos, pos + length)} and zeroes the punched part
     * of the blocks at its edges; the file size stays ({@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}).
     *
     * @throws DaxException EINVAL for a bad range; as {@link io.jdax.fsdax.DaxIomap#zeroRange}
     */
    public void punchHole(long pos, long length) {
        checkRange("punch hole", pos, length);
        locked(true, () -> {
            long firstWhole = Math.ceilDiv(pos, BLOCK_SIZE);
            long endWhole = (pos + length) / BLOCK_SIZE;
            if (firstWhole >= endWhole) {
                fs.dax().zeroRange(this, pos, length, fs); // no whole block: zero the range in place
            } else {
                fs.dax().zeroRange(this, pos, firstWhole * BLOCK_SIZE - pos, fs);
                fs.dax().zeroRange(this, endWhole * BLOCK_SIZE, pos + length - endWhole * BLOCK_SIZE, fs);
                release(firstWhole, endWhole);
            }
            return null;
        });
    }

    /**
     * Sets the file size. Shrinking releases the blocks past the new end and zeroes the rest of
     * the last block, so growing again shows zeros there; growing leaves a hole.
     *
     * @throws DaxException EINVAL for a negative size; EFBIG past the largest file size
     */
    public void truncate(long newSize) {
        if (newSize < 0) {
            throw new DaxException(Errno.EINVAL, "file " + ino + ": truncate to negative size " + newSize);
        }
        if (newSize > MAX_FILE_SIZE) {
            throw new DaxException(Errno.EFBIG, "file " + ino + ": truncate to " + newSize
                    + " is past the largest file size " + MAX_FILE_SIZE);
        }
        locked(true, () -> {
            if (newSize < size()) {
                long keep = Math.ceilDiv(newSize, BLOCK_SIZE);
                if (newSize % BLOCK_SIZE != 0) {
                    fs.dax().zeroRange(this, newSize, keep * BLOCK_SIZE - newSize, fs);
                }
                release(keep, Long.MAX_VALUE);
            }
            size = newSize;
            return null;
        });
    }

    /** Makes every completed write durable: the device's {@code flush()} ({@code fsync}). */
    public void fsync() {
        fs.device().flush();
    }

    /**
     * Maps {@code [pos, pos + length)} straight onto device memory; see
     * {@link io.jdax.fsdax.DaxIomap#map}: the range must be written and contiguous on the device.
     */
    public DaxMapping map(long pos, long length, DaxAccessMode mode) {
        return locked(false, () -> fs.dax().map(this, pos, length, mode, fs));
    }

    @Override
    public String toString() {
        return "MemFile[ino=" + ino + " size=" + size() + " blocks=" + blockCount() + "]";
    }

    // ---- the IomapOps of MemFs, per file: called under rwsem, shared for reads and faults,
    // exclusive for writes and zeroing

    Iomap begin(long pos, long length, Set<IomapFlag> flags) {
        long first = pos / BLOCK_SIZE;
        long last = Math.ceilDiv(pos + length, BLOCK_SIZE);
        boolean write = flags.contains(IomapFlag.WRITE);
        Extent head = extents.lookup(first);
        if (write && (head == null || head.end() < last)) {
            // Space for the whole rest of the write, checked before a block is taken or a byte
            // copied: ENOSPC leaves nothing half-written.
            fs.allocator.require((last - first) - extents.mapped(first, last),
                    () -> "file " + ino + ": a write of " + length + " bytes at " + pos);
        }
        if (head != null) {
            if (!head.unwritten()) {
                return written(head); // the whole extent: the engine clips it to the I/O
            }
            // A write converts unwritten blocks; they hold whatever the device held, so they are new to it.
            return iomap(first, head, Math.min(head.end(), last) - first, write);
        }
        long holeEnd = holeEnd(first, last);
        if (!write) {
            long endByte = holeEnd > Long.MAX_VALUE / BLOCK_SIZE ? Long.MAX_VALUE : holeEnd * BLOCK_SIZE;
            return new Iomap.Hole(first * BLOCK_SIZE, endByte - first * BLOCK_SIZE);
        }
        BlockAllocator.Run run = fs.allocator.allocate(holeEnd - first);
        // Not in the extent map until end() commits it.
        return new Iomap.Mapped(first * BLOCK_SIZE, run.count() * BLOCK_SIZE, fs.device(),
                run.start() * BLOCK_SIZE, true);
    }

    void end(long pos, long written, Set<IomapFlag> flags, Iomap iomap) {
        if (!flags.contains(IomapFlag.WRITE)) {
            return;
        }
        if (iomap instanceof Iomap.Mapped m && m.isNew()) {
            // Commit the blocks that received data; release (or leave unwritten) the rest.
            long first = m.offset() / BLOCK_SIZE;
            long last = first + m.length() / BLOCK_SIZE;
            long firstDev = m.addr() / BLOCK_SIZE;
            long committedEnd = written > 0 ? Math.min(Math.ceilDiv(pos + written, BLOCK_SIZE), last) : first;
            List<Extent> held = extents.pieces(first, last); // unwritten blocks begin converted, if any
            for (Extent p : held) {
                if (p.dev() != firstDev + (p.start() - first)) {
                    throw new DaxException(Errno.EUCLEAN, "file " + ino + ": block " + p.start() + " is at device block "
                            + p.dev() + ", the extent says " + (firstDev + (p.start() - first)));
                }
            }
            if (committedEnd > first) {
                extents.set(first, firstDev, committedEnd - first, false); // merges with written neighbours
            }
            // Blocks past the commit that the map does not hold were allocated by begin: give them back.
            long b = committedEnd;
            for (Extent p : held) {
                if (p.end() > b) {
                    freeDev(firstDev + (b - first), Math.max(p.start() - b, 0));
                    b = p.end();
                }
            }
            freeDev(firstDev + (b - first), last - b);
        }
        if (written > 0 && pos + written > size) {
            size = pos + written; // only a write that grows the file pays the volatile store
        }
    }

    // ---- helpers

    /** A written extent and its iomap, made once: overwrites and reads in steady state allocate nothing. */
    private record Cached(Extent extent, Iomap.Mapped map) {
    }

    /**
     * The last written extent handed out; a plain field, as readers under the shared rwsem may
     * race to set it (a record's final fields make any one they see whole).
     */
    private Cached cached;

    /** The iomap of all of written extent {@code e}: the cached one while the map still holds that extent. */
    private Iomap written(Extent e) {
        Cached c = cached;
        if (c != null && c.extent() == e) {
            return c.map();
        }
        Iomap.Mapped m = new Iomap.Mapped(e.start() * BLOCK_SIZE, e.count() * BLOCK_SIZE, fs.device(),
                e.dev() * BLOCK_SIZE, false);
        cached = new Cached(e, m);
        return m;
    }

    /** The iomap of {@code n} blocks of extent {@code e} from file block {@code firstBlock}. */
    private Iomap iomap(long firstBlock, Extent e, long n, boolean write) {
        long offset = firstBlock * BLOCK_SIZE;
        long length = n * BLOCK_SIZE;
        long addr = e.devOf(firstBlock) * BLOCK_SIZE;
        if (!e.unwritten()) {
            return new Iomap.Mapped(offset, length, fs.device(), addr, false);
        }
        return write ? new Iomap.Mapped(offset, length, fs.device(), addr, true)
                : new Iomap.Unwritten(offset, length, fs.device(), addr);
    }

    /** Where the hole at file block {@code b} ends: the next extent, or {@code last} if that comes first. */
    private long holeEnd(long b, long last) {
        Extent next = extents.ceiling(b);
        return next == null ? last : Math.min(next.start(), last);
    }

    /** Gives device blocks {@code [dev, dev + count)} back to the allocator. */
    private void freeDev(long dev, long count) {
        if (count > 0) {
            fs.allocator.free(dev, count);
        }
    }

    /** Gives the blocks of {@code [first, last)} back to the allocator. */
    private void release(long first, long last) {
        for (Extent p : extents.clear(first, last)) {
            fs.allocator.free(p.dev(), p.count());
        }
    }

    private void checkRange(String what, long pos, long length) {
        if (pos < 0 || length <= 0 || pos > Long.MAX_VALUE - length) {
            throw new DaxException(Errno.EINVAL, "file " + ino + ": " + what + " of [" + pos + ", +" + length
                    + "): the offset must be >= 0 and the length > 0, without overflow");
        }
        if (pos + length > MAX_FILE_SIZE) {
            throw new DaxException(Errno.EFBIG, "file " + ino + ": " + what + " of [" + pos + ", +" + length
                    + ") goes past the largest file size " + MAX_FILE_SIZE);
        }
    }

    private void requireDirection(IovIter iter, IovIter.Direction wanted, String op) {
        if (iter.direction() != wanted) {
            throw new DaxException(Errno.EINVAL, "file " + ino + ": " + op + " needs a " + wanted + " iterator, got "
                    + iter.direction());
        }
    }

    private <T> T locked(boolean exclusive, java.util.function.Supplier<T> body) {
        long stamp = exclusive ? rwsem.writeLock() : rwsem.readLock();
        try {
            return body.get();
        } finally {
            rwsem.unlock(stamp);
        }
    }
}
