package io.jdax.daxfs;

import io.jdax.fsdax.ExtentMap.Extent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The radix block map against its own accounting: {@code nodesNeeded} is exactly what mapping
 * a range allocates (writes promise that many blocks before they start), nodes are freed with
 * their last entry, and every node image lists exactly its children; and its runs in memory
 * against the media's one entry per block.
 */
class BlockMapTest {
    private static final long F = BlockMap.FANOUT;

    /** A transaction stand-in: counts and tracks node blocks. */
    private static final class Meta implements BlockMap.Meta {
        long next = 1000;
        int allocated;
        final Set<Long> live = new HashSet<>();
        final Map<Long, long[]> dirty = new HashMap<>();

        @Override
        public long allocNode() {
            allocated++;
            live.add(next);
            return next++;
        }

        @Override
        public void freeNode(long block) {
            assertTrue(live.remove(block), "freeing a node that is not live: " + block);
        }

        @Override
        public void dirtyNode(long block, int level, long index) {
            assertTrue(live.contains(block), "dirtying a node that is not live: " + block);
            dirty.put(block, new long[] {level, index});
        }

        @Override
        public void undirtyNode(long block) {
            dirty.remove(block);
        }
    }

    static Stream<Arguments> seeds() {
        return IntStream.rangeClosed(1, 40).mapToObj(s -> Arguments.of("seed " + s, (long) s));
    }

    /** A file block from a spread that reaches every height. */
    private static long someBlock(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> rnd.nextInt(600);
            case 1 -> (long) rnd.nextInt(3 * (int) (F * F));
            case 2 -> F * F * F + rnd.nextInt(1000);
            case 3 -> BlockMap.MAX_BLOCKS - 1 - rnd.nextInt(2000);
            default -> Math.floorMod(rnd.nextLong(), BlockMap.MAX_BLOCKS);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeds")
    void nodesNeededIsExactlyWhatMappingARangeAllocates(String label, long seed) {
        Random rnd = new Random(seed);
        BlockMap map = new BlockMap();
        Meta meta = new Meta();
        for (int step = 0; step < 40; step++) {
            long first = someBlock(rnd);
            long count = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 1200);
            long end = Math.min(first + count, BlockMap.MAX_BLOCKS);
            long predicted = map.nodesNeeded(first, end);
            int before = meta.allocated;
            for (long fb = first; fb < end; fb++) {
                map.set(fb, 5000 + fb % 1000, meta);
            }
            assertEquals(predicted, meta.allocated - before, "step " + step + ": mapping [" + first + ", " + end
                    + ") at height " + map.height());
            if (rnd.nextInt(3) == 0) { // clear a random range: nodes go with their last entry
                long c = someBlock(rnd);
                for (long fb : blocks(map, c, c + rnd.nextInt(3000))) {
                    map.clear(fb, meta);
                }
            }
            assertEquals(new HashSet<>(map.nodeBlocks()), meta.live, "live nodes are exactly the map's nodes");
        }
        for (long fb : blocks(map, 0, Long.MAX_VALUE)) {
            map.clear(fb, meta);
        }
        assertEquals(0, map.height());
        assertEquals(Set.of(), meta.live, "an empty map holds no node");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeds")
    void oneUnitOfWorkDirtiesNoMoreNodesThanTheTransactionBoundAllows(String label, long seed) {
        Random rnd = new Random(seed);
        BlockMap map = new BlockMap();
        Meta meta = new Meta();
        for (int step = 0; step < 300; step++) {
            long fb = someBlock(rnd);
            meta.dirty.clear();
            int liveBefore = meta.live.size();
            if (map.blockCount() == 0 || rnd.nextInt(3) > 0) {
                long created = map.nodesNeeded(fb, fb + 1);
                map.set(fb, 1, meta);
                assertTrue(meta.dirty.size() <= created + 2, "set(" + fb + "): " + meta.dirty.size()
                        + " nodes dirtied, " + created + " created"); // DaxFs.setCost counts created + 2
            } else {
                Extent after = map.ceiling(fb);
                long victim = after != null ? Math.max(after.start(), fb) : map.extents().iterator().next().start();
                map.clear(victim, meta);
                int freed = liveBefore - meta.live.size();
                assertTrue(meta.dirty.size() + freed <= BlockMap.MAX_HEIGHT, "clear(" + victim + "): "
                        + meta.dirty.size() + " dirtied, " + freed + " freed"); // DaxFs.clearCost counts MAX_HEIGHT
            }
        }
    }

    @Test
    void aFarWriteGrowsTheTreeAndKeepsTheOldRootOnItsPath() {
        BlockMap map = new BlockMap();
        Meta meta = new Meta();
        map.set(3, 77, meta); // height 1: the root is the leaf
        long leaf = map.root();
        long far = F * F + 5; // needs height 3
        assertEquals(4, map.nodesNeeded(far, far + 1), "two new roots, a level-2 node and a leaf");
        map.set(far, 78, meta);
        assertEquals(3, map.height());
        assertEquals(leaf, map.nodesAt(1).get(0L), "the old root is still the first leaf");
        assertEquals(map.nodesAt(2).get(0L), (Long) BlockMap.entry(map.nodeImage(1, 3, 0), 0),
                "the new root's first entry leads to the old root");
        assertEquals(leaf, BlockMap.entry(map.nodeImage(1, 2, 0), 0));
        assertEquals(77L, BlockMap.entry(map.nodeImage(1, 1, 0), 3));
        assertEquals(78L, BlockMap.entry(map.nodeImage(1, 1, far / F), (int) (far % F)));
    }

    @Test
    void aRunAcrossALeafBoundaryIsOneExtentInMemoryAndOneEntryPerBlockInEachLeaf() {
        BlockMap map = new BlockMap();
        Meta meta = new Meta();
        for (long fb = F - 2; fb < F + 3; fb++) {
            map.set(fb, 100 + fb - (F - 2), meta);
        }
        assertEquals(new Extent(F - 2, 100, 5, false), map.lookup(F), "one run, one lookup");
        byte[] first = map.nodeImage(1, 1, 0);
        byte[] second = map.nodeImage(1, 1, 1);
        assertEquals(100L, BlockMap.entry(first, (int) F - 2));
        assertEquals(101L, BlockMap.entry(first, (int) F - 1));
        assertEquals(102L, BlockMap.entry(second, 0));
        assertEquals(104L, BlockMap.entry(second, 2));
        assertEquals(0L, BlockMap.entry(second, 3));
        map.set(F, 102 | BlockMap.UNWRITTEN, meta); // the same block, now unwritten: the run splits around it
        assertEquals(List.of(new Extent(F - 2, 100, 2, false), new Extent(F, 102, 1, true), new Extent(F + 1, 103, 2, false)),
                map.pieces(0, Long.MAX_VALUE));
        assertEquals(102 | BlockMap.UNWRITTEN, BlockMap.entry(map.nodeImage(1, 1, 1), 0));
        assertEquals(102 | BlockMap.UNWRITTEN, map.clear(F, meta), "clear returns the raw entry");
        assertEquals(0, map.clear(F, meta), "a hole clears to 0");
        assertEquals(4, map.blockCount());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeds")
    void leafImagesHoldTheEntriesOfAPerBlockModelAndLoadBackToTheSameRuns(String label, long seed) {
        Random rnd = new Random(seed);
        BlockMap map = new BlockMap();
        Meta meta = new Meta();
        TreeMap<Long, Long> model = new TreeMap<>(); // file block -> raw entry, as the media holds them
        for (int step = 0; step < 200; step++) {
            long fb = rnd.nextInt(4) == 0 ? someBlock(rnd) : rnd.nextInt(3 * (int) F);
            int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 40);
            if (rnd.nextInt(3) > 0) {
                long dev = rnd.nextBoolean() ? 1000 + fb % 5000 : 1 + rnd.nextInt(20_000); // never 0: a hole on the media
                long state = rnd.nextInt(3) == 0 ? BlockMap.UNWRITTEN : 0;
                for (long b = fb; b < Math.min(fb + n, BlockMap.MAX_BLOCKS); b++) {
                    long raw = (dev + b - fb) | state;
                    map.set(b, raw, meta);
                    model.put(b, raw);
                }
            } else {
                for (long b = fb; b < fb + n; b++) {
                    assertEquals(model.getOrDefault(b, 0L), map.clear(b, meta), "step " + step + ": clear(" + b + ")");
                    model.remove(b);
                }
            }
        }
        assertEquals(model.size(), map.blockCount());
        BlockMap loaded = new BlockMap();
        for (long leaf : map.height() == 0 ? Set.<Long>of() : map.nodesAt(1).keySet()) {
            byte[] image = map.nodeImage(7, 1, leaf);
            assertEquals(null, BlockMap.nodeProblem(image, 7, 1, leaf));
            for (int k = 0; k < F; k++) {
                long fb = leaf * F + k;
                assertEquals(model.getOrDefault(fb, 0L), BlockMap.entry(image, k), "leaf " + leaf + " entry " + k);
                if (BlockMap.entry(image, k) != 0) {
                    loaded.load(fb, BlockMap.entry(image, k)); // as Scan loads them
                }
            }
        }
        List<Extent> runs = map.pieces(0, Long.MAX_VALUE);
        assertEquals(runs, loaded.pieces(0, Long.MAX_VALUE), "the media's entries load back to the same runs");
        for (int i = 1; i < runs.size(); i++) {
            Extent a = runs.get(i - 1);
            Extent b = runs.get(i);
            assertTrue(a.end() < b.start() || a.dev() + a.count() != b.dev() || a.unwritten() != b.unwritten(),
                    a + " and " + b + " are one run");
        }
    }

    /** The mapped file blocks of {@code [first, last)}, in order. */
    private static List<Long> blocks(BlockMap map, long first, long last) {
        List<Long> out = new ArrayList<>();
        for (Extent p : map.pieces(first, last)) {
            for (long fb = p.start(); fb < p.end(); fb++) {
                out.add(fb);
            }
        }
        return out;
    }
}
