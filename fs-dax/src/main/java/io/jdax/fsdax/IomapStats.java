package io.jdax.fsdax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import io.jdax.dax.PerThread;


/**
 * Counters of one {@link DaxIomap}: how often it called the filesystem, and the bytes it zeroed
 * and read from holes, so tests and {@code jdax} reports can see the engine's work without
 * reading its code (the copies themselves are the device core's). Thread-safe; counts only go up and
 * are exact once the I/Os counted have returned.
 */
public final class IomapStats {
    /*
     * Each thread counts in a cell of its own with plain-cost (opaque) stores: no atomic
     * instruction on the I/O path. Five LongAdder increments (when it had more counters) per
     * 4 KiB write cost ~18 ns of the engine's ~55 ns (FsDaxOverheadBenchmark). A cell is found
     * through PerThread, as the device's readers are, not a ThreadLocal, whose lookup was the
     * largest single cost in the device core's profile (BENCHMARKS.md, "second pass").
     */
    static final int IOS = 0;
    static final int BEGINS = 1;
    static final int ENDS = 2;
    static final int ZEROED_BYTES = 3;
    static final int HOLE_BYTES = 4;
    private static final int COUNTERS = 5;
    /** Longs of padding before the counters, so two threads' cells never share a cache line. */
    private static final int PAD = 8;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    /** One thread's counts: written by that thread only, read by anyone. */
    static final class Cell {
        private final long[] slots = new long[PAD + COUNTERS + PAD];

        private Cell() {
        }

        /** Adds to a counter; only the owner thread calls this. */
        void add(int counter, long n) {
            int i = PAD + counter;
            SLOT.setOpaque(slots, i, (long) SLOT.getOpaque(slots, i) + n);
        }

        long get(int counter) {
            return (long) SLOT.getOpaque(slots, PAD + counter);
        }
    }

    // Cells of threads that have ended are folded into `retired` when the table grows, so
    // short-lived (virtual) threads do not pile up; sums and folds hold the table's monitor.
    private final long[] retired = new long[COUNTERS]; // guarded by cells
    private final PerThread<Cell> cells = new PerThread<>(Cell::new, c -> true, c -> {
        for (int i = 0; i < COUNTERS; i++) {
            retired[i] += c.get(i); // it ended: its last counts happen-before this (JLS 17.4.4)
        }
    });

    IomapStats() {
    }

    /** The calling thread's cell, for one I/O to count into. */
    Cell cell() {
        return cells.get();
    }

    /** I/Os started by {@link DaxIomap#rw}, {@link DaxIomap#zeroRange} and {@link DaxIomap#map}. */
    public long ios() {
        return sum(IOS);
    }

    /** Calls of {@link IomapOps#begin} that returned. */
    public long begins() {
        return sum(BEGINS);
    }

    /** Calls of {@link IomapOps#end}. */
    public long ends() {
        return sum(ENDS);
    }








    /** Device bytes zeroed: parts of new extents the write did not store, and {@link DaxIomap#zeroRange}. */
    public long zeroedBytes() {
        return sum(ZEROED_BYTES);
    }

    /** Zero bytes read from holes and unwritten extents. */
    public long holeBytes() {
        return sum(HOLE_BYTES);
    }

    @Override
    public String toString() {
        return "IomapStats[ios=" + ios() + " begins=" + begins() + " ends=" + ends() + " zeroedBytes=" + zeroedBytes()
                + " holeBytes=" + holeBytes() + "]";
    }

    /** Cells of threads not yet folded into the totals (for tests). */
    int cellsHeld() {
        return cells.size();
    }

    private long sum(int counter) {
        synchronized (cells) {
            long[] sum = {retired[counter]};
            cells.forEach(c -> sum[0] += c.get(counter));
            return sum[0];
        }
    }
}
