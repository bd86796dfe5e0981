package io.jdax.daxfs;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.Iomap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.random;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The filesystem's operations on a mounted device, each checked by reading back and by fsck. */
class DaxFsTest {
    private DaxDevice dev;
    private DaxFs fs;

    @BeforeEach
    void mount() {
        dev = Fixture.formatted("fs", 4 << 20);
        fs = DaxFs.mount(dev);
    }

    @AfterEach
    void unmountAndCheck() {
        fs.unmount();
        FsckReport r = Fsck.check(dev);
        dev.close();
        Fixture.delete(dev);
        assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
    }

    private static void assertErrno(Errno errno, Runnable r) {
        DaxException e = assertThrows(DaxException.class, r::run);
        assertEquals(errno, e.errno(), e.getMessage());
    }

    @Test
    void createOpenListStatDelete() {
        DaxFile a = fs.create("alpha");
        fs.create("beta");
        assertEquals(List.of("alpha", "beta"), fs.list());
        assertEquals(a, fs.open("alpha"));
        assertTrue(fs.exists("beta"));
        FileStat st = fs.stat("alpha");
        assertEquals("alpha", st.name());
        assertEquals(0, st.size());
        assertEquals(0, st.blocks());
        assertErrno(Errno.EEXIST, () -> fs.create("alpha"));
        fs.delete("alpha");
        assertFalse(fs.exists("alpha"));
        assertErrno(Errno.ENOENT, () -> fs.open("alpha"));
        assertErrno(Errno.ENOENT, () -> fs.delete("alpha"));
        assertErrno(Errno.ENOENT, a::stat);
        assertEquals(List.of("beta"), fs.list());
    }

    @Test
    void writeReadAcrossBlocksAndSparseHolesReadAsZeros() {
        DaxFile f = fs.create("sparse");
        CountingArch arch = (CountingArch) dev.arch();
        long durableCopies = arch.flushcacheCopies.get();
        byte[] a = random(1, 5000);
        byte[] b = random(2, 3000);
        write(f, 100, a);
        write(f, 10 * BLOCK + 7, b);
        assertEquals(10 * BLOCK + 7 + 3000, f.size());
        byte[] all = read(f);
        byte[] expect = new byte[all.length];
        System.arraycopy(a, 0, expect, 100, a.length);
        System.arraycopy(b, 0, expect, 10 * BLOCK + 7, b.length);
        assertArrayEquals(expect, all);
        assertEquals(2 + 1, f.stat().blocks(), "blocks 0, 1 and 10; the hole between holds none");
        assertEquals(0, read(f, f.size(), 10).length, "reads stop at the end of the file");
        var stats = fs.dax().stats();
        assertTrue(dev.hasOwnCopyFromIter() && arch.flushcacheCopies.get() > durableCopies
                && arch.nocacheCopies.get() == 0, "data goes through pmem's durable copy: " + arch.flushcacheCopies
                + " flushcache, " + arch.nocacheCopies + " nocache copies");
        assertTrue(stats.zeroedBytes() >= BLOCK - 100 - 5000 % BLOCK, "new blocks are zeroed around the writes: " + stats);
    }

    @Test
    void aFarSparseWriteGrowsTheBlockMapByTwoLevelsAtOnce() {
        DaxFile f = fs.create("far");
        write(f, 3 * BLOCK, new byte[] {1}); // a one-leaf map
        long far = (508L * 508 + 5) * BLOCK; // needs a map of height 3: two new levels above the leaf
        write(f, far, new byte[] {2});
        assertEquals(3, f.d.map.height());
        assertArrayEquals(new byte[] {1}, read(f, 3 * BLOCK, 1));
        assertArrayEquals(new byte[] {0, 2}, read(f, far - 1, 2));
        f.truncate(4 * BLOCK);
        assertEquals(1, f.stat().blocks());
    }

    @Test
    void overwriteInPlaceKeepsTheBlocksAndChangesTheBytes() {
        DaxFile f = fs.create("o");
        write(f, 0, random(3, 3 * BLOCK));
        List<Iomap> before = f.fiemap();
        byte[] patch = random(4, 1000);
        write(f, BLOCK + 50, patch);
        assertEquals(before, f.fiemap());
        assertArrayEquals(patch, read(f, BLOCK + 50, 1000));
    }

    @Test
    void truncateDownFreesBlocksAndGrowingShowsZerosNotTheOldTail() {
        DaxFile f = fs.create("t");
        byte[] data = random(5, 3 * BLOCK);
        write(f, 0, data);
        long free = fs.statfs().freeBlocks();
        f.truncate(BLOCK + 10);
        assertEquals(BLOCK + 10, f.size());
        assertEquals(free + 1, fs.statfs().freeBlocks(), "the third block is freed");
        f.truncate(3 * BLOCK);
        byte[] all = read(f);
        assertArrayEquals(Arrays.copyOf(data, BLOCK + 10), Arrays.copyOf(all, BLOCK + 10));
        assertArrayEquals(new byte[2 * BLOCK - 10], Arrays.copyOfRange(all, BLOCK + 10, 3 * BLOCK),
                "the old bytes past the cut must not come back");
        f.truncate(5);
        write(f, 100, new byte[] {9}); // a write past the end: the gap reads as zeros
        byte[] head = read(f);
        assertEquals(101, head.length);
        assertArrayEquals(Arrays.copyOf(data, 5), Arrays.copyOf(head, 5));
        assertArrayEquals(new byte[95], Arrays.copyOfRange(head, 5, 100));
        f.truncate(0);
        assertEquals(0, f.stat().blocks());
    }

    @Test
    void fallocateGivesUnwrittenBlocksThatReadAsZerosUntilWritten() {
        DaxFile junk = fs.create("junk");
        write(junk, 0, filled(8 * BLOCK, (byte) 0xEE));
        fs.delete("junk"); // its blocks now hold 0xEE and are free
        DaxFile f = fs.create("f");
        f.fallocate(0, 8 * BLOCK);
        assertEquals(8 * BLOCK, f.size());
        assertEquals(8, f.stat().blocks());
        assertTrue(f.fiemap().stream().allMatch(e -> e instanceof Iomap.Unwritten), f.fiemap().toString());
        assertArrayEquals(new byte[8 * BLOCK], read(f), "unwritten blocks read as zeros, not 0xEE");
        write(f, BLOCK + 100, new byte[] {1, 2, 3});
        byte[] all = read(f);
        byte[] expect = new byte[8 * BLOCK];
        expect[BLOCK + 100] = 1;
        expect[BLOCK + 101] = 2;
        expect[BLOCK + 102] = 3;
        assertArrayEquals(expect, all, "the converted block is zero around the write");
        assertErrno(Errno.EINVAL, () -> f.map(0, 8 * BLOCK, DaxAccessMode.READ));
    }

    @Test
    void punchHoleFreesWholeBlocksZeroesEdgesKeepsSize() {
        DaxFile f = fs.create("p");
        byte[] data = random(6, 6 * BLOCK);
        write(f, 0, data);
        f.punchHole(BLOCK / 2, 3 * BLOCK);
        assertEquals(6 * BLOCK, f.size());
        assertEquals(4, f.stat().blocks(), "blocks 1 and 2 are freed; 0 and 3 keep their outer halves");
        byte[] expect = data.clone();
        Arrays.fill(expect, BLOCK / 2, BLOCK / 2 + 3 * BLOCK, (byte) 0);
        assertArrayEquals(expect, read(f));
    }

    @Test
    void renameMovesAndRenameOverReplacesAtomically() {
        DaxFile a = fs.create("a");
        write(a, 0, random(7, 2 * BLOCK));
        DaxFile b = fs.create("b");
        write(b, 0, random(8, 3 * BLOCK));
        long free = fs.statfs().freeBlocks();
        fs.rename("a", "b");
        assertEquals(List.of("b"), fs.list());
        assertEquals(a, fs.open("b"));
        assertEquals("b", a.name());
        assertArrayEquals(random(7, 2 * BLOCK), read(fs.open("b")));
        assertTrue(fs.statfs().freeBlocks() >= free + 3, "the replaced file's blocks are freed");
        assertErrno(Errno.ENOENT, b::fsync);
        fs.rename("b", "c");
        fs.rename("c", "c");
        assertEquals(List.of("c"), fs.list());
        assertErrno(Errno.ENOENT, () -> fs.rename("nope", "x"));
    }

    @Test
    void aFreedBlockNeverShowsTheDeletedFilesBytes() {
        DaxFile x = fs.create("x");
        write(x, 0, filled(16 * BLOCK, (byte) 0x77));
        x.fsync();
        fs.delete("x");
        DaxFile y = fs.create("y");
        write(y, 10, new byte[] {1}); // one byte into a block that held 0x77s
        write(y, 5 * BLOCK + 3, new byte[] {2});
        byte[] all = read(y);
        for (int i = 0; i < all.length; i++) {
            if (i != 10 && i != 5 * BLOCK + 3) {
                assertEquals(0, all[i], "byte " + i + " of the new file");
            }
        }
        y.truncate(16 * BLOCK);
        assertFalse(contains(read(y), (byte) 0x77));
    }

    @Test
    void aWriteTheDeviceCannotHoldFailsWithEnospcBeforeWritingAnything() {
        DaxFile f = fs.create("big");
        long free = fs.statfs().freeBlocks();
        byte[] huge = new byte[(int) ((free + 1) * BLOCK)];
        assertErrno(Errno.ENOSPC, () -> write(f, 0, huge));
        assertEquals(0, f.size());
        assertEquals(free, fs.statfs().freeBlocks());
        assertErrno(Errno.ENOSPC, () -> f.fallocate(0, (free + 1) * BLOCK));
        assertEquals(0, f.size());
        assertEquals(free, fs.statfs().freeBlocks());
        f.truncate(1L << 40); // a sparse terabyte takes no space
        assertEquals(1L << 40, f.stat().size());
        write(f, (1L << 40) - 1, new byte[] {5});
        assertArrayEquals(new byte[] {0, 5}, read(f, (1L << 40) - 2, 2));
    }

    @Test
    void directMappingSeesTheFileAndPersistsStores() {
        DaxFile f = fs.create("m");
        write(f, 0, random(9, 2 * BLOCK));
        DaxMapping m = f.map(0, 2 * BLOCK, DaxAccessMode.WRITE);
        assertEquals(random(9, 2 * BLOCK)[BLOCK + 1], m.segment().get(ValueLayout.JAVA_BYTE, BLOCK + 1));
        m.segment().set(ValueLayout.JAVA_BYTE, 7, (byte) 42);
        m.persist(7, 1);
        assertEquals(42, read(f, 7, 1)[0]);
        assertErrno(Errno.EINVAL, () -> f.map(BLOCK, 2 * BLOCK, DaxAccessMode.READ));
    }

    @Test
    void timesFollowChangesAndStatShowsThem() throws Exception {
        DaxFile f = fs.create("times");
        FileStat s0 = f.stat();
        assertEquals(s0.created(), s0.modified());
        Thread.sleep(2);
        write(f, 0, new byte[10]);
        FileStat s1 = f.stat();
        assertTrue(s1.modified().isAfter(s0.modified()));
        assertEquals(s0.created(), s1.created());
        Thread.sleep(2);
        fs.rename("times", "t2");
        assertTrue(f.stat().changed().isAfter(s1.changed()));
        assertEquals(s1.modified(), f.stat().modified());
    }

    @Test
    void handlesFailAfterUnmountWithEbadf() {
        DaxFile f = fs.create("u");
        fs.unmount();
        assertErrno(Errno.EBADF, f::stat);
        assertErrno(Errno.EBADF, () -> fs.create("v"));
        fs = DaxFs.mount(dev);
        assertTrue(fs.exists("u"));
    }

    @Test
    void largeOperationsSplitIntoSeveralTransactions() {
        // 16-block transactions: a file of 2000 blocks spans several leaves and bitmap bits.
        fs.unmount();
        DaxDevice small = Fixture.pmem("split", 16 << 20);
        DaxFs.format(small, FormatOptions.defaults().withTransactionBlocks(16));
        try (DaxFs s = DaxFs.mount(small)) {
            s.txLimit = 10; // a map this size fits one 16-block transaction; split well before that
            DaxFile f = s.create("f");
            // fragment: every other block to another file, so the maps are long
            DaxFile g = s.create("g");
            for (int i = 0; i < 1200; i++) {
                write(f, (long) i * BLOCK, filled(BLOCK, (byte) (i | 1)));
                write(g, (long) i * BLOCK, filled(BLOCK, (byte) 0x55));
            }
            long commits = s.statfs().commits();
            f.truncate(10);
            assertTrue(s.statfs().commits() - commits > 1, "the truncate took several transactions");
            s.delete("g");
            f.fallocate(0, 2000L * BLOCK);
            assertEquals(2000, f.stat().blocks());
            byte[] head = read(f, 0, 10);
            assertArrayEquals(filled(10, (byte) 1), head);
            assertFalse(contains(read(f), (byte) 0x55));
        }
        FsckReport r = Fsck.check(small);
        assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
        small.close();
        Fixture.delete(small);
        fs = DaxFs.mount(dev);
    }

    @Test
    void aDeviceWithSeveralBitmapBlocksAllocatesAndFreesAcrossThem() {
        fs.unmount();
        DaxDevice big = Fixture.pmem("bitmaps", 136L << 20); // 34816 blocks: two bitmap blocks
        DaxFs.format(big, FormatOptions.defaults());
        byte[] tail = random(12, 3 * BLOCK);
        try (DaxFs b = DaxFs.mount(big)) {
            assertEquals(2, b.g.bitmapBlocks());
            DaxFile filler = b.create("filler");
            filler.fallocate(0, 33_000L * BLOCK); // metadata only: unwritten blocks up to the second bitmap block
            DaxFile t = b.create("tail");
            write(t, 0, tail); // lands past block 32640
            long addr = ((Iomap.Mapped) t.fiemap().getFirst()).addr() / BLOCK;
            assertTrue(addr >= Geometry.BITS_PER_BITMAP_BLOCK, "block " + addr + " is in the second bitmap block");
            long free = b.statfs().freeBlocks();
            b.delete("filler"); // frees across both bitmap blocks, in several transactions
            assertTrue(b.statfs().freeBlocks() >= free + 33_000);
        }
        FsckReport r = Fsck.check(big);
        assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
        big.close();
        DaxDevice again = Fixture.reopen(big);
        try (DaxFs b = DaxFs.mount(again)) {
            assertArrayEquals(tail, read(b.open("tail")));
            assertEquals(List.of("tail"), b.list());
        }
        again.close();
        Fixture.delete(big);
        fs = DaxFs.mount(dev);
    }

    static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        Arrays.fill(b, v);
        return b;
    }

    static boolean contains(byte[] b, byte v) {
        for (byte x : b) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
