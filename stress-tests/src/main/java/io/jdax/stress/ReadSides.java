package io.jdax.stress;

import io.jdax.arch.Arch;
import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import io.jdax.x86.NativeArchProvider;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The two halves of the read side's Dekker pair, through {@link DaxDevice}'s public API: a
 * reader's {@link DaxDevice#readLock()} (store its count, load the dead flag) and the first step of
 * {@link DaxDevice#close()} (store the flag, process barrier, load the counts). The device closes
 * with a zero timeout, so close does not wait: it returns when it saw no reader and throws EBUSY
 * when it saw one.
 */
final class ReadSides {
    static final String ENTERED = "entered";
    static final String REFUSED = "refused";
    static final String SAW_READER = "saw reader";
    static final String SAW_NONE = "saw none";

    private static final DeviceSpec SPEC = DeviceSpec.parse("stress:readside");

    private ReadSides() {
    }

    /** A one-page device whose read side uses {@code arch}'s process barrier; it never touches memory. */
    static DaxDevice device(Arch arch) {
        DaxDevice.Info info = new DaxDevice.Info("stress", SPEC, DaxDevice.PAGE_SIZE, DaxDevice.PAGE_SIZE,
                PersistenceMode.VOLATILE, "stress test", null, Duration.ZERO);
        return new DaxDevice(info, arch, new DaxOperations() {
            @Override
            public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
                throw new UnsupportedOperationException("the read-side tests never access memory");
            }

            @Override
            public void flush() {
            }
        });
    }

    /**
     * Takes and releases a read lock on the calling thread, registering it with the device's read
     * side. jcstress builds a state on one of the actors' threads (each rebuilds its share), so for
     * about half the states the reader's thread is registered before the race and its
     * {@code readLock()} is the steady-state path, a store and a load with nothing between; for the
     * rest it is a thread's first entry, which registers under the read side's lock.
     */
    static void warm(DaxDevice device) {
        device.readLock().close();
    }

    /**
     * Cache lines both actors touch just before their halves: the killer loads them, then the
     * reader stores to them, which must first take each line back from the killer's core. The
     * reader enters with those stores pending, as a thread that was just writing memory does (the
     * read side's reason to take no fence is to let such stores drain in the background). x86
     * commits stores in order, so the reader's count waits behind them while its load of the dead
     * flag goes ahead: the store->load reordering the read side must survive, made likely. Without
     * them the broken variant was not caught in 1.6 million samples; with eight, in about 1 of 150.
     */
    static final class PendingStores {
        private static final int LINES = 8;
        private static final int STRIDE = 16; // longs: two cache lines apart, out of adjacent-line prefetch
        private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
        private final long[] slots = new long[(LINES + 1) * STRIDE];

        /** The reader's stores. */
        void store() {
            for (int i = 1; i <= LINES; i++) {
                SLOT.setOpaque(slots, i * STRIDE, 1L);
            }
        }

        /** The killer's loads, which bring the lines to its core. */
        void load() {
            long sum = 0;
            for (int i = 1; i <= LINES; i++) {
                sum += (long) SLOT.getOpaque(slots, i * STRIDE);
            }
            if (sum < 0) {
                throw new AssertionError(sum); // uses the loads
            }
        }
    }

    /** The reader: takes a read lock and keeps it (the device is dropped with the test's state). */
    static String enter(DaxDevice device) {
        try {
            device.readLock();
            return ENTERED;
        } catch (DaxException e) {
            if (e.errno() == Errno.ENXIO) {
                return REFUSED;
            }
            throw e;
        }
    }

    /** The killer: close with a zero timeout; EBUSY says it saw the reader's count. */
    static String kill(DaxDevice device) {
        try {
            device.close();
            return SAW_NONE;
        } catch (DaxException e) {
            if (e.errno() == Errno.EBUSY) {
                return SAW_READER;
            }
            throw e;
        }
    }

    /** The portable Arch with the given process barrier. */
    static Arch withBarrier(BooleanSupplier barrier) {
        return new BarrierArch(new PortableArch(), barrier);
    }

    /** native-x86's Arch, whose process barrier is membarrier(2); fails when that is not on offer. */
    static Arch membarrier() {
        return Native.ARCH;
    }

    private static final class Native {
        static final Arch ARCH = load();

        private static Arch load() {
            Arch a = new NativeArchProvider().load();
            if (!a.processBarrier()) {
                throw new IllegalStateException("native-x86 loaded but membarrier(PRIVATE_EXPEDITED) is not offered: "
                        + a.features().get("process barrier"));
            }
            return a;
        }
    }

    /** An Arch that is {@code base} except for its process barrier. */
    private record BarrierArch(Arch base, BooleanSupplier barrier) implements Arch {
        @Override
        public String name() {
            return base.name() + "+barrier";
        }

        @Override
        public Map<String, String> features() {
            return base.features();
        }

        @Override
        public boolean hasCacheWriteback() {
            return base.hasCacheWriteback();
        }

        @Override
        public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            base.copyNocache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
            base.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
        }

        @Override
        public void writeback(MemorySegment segment, long offset, long bytes) {
            base.writeback(segment, offset, bytes);
        }

        @Override
        public void fence() {
            base.fence();
        }

        @Override
        public boolean processBarrier() {
            return barrier.getAsBoolean();
        }

        @Override
        public long copyToIterMc(MemorySegment src, long srcOffset, long bytes, IovIter iter) {
            return base.copyToIterMc(src, srcOffset, bytes, iter);
        }
    }
}
