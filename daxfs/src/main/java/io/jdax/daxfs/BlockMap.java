package io.jdax.daxfs;

import io.jdax.fsdax.ExtentMap;
import io.jdax.fsdax.ExtentMap.Extent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * One file's map from file blocks to device blocks: on the media a radix tree of 4 KiB nodes
 * (508 entries each, height 1 to {@value #MAX_HEIGHT}, the root named by the inode), in memory
 * the leaf entries as an {@link ExtentMap} (runs of blocks contiguous on the device in one state,
 * so a lookup answers a whole run) plus where every node lives. The media keeps one entry per
 * block; {@link #nodeImage} writes them out of the runs.
 * <p>
 * Node block:
 * <pre>
 * 0  u32 magic "DXND"    4  u32 crc32c    8  u64 owner inode    16 u64 index at its level
 * 24 u16 level (1 = leaf)                 32 508 x u64 entries
 * </pre>
 * A leaf entry is 0 (hole) or a device block with bit 62 set for an unwritten (fallocated)
 * block; an interior entry is 0 or the device block of a child. A node covering nothing is
 * freed with its last entry, so every node on the media holds at least one entry.
 * <p>
 * Not thread-safe: the file's lock and the filesystem's transaction lock guard it.
 */
final class BlockMap {
    static final int FANOUT = (Geometry.BLOCK - 32) / 8;
    static final int MAX_HEIGHT = 4;
    /** File blocks a tree of {@link #MAX_HEIGHT} covers. */
    static final long MAX_BLOCKS = span(MAX_HEIGHT);
    static final long UNWRITTEN = 1L << 62;
    static final long ADDR_MASK = (1L << 48) - 1;
    static final int MAGIC = Bytes.magic4("DXND");
    private static final int CRC = 4;
    private static final int ENTRIES = 32;

    /** What a transaction lends the map to change its nodes. */
    interface Meta {
        /** A free block for a new node, marked used in this transaction. */
        long allocNode();

        /** Frees a node's block in this transaction. */
        void freeNode(long block);

        /** The node at {@code block} changed: write its image in this transaction. */
        void dirtyNode(long block, int level, long index);

        /** The node at {@code block} was freed: write no image of it. */
        void undirtyNode(long block);
    }

    /** The leaf entries: file block to device block, unwritten or not. */
    private final ExtentMap extents = new ExtentMap();
    /** Per level (index 0 = leaves): node index to device block. */
    private final List<TreeMap<Long, Long>> nodes = new ArrayList<>();

    static long span(int level) {
        long s = 1;
        for (int i = 0; i < level; i++) {
            s *= FANOUT;
        }
        return s;
    }

    /** The smallest height whose tree covers file block {@code fb}. */
    static int heightFor(long fb) {
        int h = 1;
        while (fb >= span(h)) {
            h++;
        }
        return h;
    }

    int height() {
        return nodes.size();
    }

    /** The root's device block, 0 for an empty tree. */
    long root() {
        return nodes.isEmpty() ? 0 : nodes.getLast().getOrDefault(0L, 0L);
    }

    long blockCount() {
        return extents.blockCount();
    }

    /** The leaf entry of file block {@code fb} in {@code e}, which holds it: the device block, maybe | UNWRITTEN. */
    static long raw(Extent e, long fb) {
        return e.devOf(fb) | (e.unwritten() ? UNWRITTEN : 0);
    }

    // ---- reading the leaf entries

    /** The run holding file block {@code fb}, or null for a hole. */
    Extent lookup(long fb) {
        return extents.lookup(fb);
    }

    /** The run holding file block {@code fb}, else the first after it; null when nothing from {@code fb} on is mapped. */
    Extent ceiling(long fb) {
        return extents.ceiling(fb);
    }

    /** The runs inside {@code [first, last)}, cut at its edges, in file order. */
    List<Extent> pieces(long first, long last) {
        return extents.pieces(first, last);
    }

    /** Blocks of {@code [first, last)} mapped. */
    long mapped(long first, long last) {
        return extents.mapped(first, last);
    }

    /** Every run in file order, for reading: changes go through {@link #set} and {@link #clear}, which keep the nodes in step. */
    Iterable<Extent> extents() {
        return extents;
    }

    /** Node index to device block for the nodes of {@code level}. */
    NavigableMap<Long, Long> nodesAt(int level) {
        return nodes.get(level - 1);
    }

    /** Every node block, for fsck's bookkeeping. */
    List<Long> nodeBlocks() {
        List<Long> out = new ArrayList<>();
        nodes.forEach(m -> out.addAll(m.values()));
        return out;
    }

    // ---- loading

    /** Loads leaf entry {@code raw} of file block {@code fb}, read from a node ({@link #putNode} records the node). */
    void load(long fb, long raw) {
        extents.set(fb, raw & ADDR_MASK, 1, (raw & UNWRITTEN) != 0);
    }

    /** Starts an empty tree of the given height for loading. */
    void initHeight(int h) {
        nodes.clear();
        for (int i = 0; i < h; i++) {
            nodes.add(new TreeMap<>());
        }
    }

    void putNode(int level, long index, long block) {
        nodes.get(level - 1).put(index, block);
    }

    // ---- changes

    /** Maps file block {@code fb} (below {@link #MAX_BLOCKS}) to a raw entry, creating the nodes on its path. */
    void set(long fb, long raw, Meta m) {
        int need = heightFor(fb);
        if (nodes.isEmpty()) {
            initHeight(need);
        }
        while (height() < need) {
            long b = m.allocNode(); // a new root above the old one
            TreeMap<Long, Long> level = new TreeMap<>();
            level.put(0L, b);
            nodes.add(level);
            m.dirtyNode(b, height(), 0);
        }
        for (int level = height(); level >= 1; level--) {
            long index = fb / span(level);
            TreeMap<Long, Long> lv = nodes.get(level - 1);
            if (!lv.containsKey(index)) {
                long b = m.allocNode();
                lv.put(index, b);
                m.dirtyNode(b, level, index);
                if (level < height()) {
                    m.dirtyNode(nodes.get(level).get(index / FANOUT), level + 1, index / FANOUT);
                }
            }
        }
        extents.set(fb, raw & ADDR_MASK, 1, (raw & UNWRITTEN) != 0);
        m.dirtyNode(nodes.getFirst().get(fb / FANOUT), 1, fb / FANOUT);
    }

    /** Unmaps file block {@code fb}, freeing the nodes left empty. Returns the old raw entry, or 0. */
    long clear(long fb, Meta m) {
        Extent e = extents.lookup(fb);
        if (e == null) {
            return 0;
        }
        long old = raw(e, fb);
        extents.clear(fb, fb + 1);
        long index = fb / FANOUT;
        for (int level = 1; ; level++) {
            TreeMap<Long, Long> lv = nodes.get(level - 1);
            long b = lv.get(index);
            boolean empty;
            if (level == 1) {
                Extent next = extents.ceiling(index * FANOUT);
                empty = next == null || next.start() >= (index + 1) * FANOUT;
            } else {
                empty = nodes.get(level - 2).subMap(index * FANOUT, (index + 1) * FANOUT).isEmpty();
            }
            if (!empty) {
                m.dirtyNode(b, level, index);
                break;
            }
            lv.remove(index);
            m.undirtyNode(b);
            m.freeNode(b);
            if (level == height()) {
                nodes.clear(); // the root went with its last entry: the tree is empty
                break;
            }
            index /= FANOUT;
        }
        return old;
    }

    /** How many nodes {@link #set} would create to map all of {@code [first, end)}. */
    long nodesNeeded(long first, long end) {
        if (end <= first) {
            return 0;
        }
        int height = height();
        int need = Math.max(height, heightFor(end - 1));
        long count = 0;
        for (int level = 1; level <= need; level++) {
            long lo = first / span(level);
            long hi = (end - 1) / span(level);
            if (level <= height) {
                count += (hi - lo + 1) - nodes.get(level - 1).subMap(lo, true, hi, true).size();
            } else {
                count += hi - lo + 1;
                if (height > 0 && lo > 0) {
                    count++; // growing: node 0 of this level, on the new root's path down to the old root
                }
            }
        }
        return count;
    }

    // ---- the node block

    /** The image of node {@code (level, index)} as the map holds it now. */
    byte[] nodeImage(long ino, int level, long index) {
        byte[] b = new byte[Geometry.BLOCK];
        Bytes.putInt(b, 0, MAGIC);
        Bytes.putLong(b, 8, ino);
        Bytes.putLong(b, 16, index);
        Bytes.putShort(b, 24, level);
        long first = index * FANOUT;
        if (level == 1) {
            for (Extent p : extents.pieces(first, first + FANOUT)) {
                for (long fb = p.start(); fb < p.end(); fb++) {
                    Bytes.putLong(b, ENTRIES + 8 * (int) (fb - first), raw(p, fb));
                }
            }
        } else {
            for (Map.Entry<Long, Long> e : nodes.get(level - 2).subMap(first, first + FANOUT).entrySet()) {
                Bytes.putLong(b, ENTRIES + 8 * (int) (e.getKey() - first), e.getValue());
            }
        }
        Bytes.seal(b, 0, Geometry.BLOCK, CRC);
        return b;
    }

    /** What is wrong with a node block read from the media, or null. */
    static String nodeProblem(byte[] b, long ino, int level, long index) {
        if (Bytes.getInt(b, 0) != MAGIC) {
            return "bad magic";
        }
        if (!Bytes.sealed(b, 0, Geometry.BLOCK, CRC)) {
            return "checksum mismatch";
        }
        if (Bytes.getLong(b, 8) != ino) {
            return "belongs to inode " + Bytes.getLong(b, 8);
        }
        if (Bytes.getShort(b, 24) != level || Bytes.getLong(b, 16) != index) {
            return "says level " + Bytes.getShort(b, 24) + " index " + Bytes.getLong(b, 16);
        }
        if (!Bytes.isZero(b, 26, 6)) {
            return "reserved bytes are not zero";
        }
        return null;
    }

    /** Entry {@code k} of a node block. */
    static long entry(byte[] b, int k) {
        return Bytes.getLong(b, ENTRIES + 8 * k);
    }
}
