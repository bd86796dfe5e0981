package io.jdax.benchmarks;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.IterRing;
import io.jdax.bench.Workbench;
import io.jdax.bench.WritePath;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The fs-dax file of a {@link Workbench} ({@code -Djdax.bench.dir}, default /dev/shm, or
 * {@code -Djdax.bench.device=SPEC}) for JMH, with the write, fsync and read on the benchmark's own
 * schedule, and the device-level read beside it.
 * <p>
 * Sources are an {@link IterRing} of {@code slots} iterators; destinations of reads are
 * {@code slots} native buffers of the same size. One slot keeps source and destination in the
 * cache, as fio's single {@code io_u} buffer is with {@code iodepth=1}. Positions walk the file
 * (or, for the device-level read, the device's region) sequentially and wrap.
 */
final class FsDaxTarget implements AutoCloseable {
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    private final Workbench bench;
    private final MemFile file;
    private final IterRing ring;
    private final MemorySegment[] bufs;
    private final IovIter[] dsts;
    private final long size;
    private final long span;
    private long pos = -1;
    private int slot = -1;

    /**
     * @param kind      the source iterators' kind
     * @param size      bytes per operation
     * @param mode      the emulated device's pmem {@code mode} ({@code emulated}: CPU_CACHE), or
     *                  {@code default} for the driver's choice (PAGE_CACHE on tmpfs)
     * @param slots     source iterators and read buffers, used round-robin
     * @param fileBytes bytes of the file, and of the region the device-level read walks
     */
    FsDaxTarget(IovIter.Kind kind, long size, String mode, int slots, long fileBytes) {
        Workbench.Config cfg = Workbench.Config.defaults().withLibpmem(null);
        cfg = cfg.withSizes(fileBytes, fileBytes, cfg.brdBytes(), cfg.sourceBytes());
        String dir = System.getProperty("jdax.bench.dir");
        if (dir != null) {
            cfg = cfg.withScratchParent(Path.of(dir));
        }
        cfg = cfg.withDevice(System.getProperty("jdax.bench.device"));
        if (!"default".equals(mode)) {
            cfg = cfg.withEmulatedMode(mode);
        }
        this.bench = Workbench.open(cfg);
        try {
            this.file = bench.file();
            this.span = Math.min(bench.fileBytes(), bench.region()) / size * size;
            if (span < size) {
                throw new DaxException(Errno.EINVAL, size + " bytes is more than the file (" + bench.fileBytes()
                        + ") or the region (" + bench.region() + ")");
            }
            this.ring = new IterRing(bench.sources(), kind, size, slots, 0);
            this.size = size;
            this.bufs = new MemorySegment[ring.slots()];
            this.dsts = new IovIter[ring.slots()];
            Arena arena = Arena.ofAuto();
            for (int i = 0; i < dsts.length; i++) {
                bufs[i] = arena.allocate(size, 64);
                dsts[i] = IovIter.ubuf(IovIter.Direction.DEST, bufs[i]);
            }
        } catch (RuntimeException e) {
            bench.close();
            throw e;
        }
    }

    /** One line for the JMH log: the device and its persistence mode, so a run shows what it measured. */
    String describe() {
        return "# jdax: " + bench.pmem() + ", " + bench.pmem().persistenceReason() + "; file " + span
                + " bytes walked, " + ring.slots() + " source slot(s)";
    }

    private void step() {
        pos += size;
        if (pos < 0 || pos + size > span) {
            pos = 0;
        }
        slot = (slot + 1) % ring.slots();
    }

    /** A file write of the next source at the next position, without fsync. */
    void write() {
        step();
        long done = file.write(pos, ring.iter(slot));
        if (done != size) {
            throw new DaxException(Errno.EIO, "fs-dax: short write of " + done + " of " + size + " bytes at " + pos);
        }
    }

    /** {@code fsync}: the device's {@code flush()}. */
    void fsync() {
        file.fsync();
    }

    /**
     * Writes every position the reads will visit with the slot a write at that position would
     * carry, file and region alike, and makes it durable: reads then move real bytes, and
     * {@link #verifyRead()} knows what they must see.
     */
    void fill() {
        WritePath raw = bench.path(BenchMethod.DURABLE);
        for (long at = 0; at + size <= span; at += size) {
            int s = slotAt(at);
            long done = file.write(at, ring.iter(s));
            if (done != size) {
                throw new DaxException(Errno.EIO, "fs-dax: short write of " + done + " of " + size + " bytes at " + at);
            }
            raw.write(at, ring.iter(s));
        }
        file.fsync();
        pos = -1;
        slot = -1;
    }

    private int slotAt(long at) {
        return (int) (at / size % ring.slots());
    }

    /** A file read at the next position into the next buffer. */
    void read() {
        step();
        IovIter dst = rewound(dsts[slot]);
        long done = file.read(pos, dst);
        if (done != size) {
            throw new DaxException(Errno.EIO, "fs-dax: short read of " + done + " of " + size + " bytes at " + pos);
        }
    }

    /**
     * The device-level read at the next position of the region: the device core's chunk loop with
     * the driver's {@code copyToIter}, what fs/dax.c runs for a mapped extent.
     */
    void driverRead() {
        step();
        IovIter dst = rewound(dsts[slot]);
        DaxDevice dev = bench.pmem();
        long n = dev.copyToIter(pos, size, dst);
        if (n != size) {
            throw new DaxException(Errno.EIO, dev.name() + ": short read of " + n + " of " + size + " bytes at " + pos);
        }
    }

    private IovIter rewound(IovIter it) {
        it.revert(it.consumed());
        it.reexpand(size);
        return it;
    }

    /** Reads the latest write back through the file; fails loudly if it differs. */
    void verifyWrite() {
        if (slot >= 0) {
            MemorySegment got = Arena.ofAuto().allocate(size, 64);
            long n = file.read(pos, IovIter.ubuf(IovIter.Direction.DEST, got));
            long bad = n != size ? n : MemorySegment.mismatch(ring.expected(slot), 0, size, got, 0, size);
            if (bad >= 0) {
                throw new IllegalStateException("fs-dax: the write at " + pos + " differs at byte " + bad);
            }
        }
    }

    /** Compares the latest read's buffer with what {@link #fill()} stored there; fails loudly if it differs. */
    void verifyRead() {
        if (slot >= 0) {
            long bad = MemorySegment.mismatch(ring.expected(slotAt(pos)), 0, size, bufs[slot], 0, size);
            if (bad >= 0) {
                throw new IllegalStateException("fs-dax: the read at " + pos + " differs at byte " + bad);
            }
        }
    }

    @Override
    public void close() {
        bench.close();
    }
}
