package io.jdax.fsdax.memfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.BitSet;

/**
 * The free-space map of a {@link MemFs}: one bit per device block, first fit. First fit keeps the
 * allocator deterministic (the same operations give the same layout on every device), which the
 * tests rely on. Thread-safe.
 */
final class BlockAllocator {
    /** A run of consecutive blocks. */
    record Run(long start, long count) {
    }

    private final long nrBlocks;
    private final BitSet used = new BitSet();
    private long free;

    BlockAllocator(long nrBlocks) {
        if (nrBlocks > Integer.MAX_VALUE) {
            throw new DaxException(Errno.EFBIG, "the reference filesystem handles at most " + Integer.MAX_VALUE
                    + " blocks, the device has " + nrBlocks);
        }
        this.nrBlocks = nrBlocks;
        this.free = nrBlocks;
    }

    /**
     * Allocates the first free run, of at most {@code max} blocks.
     *
     * @throws DaxException ENOSPC when no block is free
     */
    synchronized Run allocate(long max) {
        int start = used.nextClearBit(0);
        if (start >= nrBlocks) {
            throw new DaxException(Errno.ENOSPC, "no free block left of " + nrBlocks);
        }
        int next = used.nextSetBit(start);
        long end = Math.min(next < 0 ? nrBlocks : next, Math.min(nrBlocks, start + max));
        used.set(start, (int) end);
        free -= end - start;
        return new Run(start, end - start);
    }

    /** Fails with ENOSPC unless {@code blocks} blocks are free, before anything is allocated. */
    synchronized void require(long blocks, java.util.function.Supplier<String> what) {
        if (blocks > free) {
            // the message is built only on failure: this check runs on every write
            throw new DaxException(Errno.ENOSPC, what.get() + " needs " + blocks + " free blocks, only " + free
                    + " of " + nrBlocks + " are free");
        }
    }

    /** Gives the blocks {@code [start, start + count)} back, all of them or, if one is not allocated, none. */
    synchronized void free(long start, long count) {
        if (start < 0 || count < 0 || start > nrBlocks - count || used.nextClearBit((int) start) < start + count) {
            // the file map and the allocator disagree: a bug, never to be papered over
            throw new DaxException(Errno.EUCLEAN, "freeing blocks [" + start + ", +" + count + "), not all allocated");
        }
        used.clear((int) start, (int) (start + count));
        free += count;
    }

    synchronized long freeBlocks() {
        return free;
    }

    long nrBlocks() {
        return nrBlocks;
    }
}
