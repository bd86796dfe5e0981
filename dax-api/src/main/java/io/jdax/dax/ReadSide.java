package io.jdax.dax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A device's read side, the kernel's SRCU-protected {@code dax_read_lock} and {@code kill_dax}:
 * each thread counts its own holds in a {@link Reader} only it writes, so an uncontended
 * {@link #enter} is a store to the thread's own cache line, no shared atomic. {@link #kill} marks
 * the device dead, makes every thread's stores visible, and waits until all counts read zero.
 * <p>
 * The reader stores its count, then loads the dead flag; the killer stores the flag, then loads
 * the counts. Both orders must hold for one of them to see the other. The compiler keeps the
 * reader's (opaque accesses), and the CPU is made to by the killer's process-wide barrier
 * ({@code membarrier(2)}, through the Arch): after it, every running thread has passed a full
 * fence, so a reader either stored before it (the killer sees the count) or loads after it (the
 * reader sees the flag). Where the Arch has no such barrier, readers fence themselves.
 */
final class ReadSide {

    /**
     * One thread's holds on one device, and the {@link Kaddr} its I/O reuses. It is also the
     * {@link DaxReadLock} {@link DaxDevice#readLock()} hands out: no object per lock.
     */
    static final class Reader implements DaxReadLock {
        private long p0, p1, p2, p3, p4, p5, p6; // keep other threads' readers off this line
        int depth; // written by its thread only (DEPTH), read by kill
        final Kaddr kaddr = new Kaddr();
        private long q0, q1, q2, q3, q4, q5, q6;

        @Override
        public void close() {
            exit(this);
        }
    }

    private static final VarHandle DEPTH;
    private static final VarHandle DEAD;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            DEPTH = l.findVarHandle(Reader.class, "depth", int.class);
            DEAD = l.findVarHandle(ReadSide.class, "dead", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Readers of threads that ended holding nothing can never hold anything again: dropped.
    private final PerThread<Reader> readers = new PerThread<>(Reader::new, r -> (int) DEPTH.getAcquire(r) == 0, r -> { });
    private final BooleanSupplier processBarrier;
    private final boolean fenced;
    @SuppressWarnings("unused") // DEAD
    private volatile boolean dead;

    /**
     * @param processBarrier runs a full fence on every thread of the process and returns true,
     *                       or returns false when it cannot (asked once here: then readers fence)
     */
    ReadSide(BooleanSupplier processBarrier) {
        this.processBarrier = processBarrier;
        this.fenced = !processBarrier.getAsBoolean();
    }

    /** Whether readers fence on entry (no process-wide barrier available). */
    boolean fenced() {
        return fenced;
    }

    /** The calling thread's reader, for its held locks and its {@link Kaddr}. */
    Reader reader() {
        return readers.get();
    }

    /**
     * Enters the read side (nested entries count).
     *
     * @return the calling thread's reader, to {@link #exit}
     * @throws DaxException ENXIO (from {@code closed}) once the device is dead
     */
    Reader enter(DaxDevice device) {
        Reader r = reader();
        int d = r.depth;
        if (d > 0) {
            // already inside: close waits for us; only say so if it has begun
            if ((boolean) DEAD.getOpaque(this)) {
                throw device.closed();
            }
            DEPTH.setOpaque(r, d + 1);
            return r;
        }
        DEPTH.setOpaque(r, 1);
        if (fenced) {
            VarHandle.fullFence();
        }
        if ((boolean) DEAD.getOpaque(this)) {
            DEPTH.setRelease(r, 0);
            throw device.closed();
        }
        return r;
    }

    /** Leaves what {@link #enter} entered; the device's memory may go once every reader has left. */
    static void exit(Reader r) {
        int d = r.depth;
        if (d > 0) {
            DEPTH.setRelease(r, d - 1);
        }
    }

    /** Whether the calling thread is inside the read side. */
    boolean held() {
        return reader().depth > 0;
    }

    boolean isAlive() {
        return !dead;
    }

    /**
     * Refuses new readers and waits up to {@code timeout} for the ones inside.
     *
     * @throws DaxException EBUSY naming how many are still inside after the timeout; the side stays
     *                      dead and a later kill waits again
     */
    void kill(DaxDevice device, Duration timeout) {
        dead = true;
        if (!fenced) {
            processBarrier.getAsBoolean();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1_000;
        int inside;
        while ((inside = inside()) != 0) {
            if (held()) {
                throw new DaxException(Errno.EBUSY, "device " + device.name() + " cannot close from a thread that "
                        + "holds its read lock");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new DaxException(Errno.EBUSY, "device " + device.name() + " is still in use by " + inside
                        + " thread(s) in operations or holding read locks after " + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 10_000_000);
        }
    }

    private int inside() {
        int[] n = {0};
        readers.forEach(r -> n[0] += (int) DEPTH.getAcquire(r) != 0 ? 1 : 0);
        return n[0];
    }
}
