package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.Arrays;
import java.util.BitSet;
import java.util.function.Supplier;

/**
 * Free space: the block bitmap as the media holds it, and what the allocator may hand out.
 * <ul>
 *   <li>{@code media}: the bitmap after the transaction being built; changed only inside
 *       transactions (under the transaction lock), each change dirtying its bitmap block.</li>
 *   <li>{@code busy}: blocks not available: used on the media, taken by a write that has not
 *       committed yet, or freed by a transaction that has not committed yet (a freed block is
 *       reused only once its release is durable, so no crash can leave it in two files).</li>
 *   <li>promises: blocks set aside for block-map nodes and fallocated data, so a transaction
 *       never meets ENOSPC half-way.</li>
 * </ul>
 * Allocation is first fit: the same operations give the same layout, which crash campaigns
 * rely on. Thread-safe.
 * <p>
 * Bitmap block: {@code 0 u32 magic "DXBM", 4 u32 crc32c, 8 u64 index}, then one bit per device
 * block ({@value Geometry#BITS_PER_BITMAP_BLOCK} per block, bit {@code b % 8} of byte {@code b / 8}).
 */
final class Allocator {
    static final int MAGIC = Bytes.magic4("DXBM");
    private static final int CRC = 4;
    private static final int BITS = 16;

    /** A run of consecutive blocks. */
    record Run(long start, long count) {
    }

    private final Geometry g;
    private final BitSet media;
    private final BitSet busy;
    private long free;
    private long promised;

    Allocator(Geometry g, BitSet media) {
        this.g = g;
        this.media = media;
        this.busy = (BitSet) media.clone();
        this.free = g.dataBlocks() - busy.get((int) g.dataStart(), (int) g.backupBlock()).cardinality();
    }

    /** Blocks a new write could get now. */
    synchronized long available() {
        return free - promised;
    }

    /**
     * Takes the first free run of at most {@code max} blocks for a write; not on the media until
     * the write's transaction commits it ({@link #markUsed}) or it is given back ({@link #unbusy}).
     *
     * @throws DaxException ENOSPC when no block is available
     */
    synchronized Run allocate(long max, Supplier<String> what) {
        if (available() < 1) {
            throw new DaxException(Errno.ENOSPC, what.get() + ": no free block left of " + g.dataBlocks());
        }
        return take(Math.min(max, available()));
    }

    private Run take(long max) {
        int start = busy.nextClearBit((int) g.dataStart());
        int next = busy.nextSetBit(start);
        long end = Math.min(next < 0 ? g.backupBlock() : Math.min(next, g.backupBlock()), start + max);
        if (start >= g.backupBlock() || end <= start) {
            throw new IllegalStateException("allocator count and bitmap disagree");
        }
        busy.set(start, (int) end);
        free -= end - start;
        return new Run(start, end - start);
    }

    /** Fails with ENOSPC unless {@code blocks} are available, taking nothing; {@code what} is asked only then. */
    synchronized void require(long blocks, Supplier<String> what) {
        if (blocks > available()) {
            throw new DaxException(Errno.ENOSPC, what.get() + " needs " + blocks + " free blocks (data and block-map nodes), "
                    + available() + " of " + g.dataBlocks() + " are available");
        }
    }

    /** Sets {@code blocks} aside for a transaction ({@link Tx#promised}); ENOSPC when too few are available. */
    synchronized void promise(long blocks, Supplier<String> what) {
        require(blocks, what);
        promised += blocks;
    }

    /** Gives back what a transaction did not use of its promise. */
    synchronized void unpromise(long blocks) {
        promised -= blocks;
    }

    /** A block taken by {@link #allocate} that no transaction committed: free again at once. */
    synchronized void unbusy(long block) {
        if (!busy.get((int) block) || media.get((int) block)) {
            throw new IllegalStateException("block " + block + " was not taken by a write");
        }
        busy.clear((int) block);
        free++;
    }

    // ---- under the transaction lock

    /** A block from {@link #allocate} becomes used on the media in {@code tx}. */
    synchronized void markUsed(long block, Tx tx) {
        media.set((int) block);
        dirtyBitmap(block, tx);
    }

    /** Takes a run of at most {@code max} promised blocks, used on the media in {@code tx}. */
    synchronized Run takePromised(long max, Tx tx) {
        if (tx.promised < 1) {
            throw new IllegalStateException("a transaction took more blocks than it was promised");
        }
        Run r = take(Math.min(max, tx.promised));
        tx.promised -= r.count();
        promised -= r.count();
        media.set((int) r.start(), (int) (r.start() + r.count()));
        for (long b = r.start(); b < r.start() + r.count(); b += Geometry.BITS_PER_BITMAP_BLOCK) {
            dirtyBitmap(b, tx);
        }
        dirtyBitmap(r.start() + r.count() - 1, tx);
        return r;
    }

    /** Frees a block in {@code tx}; it becomes available once {@code tx} committed ({@link #releaseFreed}). */
    synchronized void free(long block, Tx tx) {
        if (!media.get((int) block)) {
            throw new DaxException(Errno.EUCLEAN, "freeing block " + block + ", which the block bitmap says is free");
        }
        media.clear((int) block);
        dirtyBitmap(block, tx);
        tx.freed.add(block);
    }

    /** After {@code tx} committed: the blocks it freed are available again. */
    synchronized void releaseFreed(Tx tx) {
        for (long b : tx.freed) {
            busy.clear((int) b);
            free++;
        }
        tx.freed.clear();
    }

    private void dirtyBitmap(long block, Tx tx) {
        int index = (int) (block / Geometry.BITS_PER_BITMAP_BLOCK);
        tx.dirty(g.bitmapStart() + index, () -> image(index));
    }

    /** Bitmap block {@code index} as the media should hold it. */
    synchronized byte[] image(int index) {
        return image(g, media, index);
    }

    static byte[] image(Geometry g, BitSet bits, int index) {
        byte[] b = new byte[Geometry.BLOCK];
        Bytes.putInt(b, 0, MAGIC);
        Bytes.putLong(b, 8, index);
        long from = (long) index * Geometry.BITS_PER_BITMAP_BLOCK;
        long to = Math.min(from + Geometry.BITS_PER_BITMAP_BLOCK, g.nrBlocks());
        byte[] part = bits.get((int) from, (int) to).toByteArray();
        System.arraycopy(part, 0, b, BITS, part.length);
        Bytes.seal(b, 0, Geometry.BLOCK, CRC);
        return b;
    }

    /** What is wrong with bitmap block {@code index} read from the media, or null. */
    static String problem(Geometry g, byte[] b, int index) {
        if (Bytes.getInt(b, 0) != MAGIC) {
            return "bad magic";
        }
        if (!Bytes.sealed(b, 0, Geometry.BLOCK, CRC)) {
            return "checksum mismatch";
        }
        if (Bytes.getLong(b, 8) != index) {
            return "records index " + Bytes.getLong(b, 8);
        }
        long from = (long) index * Geometry.BITS_PER_BITMAP_BLOCK;
        long bits = Math.min(Geometry.BITS_PER_BITMAP_BLOCK, g.nrBlocks() - from);
        BitSet set = BitSet.valueOf(Arrays.copyOfRange(b, BITS, Geometry.BLOCK));
        if (set.nextSetBit((int) bits) >= 0) {
            return "marks blocks past the end of the device";
        }
        return null;
    }

    /** Adds the bits of a sound bitmap block to {@code into}. */
    static void load(byte[] b, int index, BitSet into) {
        BitSet set = BitSet.valueOf(Arrays.copyOfRange(b, BITS, Geometry.BLOCK));
        int base = index * Geometry.BITS_PER_BITMAP_BLOCK;
        for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
            into.set(base + i);
        }
    }

    /** The blocks every daxfs holds: superblock, journal, bitmap, inode table, backup superblock. */
    static BitSet metadata(Geometry g) {
        BitSet m = new BitSet();
        m.set(0, (int) g.dataStart());
        m.set((int) g.backupBlock());
        return m;
    }
}
