package io.jdax.fsdax;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A file's extent map in memory: which device blocks hold which file blocks, as runs
 * ({@link Extent}s) contiguous in the file and on the device, each all written or all unwritten.
 * Btrfs's {@code extent_map_tree} in Java form: a lookup answers the whole run holding a block,
 * however many blocks it has, so a filesystem's {@link IomapOps#begin} finds an extent in one step
 * instead of block by block.
 * <p>
 * Extents never overlap, and two that touch both in the file and on the device in the same state
 * are always one: {@link #set} merges a run with such neighbours, and {@link #clear} splits the
 * extents at the edges of its range (what remains of them cannot merge with anything it could not
 * merge with before). So the map holds exactly the maximal runs, whatever order the changes came
 * in, and iterating it lists them as {@code FIEMAP} does. Blocks are counted in the filesystem's
 * block size; file and device blocks are {@code >= 0}.
 * <p>
 * Not thread-safe: the file's lock ({@code i_rwsem}) guards it. Lookups change nothing a caller
 * can see (only a hint of where to look first), so any number of them may run together under a
 * shared lock; a change needs the map to itself.
 */
public final class ExtentMap implements Iterable<ExtentMap.Extent> {

    /**
     * File blocks {@code [start, start + count)} on device blocks {@code [dev, dev + count)}, all
     * written or all unwritten (allocated, reading as zeros until written: ext4's unwritten extent).
     *
     * @param start     the first file block
     * @param dev       the device block holding {@code start}
     * @param count     how many blocks, at least one
     * @param unwritten whether the blocks read as zeros until written
     */
    public record Extent(long start, long dev, long count, boolean unwritten) {
        /**
         * @throws IllegalArgumentException for a negative block, a count below one, or a run that
         *                                  would end past {@link Long#MAX_VALUE}
         */
        public Extent {
            if (start < 0 || dev < 0 || count < 1 || start > Long.MAX_VALUE - count || dev > Long.MAX_VALUE - count) {
                throw new IllegalArgumentException("no extent of " + count + " blocks at file block " + start
                        + ", device block " + dev);
            }
        }

        /** The file block after the last one. */
        public long end() {
            return start + count;
        }

        /** The device block holding file block {@code block}, which this extent must hold. */
        public long devOf(long block) {
            return dev + (block - start);
        }

        /** Whether this extent holds file block {@code block}. */
        public boolean contains(long block) {
            return block >= start && block - start < count;
        }
    }

    /* By first file block. */
    private final TreeMap<Long, Extent> extents = new TreeMap<>();
    private long blocks;
    // The extent the last lookup found: a file written or read in order finds it again with one
    // compare, not a tree walk with a boxed key. Lookups under a shared lock may race to set it
    // (an Extent's fields are final, so any one seen is whole); changes, which have the map to
    // themselves, clear it.
    private Extent hint;

    /** An empty map: every block a hole. */
    public ExtentMap() {
    }

    /** The extent holding file block {@code block}, or null for a hole. */
    public Extent lookup(long block) {
        Extent h = hint;
        if (h != null && h.contains(block)) {
            return h;
        }
        Extent x = find(block);
        if (x != null && x != h) {
            hint = x;
        }
        return x;
    }

    /** The extent holding {@code block} in the tree (changes use this: the hint stays clear). */
    private Extent find(long block) {
        Map.Entry<Long, Extent> e = extents.floorEntry(block);
        return e != null && e.getValue().end() > block ? e.getValue() : null;
    }

    /**
     * The extent holding file block {@code block}, else the first one after it (where the hole at
     * {@code block} ends); null when nothing from {@code block} on is mapped.
     */
    public Extent ceiling(long block) {
        Extent e = lookup(block);
        if (e != null) {
            return e;
        }
        Map.Entry<Long, Extent> next = extents.higherEntry(block);
        return next == null ? null : next.getValue();
    }

    /**
     * The parts of extents inside file blocks {@code [first, last)}, in file order: an extent
     * crossing an edge is cut there. Empty when {@code last <= first}.
     */
    public List<Extent> pieces(long first, long last) {
        List<Extent> out = new ArrayList<>();
        if (first >= last) {
            return out;
        }
        for (Extent e : overlapping(first, last)) {
            out.add(cut(e, first, last));
        }
        return out;
    }

    /** How many blocks of {@code [first, last)} are mapped, written or not; the rest are holes. */
    public long mapped(long first, long last) {
        long n = 0;
        if (first < last) {
            for (Extent e : overlapping(first, last)) {
                n += Math.min(e.end(), last) - Math.max(e.start(), first);
            }
        }
        return n;
    }

    /**
     * Maps file blocks {@code [start, start + count)} to device blocks from {@code dev}, in the
     * given state, merging with the neighbours the run continues. Whatever the range mapped
     * before is dropped: {@link #clear} it first to learn what that was.
     *
     * @throws IllegalArgumentException as {@link Extent#Extent}
     */
    public void set(long start, long dev, long count, boolean unwritten) {
        Extent run = new Extent(start, dev, count, unwritten); // checks the arguments
        hint = null;
        remove(run.start(), run.end(), null);
        Map.Entry<Long, Extent> lower = extents.lowerEntry(start);
        if (lower != null && mergeable(lower.getValue(), run)) {
            Extent b = lower.getValue();
            extents.remove(b.start());
            run = new Extent(b.start(), b.dev(), b.count() + run.count(), unwritten);
        }
        Extent upper = extents.get(run.end());
        if (upper != null && mergeable(run, upper)) {
            extents.remove(upper.start());
            run = new Extent(run.start(), run.dev(), run.count() + upper.count(), unwritten);
        }
        extents.put(run.start(), run);
        blocks += count;
    }

    /**
     * Unmaps file blocks {@code [first, last)}, splitting the extents at its edges.
     *
     * @return what the range mapped, in file order (the device blocks to free)
     * @throws IllegalArgumentException for a negative {@code first}
     */
    public List<Extent> clear(long first, long last) {
        List<Extent> taken = new ArrayList<>();
        remove(first, last, taken);
        return taken;
    }

    /**
     * Marks the unwritten blocks of {@code [first, last)} written (they received data), merging
     * them with written neighbours; holes stay holes.
     */
    public void markWritten(long first, long last) {
        for (Extent p : pieces(first, last)) {
            if (p.unwritten()) {
                set(p.start(), p.dev(), p.count(), false);
            }
        }
    }

    /** Mapped blocks, written or not. */
    public long blockCount() {
        return blocks;
    }

    /** How many extents: maximal runs. */
    public int size() {
        return extents.size();
    }

    /** Whether nothing is mapped. */
    public boolean isEmpty() {
        return extents.isEmpty();
    }

    /** The extents in file order; the iterator cannot change the map. */
    @Override
    public Iterator<Extent> iterator() {
        return Collections.unmodifiableCollection(extents.values()).iterator();
    }

    @Override
    public String toString() {
        return "ExtentMap[" + extents.size() + " extents, " + blocks + " blocks]";
    }

    // ---- helpers

    /** The extents with a block in {@code [first, last)}, {@code first < last}, in file order. */
    private Iterable<Extent> overlapping(long first, long last) {
        Extent head = lookup(first);
        return extents.subMap(head != null ? head.start() : first, true, last, false).values();
    }

    /** The part of {@code e} inside {@code [first, last)}, which it overlaps. */
    private static Extent cut(Extent e, long first, long last) {
        long s = Math.max(e.start(), first);
        long t = Math.min(e.end(), last);
        return s == e.start() && t == e.end() ? e : new Extent(s, e.devOf(s), t - s, e.unwritten());
    }

    /** Whether {@code b} continues {@code a} in the file and on the device, in the same state. */
    private static boolean mergeable(Extent a, Extent b) {
        return a.end() == b.start() && a.dev() + a.count() == b.dev() && a.unwritten() == b.unwritten();
    }

    /** Unmaps {@code [first, last)}; adds what it held to {@code taken} unless null. */
    private void remove(long first, long last, List<Extent> taken) {
        hint = null;
        if (first < 0) {
            throw new IllegalArgumentException("file block " + first + " is negative");
        }
        if (first >= last) {
            return;
        }
        Extent head = find(first);
        if (head != null && head.start() < first) { // keep its part before the range
            extents.put(head.start(), new Extent(head.start(), head.dev(), first - head.start(), head.unwritten()));
            took(cut(head, first, last), taken);
            if (head.end() > last) { // the range lies inside it: keep its part after too
                extents.put(last, cut(head, last, head.end()));
                return;
            }
        }
        SortedMap<Long, Extent> inside = extents.subMap(first, last);
        Extent tail = null;
        for (Extent e : inside.values()) {
            took(cut(e, first, last), taken);
            if (e.end() > last) {
                tail = e;
            }
        }
        inside.clear();
        if (tail != null) {
            extents.put(last, cut(tail, last, tail.end()));
        }
    }

    private void took(Extent piece, List<Extent> taken) {
        blocks -= piece.count();
        if (taken != null) {
            taken.add(piece);
        }
    }
}
