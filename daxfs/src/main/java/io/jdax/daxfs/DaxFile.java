package io.jdax.daxfs;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.daxfs.fault.Fault;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.ExtentMap.Extent;
import io.jdax.fsdax.Inode;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.IomapFlag;
import io.jdax.fsdax.IomapOps;
import io.jdax.uio.IovIter;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import static io.jdax.daxfs.DaxFs.BLOCK_SIZE;
import static io.jdax.daxfs.DaxFs.MAX_FILE_SIZE;

/**
 * A file of a {@link DaxFs}: its inode in memory and the handle to do I/O on it. One object per
 * file, shared by everyone who opens it; valid until the file is deleted or replaced by a
 * rename (then every call fails with ENOENT) or the filesystem is unmounted (EBADF).
 * <p>
 * Reads, stats and mappings share the file; every other call has it to itself. Every byte a
 * read can see is data written to it or zero: new blocks are zeroed around what a write
 * stores before they join the file, fallocated blocks read as zeros until written, and when the
 * size grows over the tail of the last block, that tail is zeroed first.
 */
public final class DaxFile implements Inode {
    /*
     * The engine's begin and end for every daxfs file, as ext4_iomap_ops is for ext4's: a private
     * constant that only the file's own methods hand to DaxIomap, holding the file's lock and the
     * unmount guard the IomapOps contract needs. Not the filesystem, as memfs's MemFs is: begin
     * and end work on the file's map and state, so DaxFs could only forward them, and a public
     * IomapOps would let anyone drive the engine around those locks, with any file.
     */
    private static final IomapOps<DaxFile> IOMAP_OPS = new IomapOps<>() {
        @Override
        public Iomap begin(DaxFile file, long pos, long length, Set<IomapFlag> flags) {
            return file.begin(pos, length, flags);
        }

        @Override
        public void end(DaxFile file, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
            file.end(pos, written, flags, iomap);
        }
    };

    /** All the file may use of its filesystem. */
    private final FileHost fs;
    final InodeData d;
    final ReentrantReadWriteLock rwsem = new ReentrantReadWriteLock();
    volatile boolean deleted;
    /** Nodes promised to the write step in flight; guarded by the write lock. */
    private long promise;

    DaxFile(FileHost fs, InodeData d) {
        this.fs = fs;
        this.d = d;
    }

    /** The inode number, unique among live files. */
    public long ino() {
        return d.ino;
    }

    /** The file's current name. */
    public String name() {
        return d.nameString();
    }

    @Override
    public long size() {
        return d.size;
    }

    /** {@code stat}: size, blocks, times. */
    public FileStat stat() {
        return shared(() -> new FileStat(d.nameString(), d.ino, d.size, d.map.blockCount(), instant(d.crtime),
                instant(d.mtime), instant(d.ctime)));
    }

    /**
     * The file's extents as {@code FIEMAP} lists them: runs of blocks contiguous on the device,
     * {@link Iomap.Mapped} (written) or {@link Iomap.Unwritten}, in file order; holes left out.
     */
    public List<Iomap> fiemap() {
        return shared(() -> {
            List<Iomap> out = new ArrayList<>();
            for (Extent e : d.map.extents()) {
                out.add(iomap(e.start(), e, e.count(), false));
            }
            return out;
        });
    }

    /**
     * Reads from {@code pos} into {@code dst}; stops at the end of the file.
     *
     * @return the bytes read, 0 at or past the end of the file
     * @throws DaxException EINVAL for a SOURCE iterator or a negative position; as
     *                      {@link io.jdax.fsdax.DaxIomap#rw}
     */
    public long read(long pos, IovIter dst) {
        Objects.requireNonNull(dst, "dst");
        requireDirection(dst, IovIter.Direction.DEST, "read");
        // Not shared(...): no capturing lambda nor boxed count per read or write.
        try (DaxFs.Active a = fs.active()) {
            rwsem.readLock().lock();
            try {
                checkAlive();
                return fs.dax().rw(this, pos, dst, IOMAP_OPS);
            } finally {
                rwsem.readLock().unlock();
            }
        }
    }

    /**
     * Writes {@code src} at {@code pos}, allocating holes and growing the file. Allocation and
     * growth are durable when this returns; the bytes themselves after {@link #fsync()}.
     *
     * @return the bytes written: all of them unless an error stopped the write part-way
     * @throws DaxException EINVAL for a DEST iterator or a negative position; EFBIG past
     *                      {@link DaxFs#MAX_FILE_SIZE}; ENOSPC, before anything is written, when
     *                      the device has too few free blocks for the whole write
     */
    public long write(long pos, IovIter src) {
        Objects.requireNonNull(src, "src");
        requireDirection(src, IovIter.Direction.SOURCE, "write");
        long count = src.count();
        if (pos < 0) {
            throw new DaxException(Errno.EINVAL, this + ": write at negative offset " + pos);
        }
        if (pos > MAX_FILE_SIZE - count) {
            throw new DaxException(Errno.EFBIG, this + ": a write of " + count + " bytes at " + pos
                    + " goes past the largest file size " + MAX_FILE_SIZE);
        }
        try (DaxFs.Active a = fs.active()) {
            rwsem.writeLock().lock();
            try {
                checkAlive();
                if (count == 0) {
                    return 0;
                }
                if (pos > d.size) {
                    zeroTail(pos);
                }
                return fs.dax().rw(this, pos, src, IOMAP_OPS);
            } finally {
                rwsem.writeLock().unlock();
            }
        }
    }

    /**
     * Sets the size, durably. Shrinking frees the blocks past the new end; growing leaves a hole
     * that reads as zeros.
     *
     * @throws DaxException EINVAL for a negative size; EFBIG past {@link DaxFs#MAX_FILE_SIZE}
     */
    public void truncate(long newSize) {
        if (newSize < 0) {
            throw new DaxException(Errno.EINVAL, this + ": truncate to negative size " + newSize);
        }
        if (newSize > MAX_FILE_SIZE) {
            throw new DaxException(Errno.EFBIG, this + ": truncate to " + newSize + " is past the largest file size "
                    + MAX_FILE_SIZE);
        }
        exclusive(() -> {
            long old = d.size;
            if (newSize == old) {
                return null;
            }
            if (newSize > old) {
                zeroTail(newSize);
            }
            long now = DaxFs.now();
            fs.transact(0, tx -> {
                d.size = newSize;
                d.mtime = now;
                d.ctime = now;
                fs.dirtyInode(tx, d);
                if (newSize < old) {
                    fs.freeBlocks(tx, d, Math.ceilDiv(newSize, BLOCK_SIZE), Long.MAX_VALUE);
                }
            });
            return null;
        });
    }

    /**
     * Allocates every hole of {@code [pos, pos + length)} as unwritten blocks (reading as zeros)
     * and grows the file to cover the range ({@code fallocate} mode 0), durably.
     *
     * @throws DaxException EINVAL for a bad range; EFBIG past the largest file size; ENOSPC, with
     *                      nothing allocated, when the device has too few free blocks
     */
    public void fallocate(long pos, long length) {
        checkRange("fallocate", pos, length);
        exclusive(() -> {
            long end = pos + length;
            long first = pos / BLOCK_SIZE;
            long last = Math.ceilDiv(end, BLOCK_SIZE);
            long holes = holes(first, last);
            long need = holes + d.map.nodesNeeded(first, last);
            fs.promise(need, () -> this + ": fallocate of " + length + " bytes at " + pos);
            boolean promised = true;
            try {
                if (end > d.size) {
                    zeroTail(end);
                }
                long now = DaxFs.now();
                promised = false; // the transaction returns what it does not use
                fs.transact(need, tx -> {
                    BlockMap.Meta meta = fs.meta(tx, d);
                    fs.dirtyInode(tx, d);
                    for (long fb = first; fb < last; fb++) {
                        Extent e = d.map.lookup(fb);
                        if (e != null) {
                            fb = e.end() - 1; // mapped already: on to the hole after the run
                            continue;
                        }
                        if (fs.full(tx, d, fb)) { // commit what is mapped so far, inside the file
                            d.size = Math.max(d.size, Math.min(end, fb * BLOCK_SIZE));
                            fs.split(tx, d);
                        }
                        d.map.set(fb, fs.takePromised(tx) | BlockMap.UNWRITTEN, meta);
                    }
                    d.size = Math.max(d.size, end);
                    d.mtime = now;
                    d.ctime = now;
                });
            } finally {
                if (promised) {
                    fs.unpromise(need);
                }
            }
            return null;
        });
    }

    /**
     * Frees the blocks wholly inside {@code [pos, pos + length)} and zeroes the punched part of
     * the blocks at its edges; the size stays ({@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE}).
     * Like a write of zeros, it is all done when it returns, and a crash during it may leave part
     * of it done: the edges are zeroed in place before the transaction that frees the blocks.
     *
     * @throws DaxException EINVAL for a bad range
     */
    public void punchHole(long pos, long length) {
        checkRange("punch hole", pos, length);
        exclusive(() -> {
            long firstWhole = Math.ceilDiv(pos, BLOCK_SIZE);
            long endWhole = (pos + length) / BLOCK_SIZE;
            if (firstWhole >= endWhole) {
                fs.dax().zeroRange(this, pos, length, IOMAP_OPS);
            } else {
                fs.dax().zeroRange(this, pos, firstWhole * BLOCK_SIZE - pos, IOMAP_OPS);
                fs.dax().zeroRange(this, endWhole * BLOCK_SIZE, pos + length - endWhole * BLOCK_SIZE, IOMAP_OPS);
            }
            long now = DaxFs.now();
            fs.transact(0, tx -> {
                d.mtime = now;
                d.ctime = now;
                fs.dirtyInode(tx, d);
                if (firstWhole < endWhole) {
                    fs.freeBlocks(tx, d, firstWhole, endWhole);
                }
            });
            return null;
        });
    }

    /**
     * Makes every completed write durable ({@code fsync}): the device's flush, and a transaction
     * for the times when writes changed them without one.
     */
    public void fsync() {
        try (DaxFs.Active a = fs.active()) {
            checkAlive();
            if (d.timesDirty) {
                fs.transact(0, tx -> fs.dirtyInode(tx, d)); // fences before it commits
            } else {
                fs.fence();
            }
        }
    }

    /**
     * Maps {@code [pos, pos + length)} straight onto device memory ({@link io.jdax.fsdax.DaxIomap#map}):
     * the range must lie within the file, be written, and be contiguous on the device.
     *
     * @throws DaxException EINVAL for a range past the end of the file, holes or unwritten blocks
     */
    public DaxMapping map(long pos, long length, DaxAccessMode mode) {
        return shared(() -> {
            if (pos < 0 || length < 1 || pos > d.size - length) {
                throw new DaxException(Errno.EINVAL, this + ": cannot map [" + pos + ", +" + length
                        + "): it must lie within the file's " + d.size + " bytes");
            }
            return fs.dax().map(this, pos, length, mode, IOMAP_OPS);
        });
    }

    @Override
    public String toString() {
        return "file " + Names.quote(d.nameString()) + " (inode " + d.ino + ")";
    }

    // ---- IOMAP_OPS, per file; the caller holds the file's lock

    private Iomap begin(long pos, long length, Set<IomapFlag> flags) {
        long first = pos / BLOCK_SIZE;
        boolean write = flags.contains(IomapFlag.WRITE);
        if (first >= BlockMap.MAX_BLOCKS) {
            if (write) {
                throw new DaxException(Errno.EFBIG, this + ": write past the largest file size " + MAX_FILE_SIZE);
            }
            return new Iomap.Hole(pos, length); // past any block a file can have
        }
        long last = Math.min(Math.ceilDiv(pos + length, BLOCK_SIZE), BlockMap.MAX_BLOCKS);
        Extent head = d.map.lookup(first);
        if (write && (head == null || head.end() < last)) {
            long holes = holes(first, last);
            if (holes > 0) {
                // Space for the whole rest of the write, checked before a block is taken or a
                // byte copied: ENOSPC leaves nothing half-written.
                fs.require(holes + d.map.nodesNeeded(first, last), () -> writeOf(length, pos));
            }
        }
        if (head != null) {
            // One lookup answers the whole run. A write converts unwritten blocks; they hold
            // whatever the device held, so they are new to it.
            return iomap(first, head, Math.min(head.end(), last) - first, write);
        }
        Extent next = d.map.ceiling(first);
        long holeEnd = next == null ? last : Math.min(next.start(), last);
        if (!write) {
            return new Iomap.Hole(first * BLOCK_SIZE, (holeEnd - first) * BLOCK_SIZE);
        }
        Allocator.Run run = fs.allocate(holeEnd - first, () -> writeOf(length, pos));
        long nodes = d.map.nodesNeeded(first, first + run.count());
        try {
            fs.promise(nodes, () -> writeOf(length, pos));
        } catch (DaxException e) {
            for (long b = run.start(); b < run.start() + run.count(); b++) {
                fs.unbusy(b);
            }
            throw e;
        }
        promise += nodes;
        // Not in the block map until end() commits it.
        return new Iomap.Mapped(first * BLOCK_SIZE, run.count() * BLOCK_SIZE, fs.device(), run.start() * BLOCK_SIZE,
                !fs.injected(Fault.NO_NEW_FLAG));
    }

    private void end(long pos, long written, Set<IomapFlag> flags, Iomap iomap) {
        if (!flags.contains(IomapFlag.WRITE)) {
            return;
        }
        long promised = promise;
        promise = 0;
        long now = DaxFs.now();
        long writeEnd = pos + written;
        if (iomap instanceof Iomap.Mapped m && (m.isNew() || d.map.lookup(m.offset() / BLOCK_SIZE) == null)) {
            long firstBlock = m.offset() / BLOCK_SIZE;
            long firstDev = m.addr() / BLOCK_SIZE;
            long count = m.length() / BLOCK_SIZE;
            long committedEnd = written > 0 ? Math.ceilDiv(writeEnd, BLOCK_SIZE) : firstBlock;
            if (committedEnd <= firstBlock) { // nothing stored: the fresh blocks go back, no transaction
                fs.unpromise(promised);
                for (long i = 0; i < count; i++) {
                    if (d.map.lookup(firstBlock + i) == null) {
                        fs.unbusy(firstDev + i);
                    }
                }
                return;
            }
            fs.transact(promised, tx -> {
                BlockMap.Meta meta = fs.meta(tx, d);
                fs.dirtyInode(tx, d);
                for (long i = 0; i < count; i++) {
                    long fb = firstBlock + i;
                    long dev = firstDev + i;
                    Extent cur = d.map.lookup(fb);
                    if (cur != null && cur.devOf(fb) != dev) {
                        throw new DaxException(Errno.EUCLEAN, this + ": file block " + fb + " is at device block "
                                + cur.devOf(fb) + ", the extent says " + dev);
                    }
                    if (fb < committedEnd) {
                        if (fs.full(tx, d, fb)) { // commit the blocks so far, inside the file
                            d.size = Math.max(d.size, Math.min(writeEnd, fb * BLOCK_SIZE));
                            fs.split(tx, d);
                        }
                        if (cur == null) {
                            fs.markUsed(dev, tx);
                        }
                        d.map.set(fb, dev, meta);
                    } else if (cur == null) {
                        fs.unbusy(dev); // allocated past what the write stored: never on the media
                    }
                }
                if (written > 0) {
                    d.size = Math.max(d.size, writeEnd);
                    d.mtime = now;
                    d.ctime = now;
                }
            });
            return;
        }
        fs.unpromise(promised);
        if (written > 0) {
            d.mtime = now;
            d.ctime = now;
            if (writeEnd > d.size) {
                fs.transact(0, tx -> {
                    d.size = writeEnd;
                    fs.dirtyInode(tx, d);
                });
            } else {
                d.timesDirty = true; // persisted by the next transaction on the inode, fsync or unmount
            }
        }
    }

    // ---- helpers

    /**
     * Before the size grows to {@code newSize}: zeroes the bytes of the last block past the old
     * size (a truncate may have left old data there), so growth shows zeros.
     */
    private void zeroTail(long newSize) {
        long old = d.size;
        if (old % BLOCK_SIZE == 0) {
            return;
        }
        long end = Math.min(newSize, Math.ceilDiv(old, BLOCK_SIZE) * BLOCK_SIZE);
        if (end > old) {
            fs.dax().zeroRange(this, old, end - old, IOMAP_OPS);
        }
    }

    /** The iomap of {@code n} blocks of run {@code e} from file block {@code firstBlock}. */
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

    /** Blocks of {@code [first, last)} not mapped. */
    private long holes(long first, long last) {
        return (last - first) - d.map.mapped(first, last);
    }

    /** What a write is, for a message: built only when one is thrown (begin runs on every write). */
    private String writeOf(long length, long pos) {
        return this + ": a write of " + length + " bytes at " + pos;
    }

    private void checkRange(String what, long pos, long length) {
        if (pos < 0 || length <= 0 || pos > Long.MAX_VALUE - length) {
            throw new DaxException(Errno.EINVAL, this + ": " + what + " of [" + pos + ", +" + length
                    + "): the offset must be >= 0 and the length > 0, without overflow");
        }
        if (pos + length > MAX_FILE_SIZE) {
            throw new DaxException(Errno.EFBIG, this + ": " + what + " of [" + pos + ", +" + length
                    + ") goes past the largest file size " + MAX_FILE_SIZE);
        }
    }

    private void requireDirection(IovIter iter, IovIter.Direction wanted, String op) {
        if (iter.direction() != wanted) {
            throw new DaxException(Errno.EINVAL, this + ": " + op + " needs a " + wanted + " iterator, got "
                    + iter.direction());
        }
    }

    private void checkAlive() {
        if (deleted) {
            throw new DaxException(Errno.ENOENT, this + " was deleted or replaced by a rename");
        }
    }

    private <T> T shared(Supplier<T> body) {
        return locked(rwsem.readLock(), body);
    }

    private <T> T exclusive(Supplier<T> body) {
        return locked(rwsem.writeLock(), body);
    }

    private <T> T locked(Lock lock, Supplier<T> body) {
        try (DaxFs.Active a = fs.active()) {
            lock.lock();
            try {
                checkAlive();
                return body.get();
            } finally {
                lock.unlock();
            }
        }
    }

    private static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
