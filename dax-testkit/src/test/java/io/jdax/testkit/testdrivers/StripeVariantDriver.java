package io.jdax.testkit.testdrivers;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;

/**
 * {@code stripex:NAME?size=SIZE&files=N&unit=UNIT&defect=...}: examples/stripe-driver's layout
 * (pages round {@code N} pieces of memory a unit at a time, {@code directAccess} to the end of a
 * unit) over native memory instead of files, reported {@link PersistenceMode#CPU_CACHE} (as the
 * example's emulated mode), with the defects the conformance suite must catch:
 * <ul>
 *   <li>{@code alias-end}: the last page is answered with the memory of the page before it (an
 *       offset off by one near the end);</li>
 *   <li>{@code greedy}: one page more than asked;</li>
 *   <li>{@code shared-bounce}: its own {@code copyFromIter} stages every copy in one buffer shared
 *       by all callers;</li>
 *   <li>{@code locked-bounce}: the same buffer behind a lock: slow, and correct;</li>
 *   <li>none (the default): the example's own code.</li>
 * </ul>
 * Test code only.
 */
public final class StripeVariantDriver implements DaxDriver {
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    /** Called by the ServiceLoader. */
    public StripeVariantDriver() {
    }

    @Override
    public String scheme() {
        return "stripex";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of("size", "files", "unit", "defect"));
        long size = spec.size("size").orElseThrow(() -> new DaxException(Errno.EINVAL, spec + ": size is required"));
        int files = Integer.parseInt(spec.param("files").orElse("4"));
        long unit = spec.size("unit").orElse(64 * 1024L);
        String defect = spec.param("defect").orElse("");
        if (size <= 0 || size % PAGE != 0 || files < 1 || unit < PAGE || Long.bitCount(unit) != 1
                || !Set.of("", "alias-end", "greedy", "shared-bounce", "locked-bounce").contains(defect)) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': bad size, files, unit or defect");
        }
        if (!arch.hasCacheWriteback()) {
            throw new DaxException(Errno.EOPNOTSUPP, "device spec '" + spec + "': the " + arch.name()
                    + " Arch cannot write cache lines back");
        }
        long fileSize = Math.ceilDiv(size, files * unit) * unit;
        Arena arena = Arena.ofShared();
        MemorySegment[] pieces = new MemorySegment[files];
        for (int i = 0; i < files; i++) {
            pieces[i] = arena.allocate(fileSize, PAGE);
        }
        DaxDevice.Info info = new DaxDevice.Info("stripex-" + (defect.isEmpty() ? "sound" : defect), spec, size, PAGE,
                PersistenceMode.CPU_CACHE, "test variant: native memory treated as persistent memory");
        return new DaxDevice(info, arch, new Ops(arena, pieces, unit / PAGE, size / PAGE, arch, defect));
    }

    private static final class Ops implements DaxOperations {
        private final Arena arena;
        private final MemorySegment[] pieces;
        private final long unitPages;
        private final long nrPages;
        private final Arch arch;
        private final String defect;
        private final MemorySegment bounce;
        private final Optional<CopyFromIter> copy;

        Ops(Arena arena, MemorySegment[] pieces, long unitPages, long nrPages, Arch arch, String defect) {
            this.arena = arena;
            this.pieces = pieces;
            this.unitPages = unitPages;
            this.nrPages = nrPages;
            this.arch = arch;
            this.defect = defect;
            this.bounce = arena.allocate(unitPages * PAGE, 64);
            this.copy = switch (defect) {
                case "shared-bounce" -> Optional.of(this::bounced);
                case "locked-bounce" -> Optional.of((mem, off, bytes, iter) -> {
                    synchronized (bounce) {
                        return bounced(mem, off, bytes, iter);
                    }
                });
                default -> Optional.empty();
            };
        }

        /** Stages the chunk in the one buffer, then copies it durably to the device. */
        private long bounced(MemorySegment mem, long off, long bytes, IovIter iter) {
            long n = iter.copyFromIter(bounce, 0, bytes, MemorySegment::copy);
            arch.copyFlushcache(bounce, 0, mem, off, n);
            return n;
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            long page = defect.equals("alias-end") && pgoff == this.nrPages - 1 ? pgoff - 1 : pgoff;
            long unit = page / unitPages;
            long inUnit = page % unitPages;
            kaddr.set(pieces[(int) (unit % pieces.length)], ((unit / pieces.length) * unitPages + inUnit) * PAGE);
            long n = Math.min(nrPages, unitPages - inUnit);
            return defect.equals("greedy") ? n + 1 : n;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return copy;
        }

        @Override
        public void flush() {
            arch.fence();
        }

        @Override
        public void release() {
            arena.close();
        }
    }
}
