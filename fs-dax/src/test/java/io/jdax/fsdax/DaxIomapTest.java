package io.jdax.fsdax;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.fsdax.Fixtures.Kind;
import io.jdax.fsdax.Fixtures.RecordingOps;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static io.jdax.fsdax.Fixtures.PAGE;
import static io.jdax.fsdax.Fixtures.STALE;
import static io.jdax.fsdax.Fixtures.allBytes;
import static io.jdax.fsdax.Fixtures.fill;
import static io.jdax.fsdax.Fixtures.pattern;
import static io.jdax.fsdax.Fixtures.read;
import static io.jdax.fsdax.Fixtures.write;
import static io.jdax.fsdax.MemFsTest.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's contract: copy-path choice, the chunk loop, begin/end pairing, errors part-way. */
class DaxIomapTest {
    private final List<DaxDevice> opened = new ArrayList<>();

    private <D extends DaxDevice> D track(D d) {
        opened.add(d);
        return d;
    }

    @AfterEach
    void close() {
        Fixtures.closeAll(opened);
    }

    private static IovIter src(byte[] data) {
        return IovIter.kvec(IovIter.Direction.SOURCE, data);
    }

    // ---- which copy path: the device core's choice, observed through a counting Arch and the device

    @Test
    void brdWritesTakeTheNocacheFallbackOnePagePerChunk() {
        CountingArch arch = new CountingArch();
        MemFs fs = new MemFs(track(io.jdax.dax.DaxDevices.open("brd:fallback?size=" + 32 * PAGE, arch)));
        MemFile f = fs.create();
        IomapStats s = fs.dax().stats();
        assertEquals(16 * PAGE, write(f, 0, pattern(16 * PAGE, 1)));
        assertEquals(16, arch.nocache.get(), "one nocache copy per one-page chunk");
        assertEquals(0, arch.flushcache.get(), "brd is volatile: no durable fallback");
        assertEquals(0, s.zeroedBytes(), "a block-aligned write leaves nothing to zero");

        read(f, 0, 16 * PAGE);
        assertEquals(16, arch.mc.get(), "the core's fallback read, one per page");
    }

    @Test
    void aDeviceWithItsOwnCopyFromIterWritesEverythingInOneChunk() {
        LinearDevice d = track(LinearDevice.pmemLike("own", 32 * PAGE, LinearDevice.Own.COPY_TO_ITER));
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] data = pattern(16 * PAGE, 2);
        long before = d.directAccessCalls.get();
        assertEquals(16 * PAGE, write(f, 0, data));
        assertEquals(1, d.ownCopyFromIterCalls.get());
        assertEquals(1, d.directAccessCalls.get() - before, "one chunk: the device answers all pages at once");
        assertArrayEquals(data, read(f, 0, 16 * PAGE));
        assertEquals(1, d.ownCopyToIterCalls.get());
    }

    @Test
    void pmemWritesWithItsOwnDurableCopyInOneChunk() {
        CountingArch arch = new CountingArch();
        DaxDevice pmem = track(io.jdax.dax.DaxDevices.open("pmem:" + Fixtures.scratch().resolve("pmemcopy") + "?size="
                + 32 * PAGE + "&create=true", arch));
        MemFs fs = new MemFs(pmem);
        MemFile f = fs.create();
        byte[] data = pattern(16 * PAGE, 15);
        assertTrue(pmem.hasOwnCopyFromIter());
        assertEquals(16 * PAGE, write(f, 0, data));
        assertEquals(1, arch.flushcache.get(), "pmem's own durable copy, one run");
        assertEquals(0, arch.nocache.get());
        f.fsync();
        assertArrayEquals(data, read(f, 0, 16 * PAGE));
    }

    @Test
    void theSameDeviceWithoutCopyFromIterFallsBackToNocacheWhenVolatileOrEadrAndFlushcacheWhenCpuCache() {
        CountingArch volatileArch = new CountingArch();
        MemFs fs = new MemFs(track(new LinearDevice("plain", 32 * PAGE, volatileArch, PersistenceMode.VOLATILE)));
        byte[] data = pattern(16 * PAGE, 3);
        assertEquals(16 * PAGE, write(fs.create(), 0, data));
        assertEquals(1, volatileArch.nocache.get());
        assertEquals(0, volatileArch.flushcache.get());

        CountingArch cpuArch = new CountingArch(true);
        MemFs durable = new MemFs(track(new LinearDevice("plaincpu", 32 * PAGE, cpuArch, PersistenceMode.CPU_CACHE)));
        assertEquals(16 * PAGE, write(durable.create(), 0, data));
        assertEquals(1, cpuArch.flushcache.get(), "a CPU_CACHE device without its own copy gets the durable one");
        assertEquals(0, cpuArch.nocache.get());

        CountingArch eadrArch = new CountingArch(true);
        MemFs eadr = new MemFs(track(new LinearDevice("plaineadr", 32 * PAGE, eadrArch,
                PersistenceMode.PERSISTENT_CACHE)));
        assertEquals(16 * PAGE, write(eadr.create(), 0, data));
        assertEquals(1, eadrArch.nocache.get(), "a PERSISTENT_CACHE device needs no write-back: 64 KiB non-temporal");
        assertEquals(0, eadrArch.flushcache.get());
        long mc = eadrArch.mc.get();
        assertEquals(100, write(eadr.create(), 0, pattern(100, 4)));
        assertTrue(eadrArch.mc.get() > mc, "below Arch.eadrNontemporalFrom(): cached stores (copyMc)");
        assertEquals(1, eadrArch.nocache.get());
        assertEquals(0, eadrArch.flushcache.get());
    }

    // ---- begin/end pairing

    @Test
    void endFollowsEveryBeginWithTheBytesOfItsStep() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("steps", 32 * PAGE)));
        MemFile a = fs.create();
        MemFile b = fs.create();
        write(a, 0, pattern(PAGE, 4));     // a: block 0
        write(b, 0, pattern(PAGE, 5));     // b: block 1
        write(a, PAGE, pattern(PAGE, 6));  // a: block 2, not contiguous with block 0
        RecordingOps<MemFile> ops = new RecordingOps<>(fs);
        byte[] buf = new byte[2 * PAGE + 100];
        long n = fs.dax().rw(a, 50, IovIter.kvec(IovIter.Direction.DEST, buf), ops);
        assertEquals(2 * PAGE - 50, n, "stops at the end of the file");
        // Two extents, then a step at the end of the file that reads nothing.
        assertEquals(List.of(PAGE - 50L, (long) PAGE, 0L), ops.written());
        assertEquals(ops.count("begin"), ops.count("end"));
        assertEquals(List.of(50L, (long) PAGE, 2L * PAGE), ops.calls.stream()
                .filter(c -> c.op().equals("begin")).map(Fixtures.Call::pos).toList());
    }

    @Test
    void aFilesystemThatAnswersAWriteWithAHoleGetsEIOAndItsEnd() {
        MemFs fs = new MemFs(track(LinearDevice.pmemLike("hole", 8 * PAGE)));
        List<Long> ends = new ArrayList<>();
        IomapOps<Inode> liar = new IomapOps<>() {
            @Override
            public Iomap begin(Inode inode, long pos, long length, Set<IomapFlag> flags) {
                return new Iomap.Hole(0, PAGE);
            }

            @Override
            public void end(Inode inode, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
                ends.add(written);
            }
        };
        Inode inode = () -> 0;
        assertErrno(Errno.EIO, () -> fs.dax().rw(inode, 10, src(new byte[10]), liar), "must answer a MAPPED extent");
        assertEquals(List.of(0L), ends);
        assertErrno(Errno.EIO, () -> fs.dax().rw(inode, PAGE, src(new byte[10]), liar), "does not hold " + PAGE);
        assertEquals(List.of(0L, 0L), ends);
    }

    @Test
    void extentsThatBreakTheDaxRulesAreRefused() {
        DaxDevice d = track(LinearDevice.pmemLike("rules", 8 * PAGE));
        DaxIomap dax = new DaxIomap();
        Inode inode = () -> 1 << 20;
        IomapOps<Inode> unaligned = (i, pos, len, flags) -> new Iomap.Mapped(0, PAGE, d, 512, false);
        IomapOps<Inode> pastDevice = (i, pos, len, flags) -> new Iomap.Mapped(0, 2 * PAGE, d, 7 * PAGE, false);
        byte[] buf = new byte[10];
        assertErrno(Errno.EIO, () -> dax.rw(inode, 0, IovIter.kvec(IovIter.Direction.DEST, buf), unaligned), "page-aligned");
        assertErrno(Errno.EIO, () -> dax.rw(inode, 0, IovIter.kvec(IovIter.Direction.DEST, buf), pastDevice),
                "past the end of device");
    }

    // ---- errors part-way

    @Test
    void aDeviceFailingAtPageNReturnsTheBytesBeforeItAndCommitsOnlyThose() {
        LinearDevice d = track(LinearDevice.pmemLike("failing", 16 * PAGE));
        fill(d, STALE);
        d.failPages.add(3L);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        RecordingOps<MemFile> ops = new RecordingOps<>(fs);
        byte[] data = pattern(8 * PAGE, 7);
        IovIter it = src(data);

        assertEquals(3 * PAGE, fs.dax().rw(f, 0, it, ops));
        assertEquals(5 * PAGE, it.count());
        // The first step got pages 0-2, the retry at page 3 got nothing.
        assertEquals(List.of(3L * PAGE, 0L), ops.written());
        assertEquals(2, ops.count("begin"));
        assertEquals(List.of(new Iomap.Mapped(0, 3 * PAGE, d, 0, false)), f.fiemap());
        assertEquals(3 * PAGE, f.size());
        assertEquals(13, fs.freeBlocks(), "the blocks allocated past the failure went back");
        assertArrayEquals(Arrays.copyOf(data, 3 * PAGE), read(f, 0, 8 * PAGE));

        // Nothing done at all: the error itself, and still an end.
        DaxException e = assertThrows(DaxException.class, () -> fs.dax().rw(f, 3 * PAGE, src(data), ops));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("page 3 fails"), e.getMessage());
        assertEquals(ops.count("begin"), ops.count("end"));
        assertEquals(0L, ops.written().getLast());
        assertEquals(3 * PAGE, f.size());
        assertEquals(13, fs.freeBlocks());
    }

    @Test
    void aShortCopyOverExistingDataReturnsTheBytesCopied() {
        LinearDevice d = track(LinearDevice.pmemLike("short", 8 * PAGE));
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] old = pattern(2 * PAGE, 8);
        write(f, 0, old);
        d.copyBudget.set(5000);
        RecordingOps<MemFile> ops = new RecordingOps<>(fs);
        byte[] data = pattern(2 * PAGE, 9);
        IovIter it = src(data);

        assertEquals(5000, fs.dax().rw(f, 0, it, ops));
        assertEquals(2 * PAGE - 5000, it.count());
        assertEquals(List.of(5000L, 0L), ops.written(), "a retry from byte 5000 copies nothing: EFAULT, dropped");
        d.copyBudget.set(-1);
        byte[] expect = old.clone();
        System.arraycopy(data, 0, expect, 0, 5000);
        assertArrayEquals(expect, read(f, 0, 2 * PAGE));
    }

    @Test
    void aShortCopyIntoANewBlockThatCannotBeZeroedGivesThatBlockBack() {
        LinearDevice d = track(LinearDevice.pmemLike("shortnew", 8 * PAGE));
        fill(d, STALE);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        d.copyBudget.set(5000); // the fault also stops the zeroing of block 1's tail
        RecordingOps<MemFile> ops = new RecordingOps<>(fs);
        byte[] data = pattern(2 * PAGE, 10);
        IovIter it = src(data);

        assertEquals(PAGE, fs.dax().rw(f, 0, it, ops));
        assertEquals(PAGE, it.count(), "the bytes of block 1 went back to the iterator");
        assertEquals(List.of((long) PAGE, 0L), ops.written());
        assertEquals(List.of(new Iomap.Mapped(0, PAGE, d, 0, false)), f.fiemap());
        assertEquals(PAGE, f.size());
        assertEquals(7, fs.freeBlocks());
        d.copyBudget.set(-1);
        f.truncate(2 * PAGE);
        byte[] got = read(f, 0, 2 * PAGE);
        assertArrayEquals(Arrays.copyOf(data, PAGE), Arrays.copyOf(got, PAGE));
        assertTrue(allBytes(got, PAGE, 2 * PAGE, (byte) 0), "block 1 is a hole, not half-written stale data");
    }

    @Test
    void aWriteOverPoisonedMemoryGoesThroughTheRecoveryPath() {
        LinearDevice d = track(LinearDevice.pmemLike("poison", 8 * PAGE, LinearDevice.Own.RECOVERY_WRITE));
        BadBlocks bb = d.badBlocks().orElseThrow();
        bb.set(2 * PAGE / 512 + 1, 2); // two sectors inside page 2
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] data = pattern(4 * PAGE, 11);
        assertEquals(4 * PAGE, write(f, 0, data));
        // pages 0-1 (before the poison) and page 2 by recovery; page 3 the normal way
        assertEquals(2, d.recoveryWriteCalls.get());
        assertEquals(1, d.ownCopyFromIterCalls.get());
        assertTrue(bb.isEmpty(), "the recovery write cleared the poison");
        assertArrayEquals(data, read(f, 0, 4 * PAGE));
    }

    @Test
    void withoutARecoveryPathPoisonFailsWithEIOAndCommitsNothing() {
        LinearDevice d = track(LinearDevice.pmemLike("poison2", 8 * PAGE));
        d.badBlocks().orElseThrow().set(2 * PAGE / 512, 1);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        assertErrno(Errno.EIO, () -> write(f, 0, new byte[4 * PAGE]), "bad sector");
        assertEquals(0, f.size());
        assertEquals(8, fs.freeBlocks());
        byte[] buf = new byte[PAGE];
        assertEquals(PAGE, write(f, 0, pattern(PAGE, 12)), "a write that avoids the poison works");
        assertEquals(PAGE, f.read(0, IovIter.kvec(IovIter.Direction.DEST, buf)));
    }

    @Test
    void aClosedDeviceFailsWithENXIOAndLeavesNoBlockAllocated() {
        LinearDevice d = new LinearDevice("closed", 8 * PAGE);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        write(f, 0, pattern(PAGE, 13));
        d.close();
        assertErrno(Errno.ENXIO, () -> write(f, PAGE, new byte[PAGE]), "closed");
        assertErrno(Errno.ENXIO, () -> read(f, 0, PAGE), "closed");
        assertEquals(7, fs.freeBlocks());
        assertEquals(PAGE, f.size());
    }

    @Test
    void aSourceWhoseArenaClosedFailsWithEFAULTAndCommitsNothing() {
        MemFs fs = new MemFs(track(Kind.BRD.open("arena", 8 * PAGE)));
        MemFile f = fs.create();
        Arena arena = Arena.ofConfined();
        MemorySegment buf = arena.allocate(PAGE);
        IovIter it = IovIter.ubuf(IovIter.Direction.SOURCE, buf);
        arena.close();
        assertErrno(Errno.EFAULT, () -> f.write(0, it), "closed arena");
        assertEquals(0, f.size());
        assertEquals(8, fs.freeBlocks());
        assertEquals(PAGE, it.count());
    }

    @Test
    void anEmptyIoTouchesNothing() {
        MemFs fs = new MemFs(track(Kind.BRD.open("empty", 8 * PAGE)));
        MemFile f = fs.create();
        assertEquals(0, f.write(100, src(new byte[0])));
        assertEquals(0, fs.dax().stats().begins());
        assertEquals(0, f.size());
    }

    @Test
    void zeroRangeZeroesMappedExtentsOnlyAndAllocatesNothing() {
        LinearDevice d = track(LinearDevice.pmemLike("zero", 8 * PAGE));
        fill(d, STALE);
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] data = pattern(3 * PAGE, 14);
        write(f, 0, data);
        f.punchHole(PAGE, PAGE); // block 1 a hole again
        d.raw().asSlice(PAGE, PAGE).fill(STALE); // its old device block keeps stale data
        fs.dax().zeroRange(f, 100, 3 * PAGE - 200, fs);
        assertEquals(2, f.blockCount());
        byte[] got = read(f, 0, 3 * PAGE);
        byte[] expect = data.clone();
        Arrays.fill(expect, 100, 3 * PAGE - 100, (byte) 0);
        assertArrayEquals(expect, got);
        assertTrue(allBytes(Fixtures.deviceBytes(d, PAGE, PAGE), 0, PAGE, STALE), "the hole's old block was not touched");
        assertInstanceOf(Iomap.Mapped.class, f.fiemap().getFirst());
    }
}
