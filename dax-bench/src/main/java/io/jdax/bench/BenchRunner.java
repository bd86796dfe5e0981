package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Measures a {@link Plan} on a {@link Workbench} within a wall-time budget and verifies every write.
 * <p>
 * Each cell (method, iterator kind, size) runs batches of operations: the batch's iterators are
 * rewound and {@linkplain IterRing#stamp stamped} with fresh serial numbers, the batch is timed,
 * then (untimed) the method's housekeeping runs and every write of the batch is read back and
 * compared byte for byte. Destinations walk the method's whole capacity and never overlap within
 * a batch, so stores land on cold lines and a batch's writes cannot hide one another. A cell's
 * first batch is discarded; batches grow until one takes about 250 µs (short enough that most miss
 * the scheduler's preemptions on a busy machine); the figure is the median of the batches'
 * nanoseconds per operation. A short warm-up of every method and kind comes first, so the JIT has
 * compiled the paths before anything counts.
 * <p>
 * The cells are visited in {@link Plan#rounds() rounds}, the budget shared out evenly over the
 * visits still to come, so the run ends near its budget whatever the machine, and a passing
 * disturbance touches every cell a little rather than a few a lot. Each cell gets at least
 * {@value #MIN_SAMPLES} measured batches.
 */
public final class BenchRunner {

    /** Sizes of the default run: 64 B to 16 MiB, as NOTES.md's anchor table. */
    public static final List<Long> DEFAULT_SIZES = List.of(64L, 256L, 1024L, 4096L, 65536L, 1L << 20, 16L << 20);
    /** The sizes of file writes with fsync: a block, and sixteen. */
    public static final Set<Long> FSDAX_SIZES = Set.of(4096L, 65536L);

    static final int MIN_SAMPLES = 3;
    private static final long TARGET_BATCH_NANOS = 250_000;
    private static final int MAX_RING_SLOTS = 4096;
    private static final double WARMUP_SHARE = 0.12;

    /**
     * What to measure.
     *
     * @param methods the methods, in report order
     * @param kinds   the iterator kinds
     * @param sizes   bytes per operation, each from 1 to 1 GiB
     * @param budget  wall time for warm-up and measurement together
     * @param rounds  how many times the cells are visited in turn, each time for a share of the budget
     */
    public record Plan(List<BenchMethod> methods, List<IovIter.Kind> kinds, List<Long> sizes, Duration budget,
                       int rounds) {
        /** Checks and copies the lists: methods and kinds in their declared order, sizes ascending, no duplicates. */
        public Plan {
            methods = methods.stream().distinct().sorted().toList();
            kinds = kinds.stream().distinct().sorted().toList();
            sizes = sizes.stream().distinct().sorted().toList();
            Objects.requireNonNull(budget, "budget");
            if (methods.isEmpty() || kinds.isEmpty() || sizes.isEmpty()) {
                throw new DaxException(Errno.EINVAL, "nothing to measure: methods " + methods + ", kinds " + kinds
                        + ", sizes " + sizes);
            }
            for (long s : sizes) {
                if (s < 1 || s > (1L << 30)) {
                    throw new DaxException(Errno.EINVAL, "size " + s + " is outside 1 byte .. 1 GiB");
                }
            }
            if (budget.isNegative() || budget.isZero()) {
                throw new DaxException(Errno.EINVAL, "the time budget must be positive, not " + budget);
            }
            if (rounds < 1 || rounds > 100) {
                throw new DaxException(Errno.EINVAL, "rounds must be 1 to 100, not " + rounds);
            }
        }

        /** Every method, every kind, the default sizes, {@code budget}, 3 rounds. */
        public static Plan full(Duration budget) {
            return new Plan(List.of(BenchMethod.values()), List.of(IovIter.Kind.values()), DEFAULT_SIZES, budget, 3);
        }
    }

    private final Workbench bench;
    private final Plan plan;
    private final Consumer<String> progress;
    private final Map<WritePath, long[]> cursors = new IdentityHashMap<>();
    private final List<BenchReport.Mismatch> mismatches = new ArrayList<>();
    private long serial = 1;

    private BenchRunner(Workbench bench, Plan plan, Consumer<String> progress) {
        this.bench = bench;
        this.plan = plan;
        this.progress = progress;
    }

    /**
     * Runs the plan.
     *
     * @param progress receives a line now and then (for stderr)
     * @throws DaxException what a device throws; a write that reads back wrong is reported, not thrown
     */
    public static BenchReport run(Workbench bench, Plan plan, Consumer<String> progress) {
        return new BenchRunner(Objects.requireNonNull(bench, "bench"), Objects.requireNonNull(plan, "plan"),
                Objects.requireNonNull(progress, "progress")).run();
    }

    private record Cell(BenchMethod method, IovIter.Kind kind, long size) {
    }

    private BenchReport run() {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        long deadline = t0 + plan.budget().toNanos();
        List<BenchReport.Skip> skipped = new ArrayList<>();
        List<BenchMethod> methods = new ArrayList<>();
        for (BenchMethod m : plan.methods()) {
            Optional<String> why = bench.unavailable(m);
            if (why.isPresent()) {
                skipped.add(new BenchReport.Skip(m, null, 0, why.get()));
            } else {
                methods.add(m);
            }
        }
        if (methods.contains(BenchMethod.FSDAX_FSYNC) && plan.sizes().stream().noneMatch(FSDAX_SIZES::contains)) {
            skipped.add(new BenchReport.Skip(BenchMethod.FSDAX_FSYNC, null, 0, "runs at 4 KiB and 64 KiB only"));
        }
        List<Cell> cells = new ArrayList<>();
        for (long size : plan.sizes()) {
            for (IovIter.Kind kind : plan.kinds()) {
                for (BenchMethod m : methods) {
                    if (m == BenchMethod.FSDAX_FSYNC && !FSDAX_SIZES.contains(size)) {
                        continue;
                    }
                    WritePath p = bench.path(m);
                    if (size > p.capacity() || size > bench.sources().size()) {
                        if (kind == plan.kinds().getFirst()) {
                            skipped.add(new BenchReport.Skip(m, null, size, Sizes.format(size) + " is more than the "
                                    + Sizes.format(Math.min(p.capacity(), bench.sources().size())) + " it can walk"));
                        }
                        continue;
                    }
                    cells.add(new Cell(m, kind, size));
                }
            }
        }
        warmUp(methods, t0 + (long) (plan.budget().toNanos() * WARMUP_SHARE));

        // Rounds over all cells, each cell's batches spread over the run: a passing disturbance
        // (another process, a compilation) touches every cell a little instead of a few a lot.
        Map<String, IterRing> rings = new HashMap<>();
        Map<Cell, CellRun> runs = new LinkedHashMap<>();
        for (Cell c : cells) {
            IterRing ring = rings.computeIfAbsent(c.kind() + "/" + c.size(), k -> new IterRing(bench.sources(), c.kind(),
                    c.size(), MAX_RING_SLOTS, 0));
            runs.put(c, new CellRun(bench.path(c.method()), ring));
        }
        int rounds = plan.rounds();
        int total = rounds * cells.size();
        int done = 0;
        for (int round = 1; round <= rounds; round++) {
            long groupStart = System.nanoTime();
            for (int i = 0; i < cells.size(); i++) {
                Cell c = cells.get(i);
                long now = System.nanoTime();
                runs.get(c).runUntil(now + Math.max(0, deadline - now) / (total - done),
                        round == rounds ? MIN_SAMPLES : round);
                done++;
                boolean lastOfSize = i == cells.size() - 1 || cells.get(i + 1).size() != c.size();
                if (lastOfSize) {
                    long end = System.nanoTime();
                    progress.accept(String.format(Locale.ROOT, "bench: round %d/%d %-8s %3d cells in %5.1f s (%.0f s left)",
                            round, rounds, Sizes.format(c.size()), cells.stream().filter(x -> x.size() == c.size()).count(),
                            (end - groupStart) / 1e9, Math.max(0, deadline - end) / 1e9));
                    groupStart = end;
                }
            }
        }
        List<BenchResult> results = new ArrayList<>();
        runs.values().forEach(r -> r.result().ifPresent(results::add));
        return new BenchReport(plan, started, Duration.ofNanos(System.nanoTime() - t0), bench.pmem().arch().name(),
                bench.pmem().arch().features(), bench.pmem().arch().hasCacheWriteback(),
                BenchReport.DeviceInfo.of(bench.pmem()), bench.brd().map(BenchReport.DeviceInfo::of), bench.region(),
                bench.fileBytes(), bench.libpmemStatus(), results, skipped, mismatches);
    }

    /** Every method and kind at a small and a middling size, so compiled code is what gets measured. */
    private void warmUp(List<BenchMethod> methods, long until) {
        List<Cell> warm = new ArrayList<>();
        for (long size : new long[] {256, 4096}) {
            for (BenchMethod m : methods) {
                for (IovIter.Kind k : plan.kinds()) {
                    if (size <= bench.path(m).capacity() && (m != BenchMethod.FSDAX_FSYNC || FSDAX_SIZES.contains(size))) {
                        warm.add(new Cell(m, k, size));
                    }
                }
            }
        }
        for (int i = 0; i < warm.size(); i++) {
            Cell c = warm.get(i);
            long now = System.nanoTime();
            new CellRun(bench.path(c.method()), new IterRing(bench.sources(), c.kind(), c.size(), 256, 0))
                    .runUntil(now + Math.max(0, until - now) / (warm.size() - i), 1);
        }
    }

    /** A cell's measurement, resumable: {@link #runUntil} adds batches, {@link #result} sums them up. */
    final class CellRun {
        private final WritePath path;
        private final IterRing ring;
        private final long size;
        private final long capacity;
        private final long[] cursor;
        private final int maxBatch;
        private final long[] positions;
        private final int[] slots;
        private final IovIter[] iters;
        private final List<Double> samples = new ArrayList<>();
        private int batch = 1;
        private int slot;
        private boolean warm = true;
        private boolean failed;
        private long ops;
        private long verified;

        CellRun(WritePath path, IterRing ring) {
            this.path = path;
            this.ring = ring;
            this.size = ring.size();
            this.capacity = path.capacity();
            this.cursor = cursors.computeIfAbsent(path, p -> new long[1]);
            this.maxBatch = (int) Math.max(1, Math.min(ring.slots(), capacity / size));
            this.positions = new long[maxBatch];
            this.slots = new int[maxBatch];
            this.iters = new IovIter[maxBatch];
        }

        /**
         * Runs batches until {@code deadline} has passed and at least {@code minSamples} batches
         * were measured in all; stops for good at the first write that reads back wrong.
         */
        void runUntil(long deadline, int minSamples) {
            while (!failed && (System.nanoTime() < deadline || samples.size() < minSamples)) {
                batch();
            }
        }

        private void batch() {
            int b = Math.min(batch, maxBatch);
            for (int i = 0; i < b; i++) {
                if (cursor[0] + size > capacity) {
                    cursor[0] = 0;
                }
                positions[i] = cursor[0];
                cursor[0] += size;
                slots[i] = slot;
                ring.stamp(slot, serial++);
                iters[i] = ring.iter(slot);
                slot = (slot + 1) % ring.slots();
            }
            long start = System.nanoTime();
            for (int i = 0; i < b; i++) {
                path.write(positions[i], iters[i]);
            }
            long took = System.nanoTime() - start;
            path.afterBatch();
            for (int i = 0; i < b; i++) {
                long bad = path.mismatch(positions[i], ring.expected(slots[i]));
                if (bad >= 0) {
                    mismatches.add(new BenchReport.Mismatch(path.method(), ring.kind(), size, positions[i], bad));
                    failed = true;
                    return;
                }
            }
            verified += b * size;
            if (!warm) {
                samples.add((double) took / b);
                ops += b;
            }
            warm = false;
            if (took < TARGET_BATCH_NANOS && batch < maxBatch) {
                batch *= 2;
            }
        }

        /** The figures: the median batch; empty if a write read back wrong. */
        Optional<BenchResult> result() {
            if (failed || samples.isEmpty()) {
                return Optional.empty();
            }
            double[] sorted = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            return Optional.of(new BenchResult(path.method(), ring.kind(), size, ops, median, sorted.length, verified));
        }
    }

    /** The mismatches found so far (for tests of {@link #measure}). */
    List<BenchReport.Mismatch> mismatches() {
        return mismatches;
    }

    /** A runner whose {@link CellRun}s can be driven directly (tests). */
    static BenchRunner forTest(Workbench bench) {
        return new BenchRunner(bench, Plan.full(Duration.ofSeconds(1)), s -> { });
    }
}
