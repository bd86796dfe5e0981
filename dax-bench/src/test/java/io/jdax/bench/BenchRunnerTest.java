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
                List.of(64L, 4096L), Duration.ofMillis(1500), 2);
        List<String> progress = new ArrayList<>();
        BenchReport r;
        try (Workbench wb = Workbench.open(Fixture.small(tmp))) {
            r = BenchRunner.run(wb, plan, progress::add);
        }
        assertTrue(r.verified(), r.mismatches().toString());
        int cells = 0;
        for (BenchMethod m : BenchMethod.values()) {
            for (IovIter.Kind k : IovIter.Kind.values()) {
                for (long size : plan.sizes()) {
                    boolean expected = m != BenchMethod.LIBPMEM && (m != BenchMethod.FSDAX_FSYNC || size == 4096);
                    var res = r.result(m, k, size);
                    assertEquals(expected, res.isPresent(), m + " " + k + " " + size);
                    if (res.isPresent()) {
                        cells++;
                        BenchResult x = res.get();
                        assertTrue(x.batches() >= BenchRunner.MIN_SAMPLES, x.toString());
                        assertTrue(x.ops() >= x.batches(), x.toString());
                        assertTrue(x.nsPerOp() > 0, x.toString());
                        assertEquals(0, x.verifiedBytes() % size);
                        assertTrue(x.verifiedBytes() > x.ops() * size, "the discarded first batch is verified too");
                        assertEquals(size / x.nsPerOp(), x.gbPerSecond(), 1e-12);
                    }
                }
            }
        }
        assertEquals(cells, r.results().size());
        assertTrue(r.skipped().stream().anyMatch(s -> s.method() == BenchMethod.LIBPMEM
                && s.reason().contains("none asked")), r.skipped().toString());
        assertTrue(r.brd().isPresent());
        assertEquals(plan.rounds() * plan.sizes().size(), progress.size(), progress.toString());
        assertTrue(r.ratio(r.result(BenchMethod.DURABLE, IovIter.Kind.USER, 64).orElseThrow(), BenchMethod.LIBPMEM)
                .isEmpty(), "no libpmem, no ratio to it");
        BenchResult durable = r.result(BenchMethod.DURABLE, IovIter.Kind.USER, 4096).orElseThrow();
        BenchResult ceiling = r.result(BenchMethod.NOCACHE, IovIter.Kind.USER, 4096).orElseThrow();
        assertEquals(ceiling.nsPerOp() / durable.nsPerOp(), r.ratio(durable, BenchMethod.NOCACHE).orElseThrow(), 1e-12);
        // Generous: the budget is shared out, not a hard stop (each cell gets its minimum of batches).
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(8)) < 0, r.elapsed().toString());
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
            var run = runner.new CellRun(new DropsTheLastByte(wb.path(BenchMethod.DURABLE)),
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
            var run = runner.new CellRun(new StopsWriting(wb.path(BenchMethod.NOCACHE), 3),
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
        BenchRunner.Plan p = new BenchRunner.Plan(List.of(BenchMethod.NOCACHE, BenchMethod.DURABLE, BenchMethod.DURABLE),
                List.of(IovIter.Kind.BVEC, IovIter.Kind.USER), List.of(4096L, 64L, 4096L), Duration.ofSeconds(1), 1);
        assertEquals(List.of(BenchMethod.DURABLE, BenchMethod.NOCACHE), p.methods(), "declared order, no duplicates");
        assertEquals(List.of(IovIter.Kind.USER, IovIter.Kind.BVEC), p.kinds());
        assertEquals(List.of(64L, 4096L), p.sizes());
        assertFalse(p.methods().contains(BenchMethod.LIBPMEM));
    }
}
