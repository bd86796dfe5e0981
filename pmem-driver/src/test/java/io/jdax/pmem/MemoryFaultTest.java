package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.arch.MemoryFaultException;
import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a memory fault under a copy means for a pmem device (C8): the device offset, EIO for a
 * file cut short, poison recorded in the bad-block list, the rest of the device still usable.
 */
class MemoryFaultTest {
    private static final int PAGE = 4096;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    private static void cut(Path file, long bytes) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes); // as another process's truncate(1) would
        }
    }

    private static IovIter source(int bytes) {
        return IovIter.kvec(IovIter.Direction.SOURCE, new byte[bytes]);
    }

    /** The native Arch catches the SIGBUS itself, under the copy that faulted. */
    @Test
    void aFileCutShortIsEioNamingTheNewSize() throws Exception {
        Arch arch = Archs.current();
        assertTrue(arch.hasCacheWriteback(), "native-x86 did not load: " + Archs.selection().reason());
        String spec = fx.spec("cut", "size=64K&create=true&mode=emulated");
        PmemDevice d = fx.open(spec, arch);
        Path file = fx.dir.resolve("cut");
        cut(file, 2 * PAGE);
        DaxDevice ops = d;
        try (var lock = d.readLock()) {
            MemorySegment addr = ops.directAccess(0, 16, DaxAccessMode.WRITE).addr();
            DaxException e = assertThrows(DaxException.class,
                    () -> ops.copyFromIter(0, 4 * PAGE, source(4 * PAGE)));
            assertEquals(Errno.EIO, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("was cut to " + 2 * PAGE + " bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("device offset " + 2 * PAGE), e.getMessage());
            e = assertThrows(DaxException.class, () -> ops.copyToIter(0, 4 * PAGE,
                    IovIter.kvec(IovIter.Direction.DEST, new byte[4 * PAGE])));
            assertEquals(Errno.EIO, e.errno(), e.getMessage());
            assertEquals(Errno.EIO, assertThrows(DaxException.class,
                    () -> ops.zeroPageRange(0, 4)).errno());
            // the pages still backed work as before
            byte[] data = new byte[2 * PAGE];
            java.util.Arrays.fill(data, (byte) 0x5a);
            ops.copyFromIter(0, data.length, IovIter.kvec(IovIter.Direction.SOURCE, data));
            byte[] back = new byte[data.length];
            ops.copyToIter(0, back.length, IovIter.kvec(IovIter.Direction.DEST, back));
            assertArrayEquals(data, back);
        }
        ops.flush();
    }

    /**
     * The portable Arch copies in Java, where the JDK reports the fault as an InternalError — which
     * it may deliver a little after the access (an asynchronous exception), so it cannot always be
     * turned into a DaxException. What holds: the JVM lives, nothing but those two is thrown, the
     * backed pages work, and a page-cache flush refuses to acknowledge.
     */
    @Test
    void withThePortableArchACutFileIsAnErrorAndTheFlushRefuses() throws Exception {
        PmemDevice d = fx.open(fx.spec("cutp", "size=64K&create=true"), new PortableArch());
        assertEquals(io.jdax.dax.PersistenceMode.PAGE_CACHE, d.persistence());
        cut(fx.dir.resolve("cutp"), 2 * PAGE);
        DaxDevice ops = d;
        List<Throwable> seen = new java.util.ArrayList<>();
        MemorySegment addr = ops.directAccess(0, 16, DaxAccessMode.WRITE).addr();
        for (int i = 0; i < 3; i++) {
            try {
                ops.copyFromIter(0, 4 * PAGE, source(4 * PAGE));
                settle();
            } catch (DaxException | InternalError e) {
                seen.add(e);
            }
            try {
                ops.copyToIter(0, 4 * PAGE, IovIter.kvec(IovIter.Direction.DEST,
                        new byte[4 * PAGE]));
                settle();
            } catch (DaxException | InternalError e) {
                seen.add(e);
            }
        }
        assertTrue(seen.size() >= 6, "every access over the cut pages failed: " + seen);
        for (Throwable t : seen) {
            if (t instanceof DaxException e) {
                assertEquals(Errno.EIO, e.errno(), e.getMessage());
            }
        }
        byte[] back = new byte[PAGE];
        ops.copyToIter(0, PAGE, IovIter.kvec(IovIter.Direction.DEST, back));
        assertEquals(Errno.EIO, assertThrows(DaxException.class, ops::flush).errno());
    }

    /** Gives a late InternalError the safepoint polls it waits for, inside the caller's try. */
    private static void settle() {
        for (int i = 0; i < 1000; i++) {
            Thread.onSpinWait();
        }
        Thread.yield();
    }

    @Test
    void aPageCacheFlushAfterTheFileWasCutIsEioAndNeverAcknowledges() throws Exception {
        PmemDevice d = fx.open(fx.spec("pc", "size=64K&create=true&mode=page_cache"), new PortableArch());
        DaxDevice ops = d;
        ops.copyFromIter(8L * PAGE, PAGE, source(PAGE));
        cut(fx.dir.resolve("pc"), 4 * PAGE); // page 8, written but not flushed, is gone
        for (int attempt = 0; attempt < 2; attempt++) {
            DaxException e = assertThrows(DaxException.class, ops::flush);
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("was cut to " + 4 * PAGE + " bytes"), e.getMessage());
        }
        assertTrue(d.dirtyPages() > 0, "what was not synced stays dirty");
    }

    @Test
    void poisonFoundByACopyIsEioAndJoinsTheBadBlockList() {
        PoisoningArch arch = new PoisoningArch();
        PmemDevice d = fx.open(fx.spec("poison", "size=64K&create=true"), arch);
        DaxDevice ops = d;
        MemorySegment addr = ops.directAccess(0, 16, DaxAccessMode.WRITE).addr();
        arch.poisoned = addr.address() + 7L * PAGE + 100; // inside page 7

        DaxException e = assertThrows(DaxException.class, () -> ops.copyToIter(6L * PAGE, 3L * PAGE,
                IovIter.kvec(IovIter.Direction.DEST, new byte[3 * PAGE])));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("poisoned media at device offset " + (7L * PAGE + 100)), e.getMessage());
        assertEquals(List.of(new BadBlocks.Range(7L * PAGE / 512, PAGE / 512)), d.badBlocks().orElseThrow().list());
        // now known: access to page 7 is refused up front, its neighbours are not
        assertEquals(Errno.EIO, assertThrows(DaxException.class,
                () -> ops.directAccess(7, 1, DaxAccessMode.READ)).errno());
        assertEquals(1, ops.directAccess(6, 1, DaxAccessMode.READ).nrPages());
        assertEquals(1, ops.directAccess(8, 1, DaxAccessMode.READ).nrPages());
    }

    @Test
    void aFaultInTheCallersMemoryIsPassedOnAsItIs() {
        PoisoningArch arch = new PoisoningArch();
        PmemDevice d = fx.open(fx.spec("theirs", "size=64K&create=true"), arch);
        MemorySegment addr = d.directAccess(0, 1, DaxAccessMode.WRITE).addr();
        MemorySegment src = java.lang.foreign.Arena.ofAuto().allocate(PAGE);
        arch.poisoned = src.address() + 10; // the source, not the device
        MemoryFaultException e = assertThrows(MemoryFaultException.class,
                () -> d.copyFromIter(0, PAGE, IovIter.ubuf(IovIter.Direction.SOURCE, src)));
        assertSame(MemoryFaultException.Kind.POISON, e.kind());
        assertTrue(d.badBlocks().orElseThrow().list().isEmpty(), "the device's media is fine");
    }

    /** The portable Arch, whose copies find poison at one address (a page's granule). */
    private static final class PoisoningArch implements Arch {
        private final PortableArch delegate = new PortableArch();
        volatile long poisoned = -1;

        @Override
        public String name() {
            return "poisoning";
        }

        @Override
        public java.util.Map<String, String> features() {
            return delegate.features();
        }

        @Override
        public boolean hasCacheWriteback() {
            return false;
        }

        private void touch(MemorySegment a, long aOff, MemorySegment b, long bOff, long bytes) {
            for (MemorySegment s : new MemorySegment[] {a, b}) {
                long start = s.address() + (s == a ? aOff : bOff);
                if (s.isNative() && poisoned >= start && poisoned < start + bytes) {
                    throw new MemoryFaultException(MemoryFaultException.Kind.POISON, poisoned, PAGE, "poison", null);
                }
            }
        }

        @Override
        public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            touch(src, srcOffset, dst, dstOffset, bytes);
            delegate.copyNocache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            touch(src, srcOffset, dst, dstOffset, bytes);
            delegate.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            touch(src, srcOffset, dst, dstOffset, bytes);
            delegate.copyMc(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void writeback(MemorySegment segment, long offset, long bytes) {
            delegate.writeback(segment, offset, bytes);
        }

        @Override
        public void fence() {
            delegate.fence();
        }
    }
}
