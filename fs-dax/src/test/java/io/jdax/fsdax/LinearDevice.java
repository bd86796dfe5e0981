package io.jdax.fsdax;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceGate;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PageRange;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test device over one contiguous native block: {@code directAccess} hands out everything asked
 * at once (pmem's shape), with knobs for the cases fs-dax must survive: its own copy operations or
 * none, a page that fails, poisoned sectors with or without a recovery path, a copy that faults
 * after a byte budget, and a persistence mode to report.
 */
final class LinearDevice implements DaxDevice {
    private final String name;
    private final Arch arch;
    private final PersistenceMode persistence;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final DeviceGate gate;
    private final BadBlocks badBlocks;
    private final Ops ops = new Ops();

    /** Knobs, set before use. */
    boolean ownCopyFromIter;
    boolean ownCopyToIter;
    boolean ownZeroPageRange;
    boolean ownRecoveryWrite;
    final Set<Long> failPages = ConcurrentHashMap.newKeySet();
    /** Bytes the device's own copyFromIter may still copy before it faults; negative: no limit. */
    final AtomicLong copyBudget = new AtomicLong(-1);

    final AtomicLong flushCalls = new AtomicLong();
    /** Pages handed out for writing since the last flush: what a page-cache device would msync. */
    final Set<Long> writtenSinceFlush = ConcurrentHashMap.newKeySet();
    /** Each flush's set of forced pages, in order. */
    final java.util.List<Set<Long>> forcedPerFlush = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicLong directAccessCalls = new AtomicLong();

    LinearDevice(String name, long size) {
        this(name, size, new PortableArch(), PersistenceMode.VOLATILE);
    }

    LinearDevice(String name, long size, Arch arch, PersistenceMode persistence) {
        this.name = name;
        this.arch = arch;
        this.persistence = persistence;
        this.memory = arena.allocate(size, PAGE_SIZE);
        this.gate = new DeviceGate(name);
        this.badBlocks = new BadBlocks(size / BadBlocks.SECTOR_SIZE);
    }

    /** A device like pmem: its own durable copy and zeroPageRange. */
    static LinearDevice pmemLike(String name, long size) {
        LinearDevice d = new LinearDevice(name, size);
        d.ownCopyFromIter = true;
        d.ownZeroPageRange = true;
        return d;
    }

    /** The device memory itself, to fill and inspect behind the engine's back. */
    MemorySegment raw() {
        return memory;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceSpec spec() {
        return DeviceSpec.parse("linear:" + name + "?size=" + memory.byteSize());
    }

    @Override
    public long size() {
        return memory.byteSize();
    }

    @Override
    public long alignment() {
        return PAGE_SIZE;
    }

    @Override
    public PersistenceMode persistence() {
        return persistence;
    }

    @Override
    public String persistenceReason() {
        return "test device";
    }

    @Override
    public DaxOperations operations() {
        return ops;
    }

    @Override
    public Arch arch() {
        return arch;
    }

    @Override
    public Optional<BadBlocks> badBlocks() {
        return Optional.of(badBlocks);
    }

    @Override
    public boolean isAlive() {
        return gate.isAlive();
    }

    @Override
    public DaxReadLock readLock() {
        return gate.lock();
    }

    @Override
    public void close() {
        if (gate.kill(Duration.ofSeconds(5))) {
            arena.close();
        }
    }

    private final class Ops implements DaxOperations {
        @Override
        public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
            gate.enter();
            try {
                directAccessCalls.incrementAndGet();
                long n = PageRange.clamp(name, nrPages(), pgoff, nrPages);
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
                MemorySegment addr = memory.asSlice(pgoff * PAGE_SIZE, n * PAGE_SIZE);
                if (mode != DaxAccessMode.READ) {
                    for (long p = pgoff; p < pgoff + n; p++) {
                        writtenSinceFlush.add(p);
                    }
                }
                return new DirectAccess(mode == DaxAccessMode.READ ? addr.asReadOnly() : addr, n);
            } finally {
                gate.exit();
            }
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return ownCopyFromIter ? Optional.of(this::copyFromIterFlushcache) : Optional.empty();
        }

        private long copyFromIterFlushcache(MemorySegment addr, long bytes, IovIter iter) {
            long budget = copyBudget.get();
            if (budget >= 0 && bytes > budget) {
                // a fault part-way: copy what the budget allows, then report the short count
                copyBudget.set(0);
                return budget == 0 ? 0 : arch.copyFromIterFlushcache(addr.asSlice(0, budget), budget, iter);
            }
            if (budget >= 0) {
                copyBudget.addAndGet(-bytes);
            }
            return arch.copyFromIterFlushcache(addr, bytes, iter);
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return ownCopyToIter ? Optional.of((addr, bytes, iter) -> iter.copyToIter(addr, bytes)) : Optional.empty();
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return ownZeroPageRange ? Optional.of((pgoff, nrPages) -> {
                gate.enter();
                try {
                    PageRange.clamp(name, nrPages(), pgoff, nrPages);
                    memory.asSlice(pgoff * PAGE_SIZE, nrPages * PAGE_SIZE).fill((byte) 0);
                } finally {
                    gate.exit();
                }
            }) : Optional.empty();
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            return ownRecoveryWrite ? Optional.of(this::recover) : Optional.empty();
        }

        /** Writes over poisoned memory and clears the poison of every whole sector written. */
        private long recover(MemorySegment addr, long bytes, IovIter iter) {
            long devOff = addr.address() - memory.address();
            long done = arch.copyFromIterFlushcache(addr, bytes, iter);
            long first = Math.ceilDiv(devOff, BadBlocks.SECTOR_SIZE);
            long end = (devOff + done) / BadBlocks.SECTOR_SIZE;
            if (end > first) {
                badBlocks.clear(first, end - first);
            }
            return done;
        }

        @Override
        public void flush() {
            gate.enter();
            try {
                flushCalls.incrementAndGet();
                arch.fence();
                forcedPerFlush.add(Set.copyOf(writtenSinceFlush));
                writtenSinceFlush.clear();
            } finally {
                gate.exit();
            }
        }
    }

    @Override
    public String toString() {
        return "linear " + name + " " + Map.of("size", size());
    }
}
