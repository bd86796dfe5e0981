package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * C4, the seed's rule, as the pmem driver keeps it: its copyFromIter is the flushcache copy, one
 * call per contiguous run of the iterator, and never the seed's regression (a nocache copy
 * followed by a write-back of the whole range). With a model Arch that accounts lines the way a
 * real one must, the lines written back are exactly those not stored non-temporally.
 */
class FlushcacheRuleTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    /** A page-cache file (tmpfs refuses MAP_SYNC) or device DAX over a file (CPU_CACHE). */
    private PmemDevice device(String kind, io.jdax.arch.Arch arch) {
        if (kind.equals("devdax")) {
            fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0x1_0000_0000L, 0x1_0000_0000L, null);
            PmemDevice d = fx.openDevDax("pmem:" + fx.dir.resolve("dax0.0"), arch);
            assertEquals(PersistenceMode.CPU_CACHE, d.persistence());
            return d;
        }
        PmemDevice d = fx.open(fx.spec("file", "size=4M&create=true"), arch);
        assertEquals(PersistenceMode.PAGE_CACHE, d.persistence());
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "devdax"})
    void copyFromIterIsOneFlushcacheCallPerRunAndNeverTheSeedsVariant(String kind) {
        CountingArch arch = new CountingArch(new ModelArch());
        PmemDevice d = device(kind, arch);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(1000);
            MemorySegment b = arena.allocate(3000);
            MemorySegment c = arena.allocate(5000);
            long done = d.copyFromIter(4096, 9000, IovIter.iovec(IovIter.Direction.SOURCE, a, b, c));
            assertEquals(9000, done);
            assertEquals(List.of(1000L, 3000L, 5000L), arch.flushcacheCopies, "one flushcache call per run");
            assertEquals(0, arch.nocache.get(), "never the nocache copy");
            assertEquals(0, arch.writebacks.get(), "never a write-back of the range after the copy");
            d.flush();
            assertEquals(0, arch.writebacks.get(), "flush writes back nothing more");
            assertEquals(1, arch.fences.get(), "flush fences once");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "devdax"})
    void anAlignedUserWriteOfAPageWritesBackNoLine(String kind) {
        ModelArch model = new ModelArch();
        PmemDevice d = device(kind, model);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(4096, 4096);
            model.reset();
            d.copyFromIter(2 * 4096, 4096, IovIter.ubuf(IovIter.Direction.SOURCE, page));
            d.flush();
            assertEquals(Map.of(), model.writtenBack(), "every line was stored non-temporally");
            assertEquals(1, model.fences.get());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "devdax"})
    void heapWritesTakeTheCachedPathAndWriteBackEveryLineOnce(String kind) {
        ModelArch model = new ModelArch();
        PmemDevice d = device(kind, model);
        MemorySegment addr = d.directAccess(2, 1, DaxAccessMode.WRITE).addr();

        model.reset();
        // Runs split at a line boundary, so no line is shared by two cached copies.
        d.copyFromIter(2 * 4096, 4096, IovIter.kvec(IovIter.Direction.SOURCE, new byte[1024], new byte[3072]));
        assertEveryLineOnce(model.writtenBack(), addr.address(), 64, "KVEC");

        model.reset();
        List<IovIter.BioVec> vecs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            vecs.add(new IovIter.BioVec(MemorySegment.ofArray(new byte[4096]), 1024 * i, 1024));
        }
        d.copyFromIter(2 * 4096, 4096, IovIter.bvec(IovIter.Direction.SOURCE, vecs));
        assertEveryLineOnce(model.writtenBack(), addr.address(), 64, "BVEC");
    }

    private static void assertEveryLineOnce(Map<Long, Integer> writtenBack, long start, int lines, String what) {
        assertEquals(lines, writtenBack.size(), what + ": lines written back");
        for (int i = 0; i < lines; i++) {
            assertEquals(1, writtenBack.get(start + 64L * i), what + ": line " + i + " written back once");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "devdax"})
    void anUnalignedUserWriteWritesBackOnlyTheEdgeLines(String kind) {
        ModelArch model = new ModelArch();
        PmemDevice d = device(kind, model);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(8192, 64);
            MemorySegment page = d.directAccess(4, 2, DaxAccessMode.WRITE).addr();
            model.reset();
            // 100 .. 4100: the head line [64, 128) and the tail line [4096, 4160) are partial.
            d.copyFromIter(4 * 4096 + 100, 4000, IovIter.ubuf(IovIter.Direction.SOURCE, src.asSlice(0, 4000)));
            assertEquals(Map.of(page.address() + 64, 1, page.address() + 4096, 1), model.writtenBack());

            // Within one line: that line only.
            model.reset();
            d.copyFromIter(4 * 4096 + 130, 20, IovIter.ubuf(IovIter.Direction.SOURCE, src.asSlice(0, 20)));
            assertEquals(Map.of(page.address() + 128, 1), model.writtenBack());
        }
    }

    @Test
    void zeroingStreamsFromNativeZerosSoWholePagesWriteBackNoLine() {
        ModelArch model = new ModelArch();
        PmemDevice d = device("devdax", model);
        model.reset();
        d.zeroPageRange(0, 32);
        assertTrue(model.writtenBack().isEmpty(), "zeroing whole pages is all non-temporal");
    }

    @Test
    void withThePortableArchTheCopyIsStillTheFlushcacheOne() {
        CountingArch arch = new CountingArch(new PortableArch());
        PmemDevice d = device("file", arch);
        Iters.write(d, 10, IovIter.kvec(IovIter.Direction.SOURCE, new byte[5000]));
        assertEquals(List.of(5000L), arch.flushcacheCopies);
        assertEquals(0, arch.nocache.get());
        assertEquals(0, arch.writebacks.get());
    }
}
