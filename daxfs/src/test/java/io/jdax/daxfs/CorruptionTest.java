package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.flipBit;
import static io.jdax.daxfs.Fixture.random;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flipped bit in each kind of metadata block is caught at mount or by fsck, with an error
 * naming the structure; fsck repairs it; nothing ever reads back silently wrong.
 */
class CorruptionTest {
    private DaxDevice dev;
    private Geometry g;
    /** The files as written: name to content. */
    private final Map<String, byte[]> files = new TreeMap<>();
    /** Node blocks of "big" by level. */
    private final Map<Integer, List<Long>> bigNodes = new TreeMap<>();
    private long lastTxHomes[];

    @BeforeEach
    void populate() {
        dev = Fixture.formatted("corrupt", 8 << 20);
        try (DaxFs fs = DaxFs.mount(dev)) {
            g = fs.g;
            put(fs, "a", 0, random(1, 3000));
            // a sparse file whose map has two levels: file block 600 is past the first leaf's 508
            put(fs, "big", 0, random(2, 2 * BLOCK));
            put(fs, "big", 600L * BLOCK, random(3, 100));
            put(fs, "c", 0, random(4, 5 * BLOCK + 1));
            for (int i = 0; i < 6; i++) {
                fs.create("filler" + i); // slots 3..8: the last lands in inode-table block 1
            }
            DaxFile big = fs.open("big");
            for (int level = 1; level <= big.d.map.height(); level++) {
                bigNodes.put(level, new ArrayList<>(big.d.map.nodesAt(level).values()));
            }
            fs.delete("filler5"); // the last transaction: inode-table block 1 only
        }
        Journal.Committed last = Journal.readLast(new MetaIo(dev), g, new Problems(true));
        lastTxHomes = last.homes();
        assertEquals(2, bigNodes.size(), "big has a root and leaves");
        assertArrayEquals(new long[] {g.itableStart() + 1}, lastTxHomes);
    }

    private void put(DaxFs fs, String name, long pos, byte[] data) {
        DaxFile f = fs.exists(name) ? fs.open(name) : fs.create(name);
        write(f, pos, data);
        f.fsync();
        byte[] cur = files.getOrDefault(name, new byte[0]);
        byte[] next = Arrays.copyOf(cur, (int) Math.max(cur.length, pos + data.length));
        System.arraycopy(data, 0, next, (int) pos, data.length);
        files.put(name, next);
    }

    @AfterEach
    void cleanUp() {
        dev.close();
        Fixture.delete(dev);
    }

    /** Mount fails with EUCLEAN naming {@code structure}; fsck names it too; repair makes it mountable and clean. */
    private FsckReport caught(String structure) {
        DaxException e = assertThrows(DaxException.class, () -> DaxFs.mount(dev));
        assertEquals(Errno.EUCLEAN, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(structure), e.getMessage());
        return repaired(structure);
    }

    private FsckReport repaired(String structure) {
        FsckReport check = Fsck.check(dev);
        assertFalse(check.clean(), check.describe());
        assertTrue(check.errors().stream().anyMatch(m -> m.contains(structure)), check.describe());
        FsckReport repair = Fsck.repair(dev);
        assertTrue(repair.remaining().isEmpty(), repair.describe());
        assertFalse(repair.repairs().isEmpty(), repair.describe());
        FsckReport after = Fsck.check(dev);
        assertTrue(after.clean() && after.pending().isEmpty(), after.describe());
        return repair;
    }

    /** After repair: every file but {@code lost} reads exactly as written. */
    private void intactBut(String... lost) {
        try (DaxFs fs = DaxFs.mount(dev)) {
            for (var e : files.entrySet()) {
                if (List.of(lost).contains(e.getKey())) {
                    continue;
                }
                assertArrayEquals(e.getValue(), read(fs.open(e.getKey())), e.getKey());
            }
        }
    }

    @Test
    void superblockIsRestoredFromItsBackup() {
        flipBit(dev, 0, 30, 3); // nrBlocks
        caught("superblock (device block 0)");
        intactBut();
    }

    @Test
    void superblockUnusedBytesAreCoveredToo() {
        flipBit(dev, 0, 3000, 0);
        DaxException e = assertThrows(DaxException.class, () -> DaxFs.mount(dev));
        assertTrue(e.getMessage().contains("superblock (device block 0): checksum mismatch"), e.getMessage());
        repaired("superblock");
        intactBut();
    }

    @Test
    void backupSuperblockIsCheckedByFsck() {
        flipBit(dev, g.backupBlock(), 40, 1);
        try (DaxFs fs = DaxFs.mount(dev)) {
            assertTrue(fs.list().containsAll(files.keySet()), "mount reads only the primary: " + fs.list());
        }
        repaired("backup superblock");
        intactBut();
    }

    @Test
    void journalHeader() {
        flipBit(dev, g.journalStart(), 13, 2);
        caught("journal header");
        intactBut();
    }

    @Test
    void journalCommitRecord() {
        flipBit(dev, g.journalStart(), Journal.COMMIT_OFFSET + 2, 5);
        caught("journal commit record");
        intactBut();
    }

    @Test
    void journalDescriptorOfTheLastTransaction() {
        int tid = Journal.wordTid(Bytes.getLong(Fixture.block(dev, g.journalStart()), Journal.COMMIT_OFFSET));
        flipBit(dev, g.halfStart(tid & 1), 40, 0);
        caught("journal transaction " + tid);
        intactBut();
    }

    @Test
    void journalImageOfTheLastTransaction() {
        int tid = Journal.wordTid(Bytes.getLong(Fixture.block(dev, g.journalStart()), Journal.COMMIT_OFFSET));
        flipBit(dev, g.halfStart(tid & 1) + 1, 100, 7);
        caught("the images do not match");
        intactBut();
    }

    @Test
    void blockBitmap() {
        flipBit(dev, g.bitmapStart(), 16 + (int) (g.dataStart() / 8) + 20, 4); // a data block's bit
        caught("block bitmap block 0");
        intactBut();
    }

    @Test
    void inodeOfAFileIsClearedAndOnlyThatFileIsLost() {
        flipBit(dev, g.itableStart(), 24, 0); // inode 1's size
        FsckReport r = caught("inode 1 (inode table block 0");
        assertTrue(r.repairs().stream().anyMatch(m -> m.contains("inode 1: damaged, cleared")), r.describe());
        intactBut("a");
        try (DaxFs fs = DaxFs.mount(dev)) {
            assertFalse(fs.exists("a"));
        }
    }

    @Test
    void freeInodeSlotMustStayZero() {
        flipBit(dev, g.itableStart() + 2, 5, 6); // slot 16, never used
        caught("inode 17");
        intactBut();
    }

    @Test
    void blockMapLeafIsDroppedAndItsRangeReadsAsAHole() {
        long leaf = bigNodes.get(1).get(1); // the leaf of file block 600
        flipBit(dev, leaf, 40 + 8 * (600 - 508), 1);
        caught("block-map node of inode 2 at device block " + leaf + " (level 1, index 1)");
        intactBut("big");
        try (DaxFs fs = DaxFs.mount(dev)) {
            byte[] big = read(fs.open("big"));
            byte[] expect = files.get("big").clone();
            Arrays.fill(expect, 508 * BLOCK, expect.length, (byte) 0);
            assertArrayEquals(expect, big, "the first leaf's blocks survive; the dropped leaf's range is a hole");
        }
    }

    @Test
    void blockMapInteriorNode() {
        long root = bigNodes.get(2).getFirst();
        flipBit(dev, root, 24, 0); // its level field
        caught("block-map node of inode 2 at device block " + root + " (level 2, index 0)");
        intactBut("big");
    }

    @Test
    void dataBlocksAreNotChecksummedAFlipThereIsDataNotMetadata() {
        try (DaxFs fs = DaxFs.mount(dev)) {
            long block = ((io.jdax.fsdax.Iomap.Mapped) fs.open("c").fiemap().getFirst()).addr() / BLOCK;
            fs.unmount();
            flipBit(dev, block, 0, 0);
        }
        FsckReport r = Fsck.check(dev);
        assertTrue(r.clean(), r.describe());
        try (DaxFs fs = DaxFs.mount(dev)) {
            assertEquals(files.get("c")[0] ^ 1, read(fs.open("c"))[0]);
        }
    }

    /** Seeded random flips anywhere in the metadata: a clear error or an unharmed filesystem, never a crash or wrong data. */
    static Stream<Arguments> flips() {
        return IntStream.rangeClosed(1, 60).mapToObj(seed -> Arguments.of("seed " + seed, seed));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flips")
    void aRandomMetadataFlipIsCaughtOrHarmless(String label, int seed) {
        Random rnd = new Random(seed);
        List<Long> blocks = new ArrayList<>();
        for (long b = 0; b < g.dataStart(); b++) {
            blocks.add(b);
        }
        blocks.add(g.backupBlock());
        bigNodes.values().forEach(blocks::addAll);
        long block = blocks.get(rnd.nextInt(blocks.size()));
        flipBit(dev, block, rnd.nextInt(BLOCK), rnd.nextInt(8));
        boolean mounted;
        try (DaxFs fs = DaxFs.mount(dev)) {
            mounted = true;
            for (var e : files.entrySet()) {
                assertArrayEquals(e.getValue(), read(fs.open(e.getKey())), "block " + block + ": " + e.getKey());
            }
            assertEquals(files.keySet().size() + 5, fs.list().size());
        } catch (DaxException e) {
            mounted = false;
            assertTrue(e.errno() == Errno.EUCLEAN || e.errno() == Errno.EINVAL, e.toString());
        }
        FsckReport check = Fsck.check(dev);
        if (!mounted) {
            assertFalse(check.clean(), "block " + block + ": mount refused it, fsck must see it: " + check.describe());
        }
        FsckReport repair = Fsck.repair(dev);
        assertTrue(repair.remaining().isEmpty(), repair.describe());
        try (DaxFs fs = DaxFs.mount(dev)) {
            assertTrue(fs.list().size() >= files.size() + 5 - 8, "at most one inode-table block's files lost");
        }
    }
}
