package io.jdax.daxfs;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A transaction being built: the metadata blocks it changed (their images are taken at commit,
 * from the in-memory state), the blocks it freed (available again only once it committed), and
 * the blocks promised to it for new nodes and fallocated data.
 */
final class Tx {
    final TreeMap<Long, Supplier<byte[]>> dirty = new TreeMap<>();
    final List<Long> freed = new ArrayList<>();
    /** Blocks this transaction may still take from the allocator's promises. */
    long promised;

    void dirty(long block, Supplier<byte[]> image) {
        dirty.put(block, image);
    }

    void undirty(long block) {
        dirty.remove(block);
    }

    int size() {
        return dirty.size();
    }
}
