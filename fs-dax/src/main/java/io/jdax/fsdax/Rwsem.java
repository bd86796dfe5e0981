package io.jdax.fsdax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BooleanSupplier;

/**
 * A file's {@code i_rwsem}: shared for reads, exclusive for everything else, not reentrant; biased
 * to the first platform thread that takes it, which then takes and releases it without a locked
 * instruction until a second thread comes.
 * <p>
 * Why: a lock costs two locked instructions per write (the acquire's CAS, the release's fenced
 * store), ~6–7 ns of fs-dax's time per 4 KiB write without the copy ({@code FsDaxOverheadBenchmark}),
 * and on x86 a locked instruction also waits for the non-temporal stores in flight, as a fence does.
 * <p>
 * How: the bias holder marks itself busy with a plain store and then reads whether the bias was
 * revoked; a second thread revokes it once, for good: it sets the flag, runs the process-wide
 * barrier ({@code membarrier(2)}, the device Arch's {@code processBarrier}), which completes the
 * holder's store or makes its read see the flag, waits until the holder is not busy, and from then
 * on every thread, the holder too, takes the {@link StampedLock}. The same handshake as the device
 * core's read side and its one-user check (DESIGN.md C2, C11). Without a process barrier, or for
 * a virtual thread (which may change carriers between its store and its read), there is no bias.
 */
public final class Rwsem {
    /** The stamp of a hold taken through the bias ({@link StampedLock} never returns 0 from a lock). */
    private static final long BIASED = 0;
    /** The bias when nobody may ever hold it (set instead of a revocation when nobody held it yet). */
    private static final Thread NOBODY = Thread.ofVirtual().unstarted(() -> { });

    private static final VarHandle BIAS;
    private static final VarHandle BUSY;
    private static final VarHandle REVOKED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BIAS = l.findVarHandle(Rwsem.class, "bias", Thread.class);
            BUSY = l.findVarHandle(Rwsem.class, "busy", boolean.class);
            REVOKED = l.findVarHandle(Rwsem.class, "revoked", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final StampedLock lock = new StampedLock();
    private final BooleanSupplier processBarrier;
    @SuppressWarnings("unused") // BIAS
    private volatile Thread bias; // null until the first taker; NOBODY once no bias can be had
    @SuppressWarnings("unused") // BUSY: written by the bias holder only
    private boolean busy;
    @SuppressWarnings("unused") // REVOKED
    private volatile boolean revoked;
    private volatile boolean drained; // revoked and the holder seen out: the lock alone decides
    private final Object revoking = new Object();

    /**
     * @param processBarrier the device Arch's process-wide barrier (returns false where there is
     *                       none), or null for no bias
     */
    public Rwsem(BooleanSupplier processBarrier) {
        this.processBarrier = processBarrier;
        if (processBarrier == null) {
            bias = NOBODY;
            drained = true;
        }
    }

    /** Takes the lock exclusively; returns the stamp to {@link #unlock} it with. */
    public long writeLock() {
        return biased() ? BIASED : lock.writeLock();
    }

    /** Takes the lock shared; returns the stamp to {@link #unlock} it with. */
    public long readLock() {
        return biased() ? BIASED : lock.readLock();
    }

    /** Releases a hold taken by {@link #writeLock} or {@link #readLock}, in the thread that took it. */
    public void unlock(long stamp) {
        if (stamp == BIASED) {
            BUSY.setRelease(this, false);
        } else {
            lock.unlock(stamp);
        }
    }

    /** Whether the bias was revoked or never possible: every hold goes through the lock (for tests). */
    public boolean isShared() {
        return drained;
    }

    /** Enters through the bias if the calling thread holds it (taking it if nobody has); else unbiases. */
    private boolean biased() {
        Thread t = Thread.currentThread();
        Object b = BIAS.getAcquire(this);
        if (b == t || (b == null && !t.isVirtual() && BIAS.compareAndSet(this, null, t))) {
            BUSY.setOpaque(this, true);
            if (!(boolean) REVOKED.getAcquire(this)) {
                return true;
            }
            BUSY.setRelease(this, false);
        }
        if (!drained) {
            unbias();
        }
        return false;
    }

    /** Ends the bias for good; returns once no thread holds the lock through it. */
    private void unbias() {
        synchronized (revoking) {
            if (drained) {
                return;
            }
            if (BIAS.compareAndSet(this, null, NOBODY)) {
                drained = true; // nobody ever held the bias
                return;
            }
            revoked = true;
            if (!processBarrier.getAsBoolean()) {
                throw new IllegalStateException("a biased rwsem without a process barrier");
            }
            long pause = 1_000;
            while ((boolean) BUSY.getAcquire(this)) { // the holder is inside: wait for its unlock
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 1_000_000);
            }
            drained = true;
        }
    }
}
