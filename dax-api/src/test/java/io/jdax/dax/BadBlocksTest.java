package io.jdax.dax;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BadBlocksTest {
    private final BadBlocks bb = new BadBlocks(1000);

    @Test
    void overlappingAndAdjacentRunsMerge() {
        bb.set(10, 5);
        bb.set(15, 5);
        bb.set(12, 2);
        bb.set(100, 1);
        assertEquals(List.of(new BadBlocks.Range(10, 10), new BadBlocks.Range(100, 1)), bb.list());
    }

    @Test
    void clearSplitsARun() {
        bb.set(10, 10);
        bb.clear(12, 3);
        assertEquals(List.of(new BadBlocks.Range(10, 2), new BadBlocks.Range(15, 5)), bb.list());
        bb.clear(0, 1000);
        assertTrue(bb.isEmpty());
    }

    @Test
    void checkReturnsTheFirstBadRunClippedToTheQuery() {
        bb.set(10, 10);
        bb.set(40, 2);
        assertEquals(new BadBlocks.Range(15, 5), bb.check(15, 100).orElseThrow());
        assertEquals(new BadBlocks.Range(10, 2), bb.check(0, 12).orElseThrow());
        assertFalse(bb.check(20, 20).isPresent());
        assertTrue(bb.isBad(40 * 512 + 511, 1));
        assertFalse(bb.isBad(42 * 512, 512));
    }

    @Test
    void rangesPastTheDeviceOrNegativeAreRefused() {
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> bb.set(999, 2)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> bb.set(-1, 2)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> bb.set(5, 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> bb.set(Long.MAX_VALUE, 2)).errno());
        assertTrue(bb.isEmpty());
    }
}
