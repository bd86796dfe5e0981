package io.jdax.fsdax;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.fsdax.Fixtures.Kind;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static io.jdax.fsdax.Fixtures.PAGE;
import static io.jdax.fsdax.Fixtures.STALE;
import static io.jdax.fsdax.Fixtures.allBytes;
import static io.jdax.fsdax.Fixtures.deviceBytes;
import static io.jdax.fsdax.Fixtures.fill;
import static io.jdax.fsdax.Fixtures.pattern;
import static io.jdax.fsdax.Fixtures.read;
import static io.jdax.fsdax.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reference filesystem over both chunk shapes: holes, allocation, zeroing, space, bad input. */
class MemFsTest {
    private final List<DaxDevice> opened = new ArrayList<>();

    private MemFs fs(Kind kind, int pages) {
        DaxDevice d = kind.open("memfs" + opened.size(), (long) pages * PAGE);
        opened.add(d);
        fill(d, STALE); // every test starts on a device full of a previous owner's data
        return new MemFs(d);
    }

    @AfterEach
    void close() {
        Fixtures.closeAll(opened);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void holesReadAsZerosAndAllocateNothing(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        f.truncate(3 * PAGE + 10);
        byte[] got = read(f, 0, 4 * PAGE);
        assertEquals(3 * PAGE + 10, got.length);
        assertTrue(allBytes(got, 0, got.length, (byte) 0));
        assertEquals(0, f.blockCount());
        assertEquals(16, fs.freeBlocks());
        assertEquals(got.length, fs.dax().stats().holeBytes());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aWriteIntoAHoleAllocatesItsBlocksOnly(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        byte[] data = pattern(5000, 1);
        assertEquals(5000, write(f, 3 * PAGE + 100, data));
        assertEquals(3 * PAGE + 100 + 5000, f.size());
        assertEquals(2, f.blockCount()); // blocks 3 and 4
        assertEquals(14, fs.freeBlocks());
        assertArrayEquals(data, read(f, 3 * PAGE + 100, 5000));
        assertTrue(allBytes(read(f, 0, 3 * PAGE), 0, 3 * PAGE, (byte) 0), "blocks 0-2 stay holes");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPartialWriteIntoNewBlocksZeroesTheRestOnTheDevice(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        f.truncate(3 * PAGE); // the file's tail is a hole that a later write fills
        byte[] data = pattern(PAGE + 10, 2);
        long pos = PAGE + 100; // from inside block 1 to inside block 2
        assertEquals(data.length, write(f, pos, data));

        byte[] file = read(f, PAGE, 2 * PAGE);
        assertTrue(allBytes(file, 0, 100, (byte) 0), "head of block 1");
        assertArrayEquals(data, Arrays.copyOfRange(file, 100, 100 + data.length));
        assertTrue(allBytes(file, 100 + data.length, 2 * PAGE, (byte) 0), "tail of block 2");

        // On the media too: no byte of the stale pattern is left in either block.
        Iomap.Mapped m = assertInstanceOf(Iomap.Mapped.class, f.fiemap().getFirst());
        assertEquals(PAGE, m.offset());
        assertEquals(2 * PAGE, m.length());
        byte[] media = deviceBytes(fs.device(), m.addr(), 2 * PAGE);
        assertArrayEquals(file, media);
        assertEquals(2 * PAGE - data.length, fs.dax().stats().zeroedBytes());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void fallocatedBlocksReadAsZerosAndAWriteConvertsOnlyWhatItCovers(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        f.fallocate(0, 3 * PAGE);
        assertEquals(3 * PAGE, f.size());
        assertEquals(List.of(new Iomap.Unwritten(0, 3 * PAGE, fs.device(), 0)), f.fiemap());
        assertTrue(allBytes(read(f, 0, 3 * PAGE), 0, 3 * PAGE, (byte) 0), "the stale pattern never shows");

        byte[] data = pattern(10, 3);
        assertEquals(10, write(f, PAGE + 100, data));
        assertEquals(List.of(new Iomap.Unwritten(0, PAGE, fs.device(), 0),
                new Iomap.Mapped(PAGE, PAGE, fs.device(), PAGE, false),
                new Iomap.Unwritten(2 * PAGE, PAGE, fs.device(), 2 * PAGE)), f.fiemap());
        byte[] all = read(f, 0, 3 * PAGE);
        assertArrayEquals(data, Arrays.copyOfRange(all, PAGE + 100, PAGE + 110));
        all[PAGE + 100] = 0;
        Arrays.fill(all, PAGE + 100, PAGE + 110, (byte) 0);
        assertTrue(allBytes(all, 0, all.length, (byte) 0));
        byte[] block1 = deviceBytes(fs.device(), PAGE, PAGE);
        assertTrue(allBytes(block1, 0, 100, (byte) 0) && allBytes(block1, 110, PAGE, (byte) 0),
                "the converted block was zeroed on the device around the write");
        assertEquals(13, fs.freeBlocks());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void punchHoleFreesWholeBlocksAndZeroesTheEdges(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        byte[] data = pattern(4 * PAGE, 4);
        write(f, 0, data);
        f.punchHole(100, 2 * PAGE + 50); // zeroes [100, 2P+150): block 1 whole, edges of 0 and 2
        assertEquals(4 * PAGE, f.size());
        assertEquals(3, f.blockCount());
        assertEquals(13, fs.freeBlocks());
        byte[] expect = data.clone();
        Arrays.fill(expect, 100, 2 * PAGE + 150, (byte) 0);
        assertArrayEquals(expect, read(f, 0, 4 * PAGE));

        f.punchHole(3 * PAGE + 5, 10); // inside one block: zeroed in place, nothing freed
        Arrays.fill(expect, 3 * PAGE + 5, 3 * PAGE + 15, (byte) 0);
        assertArrayEquals(expect, read(f, 0, 4 * PAGE));
        assertEquals(3, f.blockCount());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void truncateDownThenUpShowsZerosWhereDataWas(Kind kind) {
        MemFs fs = fs(kind, 16);
        MemFile f = fs.create();
        byte[] data = pattern(3 * PAGE, 5);
        write(f, 0, data);
        f.truncate(PAGE + 5);
        assertEquals(2, f.blockCount());
        assertEquals(14, fs.freeBlocks());
        f.truncate(3 * PAGE);
        byte[] got = read(f, 0, 3 * PAGE);
        assertArrayEquals(Arrays.copyOf(data, PAGE + 5), Arrays.copyOf(got, PAGE + 5));
        assertTrue(allBytes(got, PAGE + 5, 3 * PAGE, (byte) 0));
        f.truncate(0);
        assertEquals(0, f.blockCount());
        assertEquals(16, fs.freeBlocks());
        assertEquals(0, read(f, 0, PAGE).length);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aWriteThatDoesNotFitFailsWithENOSPCAndWritesNothing(Kind kind) {
        MemFs fs = fs(kind, 8);
        MemFile a = fs.create();
        MemFile b = fs.create();
        write(a, 0, pattern(5 * PAGE, 6)); // 3 blocks left
        byte[] old = pattern(2 * PAGE, 7);
        write(b, 0, old); // 1 block left

        // Overwrites 2 blocks, then needs 3 new ones: it must not overwrite first and fail later.
        DaxException e = assertThrows(DaxException.class, () -> write(b, 0, pattern(5 * PAGE, 8)));
        assertEquals(Errno.ENOSPC, e.errno());
        assertTrue(e.getMessage().contains("needs 3 free blocks, only 1"), e.getMessage());
        assertArrayEquals(old, read(b, 0, 5 * PAGE));
        assertEquals(2 * PAGE, b.size());
        assertEquals(1, fs.freeBlocks());

        DaxException big = assertThrows(DaxException.class, () -> write(fs.create(), 0, new byte[9 * PAGE]));
        assertEquals(Errno.ENOSPC, big.errno());
        assertEquals(1, fs.freeBlocks());
        assertEquals(Errno.ENOSPC, assertThrows(DaxException.class, () -> b.fallocate(0, 4 * PAGE)).errno());
        assertEquals(1, fs.freeBlocks());
    }

    @Test
    void beginAnswersTheRunContiguousOnTheDeviceAndStopsAtAGapAStateChangeOrAHole() {
        MemFs fs = fs(Kind.LINEAR, 16);
        DaxDevice d = fs.device();
        MemFile f = fs.create();
        MemFile g = fs.create();
        // First fit: f's blocks 0, 1 at device blocks 0, 1; g takes 2; f's block 2 at 3; f's block 3
        // unwritten at 4; f's block 4 a hole; f's block 5 at 5.
        write(f, 0, pattern(2 * PAGE, 11));
        write(g, 0, pattern(PAGE, 12));
        write(f, 2 * PAGE, pattern(PAGE, 13));
        f.fallocate(3 * PAGE, PAGE);
        write(f, 5 * PAGE, pattern(PAGE, 14));
        Set<IomapFlag> read = Set.of();

        assertEquals(new Iomap.Mapped(0, 2 * PAGE, d, 0, false), fs.begin(f, 0, 6 * PAGE, read));
        // A written extent is answered whole, from its first block (the engine clips it to the
        // I/O), and it is the same object each time: no allocation per I/O in steady state.
        Iomap inside = fs.begin(f, PAGE + 5, 10, read);
        assertEquals(new Iomap.Mapped(0, 2 * PAGE, d, 0, false), inside);
        assertSame(inside, fs.begin(f, 5, 10, read));
        assertEquals(new Iomap.Mapped(2 * PAGE, PAGE, d, 3 * PAGE, false), fs.begin(f, 2 * PAGE, 4 * PAGE, read),
                "a device gap before it, a state change after it");
        assertEquals(new Iomap.Unwritten(3 * PAGE, PAGE, d, 4 * PAGE), fs.begin(f, 3 * PAGE, 3 * PAGE, read));
        assertEquals(new Iomap.Hole(4 * PAGE, PAGE), fs.begin(f, 4 * PAGE, 2 * PAGE, read), "ends where block 5 is");
        assertEquals(new Iomap.Hole(4 * PAGE, PAGE), fs.begin(f, 4 * PAGE, PAGE, read));
        assertEquals(new Iomap.Hole(6 * PAGE, 3 * PAGE), fs.begin(f, 6 * PAGE, 3 * PAGE, read));

        // A write sees the unwritten block as new; ENOSPC counts the holes of the whole range.
        Set<IomapFlag> write = Set.of(IomapFlag.WRITE);
        Iomap m = fs.begin(f, 3 * PAGE, 2 * PAGE, write);
        assertEquals(new Iomap.Mapped(3 * PAGE, PAGE, d, 4 * PAGE, true), m);
        fs.end(f, 3 * PAGE, 2 * PAGE, 0, write, m);
        assertEquals(10, fs.freeBlocks());
        assertErrno(Errno.ENOSPC, () -> fs.begin(f, 0, 17 * PAGE, write), "needs 12 free blocks, only 10");
        assertErrno(Errno.ENOSPC, () -> fs.begin(f, 16 * PAGE, 11 * PAGE, write), "needs 11 free blocks, only 10");
        assertEquals(10, fs.freeBlocks());
        assertEquals(5, f.blockCount());
    }

    @Test
    void readsStopAtTheEndOfTheFile() {
        MemFs fs = fs(Kind.BRD, 8);
        MemFile f = fs.create();
        write(f, 0, pattern(5000, 9));
        byte[] buf = new byte[2 * PAGE];
        IovIter dst = IovIter.kvec(IovIter.Direction.DEST, buf);
        assertEquals(5000, f.read(0, dst));
        assertEquals(2 * PAGE - 5000, dst.count());
        IovIter past = IovIter.kvec(IovIter.Direction.DEST, buf);
        assertEquals(0, f.read(5000, past));
        assertEquals(0, f.read(Long.MAX_VALUE - buf.length, past));
        assertEquals(buf.length, past.count());
    }

    @Test
    void badInputFailsWithACodeAndChangesNothing() {
        MemFs fs = fs(Kind.LINEAR, 8);
        MemFile f = fs.create();
        byte[] buf = new byte[100];
        IovIter src = IovIter.kvec(IovIter.Direction.SOURCE, buf);
        IovIter dst = IovIter.kvec(IovIter.Direction.DEST, buf);
        assertErrno(Errno.EINVAL, () -> f.write(-1, src), "negative");
        assertErrno(Errno.EINVAL, () -> f.read(-1, dst), "negative");
        assertErrno(Errno.EINVAL, () -> f.write(Long.MAX_VALUE - 10, src), "overflows");
        assertErrno(Errno.EINVAL, () -> f.read(Long.MAX_VALUE - 10, dst), "overflows");
        assertErrno(Errno.EFBIG, () -> f.write(MemFs.MAX_FILE_SIZE - 10, src), "largest file size");
        assertErrno(Errno.EINVAL, () -> f.write(0, dst), "SOURCE");
        assertErrno(Errno.EINVAL, () -> f.read(0, src), "DEST");
        assertErrno(Errno.EINVAL, () -> f.fallocate(0, 0), "length");
        assertErrno(Errno.EINVAL, () -> f.punchHole(-5, 10), "offset");
        assertErrno(Errno.EINVAL, () -> f.truncate(-1), "negative");
        assertErrno(Errno.EFBIG, () -> f.truncate(Long.MAX_VALUE), "largest file size");
        assertEquals(100, src.count());
        assertEquals(100, dst.count());
        assertEquals(0, f.size());
        assertEquals(8, fs.freeBlocks());
        assertEquals(0, fs.dax().stats().begins());
    }

    @Test
    void fsyncFlushesTheDevice() {
        LinearDevice d = LinearDevice.pmemLike("fsync", 8 * PAGE);
        opened.add(d);
        MemFile f = new MemFs(d).create();
        write(f, 0, pattern(10, 10));
        assertEquals(0, d.flushCalls.get());
        f.fsync();
        assertEquals(1, d.flushCalls.get());
    }

    @Test
    void aFileOfAnotherFilesystemIsRefused() {
        MemFs one = fs(Kind.LINEAR, 4);
        MemFs two = fs(Kind.LINEAR, 4);
        MemFile f = one.create();
        assertErrno(Errno.EINVAL, () -> two.dax().rw(f, 0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[1]), two),
                "another filesystem");
    }

    static void assertErrno(Errno errno, org.junit.jupiter.api.function.Executable call, String inMessage) {
        DaxException e = assertThrows(DaxException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(inMessage), () -> "'" + inMessage + "' not in: " + e.getMessage());
    }
}
