package io.jdax.testkit.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.Set;

/**
 * {@code pmemx:PATH?copy=pmem|cached|seed|nocache|none}: the pmem driver over a plain file,
 * reported as {@link PersistenceMode#CPU_CACHE} (as if mapped with MAP_SYNC, libpmem's
 * {@code PMEM_IS_PMEM_FORCE}) so the simulator's CPU-cache model is the right judge, with its
 * {@code copyFromIter} replaced on demand:
 * <ul>
 *   <li>{@code pmem}: pmem's own durable copy (the default);</li>
 *   <li>{@code cached}: plain cached stores and no write-back, the data-loss bug;</li>
 *   <li>{@code seed}: the seed patch's copy, nocache then a write-back of every line (C4's regression);</li>
 *   <li>{@code nocache}: a plain non-temporal copy, whose cached edges and heap sources are never
 *       written back (the old framework fallback, not durable on a CPU_CACHE device);</li>
 *   <li>{@code none}: no copyFromIter, so writers take the core's fallback (flushcache here).</li>
 * </ul>
 * {@code defect=greedy} makes directAccess answer one page more than asked; {@code defect=overflush}
 * makes flush write the whole device back before pmem's fence, though pmem's copies left no line
 * dirty (pmemcheck's wasted write-backs). {@code scratch=plain} or {@code scratch=arch} makes flush
 * first use the device's first line as scratch space, with plain stores or an Arch memset without
 * write-back, and put its bytes back with plain stores: a line already acknowledged is changed and
 * restored, never written back. Test code only: proves that campaigns and the suite catch what they
 * must, and pins what they cannot.
 * <p>
 * The variant's operations run on a pmem device opened inside it: every page is answered in that
 * device's whole mapping, so a copy's offset is a device position the inner device can be asked
 * about (its own copies, read, zeroing, recovery write and bad blocks).
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
        spec.requireKnownParams(Set.of("copy", "size", "create", "defect", "scratch"));
        String copy = spec.param("copy").orElse("pmem");
        if (!Set.of("pmem", "cached", "seed", "nocache", "none").contains(copy)) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec
                    + "': copy must be pmem, cached, seed, nocache or none");
        }
        String defect = spec.param("defect").orElse("");
        if (!Set.of("", "greedy", "overflush").contains(defect)) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': defect must be greedy or overflush");
        }
        String scratch = spec.param("scratch").orElse("");
        if (!Set.of("", "plain", "arch").contains(scratch)) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': scratch must be plain or arch");
        }
        StringBuilder inner = new StringBuilder("pmem:").append(spec.path());
        String sep = "?";
        for (String p : new String[] {"size", "create"}) {
            if (spec.param(p).isPresent()) {
                inner.append(sep).append(p).append('=').append(spec.param(p).get());
                sep = "&";
            }
        }
        DaxDevice pmem = DaxDevices.open(inner.toString(), arch);
        try {
            DaxDevice.Info info = new DaxDevice.Info("pmemx-" + copy, spec, pmem.size(), pmem.alignment(),
                    PersistenceMode.CPU_CACHE, "test variant: pmem over a plain file, treated as a MAP_SYNC mapping",
                    pmem.badBlocks().orElse(null), DaxDevice.CLOSE_TIMEOUT);
            return new DaxDevice(info, arch, new VariantOps(pmem, arch, copy, defect, scratch));
        } catch (RuntimeException e) {
            pmem.close();
            throw e;
        }
    }

    private static final class VariantOps implements DaxOperations {
        private final DaxDevice pmem;
        private final Arch arch;
        /** The inner device's whole mapping: a kaddr offset in it is a device position. */
        private final MemorySegment memory;
        private final boolean greedy;
        private final boolean overflush;
        private final String scratch;
        private final Optional<CopyFromIter> copyFromIter;

        VariantOps(DaxDevice pmem, Arch arch, String copy, String defect, String scratch) {
            this.pmem = pmem;
            this.arch = arch;
            this.greedy = defect.equals("greedy");
            this.overflush = defect.equals("overflush");
            this.scratch = scratch;
            // WRITE, for writable memory; on a page-cache file the first flush then msyncs it all, once
            DirectAccess all = pmem.directAccess(0, pmem.nrPages(), DaxAccessMode.WRITE);
            if (all.nrPages() != pmem.nrPages()) {
                throw new DaxException(Errno.EIO, "pmemx needs the whole pmem mapping at once, got " + all.nrPages()
                        + " of " + pmem.nrPages() + " pages");
            }
            this.memory = all.addr();
            this.copyFromIter = switch (copy) {
                case "pmem" -> Optional.of((mem, off, bytes, iter) -> pmem.copyFromIter(off, bytes, iter));
                case "cached" -> Optional.of((mem, off, bytes, iter) ->
                        iter.copyFromIter(mem, off, bytes, MemorySegment::copy));
                case "seed" -> Optional.of((MemorySegment mem, long off, long bytes, IovIter iter) -> {
                    long n = arch.copyFromIterNocache(mem, off, bytes, iter);
                    arch.writeback(mem, off, n);
                    return n;
                });
                case "nocache" -> Optional.of(arch::copyFromIterNocache);
                default -> Optional.empty();
            };
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            // pmem's answer: its bad-block rules and its count of pages
            long n = pmem.directAccess(pgoff, nrPages, mode).nrPages();
            if (greedy && pgoff + n < pmem.nrPages()) {
                n++; // the defect: one page more than asked
            }
            kaddr.set(memory, pgoff * DaxDevice.PAGE_SIZE);
            return n;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return copyFromIter;
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return Optional.of((mem, off, bytes, iter) -> pmem.copyToIter(off, bytes, iter));
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return Optional.of(pmem::zeroPageRange);
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            // pmem's core retries a write over a bad sector as pmem's own recovery write
            return Optional.of((mem, off, bytes, iter) -> pmem.copyFromIter(off, bytes, iter));
        }

        @Override
        public void flush() {
            if (!scratch.isEmpty()) {
                byte[] saved = memory.asSlice(0, Arch.CACHE_LINE).toArray(ValueLayout.JAVA_BYTE);
                if (scratch.equals("arch")) {
                    arch.memset(memory, 0, Arch.CACHE_LINE, (byte) 0xEE, Arch.MEM_NOFLUSH);
                } else {
                    memory.asSlice(0, Arch.CACHE_LINE).fill((byte) 0xEE);
                }
                MemorySegment.copy(MemorySegment.ofArray(saved), 0, memory, 0, Arch.CACHE_LINE);
            }
            if (overflush) {
                arch.writeback(memory, 0, memory.byteSize());
            }
            pmem.flush();
        }

        @Override
        public void release() {
            pmem.close();
        }
    }
}
