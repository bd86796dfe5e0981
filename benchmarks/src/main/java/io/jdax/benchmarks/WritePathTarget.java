package io.jdax.benchmarks;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.IterRing;
import io.jdax.bench.WritePath;
import io.jdax.bench.Workbench;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.nio.file.Path;

/**
 * One {@code jdax bench} cell for JMH: the same {@link Workbench} (an emulated pmem device in
 * {@code -Djdax.bench.dir}, default /dev/shm, or {@code -Djdax.bench.device=SPEC}), the same
 * {@link WritePath} and the same {@link IterRing} of prebuilt iterators. Each {@link #writeNext()}
 * rewinds the next iterator and writes it at the next position, walking the method's capacity.
 * {@link #verifyLast()} reads the latest write back.
 */
final class WritePathTarget implements AutoCloseable {
    private final Workbench bench;
    private final WritePath path;
    private final IterRing ring;
    private final long size;
    private long pos = -1;
    private int slot = -1;

    /**
     * @param mode  the emulated device's pmem {@code mode} ({@code emulated}: CPU_CACHE), or
     *              {@code default} for the driver's choice (PAGE_CACHE on tmpfs)
     * @param slots source iterators used round-robin
     */
    WritePathTarget(BenchMethod method, IovIter.Kind kind, long size, String mode, int slots) {
        Workbench.Config cfg = Workbench.Config.defaults();
        if (!"default".equals(mode)) {
            cfg = cfg.withEmulatedMode(mode);
        }
        String dir = System.getProperty("jdax.bench.dir");
        if (dir != null) {
            cfg = cfg.withScratchParent(Path.of(dir));
        }
        cfg = cfg.withDevice(System.getProperty("jdax.bench.device"));
        if (method != BenchMethod.LIBPMEM) {
            cfg = cfg.withLibpmem(null);
        }
        this.bench = Workbench.open(cfg);
        try {
            this.path = bench.path(method);
            if (size > path.capacity()) {
                throw new DaxException(Errno.EINVAL, method.id() + ": " + size + " bytes is more than the "
                        + path.capacity() + " it walks");
            }
            this.ring = new IterRing(bench.sources(), kind, size, slots, 0);
            this.size = size;
        } catch (RuntimeException e) {
            bench.close();
            throw e;
        }
    }

    /** One line for the JMH log: the device and its persistence mode. */
    String describe() {
        return "# jdax: " + bench.pmem() + ", " + bench.pmem().persistenceReason() + "; " + path.capacity()
                + " bytes walked, " + ring.slots() + " source slot(s)";
    }

    /** The measured operation: one write and its commit. */
    void writeNext() {
        pos += size;
        if (pos < 0 || pos + size > path.capacity()) {
            pos = 0;
        }
        slot = (slot + 1) % ring.slots();
        path.write(pos, ring.iter(slot));
    }

    /** Unmeasured: the method's housekeeping (msync what fence-only methods left dirty). */
    void housekeeping() {
        path.afterBatch();
    }

    /** Reads the latest write back; fails loudly if it differs. */
    void verifyLast() {
        if (slot >= 0) {
            long bad = path.mismatch(pos, ring.expected(slot));
            if (bad >= 0) {
                throw new IllegalStateException(path.method().id() + ": the write at " + pos + " differs at byte " + bad);
            }
        }
    }

    @Override
    public void close() {
        bench.close();
    }
}
