package io.jdax.dax;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The close-while-busy rules of {@link DaxDevice} for driver authors, the kernel's
 * {@code dax_read_lock}/{@code kill_dax} pair: every operation {@link #enter() enters} and
 * {@link #exit() exits}; {@link #kill} refuses new entries and waits for the ones in flight, after
 * which the driver may release its memory.
 * <pre>{@code
 * gate.enter();
 * try { ... touch device memory ... } finally { gate.exit(); }
 * }</pre>
 * One atomic add per enter and per exit; entries nest.
 */
public final class DeviceGate {
    private static final long DEAD = 1L << 62;

    private final String deviceName;
    private final AtomicLong state = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

    /** A gate for the device of that name (used in error messages). */
    public DeviceGate(String deviceName) {
        this.deviceName = deviceName;
    }

    /**
     * Enters the gate.
     *
     * @throws DaxException ENXIO if the device is closed or closing
     */
    public void enter() {
        if ((state.incrementAndGet() & DEAD) != 0) {
            state.decrementAndGet();
            throw closed();
        }
    }

    /** Leaves the gate; pairs with a successful {@link #enter()}. */
    public void exit() {
        state.decrementAndGet();
    }

    /** Enters and returns a lock whose {@code close()} exits, for try-with-resources. */
    public DaxReadLock lock() {
        enter();
        return new DaxReadLock() {
            private boolean open = true;

            @Override
            public void close() {
                if (open) {
                    open = false;
                    exit();
                }
            }
        };
    }

    /** False once {@link #kill} has begun. */
    public boolean isAlive() {
        return (state.get() & DEAD) == 0;
    }

    /**
     * Refuses new entries and waits up to {@code timeout} for those in flight.
     *
     * @return true if this call killed the gate, false if it was already dead
     * @throws DaxException EBUSY if entries remain after the timeout; the gate stays dead and a
     *                      later {@code kill} waits again
     */
    public boolean kill(Duration timeout) {
        long before = state.getAndUpdate(s -> s | DEAD);
        boolean first = (before & DEAD) == 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1_000;
        while ((state.get() & ~DEAD) != 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new DaxException(Errno.EBUSY, "device " + deviceName + " is still in use by "
                        + (state.get() & ~DEAD) + " operation(s) or read lock(s) after " + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 10_000_000);
        }
        return first;
    }

    /**
     * A device's {@code close()}: {@link #kill} the gate, then run {@code release} (unmap, free)
     * exactly once, by whichever call first finds the gate drained — also when an earlier close
     * gave up with EBUSY and this one is the retry.
     *
     * @throws DaxException EBUSY as {@link #kill}; {@code release} has then not run
     */
    public void close(Duration timeout, Runnable release) {
        kill(timeout);
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }

    /** The exception for a call on a closed device. */
    public DaxException closed() {
        return new DaxException(Errno.ENXIO, "device " + deviceName + " is closed");
    }
}
