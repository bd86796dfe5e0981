package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.fsdax.ExtentMap.Extent;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * fsck's repair: writes a sound filesystem from a lenient {@link Scan} (see {@link Fsck}).
 * Order: an empty journal first (so no later mount replays a transaction over the repaired
 * blocks), then inode table, block-map nodes and bitmap, then the superblocks; a fence after
 * each step.
 */
final class Repair {
    private final Scan s;
    private final MetaIo io;
    private final Geometry g;
    private final List<String> repairs;
    /** Nodes to rewrite: block -> (inode, level, index). */
    private final Map<Long, Runnable> nodeWrites = new HashMap<>();

    Repair(Scan s, MetaIo io, List<String> repairs) {
        this.s = s;
        this.io = io;
        this.g = s.g;
        this.repairs = repairs;
    }

    void run() {
        if (s.committed == null) {
            repairs.add("journal: rewritten empty (its last transaction could not be read)");
        } else if (s.committed.homes().length > 0) {
            repairs.add("journal: transaction " + Integer.toUnsignedString(s.committed.tid())
                    + " replayed, then the journal emptied");
        }
        Journal.format(io, g);
        io.fence();

        InodeData[] inodes = s.inodes;
        for (int slot = s.badSlots.nextSetBit(0); slot >= 0; slot = s.badSlots.nextSetBit(slot + 1)) {
            repairs.add("inode " + (slot + 1) + ": damaged, cleared (its file is lost, its blocks reclaimed)");
        }
        for (int i = 0; i < inodes.length; i++) {
            InodeData d = inodes[i];
            if (d == null) {
                continue;
            }
            if (d.isOrphan()) {
                repairs.add("inode " + d.ino + ": orphan freed");
                inodes[i] = null;
                continue;
            }
            if (s.damaged.contains(d.ino)) {
                repairs.add("inode " + d.ino + " (" + Names.quote(d.nameString()) + "): block map rebuilt from its "
                        + "intact nodes, " + d.map.blockCount() + " blocks kept (the rest reads as holes)");
                rewriteTree(d);
            }
            long eof = Math.ceilDiv(d.size, Geometry.BLOCK);
            long past = 0;
            BlockMap.Meta meta = meta(d);
            for (Extent p : d.map.pieces(eof, Long.MAX_VALUE)) {
                for (long fb = p.start(); fb < p.end(); fb++) {
                    d.map.clear(fb, meta);
                }
                past += p.count();
            }
            if (past > 0) {
                repairs.add("inode " + d.ino + ": " + past + " block(s) past its size freed (an interrupted truncate)");
            }
        }
        Set<String> taken = new HashSet<>();
        for (InodeData d : inodes) {
            if (d != null && !s.duplicateNames.contains(d)) {
                taken.add(d.nameString());
            }
        }
        for (InodeData d : s.duplicateNames) {
            String old = d.nameString();
            String name = unique(old, d.ino, taken);
            d.name = Names.encode(name);
            taken.add(name);
            repairs.add("inode " + d.ino + ": renamed " + Names.quote(old) + " to " + Names.quote(name)
                    + " (inode of that name already exists)");
        }

        for (long blk = 0; blk < g.itableBlocks(); blk++) {
            byte[] b = new byte[Geometry.BLOCK];
            for (int k = 0; k < Geometry.INODES_PER_BLOCK; k++) {
                InodeData d = inodes[(int) (blk * Geometry.INODES_PER_BLOCK + k)];
                if (d != null) {
                    d.encode(b, k * InodeData.SIZE);
                }
            }
            io.write(g.itableStart() + blk, b);
        }
        nodeWrites.values().forEach(Runnable::run);
        BitSet used = Allocator.metadata(g);
        for (InodeData d : inodes) {
            if (d != null) {
                d.map.nodeBlocks().forEach(b -> used.set((int) (long) b));
                for (Extent e : d.map.extents()) {
                    used.set((int) e.dev(), (int) (e.dev() + e.count()));
                }
            }
        }
        BitSet before = s.bitmap;
        if (!used.equals(before) || s.bitmapBad) {
            BitSet gained = (BitSet) used.clone();
            gained.andNot(before);
            BitSet lost = (BitSet) before.clone();
            lost.andNot(used);
            repairs.add("block bitmap: rewritten from what the files own (" + gained.cardinality() + " block(s) marked "
                    + "used, " + lost.cardinality() + " freed)");
        }
        for (int i = 0; i < g.bitmapBlocks(); i++) {
            io.write(g.bitmapStart() + i, Allocator.image(g, used, i));
        }
        io.fence();

        if (s.primarySuperblockBad || s.backupSuperblockBad) {
            byte[] sb = g.encode();
            if (s.backupSuperblockBad) {
                io.write(g.backupBlock(), sb);
                repairs.add("backup superblock: rewritten from the primary");
            }
            if (s.primarySuperblockBad) {
                io.write(0, sb);
                repairs.add("superblock: restored from the backup");
            }
            io.fence();
        }
    }

    private void rewriteTree(InodeData d) {
        for (int level = 1; level <= d.map.height(); level++) {
            int l = level;
            d.map.nodesAt(level).forEach((index, block) -> nodeWrites.put(block,
                    () -> io.write(block, d.map.nodeImage(d.ino, l, index))));
        }
    }

    /** Node changes during repair: freed nodes need no bitmap work (it is rebuilt), changed ones are rewritten. */
    private BlockMap.Meta meta(InodeData d) {
        return new BlockMap.Meta() {
            @Override
            public long allocNode() {
                throw new IllegalStateException("repair never maps blocks");
            }

            @Override
            public void freeNode(long block) {
            }

            @Override
            public void dirtyNode(long block, int level, long index) {
                nodeWrites.put(block, () -> io.write(block, d.map.nodeImage(d.ino, level, index)));
            }

            @Override
            public void undirtyNode(long block) {
                nodeWrites.remove(block);
            }
        };
    }

    private static String unique(String name, long ino, Set<String> taken) {
        String suffix = "~" + ino;
        String base = name;
        while ((base + suffix).getBytes(StandardCharsets.UTF_8).length > DaxFs.NAME_MAX) {
            base = base.substring(0, base.offsetByCodePoints(base.length(), -1));
        }
        String n = base + suffix;
        for (int i = 2; taken.contains(n); i++) {
            n = base + suffix + "." + i;
        }
        try {
            Names.encode(n);
        } catch (DaxException e) {
            n = "lost+found~" + ino;
        }
        return n;
    }
}
