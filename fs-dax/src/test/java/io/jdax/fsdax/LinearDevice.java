package io.jdax.fsdax;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test device over one contiguous native block: {@code directAccess} hands out everything asked
 * at once (pmem's shape), with knobs for the cases fs-dax must survive: its own copy operations or
 * none (fixed when the device is made, as the core reads them then), a page that fails, poisoned
 * sectors with or without a recovery path, a copy that faults after a byte budget, and a
 * persistence mode to report. The core ({@link DaxDevice}) does its checks and read side.
 */
final class LinearDevice extends DaxDevice {

    /** The operations the driver provides itself (the core falls back for the rest). */
    enum Own {
        COPY_FROM_ITER, COPY_TO_ITER, ZERO_PAGE_RANGE, RECOVERY_WRITE
    }

    private final Ops ops;

    final Set<Long> failPages;
    /** Bytes the device's own copyFromIter may still copy before it faults; negative: no limit. */
    final AtomicLong copyBudget;
    final AtomicLong flushCalls;
    /** Pages handed out for writing since the last flush: what a page-cache device would msync. */
    final Set<Long> writtenSinceFlush;
    /** Each flush's set of forced pages, in order. */
    final java.util.List<Set<Long>> forcedPerFlush;
    final AtomicLong directAccessCalls;
    /** Calls of the device's own copyFromIter, copyToIter and recoveryWrite. */
    final AtomicLong ownCopyFromIterCalls;
    final AtomicLong ownCopyToIterCalls;
    final AtomicLong recoveryWriteCalls;

    LinearDevice(String name, long size) {
        this(name, size, new PortableArch(), PersistenceMode.VOLATILE, EnumSet.noneOf(Own.class));
    }

    LinearDevice(String name, long size, Arch arch, PersistenceMode persistence) {
        this(name, size, arch, persistence, EnumSet.noneOf(Own.class));
    }

    LinearDevice(String name, long size, Arch arch, PersistenceMode persistence, Set<Own> own) {
        this(new Ops(name, size, arch, own), arch, persistence);
    }

    private LinearDevice(Ops ops, Arch arch, PersistenceMode persistence) {
        super(new Info(ops.name, DeviceSpec.parse("linear:" + ops.name + "?size=" + ops.memory.byteSize()),
                ops.memory.byteSize(), PAGE_SIZE, persistence, "test device", ops.badBlocks, Duration.ofSeconds(5)),
                arch, ops);
        this.ops = ops;
        this.failPages = ops.failPages;
        this.copyBudget = ops.copyBudget;
        this.flushCalls = ops.flushCalls;
        this.writtenSinceFlush = ops.writtenSinceFlush;
        this.forcedPerFlush = ops.forcedPerFlush;
        this.directAccessCalls = ops.directAccessCalls;
        this.ownCopyFromIterCalls = ops.ownCopyFromIterCalls;
        this.ownCopyToIterCalls = ops.ownCopyToIterCalls;
        this.recoveryWriteCalls = ops.recoveryWriteCalls;
    }

    /** A device like pmem: its own durable copy and zeroPageRange, and any more operations given. */
    static LinearDevice pmemLike(String name, long size, Own... more) {
        EnumSet<Own> own = EnumSet.of(Own.COPY_FROM_ITER, Own.ZERO_PAGE_RANGE);
        own.addAll(Arrays.asList(more));
        return new LinearDevice(name, size, new PortableArch(), PersistenceMode.VOLATILE, own);
    }

    /** The device memory itself, to fill and inspect behind the engine's back. */
    MemorySegment raw() {
        return ops.memory;
    }

    private static final class Ops implements DaxOperations {
        private final String name;
        private final Arch arch;
        private final Set<Own> own;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment memory;
        private final BadBlocks badBlocks;
        final Set<Long> failPages = ConcurrentHashMap.newKeySet();
        final AtomicLong copyBudget = new AtomicLong(-1);
        final AtomicLong flushCalls = new AtomicLong();
        final Set<Long> writtenSinceFlush = ConcurrentHashMap.newKeySet();
        final java.util.List<Set<Long>> forcedPerFlush = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicLong directAccessCalls = new AtomicLong();
        final AtomicLong ownCopyFromIterCalls = new AtomicLong();
        final AtomicLong ownCopyToIterCalls = new AtomicLong();
        final AtomicLong recoveryWriteCalls = new AtomicLong();

        Ops(String name, long size, Arch arch, Set<Own> own) {
            this.name = name;
            this.arch = arch;
            this.own = Set.copyOf(own);
            this.memory = arena.allocate(size, PAGE_SIZE);
            this.badBlocks = new BadBlocks(size / BadBlocks.SECTOR_SIZE);
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            directAccessCalls.incrementAndGet();
            long n = nrPages;
            for (long p = pgoff; p < pgoff + n; p++) {
                if (failPages.contains(p)) {
                    if (p == pgoff) {
                        throw new DaxException(Errno.EIO, name + ": page " + p + " fails (test fault)");
                    }
                    n = p - pgoff; // hand out the good pages before it
                    break;
                }
            }
            long sectorsPerPage = PAGE_SIZE / BadBlocks.SECTOR_SIZE;
            Optional<BadBlocks.Range> bad = badBlocks.check(pgoff * sectorsPerPage, n * sectorsPerPage);
            if (bad.isPresent()) {
                if (mode != DaxAccessMode.RECOVERY_WRITE) {
                    throw new DaxException(Errno.EIO, name + ": pages [" + pgoff + ", +" + n + ") hold bad sector "
                            + bad.get().sector());
                }
                n = Math.max(1, bad.get().sector() / sectorsPerPage - pgoff);
            }
            if (mode != DaxAccessMode.READ) {
                for (long p = pgoff; p < pgoff + n; p++) {
                    writtenSinceFlush.add(p);
                }
            }
            kaddr.set(memory, pgoff * PAGE_SIZE);
            return n;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return own.contains(Own.COPY_FROM_ITER) ? Optional.of(this::copyFromIterFlushcache) : Optional.empty();
        }

        private long copyFromIterFlushcache(MemorySegment mem, long offset, long bytes, IovIter iter) {
            ownCopyFromIterCalls.incrementAndGet();
            long budget = copyBudget.get();
            if (budget >= 0 && bytes > budget) {
                // a fault part-way: copy what the budget allows, then report the short count
                copyBudget.set(0);
                return budget == 0 ? 0 : arch.copyFromIterFlushcache(mem, offset, budget, iter);
            }
            if (budget >= 0) {
                copyBudget.addAndGet(-bytes);
            }
            return arch.copyFromIterFlushcache(mem, offset, bytes, iter);
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return own.contains(Own.COPY_TO_ITER)
                    ? Optional.of((mem, offset, bytes, iter) -> {
                        ownCopyToIterCalls.incrementAndGet();
                        return iter.copyToIter(mem, offset, bytes, MemorySegment::copy);
                    })
                    : Optional.empty();
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return own.contains(Own.ZERO_PAGE_RANGE) ? Optional.of((pgoff, nrPages) ->
                    memory.asSlice(pgoff * PAGE_SIZE, nrPages * PAGE_SIZE).fill((byte) 0)) : Optional.empty();
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            return own.contains(Own.RECOVERY_WRITE) ? Optional.of(this::recover) : Optional.empty();
        }

        /** Writes over poisoned memory and clears the poison of every whole sector written. */
        private long recover(MemorySegment mem, long offset, long bytes, IovIter iter) {
            recoveryWriteCalls.incrementAndGet();
            long done = arch.copyFromIterFlushcache(mem, offset, bytes, iter);
            long first = Math.ceilDiv(offset, BadBlocks.SECTOR_SIZE);
            long end = (offset + done) / BadBlocks.SECTOR_SIZE;
            if (end > first) {
                badBlocks.clear(first, end - first);
            }
            return done;
        }

        @Override
        public void flush() {
            flushCalls.incrementAndGet();
            arch.fence();
            forcedPerFlush.add(Set.copyOf(writtenSinceFlush));
            writtenSinceFlush.clear();
        }

        @Override
        public void release() {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "linear " + name() + " " + Map.of("size", size());
    }
}
