package io.jdax.daxfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The radix block map against its own accounting: {@code nodesNeeded} is exactly what mapping
 * a range allocates (writes promise that many blocks before they start), nodes are freed with
 * their last entry, and every node image lists exactly its children.
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
                for (Long fb : map.entries.subMap(c, c + rnd.nextInt(3000)).keySet().stream().toList()) {
                    map.clear(fb, meta);
                }
            }
            assertEquals(new HashSet<>(map.nodeBlocks()), meta.live, "live nodes are exactly the map's nodes");
        }
        for (Long fb : map.entries.keySet().stream().toList()) {
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
            if (map.entries.isEmpty() || rnd.nextInt(3) > 0) {
                long created = map.nodesNeeded(fb, fb + 1);
                map.set(fb, 1, meta);
                assertTrue(meta.dirty.size() <= created + 2, "set(" + fb + "): " + meta.dirty.size()
                        + " nodes dirtied, " + created + " created"); // DaxFs.setCost counts created + 2
            } else {
                long victim = map.entries.ceilingKey(fb) != null ? map.entries.ceilingKey(fb) : map.entries.firstKey();
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
}
