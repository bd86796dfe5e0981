package io.jdax.testkit.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;

/**
 * {@code pmemx:PATH?copy=pmem|cached|seed|none}: the pmem driver over a plain file, reported as
 * {@link PersistenceMode#CPU_CACHE} (as if mapped with MAP_SYNC, libpmem's
 * {@code PMEM_IS_PMEM_FORCE}) so the simulator's CPU-cache model is the right judge, with its
 * {@code copyFromIter} replaced on demand:
 * <ul>
 *   <li>{@code pmem}: pmem's own durable copy (the default);</li>
 *   <li>{@code cached}: plain cached stores and no write-back, the data-loss bug;</li>
 *   <li>{@code seed}: the seed patch's copy, nocache then a write-back of every line (C4's regression);</li>
 *   <li>{@code none}: no copyFromIter, so writers take the framework's nocache fallback.</li>
 * </ul>
 * {@code defect=greedy} makes directAccess answer one page more than asked, {@code defect=deaf}
 * makes flush succeed after close. Test code only: proves that campaigns and the suite catch what
 * they must.
 */
public final class PmemVariantDriver implements DaxDriver {

    /** Called by the ServiceLoader. */
    public PmemVariantDriver() {
    }

    @Override
    public String scheme() {
        return "pmemx";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of("copy", "size", "create", "defect"));
        String copy = spec.param("copy").orElse("pmem");
        if (!Set.of("pmem", "cached", "seed", "none").contains(copy)) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': copy must be pmem, cached, seed or none");
        }
        StringBuilder inner = new StringBuilder("pmem:").append(spec.path());
        String sep = "?";
        for (String p : new String[] {"size", "create"}) {
            if (spec.param(p).isPresent()) {
                inner.append(sep).append(p).append('=').append(spec.param(p).get());
                sep = "&";
            }
        }
        return new Variant(DaxDevices.open(inner.toString(), arch), spec, copy, spec.param("defect").orElse(""));
    }

    private static final class Variant implements DaxDevice, DaxOperations {
        private final DaxDevice pmem;
        private final DeviceSpec spec;
        private final String copy;
        private final String defect;

        Variant(DaxDevice pmem, DeviceSpec spec, String copy, String defect) {
            this.pmem = pmem;
            this.spec = spec;
            this.copy = copy;
            this.defect = defect;
        }

        @Override
        public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
            DirectAccess da = pmem.operations().directAccess(pgoff, nrPages, mode);
            if (defect.equals("greedy") && pgoff + da.nrPages() < nrPages()) {
                return pmem.operations().directAccess(pgoff, da.nrPages() + 1, mode);
            }
            return da;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            Arch arch = pmem.arch();
            return switch (copy) {
                case "pmem" -> pmem.operations().copyFromIter();
                case "cached" -> Optional.of((addr, bytes, iter) -> iter.copyFromIter(addr, bytes, MemorySegment::copy));
                case "seed" -> Optional.of((MemorySegment addr, long bytes, IovIter iter) -> {
                    long n = arch.copyFromIterNocache(addr, bytes, iter);
                    arch.writeback(addr, 0, n);
                    return n;
                });
                default -> Optional.empty();
            };
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return pmem.operations().copyToIter();
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return pmem.operations().zeroPageRange();
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            return pmem.operations().recoveryWrite();
        }

        @Override
        public void flush() {
            if (defect.equals("deaf") && !pmem.isAlive()) {
                return;
            }
            pmem.operations().flush();
        }

        @Override
        public String name() {
            return "pmemx-" + copy;
        }

        @Override
        public DeviceSpec spec() {
            return spec;
        }

        @Override
        public long size() {
            return pmem.size();
        }

        @Override
        public long alignment() {
            return pmem.alignment();
        }

        @Override
        public PersistenceMode persistence() {
            return PersistenceMode.CPU_CACHE;
        }

        @Override
        public String persistenceReason() {
            return "test variant: pmem over a plain file, treated as a MAP_SYNC mapping";
        }

        @Override
        public DaxOperations operations() {
            return this;
        }

        @Override
        public Arch arch() {
            return pmem.arch();
        }

        @Override
        public Optional<BadBlocks> badBlocks() {
            return pmem.badBlocks();
        }

        @Override
        public boolean isAlive() {
            return pmem.isAlive();
        }

        @Override
        public DaxReadLock readLock() {
            return pmem.readLock();
        }

        @Override
        public void close() {
            pmem.close();
        }
    }
}
