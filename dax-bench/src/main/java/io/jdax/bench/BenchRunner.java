package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Measures a {@link Plan} on a {@link Workbench} within a wall-time budget and verifies every
 * operation.
 * <p>
 * Each cell (method, iterator kind, size, thread count) runs batches of operations. Before a
 * batch, untimed, every operation's bytes get fresh marks (a write's iterator is
 * {@linkplain IterRing#stamp stamped}, a read's device range is stamped, a memset's range spoiled,
 * a memmove's source stamped); the batch is timed; after it, untimed, every operation is checked
 * byte for byte (a write or memmove read back, a read's destination compared with the device).
 * Positions walk the method's whole capacity and never overlap within a batch, so stores land on
 * cold lines and a batch's operations cannot hide one another.
 * <p>
 * Batches alternate: a <em>throughput</em> batch is timed as a whole, a <em>latency</em> batch
 * times each operation on its own (one clock read between two operations) into an HdrHistogram.
 * A cell's first batch is discarded; batches grow until one takes about 250 µs (short enough that
 * most miss the scheduler's preemptions on a busy machine); the figure is the median of the
 * throughput batches. A short warm-up of every method and kind comes first, so the JIT has
 * compiled the paths before anything counts.
 * <p>
 * With N threads, each thread has its own slice of the method's capacity (disjoint), its own
 * window of the source buffers and its own iterators; the threads start each timed batch together
 * (a barrier) and a batch's aggregate GB/s is the sum of the threads' own.
 * <p>
 * The cells are visited in {@link Plan#rounds() rounds}, the budget shared out evenly over the
 * visits still to come, so the run ends near its budget whatever the machine, and a passing
 * disturbance touches every cell a little rather than a few a lot. Each round's median is kept:
 * the spread {@code jdax bench --compare} weighs. Each cell gets at least {@value #MIN_SAMPLES}
 * throughput batches.
 */
public final class BenchRunner {

    /** Sizes of the default run: 64 B to 16 MiB, as NOTES.md's anchor table. */
    public static final List<Long> DEFAULT_SIZES = List.of(64L, 256L, 1024L, 4096L, 65536L, 1L << 20, 16L << 20);
    /** The sizes of file writes with fsync and file reads: a block, and sixteen. */
    public static final Set<Long> FSDAX_SIZES = Set.of(4096L, 65536L);
    /** The most threads {@link Plan} takes. */
    public static final int MAX_THREADS = 64;

    static final int MIN_SAMPLES = 3;
    private static final long TARGET_BATCH_NANOS = 250_000;
    private static final int MAX_RING_SLOTS = 4096;
    private static final double WARMUP_SHARE = 0.12;
    private static final long FIRST_BATCH_BYTES = 32 * 1024;

    /**
     * What to measure.
     *
     * @param methods the methods, in report order
     * @param kinds   the iterator kinds (memset and memmove take none)
     * @param sizes   bytes per operation, each from 1 to 1 GiB
     * @param budget  wall time for warm-up and measurement together
     * @param rounds  how many times the cells are visited in turn, each time for a share of the budget
     * @param threads thread counts, each measured in turn (1 = one thread)
     */
    public record Plan(List<BenchMethod> methods, List<IovIter.Kind> kinds, List<Long> sizes, Duration budget,
                       int rounds, List<Integer> threads) {
        /** Checks and copies the lists: methods and kinds in their declared order, sizes and threads ascending, no duplicates. */
        public Plan {
            methods = methods.stream().distinct().sorted().toList();
            kinds = kinds.stream().distinct().sorted().toList();
            sizes = sizes.stream().distinct().sorted().toList();
            threads = threads.stream().distinct().sorted().toList();
            Objects.requireNonNull(budget, "budget");
            if (methods.isEmpty() || kinds.isEmpty() || sizes.isEmpty() || threads.isEmpty()) {
                throw new DaxException(Errno.EINVAL, "nothing to measure: methods " + methods + ", kinds " + kinds
                        + ", sizes " + sizes + ", threads " + threads);
            }
            for (long s : sizes) {
                if (s < 1 || s > (1L << 30)) {
                    throw new DaxException(Errno.EINVAL, "size " + s + " is outside 1 byte .. 1 GiB");
                }
            }
            for (int t : threads) {
                if (t < 1 || t > MAX_THREADS) {
                    throw new DaxException(Errno.EINVAL, "threads must be 1 to " + MAX_THREADS + ", not " + t);
                }
            }
            if (budget.isNegative() || budget.isZero()) {
                throw new DaxException(Errno.EINVAL, "the time budget must be positive, not " + budget);
            }
            if (rounds < 1 || rounds > 100) {
                throw new DaxException(Errno.EINVAL, "rounds must be 1 to 100, not " + rounds);
            }
        }

        /** One thread. */
        public Plan(List<BenchMethod> methods, List<IovIter.Kind> kinds, List<Long> sizes, Duration budget, int rounds) {
            this(methods, kinds, sizes, budget, rounds, List.of(1));
        }

        /** Every method, every kind, the default sizes, {@code budget}, 3 rounds, one thread. */
        public static Plan full(Duration budget) {
            return new Plan(List.of(BenchMethod.values()), List.of(IovIter.Kind.values()), DEFAULT_SIZES, budget, 3);
        }
    }

    private final Workbench bench;
    private final Plan plan;
    private final Consumer<String> progress;
    private final Map<String, long[]> cursors = new HashMap<>();
    private final List<BenchReport.Mismatch> mismatches = new ArrayList<>();
    private final AtomicLong serial = new AtomicLong(1);
    private final List<ExecutorService> writers = new ArrayList<>();

    private BenchRunner(Workbench bench, Plan plan, Consumer<String> progress) {
        this.bench = bench;
        this.plan = plan;
        this.progress = progress;
    }

    /**
     * Runs the plan.
     *
     * @param progress receives a line now and then (for stderr)
     * @throws DaxException what a device throws; an operation that checks wrong is reported, not thrown
     */
    public static BenchReport run(Workbench bench, Plan plan, Consumer<String> progress) {
        BenchRunner r = new BenchRunner(Objects.requireNonNull(bench, "bench"), Objects.requireNonNull(plan, "plan"),
                Objects.requireNonNull(progress, "progress"));
        try {
            return r.run();
        } finally {
            r.close();
        }
    }

    /** One cell: kind is null for memset and memmove. */
    record Cell(BenchMethod method, IovIter.Kind kind, long size, int threads) {
    }

    private BenchReport run() {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        long deadline = t0 + plan.budget().toNanos();
        Set<BenchReport.Skip> skipped = new LinkedHashSet<>();
        List<BenchMethod> methods = new ArrayList<>();
        for (BenchMethod m : plan.methods()) {
            Optional<String> why = bench.unavailable(m);
            if (why.isPresent()) {
                skipped.add(new BenchReport.Skip(m, null, 0, why.get()));
            } else {
                methods.add(m);
            }
        }
        for (BenchMethod m : methods) {
            if (m.isFile() && plan.sizes().stream().noneMatch(FSDAX_SIZES::contains)) {
                skipped.add(new BenchReport.Skip(m, null, 0, "runs at 4 KiB and 64 KiB only"));
            }
        }
        List<Cell> cells = new ArrayList<>();
        for (int threads : plan.threads()) {
            for (long size : plan.sizes()) {
                for (IovIter.Kind kind : kindsAndNone()) {
                    for (BenchMethod m : methods) {
                        if ((kind == null) == m.usesIterator() || (m.isFile() && !FSDAX_SIZES.contains(size))) {
                            continue;
                        }
                        Optional<String> why = kind == null ? Optional.empty() : bench.unavailable(m, kind);
                        if (why.isPresent()) {
                            skipped.add(new BenchReport.Skip(m, kind, 0, why.get()));
                            continue;
                        }
                        if (threads > 1 && !m.scales()) {
                            skipped.add(new BenchReport.Skip(m, null, 0, "runs in one thread only (one "
                                    + (m.isFile() ? "file" : "brd device") + ")"));
                            continue;
                        }
                        long room = Math.min(capacity(m) / threads, bench.sources().size() / threads);
                        if (size > room) {
                            skipped.add(new BenchReport.Skip(m, null, size, Sizes.format(size) + " is more than the "
                                    + Sizes.format(room) + " it can walk" + (threads > 1 ? " per thread with " + threads
                                    + " threads" : "")));
                            continue;
                        }
                        cells.add(new Cell(m, kind, size, threads));
                    }
                }
            }
        }
        double clockNs = clockCost();
        warmUp(methods, t0 + (long) (plan.budget().toNanos() * WARMUP_SHARE));

        Map<Cell, CellRun> runs = new LinkedHashMap<>();
        for (Cell c : cells) {
            runs.put(c, new CellRun(c, works(c)));
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
                        round == rounds ? MIN_SAMPLES : round, round - 1);
                done++;
                boolean lastOfGroup = i == cells.size() - 1 || cells.get(i + 1).size() != c.size()
                        || cells.get(i + 1).threads() != c.threads();
                if (lastOfGroup) {
                    long end = System.nanoTime();
                    progress.accept(String.format(Locale.ROOT, "bench: round %d/%d %-8s %s%3d cells in %5.1f s (%.0f s left)",
                            round, rounds, Sizes.format(c.size()), c.threads() > 1 ? c.threads() + " threads " : "",
                            cells.stream().filter(x -> x.size() == c.size() && x.threads() == c.threads()).count(),
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
                bench.fileBytes(), bench.libpmemStatus(), clockNs, results, List.copyOf(skipped), mismatches);
    }

    /** The plan's kinds, then null: the cells without an iterator (memset, memmove) come after them. */
    private List<IovIter.Kind> kindsAndNone() {
        List<IovIter.Kind> k = new ArrayList<>(plan.kinds());
        k.add(null);
        return k;
    }

    private long capacity(BenchMethod m) {
        return switch (m.op()) {
            case WRITE -> bench.path(m).capacity();
            case READ -> bench.readPath(m).capacity();
            case MEMSET, MEMMOVE -> bench.memPath(m).capacity();
        };
    }

    /** The median time between two clock reads: the cost every latency figure includes. */
    static double clockCost() {
        long[] d = new long[1001];
        for (int i = 0; i < d.length; i++) {
            long a = System.nanoTime();
            d[i] = System.nanoTime() - a;
        }
        Arrays.sort(d);
        return d[d.length / 2];
    }

    /** Every method and kind at a small and a middling size, one thread, so compiled code is what gets measured. */
    private void warmUp(List<BenchMethod> methods, long until) {
        List<Cell> warm = new ArrayList<>();
        for (long size : new long[] {256, 4096}) {
            for (BenchMethod m : methods) {
                for (IovIter.Kind k : kindsAndNone()) {
                    if ((k == null) != m.usesIterator() && size <= capacity(m)
                            && (!m.isFile() || FSDAX_SIZES.contains(size))
                            && (k == null || bench.unavailable(m, k).isEmpty())) {
                        warm.add(new Cell(m, k, size, 1));
                    }
                }
            }
        }
        for (int i = 0; i < warm.size(); i++) {
            Cell c = warm.get(i);
            long now = System.nanoTime();
            new CellRun(c, works(c, 256, "warm")).runUntil(now + Math.max(0, until - now) / (warm.size() - i), 1, 0);
        }
    }

    private List<Work> works(Cell c) {
        return works(c, MAX_RING_SLOTS, "");
    }

    /**
     * One {@link Work} per thread: thread i walks the i-th of {@code threads} equal slices of the
     * method's capacity and the i-th window of the buffers, with iterators of its own.
     */
    private List<Work> works(Cell c, int maxSlots, String cursorTag) {
        BenchMethod m = c.method();
        long capacity = capacity(m);
        long slice = capacity / c.threads() / 64 * 64;
        long window = bench.sources().size() / c.threads() / 64 * 64;
        List<Work> works = new ArrayList<>();
        for (int t = 0; t < c.threads(); t++) {
            long base = t * slice;
            long[] cursor = cursors.computeIfAbsent(cursorTag + m + "/" + c.threads() + "/" + t, k -> new long[1]);
            long from = t * window;
            works.add(switch (m.op()) {
                case WRITE -> new WriteWork(bench.path(m), IterRing.sources(bench.sources(), c.kind(), c.size(), maxSlots,
                        from, from + window), base, slice, cursor);
                case READ -> new ReadWork(bench.readPath(m), IterRing.destinations(bench.destinations(), c.kind(),
                        c.size(), maxSlots, from, from + window), base, slice, cursor);
                case MEMSET, MEMMOVE -> new MemWork(bench.memPath(m), c.size(), maxSlots, base, slice, cursor);
            });
        }
        return works;
    }

    /**
     * What one thread does in one cell: operations at positions in {@code [base, base + span)},
     * prepared and checked untimed, run timed.
     */
    abstract static class Work {
        final long base;
        final long span;
        final long size;
        final long[] cursor;

        Work(long base, long span, long size, long[] cursor) {
            this.base = base;
            this.span = span;
            this.size = size;
            this.cursor = cursor;
        }

        /** How many operations can run before a slot is reused. */
        abstract int slots();

        abstract BenchMethod method();

        abstract IovIter.Kind kind();

        /** Untimed: fresh marks for the operation of {@code slot} at {@code pos}. */
        abstract void prepare(int slot, long pos, long serial);

        /** Timed: the operation. */
        abstract void run(int slot, long pos);

        /** Untimed: -1 when the operation did what it should, else the offset of the first wrong byte. */
        abstract long check(int slot, long pos);

        /** Untimed housekeeping after a batch (once per batch, not per thread). */
        abstract void afterBatch();

        /** The next position: the cursor walks the slice, back to its start at the end. */
        final long next() {
            if (cursor[0] + size > span) {
                cursor[0] = 0;
            }
            long pos = base + cursor[0];
            cursor[0] += size;
            return pos;
        }
    }

    static final class WriteWork extends Work {
        private final WritePath path;
        private final IterRing ring;
        private final IovIter[] iters;

        WriteWork(WritePath path, IterRing ring, long base, long span, long[] cursor) {
            super(base, span, ring.size(), cursor);
            this.path = path;
            this.ring = ring;
            this.iters = new IovIter[ring.slots()];
        }

        @Override
        int slots() {
            return ring.slots();
        }

        @Override
        BenchMethod method() {
            return path.method();
        }

        @Override
        IovIter.Kind kind() {
            return ring.kind();
        }

        @Override
        void prepare(int slot, long pos, long serial) {
            ring.stamp(slot, serial);
            iters[slot] = ring.iter(slot);
        }

        @Override
        void run(int slot, long pos) {
            path.write(pos, iters[slot]);
        }

        @Override
        long check(int slot, long pos) {
            return path.mismatch(pos, ring.expected(slot));
        }

        @Override
        void afterBatch() {
            path.afterBatch();
        }
    }

    static final class ReadWork extends Work {
        private final ReadPath path;
        private final IterRing ring;
        private final IovIter[] iters;

        ReadWork(ReadPath path, IterRing ring, long base, long span, long[] cursor) {
            super(base, span, ring.size(), cursor);
            this.path = path;
            this.ring = ring;
            this.iters = new IovIter[ring.slots()];
        }

        @Override
        int slots() {
            return ring.slots();
        }

        @Override
        BenchMethod method() {
            return path.method();
        }

        @Override
        IovIter.Kind kind() {
            return ring.kind();
        }

        @Override
        void prepare(int slot, long pos, long serial) {
            path.stamp(pos, size, serial);
            iters[slot] = ring.iter(slot);
        }

        @Override
        void run(int slot, long pos) {
            path.read(pos, iters[slot]);
        }

        @Override
        long check(int slot, long pos) {
            return path.mismatch(pos, ring.expected(slot));
        }

        @Override
        void afterBatch() {
        }
    }

    static final class MemWork extends Work {
        private final MemPath path;
        private final byte[] values;

        MemWork(MemPath path, long size, int maxSlots, long base, long span, long[] cursor) {
            super(base, span, size, cursor);
            this.path = path;
            this.values = new byte[(int) Math.max(1, Math.min(maxSlots, span / size))];
        }

        @Override
        int slots() {
            return values.length;
        }

        @Override
        BenchMethod method() {
            return path.method();
        }

        @Override
        IovIter.Kind kind() {
            return null;
        }

        @Override
        void prepare(int slot, long pos, long serial) {
            values[slot] = (byte) (IterRing.mark(serial) >>> 56);
            path.prepare(pos, size, values[slot], serial);
        }

        @Override
        void run(int slot, long pos) {
            path.run(pos, size, values[slot]);
        }

        @Override
        long check(int slot, long pos) {
            return path.mismatch(pos, size, values[slot]);
        }

        @Override
        void afterBatch() {
            path.afterBatch();
        }
    }

    /** Thrown in a thread whose batch cannot start because another thread failed preparing its own. */
    private static final class OtherThreadFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OtherThreadFailed() {
            super("another thread failed", null, false, false);
        }
    }

    /** One thread's batch, as it went. */
    private record ThreadBatch(long took, long bad, long badPos) {
    }

    /** A cell's measurement, resumable: {@link #runUntil} adds batches, {@link #result} sums them up. */
    final class CellRun {
        private final Cell cell;
        private final List<Work> works;
        private final int maxBatch;
        private final long[][] positions;
        private final int[][] slotsUsed;
        private final int[] nextSlot;
        private final Histogram[] histograms;
        private final CyclicBarrier start;
        private final List<Double> samples = new ArrayList<>();
        private final List<List<Double>> threadSamples = new ArrayList<>();
        private final List<List<Double>> roundSamples = new ArrayList<>();
        private int batch;
        private boolean warm = true;
        private boolean latencyNext;
        private boolean failed;
        private long ops;
        private long verified;

        CellRun(Cell cell, List<Work> works) {
            this.cell = cell;
            this.works = List.copyOf(works);
            int n = works.size();
            int mb = Integer.MAX_VALUE;
            for (Work w : works) {
                mb = (int) Math.min(mb, Math.max(1, Math.min(w.slots(), w.span / w.size)));
            }
            this.maxBatch = mb;
            // Start near 32 KiB a batch: a short budget still leaves small sizes batches long enough to time.
            this.batch = (int) Math.max(1, Math.min(maxBatch, FIRST_BATCH_BYTES / cell.size()));
            this.positions = new long[n][maxBatch];
            this.slotsUsed = new int[n][maxBatch];
            this.nextSlot = new int[n];
            this.histograms = new Histogram[n];
            for (int t = 0; t < n; t++) {
                histograms[t] = new Histogram(3);
                threadSamples.add(new ArrayList<>());
            }
            this.start = n > 1 ? new CyclicBarrier(n) : null;
        }

        /**
         * Runs batches until {@code deadline} has passed and at least {@code minSamples} throughput
         * batches were measured in all; stops for good at the first operation that checks wrong.
         */
        void runUntil(long deadline, int minSamples) {
            runUntil(deadline, minSamples, 0);
        }

        /** {@link #runUntil(long, int)}, the batches counted in round {@code round} (from 0). */
        void runUntil(long deadline, int minSamples, int round) {
            while (roundSamples.size() <= round) {
                roundSamples.add(new ArrayList<>());
            }
            List<Double> thisRound = roundSamples.get(round);
            while (!failed && (System.nanoTime() < deadline || samples.size() < minSamples || thisRound.isEmpty())) {
                batch(round);
            }
        }

        private void batch(int round) {
            int b = Math.min(batch, maxBatch);
            boolean latency = !warm && latencyNext;
            ThreadBatch[] got = new ThreadBatch[works.size()];
            if (works.size() == 1) {
                got[0] = threadBatch(0, b, latency);
            } else {
                List<Callable<ThreadBatch>> tasks = new ArrayList<>();
                for (int t = 0; t < works.size(); t++) {
                    int thread = t;
                    tasks.add(() -> threadBatch(thread, b, latency));
                }
                got = invokeAll(tasks);
            }
            works.getFirst().afterBatch();
            long longest = 0;
            double aggregate = 0;
            for (int t = 0; t < works.size(); t++) {
                ThreadBatch tb = got[t];
                if (tb.bad() >= 0) {
                    synchronized (mismatches) {
                        mismatches.add(new BenchReport.Mismatch(cell.method(), cell.kind(), cell.size(), cell.threads(),
                                tb.badPos(), tb.bad()));
                    }
                    failed = true;
                }
                longest = Math.max(longest, tb.took());
                aggregate += (double) b * cell.size() / Math.max(1, tb.took());
            }
            if (failed) {
                return;
            }
            verified += (long) b * cell.size() * works.size();
            if (!warm && !latency) {
                samples.add(aggregate);
                roundSamples.get(round).add(aggregate);
                for (int t = 0; t < works.size(); t++) {
                    threadSamples.get(t).add((double) b * cell.size() / Math.max(1, got[t].took()));
                }
                ops += (long) b * works.size();
            }
            if (!warm) {
                latencyNext = !latencyNext;
            }
            warm = false;
            if (!latency && longest < TARGET_BATCH_NANOS && batch < maxBatch) {
                batch *= 2;
            }
        }

        /** Thread {@code t}'s part of a batch: prepare, (wait for the others,) run timed, check. */
        private ThreadBatch threadBatch(int t, int b, boolean latency) {
            Work w = works.get(t);
            long[] pos = positions[t];
            int[] slots = slotsUsed[t];
            try {
                for (int i = 0; i < b; i++) {
                    pos[i] = w.next();
                    slots[i] = nextSlot[t];
                    nextSlot[t] = (nextSlot[t] + 1) % w.slots();
                    w.prepare(slots[i], pos[i], serial.getAndIncrement());
                }
            } catch (RuntimeException | Error e) {
                if (start != null) {
                    start.reset(); // the others stop waiting
                }
                throw e;
            }
            if (start != null) {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DaxException(Errno.EIO, "interrupted while waiting for the other threads");
                } catch (BrokenBarrierException e) {
                    throw new OtherThreadFailed();
                }
            }
            long took;
            if (latency) {
                Histogram h = histograms[t];
                long t0 = System.nanoTime();
                long prev = t0;
                for (int i = 0; i < b; i++) {
                    w.run(slots[i], pos[i]);
                    long now = System.nanoTime();
                    h.recordValue(Math.max(1, now - prev));
                    prev = now;
                }
                took = prev - t0;
            } else {
                long t0 = System.nanoTime();
                for (int i = 0; i < b; i++) {
                    w.run(slots[i], pos[i]);
                }
                took = System.nanoTime() - t0;
            }
            for (int i = 0; i < b; i++) {
                long bad = w.check(slots[i], pos[i]);
                if (bad >= 0) {
                    return new ThreadBatch(took, bad, pos[i]);
                }
            }
            return new ThreadBatch(took, -1, -1);
        }

        private ThreadBatch[] invokeAll(List<Callable<ThreadBatch>> tasks) {
            try {
                List<Future<ThreadBatch>> fs = new ArrayList<>();
                for (int t = 0; t < tasks.size(); t++) {
                    fs.add(writer(t).submit(tasks.get(t)));
                }
                ThreadBatch[] got = new ThreadBatch[fs.size()];
                Throwable first = null;
                for (int t = 0; t < fs.size(); t++) {
                    try {
                        got[t] = fs.get(t).get();
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        if (first == null || first instanceof OtherThreadFailed) {
                            first = c;
                        }
                    }
                }
                if (first instanceof RuntimeException re) {
                    throw re;
                }
                if (first instanceof Error err) {
                    throw err;
                }
                if (first != null) {
                    throw new DaxException(Errno.EIO, cell.method().id() + ": a thread failed: " + first, first);
                }
                return got;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DaxException(Errno.EIO, "interrupted while the threads measured");
            }
        }

        /** The figures: the median batch; empty if an operation checked wrong. */
        Optional<BenchResult> result() {
            if (failed || samples.isEmpty()) {
                return Optional.empty();
            }
            double median = median(samples);
            List<Double> rounds = roundSamples.stream().filter(l -> !l.isEmpty()).map(BenchRunner::median).toList();
            List<Double> perThread = threadSamples.stream().map(BenchRunner::median).toList();
            Histogram all = new Histogram(3);
            for (Histogram h : histograms) {
                all.add(h);
            }
            BenchResult.Latency lat = all.getTotalCount() == 0 ? BenchResult.Latency.NONE
                    : new BenchResult.Latency(all.getTotalCount(), all.getValueAtPercentile(50),
                    all.getValueAtPercentile(99), all.getValueAtPercentile(99.9), all.getMaxValue());
            return Optional.of(new BenchResult(cell.method(), cell.kind(), cell.size(), cell.threads(), ops,
                    cell.size() / median, samples.size(), verified, rounds, perThread, lat));
        }
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    /** Writer thread {@code t}: a thread of its own, so thread t's work always runs on the same thread. */
    private synchronized ExecutorService writer(int t) {
        while (writers.size() <= t) {
            int n = writers.size();
            writers.add(Executors.newSingleThreadExecutor(r -> {
                Thread th = new Thread(r, "jdax-bench-writer-" + n);
                th.setDaemon(true);
                return th;
            }));
        }
        return writers.get(t);
    }

    private synchronized void close() {
        writers.forEach(ExecutorService::shutdownNow);
        writers.clear();
    }

    /** The mismatches found so far (for tests of {@link CellRun}). */
    List<BenchReport.Mismatch> mismatches() {
        return mismatches;
    }

    /** A runner whose {@link CellRun}s can be driven directly (tests); {@code threads} sizes its pool. */
    static BenchRunner forTest(Workbench bench, int threads) {
        return new BenchRunner(bench, new Plan(List.of(BenchMethod.values()), List.of(IovIter.Kind.values()),
                DEFAULT_SIZES, Duration.ofSeconds(1), 3, List.of(threads)), s -> { });
    }

    /**
     * A cell of {@code path} run by {@code rings.size()} threads, each with its ring and its slice
     * of the path's capacity, as {@link #run} makes them (tests).
     */
    CellRun cellRun(WritePath path, List<IterRing> rings) {
        long slice = path.capacity() / rings.size() / 64 * 64;
        List<Work> works = new ArrayList<>();
        for (int t = 0; t < rings.size(); t++) {
            works.add(new WriteWork(path, rings.get(t), t * slice, slice, new long[1]));
        }
        return new CellRun(new Cell(path.method(), rings.getFirst().kind(), rings.getFirst().size(), rings.size()), works);
    }

    /** A cell of the given per-thread work (tests). */
    CellRun cellRun(Cell cell, List<Work> works) {
        return new CellRun(cell, works);
    }

    /** {@link #cellRun(WritePath, List)} with one thread. */
    CellRun cellRun(WritePath path, IterRing ring) {
        return cellRun(path, List.of(ring));
    }

    /** A one-thread runner for tests. */
    static BenchRunner forTest(Workbench bench) {
        return forTest(bench, 1);
    }

    /** Closes a test runner's pool. */
    void closeForTest() {
        close();
    }
}
