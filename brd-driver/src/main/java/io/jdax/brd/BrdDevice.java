package io.jdax.brd;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceGate;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.PageRange;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Optional;

/**
 * An open brd device. {@code directAccess} returns exactly one page per call (brd's pages are not
 * contiguous), which is what exercises every caller's chunk loop. It has no {@code copyFromIter}:
 * writes take the framework's nocache fallback.
 */
public final class BrdDevice implements DaxDevice {
    private final String name;
    private final DeviceSpec spec;
    private final long size;
    private final Arch arch;
    private final DeviceGate gate;
    private final BrdPages pages = new BrdPages();
    private final DaxOperations ops = new Ops();

    BrdDevice(String name, DeviceSpec spec, long size, Arch arch) {
        this.name = name;
        this.spec = spec;
        this.size = size;
        this.arch = arch;
        this.gate = new DeviceGate(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceSpec spec() {
        return spec;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long alignment() {
        return PAGE_SIZE;
    }

    @Override
    public PersistenceMode persistence() {
        return PersistenceMode.VOLATILE;
    }

    @Override
    public String persistenceReason() {
        return "RAM device: nothing survives a restart";
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
    public boolean isAlive() {
        return gate.isAlive();
    }

    @Override
    public DaxReadLock readLock() {
        return gate.lock();
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
    public void close() {
        gate.close(Duration.ofSeconds(30), pages::clear);
    }

    @Override
    public String toString() {
        return "brd " + name + " (" + Sizes.format(size) + ", " + pages.count() + " pages allocated)";
    }

    private final class Ops implements DaxOperations {
        private final Optional<ZeroPageRange> zeroPageRange = Optional.of(this::zero); // made once, asked per I/O

        @Override
        public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
            gate.enter();
            try {
                PageRange.clamp(name, nrPages(), pgoff, nrPages);
                if (mode == DaxAccessMode.READ) {
                    MemorySegment page = pages.lookup(pgoff);
                    // Reading allocates nothing: absent pages read as the shared zero page.
                    return new DirectAccess(page == null ? BrdPages.ZERO_PAGE : page.asReadOnly(), 1);
                }
                return new DirectAccess(pages.allocate(pgoff), 1);
            } finally {
                gate.exit();
            }
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return zeroPageRange;
        }

        private void zero(long pgoff, long nrPages) {
            gate.enter();
            try {
                long n = PageRange.clamp(name, nrPages(), pgoff, nrPages);
                if (n != nrPages) {
                    throw new DaxException(Errno.ERANGE, name + ": pages [" + pgoff + ", +"
                            + nrPages + ") go past the end (" + nrPages() + " pages)");
                }
                pages.free(pgoff, pgoff + nrPages); // a freed page reads as zeros again
            } finally {
                gate.exit();
            }
        }

        @Override
        public void flush() {
            gate.enter();
            gate.exit(); // volatile memory: nothing to make durable, but a closed device still says so
        }
    }
}
