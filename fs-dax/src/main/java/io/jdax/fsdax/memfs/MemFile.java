package io.jdax.fsdax.memfs;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.Inode;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.IomapFlag;
import io.jdax.uio.IovIter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static io.jdax.fsdax.memfs.MemFs.BLOCK_SIZE;
import static io.jdax.fsdax.memfs.MemFs.MAX_FILE_SIZE;

/**
 * A file of a {@link MemFs}: a size and a map from file blocks to device blocks, each block
 * written or unwritten. Reads and writes run through the filesystem's {@link io.jdax.fsdax.DaxIomap};
 * reads share the file, every other operation has it to itself ({@code i_rwsem}).
 * <p>
 * Invariant: every byte a read can see is either data written to it or zero. Writes zero what a
 * new block does not receive, fallocate's blocks read as zeros until written, and truncate and
 * punch hole zero the parts of blocks they keep.
 */
public final class MemFile implements Inode {
    /** A file block's device block, and whether it was ever written. */
    private record Block(long dev, boolean unwritten) {
    }

    private final MemFs fs;
    private final long ino;
    private final ReentrantReadWriteLock rwsem = new ReentrantReadWriteLock();
    private final TreeMap<Long, Block> blocks = new TreeMap<>(); // guarded by this
    private long size; // guarded by this

    MemFile(MemFs fs, long ino) {
        this.fs = fs;
        this.ino = ino;
    }

    /** The inode number, unique within the filesystem. */
    public long ino() {
        return ino;
    }

    MemFs fs() {
        return fs;
    }

    @Override
    public synchronized long size() {
        return size;
    }

    /** Device blocks the file holds, written or not. */
    public synchronized long blockCount() {
        return blocks.size();
    }

    /**
     * The file's extents, as {@code FIEMAP} lists them: runs of blocks contiguous on the device,
     * {@link Iomap.Mapped} (written) or {@link Iomap.Unwritten}, in file order; holes left out.
     */
    public synchronized List<Iomap> fiemap() {
        List<Iomap> out = new ArrayList<>();
        long start = -1;
        Block first = null;
        long n = 0;
        for (Map.Entry<Long, Block> e : blocks.entrySet()) {
            Block b = e.getValue();
            if (first != null && e.getKey() == start + n && b.dev() == first.dev() + n && b.unwritten() == first.unwritten()) {
                n++;
                continue;
            }
            if (first != null) {
                out.add(extent(start, first, n, false));
            }
            start = e.getKey();
            first = b;
            n = 1;
        }
        if (first != null) {
            out.add(extent(start, first, n, false));
        }
        return out;
    }

    /**
     * Reads from {@code pos} into {@code dst} ({@code read_iter}); stops at the end of the file.
     *
     * @return the bytes read, 0 at or past the end of the file
     * @throws DaxException EINVAL for a SOURCE iterator or a bad position; as {@link io.jdax.fsdax.DaxIomap#rw}
     */
    public long read(long pos, IovIter dst) {
        requireDirection(dst, IovIter.Direction.DEST, "read");
        return locked(rwsem.readLock(), () -> fs.dax().rw(this, pos, dst, fs));
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
        return locked(rwsem.writeLock(), () -> fs.dax().rw(this, pos, src, fs));
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
        locked(rwsem.writeLock(), () -> {
            synchronized (this) {
                long first = pos / BLOCK_SIZE;
                long last = Math.ceilDiv(pos + length, BLOCK_SIZE);
                fs.allocator.require(holes(first, last), () -> "file " + ino + ": fallocate of " + length + " bytes at " + pos);
                for (long b = first; b < last; ) {
                    if (blocks.containsKey(b)) {
                        b++;
                        continue;
                    }
                    Long next = blocks.higherKey(b);
                    BlockAllocator.Run run = fs.allocator.allocate((next == null ? last : Math.min(next, last)) - b);
                    for (long i = 0; i < run.count(); i++) {
                        blocks.put(b + i, new Block(run.start() + i, true));
                    }
                    b += run.count();
                }
                size = Math.max(size, pos + length);
            }
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
        locked(rwsem.writeLock(), () -> {
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
        locked(rwsem.writeLock(), () -> {
            if (newSize < size()) {
                long keep = Math.ceilDiv(newSize, BLOCK_SIZE);
                if (newSize % BLOCK_SIZE != 0) {
                    fs.dax().zeroRange(this, newSize, keep * BLOCK_SIZE - newSize, fs);
                }
                release(keep, Long.MAX_VALUE);
            }
            synchronized (this) {
                size = newSize;
            }
            return null;
        });
    }

    /** Makes every completed write durable: the device's {@code flush()} ({@code fsync}). */
    public void fsync() {
        fs.device().operations().flush();
    }

    /**
     * Maps {@code [pos, pos + length)} straight onto device memory; see
     * {@link io.jdax.fsdax.DaxIomap#map}: the range must be written and contiguous on the device.
     */
    public DaxMapping map(long pos, long length, DaxAccessMode mode) {
        return locked(rwsem.readLock(), () -> fs.dax().map(this, pos, length, mode, fs));
    }

    @Override
    public String toString() {
        return "MemFile[ino=" + ino + " size=" + size() + " blocks=" + blockCount() + "]";
    }

    // ---- the IomapOps of MemFs, per file

    synchronized Iomap begin(long pos, long length, Set<IomapFlag> flags) {
        long first = pos / BLOCK_SIZE;
        long last = Math.ceilDiv(pos + length, BLOCK_SIZE);
        boolean write = flags.contains(IomapFlag.WRITE);
        Block head; // the block at `first`, if any
        long n; // blocks from `first` contiguous on the device, with head's unwritten state
        long firstPresent; // the first block the map holds in [first, last), else `last`
        long present; // blocks the map holds in [first, last); counted in full for writes only
        if (last - first == 1) {
            head = blocks.get(first);
            n = present = head == null ? 0 : 1;
            firstPresent = head == null ? last : first;
        } else {
            // One ordered walk, not a lookup per block: each lookup descends the whole tree (nodes
            // and boxed keys mostly out of cache), and 16 of them cost more than a 64 KiB copy.
            head = null;
            n = present = 0;
            firstPresent = last;
            for (Map.Entry<Long, Block> e : blocks.subMap(first, true, last, false).entrySet()) {
                long k = e.getKey();
                Block b = e.getValue();
                if (present++ == 0) {
                    firstPresent = k;
                    if (k == first) {
                        head = b;
                        n = 1;
                        continue;
                    }
                } else if (head != null && k == first + n && b.dev() == head.dev() + n
                        && b.unwritten() == head.unwritten()) {
                    n++;
                    continue;
                }
                if (!write) {
                    break; // a read needs only the run, or where the hole ends
                }
            }
        }
        if (write) {
            // Space for the whole rest of the write, checked before a block is taken or a byte
            // copied: ENOSPC leaves nothing half-written.
            fs.allocator.require(last - first - present, () -> "file " + ino + ": a write of " + length + " bytes at " + pos);
        }
        if (head != null) {
            // A write converts unwritten blocks; they hold whatever the device held, so they are new to it.
            return extent(first, head, n, write);
        }
        long holeEnd = firstPresent;
        if (!write) {
            long endByte = holeEnd > Long.MAX_VALUE / BLOCK_SIZE ? Long.MAX_VALUE : holeEnd * BLOCK_SIZE;
            return new Iomap.Hole(first * BLOCK_SIZE, endByte - first * BLOCK_SIZE);
        }
        BlockAllocator.Run run = fs.allocator.allocate(holeEnd - first);
        // Not in the block map until end() commits it.
        return new Iomap.Mapped(first * BLOCK_SIZE, run.count() * BLOCK_SIZE, fs.device(),
                run.start() * BLOCK_SIZE, true);
    }

    synchronized void end(long pos, long written, Set<IomapFlag> flags, Iomap iomap) {
        if (!flags.contains(IomapFlag.WRITE)) {
            return;
        }
        if (iomap instanceof Iomap.Mapped m && m.isNew()) {
            // Commit the blocks that received data; release (or leave unwritten) the rest.
            long firstBlock = m.offset() / BLOCK_SIZE;
            long firstDev = m.addr() / BLOCK_SIZE;
            long committedEnd = written > 0 ? Math.ceilDiv(pos + written, BLOCK_SIZE) : firstBlock;
            for (long i = 0; i < m.length() / BLOCK_SIZE; i++) {
                long fileBlock = firstBlock + i;
                Block cur = blocks.get(fileBlock);
                if (cur != null && cur.dev() != firstDev + i) {
                    throw new DaxException(Errno.EUCLEAN, "file " + ino + ": block " + fileBlock + " is at device block "
                            + cur.dev() + ", the extent says " + (firstDev + i));
                }
                if (fileBlock < committedEnd) {
                    blocks.put(fileBlock, new Block(firstDev + i, false));
                } else if (cur == null) {
                    fs.allocator.free(firstDev + i);
                }
            }
        }
        if (written > 0) {
            size = Math.max(size, pos + written);
        }
    }

    // ---- helpers

    private Iomap extent(long firstBlock, Block b, long n, boolean write) {
        long offset = firstBlock * BLOCK_SIZE;
        long length = n * BLOCK_SIZE;
        long addr = b.dev() * BLOCK_SIZE;
        if (!b.unwritten()) {
            return new Iomap.Mapped(offset, length, fs.device(), addr, false);
        }
        return write ? new Iomap.Mapped(offset, length, fs.device(), addr, true)
                : new Iomap.Unwritten(offset, length, fs.device(), addr);
    }

    /** Blocks of {@code [first, last)} not in the map. */
    private long holes(long first, long last) {
        return (last - first) - blocks.subMap(first, last).size();
    }

    /** Gives the blocks of {@code [first, last)} back to the allocator. */
    private synchronized void release(long first, long last) {
        NavigableMap<Long, Block> range = blocks.subMap(first, true, last, false);
        for (Block b : range.values()) {
            fs.allocator.free(b.dev());
        }
        range.clear();
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

    private static <T> T locked(Lock lock, java.util.function.Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }
}
