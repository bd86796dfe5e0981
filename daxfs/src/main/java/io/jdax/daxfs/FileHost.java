package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.daxfs.fault.Fault;
import io.jdax.fsdax.DaxIomap;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a {@link DaxFile} needs of its filesystem, and all it may use ({@link DaxFs} implements
 * it): where its data goes, space for a write step before the step commits, and transactions with
 * the metadata a file changes in them (its inode, its block map's nodes, the bitmap bits of its
 * blocks). Messages are {@link Supplier}s, built only when a call fails.
 */
interface FileHost {

    // ---- where the data goes

    /** The device the data lives on. */
    DaxDevice device();

    /** The engine the data goes through. */
    DaxIomap dax();

    /** Whether a deliberate bug is injected ({@link io.jdax.daxfs.fault.FaultInjection}). */
    boolean injected(Fault fault);

    /**
     * A call in progress, which holds off unmount until closed.
     *
     * @throws io.jdax.dax.DaxException EBADF once unmounted; EIO once shut down
     */
    DaxFs.Active active();

    /** The device's flush: everything written before it is durable. */
    void fence();

    // ---- space for a write step, before its transaction

    /** Fails with ENOSPC unless {@code blocks} are available, taking nothing. */
    void require(long blocks, Supplier<String> what);

    /**
     * The first free run of at most {@code max} blocks, taken but not on the media: a transaction
     * {@linkplain #markUsed marks} what the write stored, {@link #unbusy} gives back the rest.
     */
    Allocator.Run allocate(long max, Supplier<String> what);

    /** Sets {@code blocks} aside for the nodes and blocks a coming transaction takes; ENOSPC when too few are available. */
    void promise(long blocks, Supplier<String> what);

    /** Gives back a promise no transaction took over. */
    void unpromise(long blocks);

    /** A block from {@link #allocate} that no transaction committed: free again at once. */
    void unbusy(long block);

    // ---- transactions

    /**
     * Runs {@code body} as one transaction (or a sequence, if it {@link #split splits}), which
     * takes over {@code promised} blocks of the promises and returns what it does not use. The
     * body checks before it changes anything: a failure after a change shuts the filesystem down.
     */
    void transact(long promised, Consumer<Tx> body);

    /** Writes {@code d}'s inode in {@code tx}. */
    void dirtyInode(Tx tx, InodeData d);

    /** What {@code tx} lends {@code d}'s block map to change its nodes. */
    BlockMap.Meta meta(Tx tx, InodeData d);

    /** Whether mapping file block {@code fb} of {@code d} might overflow {@code tx}: {@link #split} first. */
    boolean full(Tx tx, InodeData d, long fb);

    /** Commits what {@code tx} holds, a consistent state, and goes on in it with {@code d} dirty. */
    void split(Tx tx, InodeData d);

    /** A promised block, used on the media in {@code tx}. */
    long takePromised(Tx tx);

    /** A block from {@link #allocate} becomes used on the media in {@code tx}. */
    void markUsed(long block, Tx tx);

    /** Unmaps and frees the blocks of {@code [from, to)} of {@code d}, splitting {@code tx} as it fills. */
    void freeBlocks(Tx tx, InodeData d, long from, long to);
}
