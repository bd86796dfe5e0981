package io.jdax.fsdax.memfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.DaxIomap;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.IomapFlag;
import io.jdax.fsdax.IomapOps;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference filesystem: file data on one DAX device, metadata (each file's block map and
 * size) in Java memory only, so nothing but the data survives the JVM. Small on purpose, to be
 * obviously correct: block = page, a first-fit block allocator, one map entry per extent.
 * <p>
 * It is the {@link IomapOps} of its files, as {@code ext4_iomap_ops} is of ext4's: a write
 * allocates what it covers (flagged {@link Iomap.Mapped#isNew() new}) after checking that the
 * whole write fits, and {@code end} commits only the blocks that received data, releasing the
 * rest. Files do their I/O through {@link DaxIomap}: see {@link MemFile}. {@code begin} and
 * {@code end} rely on the file's {@code i_rwsem}, which the file's methods hold while they drive
 * the engine (the {@link IomapOps} contract: the caller serialises I/O on a file).
 * <p>
 * For tests and simple uses; a persistent filesystem is a separate piece of work.
 */
public final class MemFs implements IomapOps<MemFile> {
    /** The block size: one page, as DAX needs. */
    public static final int BLOCK_SIZE = DaxDevice.PAGE_SIZE;
    /** The largest file size: the last whole block below {@link Long#MAX_VALUE}. */
    public static final long MAX_FILE_SIZE = Long.MAX_VALUE / BLOCK_SIZE * BLOCK_SIZE;

    private final DaxDevice device;
    private final DaxIomap dax;
    final BlockAllocator allocator;
    private final AtomicLong nextIno = new AtomicLong(1);

    /** An empty filesystem over the whole of {@code device}, with its own engine. */
    public MemFs(DaxDevice device) {
        this(device, new DaxIomap());
    }

    /**
     * An empty filesystem over the whole of {@code device}, doing its I/O through {@code dax}.
     *
     * @throws DaxException EFBIG for a device of more than 2^31 blocks
     */
    public MemFs(DaxDevice device, DaxIomap dax) {
        this.device = Objects.requireNonNull(device, "device");
        this.dax = Objects.requireNonNull(dax, "dax");
        this.allocator = new BlockAllocator(device.size() / BLOCK_SIZE);
    }

    /** Creates an empty file. */
    public MemFile create() {
        return new MemFile(this, nextIno.getAndIncrement());
    }

    /** The device holding the data. */
    public DaxDevice device() {
        return device;
    }

    /** The engine the files use. */
    public DaxIomap dax() {
        return dax;
    }

    /** Blocks not allocated to any file. */
    public long freeBlocks() {
        return allocator.freeBlocks();
    }

    /** Blocks of the device. */
    public long nrBlocks() {
        return allocator.nrBlocks();
    }

    @Override
    public Iomap begin(MemFile file, long pos, long length, Set<IomapFlag> flags) {
        return own(file).begin(pos, length, flags);
    }

    @Override
    public void end(MemFile file, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
        own(file).end(pos, written, flags, iomap);
    }

    private MemFile own(MemFile file) {
        if (file.fs() != this) {
            throw new DaxException(Errno.EINVAL, "file " + file.ino() + " belongs to another filesystem");
        }
        return file;
    }

    @Override
    public String toString() {
        return "MemFs[" + device.name() + " " + freeBlocks() + "/" + nrBlocks() + " blocks free]";
    }
}
