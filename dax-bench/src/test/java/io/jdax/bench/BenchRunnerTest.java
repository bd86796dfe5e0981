package io.jdax.bench;

import io.jdax.uio.IovIter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchRunnerTest {

    @Test
    void aSmallPlanMeasuresAndVerifiesEveryCellAndSaysWhatItSkipped(@TempDir Path tmp) {
        BenchRunner.Plan plan = new BenchRunner.Plan(List.of(BenchMethod.values()), List.of(IovIter.Kind.values()),
                List.of(64L, 4096L), Duration.ofMillis(2500), 2);
        List<String> progress = new ArrayList<>();
        BenchReport r;
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            r = BenchRunner.run(wb, plan, progress::add);
        }
        assertTrue(r.verified(), r.mismatches().toString());
        boolean heapCeiling = Workbench.streamsHeap(io.jdax.arch.Archs.current());
        int cells = 0;
        for (BenchMethod m : BenchMethod.values()) {
            List<IovIter.Kind> kinds = m.usesIterator() ? List.of(IovIter.Kind.values()) : java.util.Collections.singletonList(null);
            for (IovIter.Kind k : kinds) {
                for (long size : plan.sizes()) {
                    // No libpmem here; the device is PAGE_CACHE, so the fence-only row runs too.
                    boolean expected = !m.name().startsWith("LIBPMEM");
                    expected &= !m.isFile() || size == 4096;
                    expected &= !(m == BenchMethod.NOCACHE && k == IovIter.Kind.KVEC && !heapCeiling);
                    var res = r.result(m, k, size);
                    assertEquals(expected, res.isPresent(), m + " " + k + " " + size);
                    if (res.isPresent()) {
                        cells++;
                        BenchResult x = res.get();
                        assertEquals(1, x.threads());
                        assertTrue(x.batches() >= BenchRunner.MIN_SAMPLES, x.toString());
                        assertTrue(x.ops() >= x.batches(), x.toString());
                        assertTrue(x.nsPerOp() > 0, x.toString());
                        assertEquals(0, x.verifiedBytes() % size);
                        assertTrue(x.verifiedBytes() > x.ops() * size, "the discarded first batch is verified too");
                        assertEquals(size / x.nsPerOp(), x.gbPerSecond(), 1e-12);
                        assertEquals(plan.rounds(), x.roundGbPerSecond().size(), "a median per round: " + x);
                        assertTrue(x.roundLow() <= x.gbPerSecond() && x.gbPerSecond() <= x.roundHigh(), x.toString());
                        assertEquals(1, x.threadGbPerSecond().size());
                        assertEquals(x.gbPerSecond(), x.threadGbPerSecond().getFirst(), 1e-9 * x.gbPerSecond(),
                                "one thread: its figure");
                        BenchResult.Latency l = x.latency();
                        assertTrue(l.count() > 0 && l.p50() > 0 && l.p50() <= l.p99() && l.p99() <= l.p999()
                                && l.p999() <= l.max(), "latency percentiles in order: " + l);
                    }
                }
            }
        }
        assertEquals(cells, r.results().size());
        assertTrue(r.skipped().stream().anyMatch(s -> s.method() == BenchMethod.LIBPMEM
                && s.reason().contains("none asked")), r.skipped().toString());
        assertTrue(r.brd().isPresent());
        assertTrue(r.clockNs() > 0 && r.clockNs() < 10_000, "the clock's cost: " + r.clockNs());
        assertEquals(plan.rounds() * plan.sizes().size(), progress.size(), progress.toString());
        assertTrue(r.ratioLibpmem(r.result(BenchMethod.DURABLE, IovIter.Kind.USER, 64).orElseThrow()).isEmpty(),
                "no libpmem, no ratio to it");
        BenchResult durable = r.result(BenchMethod.DURABLE, IovIter.Kind.USER, 4096).orElseThrow();
        BenchResult ceiling = r.result(BenchMethod.NOCACHE, IovIter.Kind.USER, 4096).orElseThrow();
        assertEquals(ceiling.nsPerOp() / durable.nsPerOp(), r.ratioCeiling(durable).orElseThrow(), 1e-12);
        BenchResult read = r.result(BenchMethod.READ, IovIter.Kind.KVEC, 4096).orElseThrow();
        BenchResult plain = r.result(BenchMethod.PLAIN_READ, IovIter.Kind.KVEC, 4096).orElseThrow();
        assertEquals(plain.nsPerOp() / read.nsPerOp(), r.ratioCeiling(read).orElseThrow(), 1e-12, "reads: the plain read");
        assertTrue(r.ratioCeiling(r.result(BenchMethod.MEMSET, null, 4096).orElseThrow()).isEmpty(), "memset: none");
        // Generous: the budget is shared out, not a hard stop (each cell gets its minimum of batches).
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(12)) < 0, r.elapsed().toString());
    }

    /** Records which thread wrote where. */
    private record Recording(WritePath real, java.util.Map<String, java.util.List<long[]>> writes) implements WritePath {
        public BenchMethod method() {
            return real.method();
        }

        public long capacity() {
            return real.capacity();
        }

        public void write(long pos, IovIter src) {
            long n = src.count();
            real.write(pos, src);
            writes.computeIfAbsent(Thread.currentThread().getName() + "#" + System.identityHashCode(Thread.currentThread()),
                    k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(new long[] {pos, pos + n});
        }

        public long mismatch(long pos, MemorySegment expected) {
            return real.mismatch(pos, expected);
        }
    }

    @Test
    void eachThreadWritesItsOwnSliceOfTheDeviceFromItsOwnIterators(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            BenchRunner runner = BenchRunner.forTest(wb, 2);
            var writes = new java.util.concurrent.ConcurrentHashMap<String, java.util.List<long[]>>();
            WritePath path = new Recording(wb.path(BenchMethod.DURABLE), writes);
            long half = wb.sources().size() / 2;
            IterRing a = IterRing.sources(wb.sources(), IovIter.Kind.USER, 4096, 64, 0, half);
            IterRing b = IterRing.sources(wb.sources(), IovIter.Kind.USER, 4096, 64, half, 2 * half);
            for (int s = 0; s < a.slots(); s++) {
                assertTrue(a.sourceOffset(s) + 4096 <= half, "thread 0's iterators stay in its window");
            }
            for (int s = 0; s < b.slots(); s++) {
                assertTrue(b.sourceOffset(s) >= half, "thread 1's iterators stay in its window");
            }
            var run = runner.cellRun(path, List.of(a, b));
            try {
                run.runUntil(System.nanoTime() + 300_000_000L, 6);
            } finally {
                runner.closeForTest();
            }
            assertEquals(List.of(), runner.mismatches());
            assertEquals(2, writes.size(), "two writer threads: " + writes.keySet());
            long slice = path.capacity() / 2 / 64 * 64;
            List<long[]> lows = new ArrayList<>();
            List<long[]> highs = new ArrayList<>();
            for (var w : writes.values()) {
                boolean low = w.getFirst()[0] < slice;
                for (long[] range : w) {
                    assertEquals(low, range[0] < slice, "a thread stays in its own slice");
                    assertTrue(low ? range[1] <= slice : range[0] >= slice && range[1] <= 2 * slice,
                            "within the slice: " + range[0] + ".." + range[1]);
                }
                (low ? lows : highs).addAll(w);
            }
            assertFalse(lows.isEmpty() || highs.isEmpty(), "one thread per slice");
            BenchResult x = run.result().orElseThrow();
            assertEquals(2, x.threads());
            assertEquals(2, x.threadGbPerSecond().size());
            assertEquals(x.threadGbPerSecond().get(0) + x.threadGbPerSecond().get(1), x.gbPerSecond(),
                    0.6 * x.gbPerSecond(), "the aggregate is about the sum of the threads' own: " + x);
        }
    }

    @Test
    void threadCountsAreMeasuredInTurnAndWhatCannotScaleSaysWhy(@TempDir Path tmp) {
        BenchRunner.Plan plan = new BenchRunner.Plan(List.of(BenchMethod.DURABLE, BenchMethod.NOCACHE,
                BenchMethod.FSDAX_FSYNC, BenchMethod.MEMSET), List.of(IovIter.Kind.USER), List.of(4096L),
                Duration.ofMillis(800), 1, List.of(2, 1));
        assertEquals(List.of(1, 2), plan.threads());
        BenchReport r;
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            r = BenchRunner.run(wb, plan, s -> { });
        }
        assertTrue(r.verified(), r.mismatches().toString());
        for (BenchMethod m : List.of(BenchMethod.DURABLE, BenchMethod.NOCACHE)) {
            assertTrue(r.result(m, IovIter.Kind.USER, 4096, 2).isPresent(), m + " with 2 threads");
            assertTrue(r.result(m, IovIter.Kind.USER, 4096, 1).isPresent(), m + " with 1 thread");
        }
        assertTrue(r.result(BenchMethod.MEMSET, null, 4096, 2).isPresent());
        assertTrue(r.result(BenchMethod.FSDAX_FSYNC, IovIter.Kind.USER, 4096, 2).isEmpty());
        assertTrue(r.skipped().stream().anyMatch(s -> s.method() == BenchMethod.FSDAX_FSYNC
                && s.reason().contains("one thread only")), r.skipped().toString());
        BenchResult two = r.result(BenchMethod.DURABLE, IovIter.Kind.USER, 4096, 2).orElseThrow();
        BenchResult twoCeiling = r.result(BenchMethod.NOCACHE, IovIter.Kind.USER, 4096, 2).orElseThrow();
        assertEquals(twoCeiling.nsPerOp() / two.nsPerOp(), r.ratioCeiling(two).orElseThrow(), 1e-12,
                "ratios at the same thread count");
        assertEquals(List.of(1, 2), r.threadCounts());
        assertThrows(io.jdax.dax.DaxException.class, () -> new BenchRunner.Plan(List.of(BenchMethod.DURABLE),
                List.of(IovIter.Kind.USER), List.of(64L), Duration.ofSeconds(1), 1, List.of(0)));
    }

    @Test
    void aReadThatNeverHappensIsCaught(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            BenchRunner runner = BenchRunner.forTest(wb);
            ReadPath real = wb.readPath(BenchMethod.READ);
            ReadPath lazy = new ReadPath() {
                int good = 5;

                public BenchMethod method() {
                    return real.method();
                }

                public long capacity() {
                    return real.capacity();
                }

                public void stamp(long pos, long size, long serial) {
                    real.stamp(pos, size, serial);
                }

                public void read(long pos, IovIter dst) {
                    if (good-- > 0) {
                        real.read(pos, dst);
                    } else {
                        dst.advance(dst.count()); // claims the bytes, copies none
                    }
                }

                public long mismatch(long pos, MemorySegment got) {
                    return real.mismatch(pos, got);
                }
            };
            IterRing dst = IterRing.destinations(wb.destinations(), IovIter.Kind.BVEC, 5000, 4, 0, wb.destinations().size());
            var run = runner.cellRun(new BenchRunner.Cell(BenchMethod.READ, IovIter.Kind.BVEC, 5000, 1),
                    List.of(new BenchRunner.ReadWork(lazy, dst, 0, lazy.capacity(), new long[1])));
            run.runUntil(System.nanoTime() + 1_000_000_000L, 10);
            assertEquals(1, runner.mismatches().size(), runner.mismatches().toString());
            assertTrue(run.result().isEmpty());
        }
    }

    /** Writes correctly, except that one byte of every write is left out. */
    private record DropsTheLastByte(WritePath real) implements WritePath {
        public BenchMethod method() {
            return real.method();
        }

        public long capacity() {
            return real.capacity();
        }

        public void write(long pos, IovIter src) {
            src.truncate(src.count() - 1);
            real.write(pos, src);
        }

        public long mismatch(long pos, MemorySegment expected) {
            return real.mismatch(pos, expected);
        }
    }

    /** Writes the first {@code good} times, then silently does nothing. */
    private static final class StopsWriting implements WritePath {
        final WritePath real;
        int good;

        StopsWriting(WritePath real, int good) {
            this.real = real;
            this.good = good;
        }

        public BenchMethod method() {
            return real.method();
        }

        public long capacity() {
            return 4096; // one position: every write lands on the last one's bytes
        }

        public void write(long pos, IovIter src) {
            if (good-- > 0) {
                real.write(pos, src);
            }
        }

        public long mismatch(long pos, MemorySegment expected) {
            return real.mismatch(pos, expected);
        }
    }

    @Test
    void aWriteThatLosesAByteIsReportedWithWhereItDiffers(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            BenchRunner runner = BenchRunner.forTest(wb);
            var run = runner.cellRun(new DropsTheLastByte(wb.path(BenchMethod.DURABLE)),
                    new IterRing(wb.sources(), IovIter.Kind.USER, 1000, 16, 0));
            run.runUntil(System.nanoTime() + 1_000_000_000L, 3);
            assertEquals(1, runner.mismatches().size());
            BenchReport.Mismatch m = runner.mismatches().getFirst();
            assertEquals(999, m.offset());
            assertEquals(BenchMethod.DURABLE, m.method());
            assertTrue(run.result().isEmpty(), "no figures for a cell whose writes read back wrong");
        }
    }

    @Test
    void aWriteThatStopsHappeningIsCaughtEvenWhereTheDeviceHoldsTheSameSourceBytes(@TempDir Path tmp) {
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            BenchRunner runner = BenchRunner.forTest(wb);
            // One slot, one position: without the stamps the old bytes would match the new source.
            var run = runner.cellRun(new StopsWriting(wb.path(BenchMethod.NOCACHE), 3),
                    new IterRing(wb.sources(), IovIter.Kind.KVEC, 4096, 1, 0));
            run.runUntil(System.nanoTime() + 1_000_000_000L, 10);
            assertEquals(1, runner.mismatches().size(), runner.mismatches().toString());
            assertEquals(0, runner.mismatches().getFirst().offset());
        }
    }

    @Test
    void badPlansAreRefusedWithTheReason() {
        var e = assertThrows(io.jdax.dax.DaxException.class, () -> new BenchRunner.Plan(List.of(BenchMethod.DURABLE),
                List.of(IovIter.Kind.USER), List.of(0L), Duration.ofSeconds(1), 1));
        assertTrue(e.getMessage().contains("size 0"), e.getMessage());
        assertThrows(io.jdax.dax.DaxException.class, () -> new BenchRunner.Plan(List.of(), List.of(IovIter.Kind.USER),
                List.of(64L), Duration.ofSeconds(1), 1));
        assertThrows(io.jdax.dax.DaxException.class, () -> new BenchRunner.Plan(List.of(BenchMethod.DURABLE),
                List.of(IovIter.Kind.USER), List.of(64L), Duration.ZERO, 1));
        assertThrows(io.jdax.dax.DaxException.class, () -> new BenchRunner.Plan(List.of(BenchMethod.DURABLE),
                List.of(IovIter.Kind.USER), List.of(64L), Duration.ofSeconds(1), 1, List.of(65)));
        BenchRunner.Plan p = new BenchRunner.Plan(List.of(BenchMethod.NOCACHE, BenchMethod.DURABLE, BenchMethod.DURABLE),
                List.of(IovIter.Kind.BVEC, IovIter.Kind.USER), List.of(4096L, 64L, 4096L), Duration.ofSeconds(1), 1);
        assertEquals(List.of(BenchMethod.DURABLE, BenchMethod.NOCACHE), p.methods(), "declared order, no duplicates");
        assertEquals(List.of(IovIter.Kind.USER, IovIter.Kind.BVEC), p.kinds());
        assertEquals(List.of(64L, 4096L), p.sizes());
        assertFalse(p.methods().contains(BenchMethod.LIBPMEM));
    }
}
