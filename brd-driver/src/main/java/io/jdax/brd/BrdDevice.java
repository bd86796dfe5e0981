package io.jdax.brd;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * An open brd device. {@code directAccess} answers exactly one page per call (brd's pages are not
 * contiguous), which is what exercises every caller's chunk loop. It has no {@code copyFromIter}:
 * writes take the core's fallback copy.
 */
public final class BrdDevice extends DaxDevice {
    private final BrdPages pages;

    BrdDevice(String name, DeviceSpec spec, long size, Arch arch) {
        this(new Info(name, spec, size, PAGE_SIZE, PersistenceMode.VOLATILE, "RAM device: nothing survives a restart"),
                arch, new BrdPages());
    }

    private BrdDevice(Info info, Arch arch, BrdPages pages) {
        super(info, arch, new Ops(pages));
        this.pages = pages;
    }

    /** Pages currently allocated: what the device costs in memory, {@code 4096} bytes each. */
    public long allocatedPages() {
        return pages.count();
    }

    /** Pages allocated since the device was opened, freed ones included. */
    public long pageAllocations() {
        return pages.allocations();
    }

    @Override
    public String toString() {
        return "brd " + name() + " (" + Sizes.format(size()) + ", " + pages.count() + " pages allocated)";
    }

    private static final class Ops implements DaxOperations {
        private final BrdPages pages;
        private final Optional<ZeroPageRange> zeroPageRange = Optional.of(this::zero);

        Ops(BrdPages pages) {
            this.pages = pages;
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            if (mode == DaxAccessMode.READ) {
                MemorySegment page = pages.lookup(pgoff);
                // Reading allocates nothing: absent pages read as the shared zero page.
                kaddr.set(page == null ? BrdPages.ZERO_PAGE : page, 0);
            } else {
                kaddr.set(pages.allocate(pgoff), 0);
            }
            return 1;
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return zeroPageRange;
        }

        private void zero(long pgoff, long nrPages) {
            pages.free(pgoff, pgoff + nrPages); // a freed page reads as zeros again
        }

        @Override
        public void flush() {
            // volatile memory: nothing to make durable
        }

        @Override
        public void release() {
            pages.clear();
        }
    }
}
