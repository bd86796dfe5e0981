package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An Arch that makes the suite's concurrency deterministic: it delegates every primitive to the
 * Arch the device would have had, but the threads the check names stop at each store into
 * memory (a copy, {@code memset}, {@code memmove}) until the others arrive too, or until one of
 * them is let go. Every driver copies through its Arch (C3), so this is the one place inside a
 * driver's copy the suite can hold a thread: two writers meet there after both have done what
 * comes before, whatever the scheduler would have done.
 * <p>
 * A driver that serializes its copies (a lock around a shared buffer) keeps the second writer
 * out: the first waits {@link #patience} for it, then the meeting is called off for good and
 * every thread runs free (a lock is correct; the check then proves nothing more, and costs one
 * wait).
 */
final class MeetingArch implements Arch {
    private final Arch inner;
    private final Duration patience;
    private final Set<Thread> members = ConcurrentHashMap.newKeySet();
    private volatile CyclicBarrier barrier;
    private volatile boolean calledOff;
    private volatile CountDownLatch entered;
    private volatile CountDownLatch release;

    MeetingArch(Arch inner, Duration patience) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.patience = Objects.requireNonNull(patience, "patience");
    }

    /** The threads that meet from now on, all of them at each store. */
    void meet(Thread... threads) {
        members.clear();
        members.addAll(Set.of(threads));
        barrier = new CyclicBarrier(threads.length);
    }

    /** Whether a member gave up waiting for the others (a driver that serializes its copies). */
    boolean calledOff() {
        return calledOff;
    }

    /**
     * Holds {@code thread} at its next store until {@link #letGo()}: the returned latch opens when
     * it has arrived there.
     */
    CountDownLatch hold(Thread thread) {
        members.clear();
        barrier = null;
        CountDownLatch in = new CountDownLatch(1);
        entered = in;
        release = new CountDownLatch(1);
        members.add(thread);
        return in;
    }

    /** Lets the held thread go on. */
    void letGo() {
        CountDownLatch r = release;
        if (r != null) {
            r.countDown();
        }
    }

    private void arrive() {
        Thread t = Thread.currentThread();
        if (!members.contains(t)) {
            return;
        }
        CountDownLatch r = release;
        if (r != null) {
            members.remove(t); // once: the call in flight is held, nothing else
            entered.countDown();
            try {
                if (!r.await(patience.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new AssertionError("a thread held inside the device's copy was never let go");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        CyclicBarrier b = barrier;
        if (b == null || calledOff) {
            return;
        }
        try {
            b.await(patience.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | BrokenBarrierException e) {
            calledOff = true;
        } catch (InterruptedException e) {
            calledOff = true;
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Map<String, String> features() {
        return inner.features();
    }

    @Override
    public boolean hasCacheWriteback() {
        return inner.hasCacheWriteback();
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        arrive();
        inner.copyNocache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        arrive();
        inner.copyFlushcache(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        arrive();
        inner.copyMc(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void memset(MemorySegment dst, long offset, long bytes, byte value, int flags) {
        arrive();
        inner.memset(dst, offset, bytes, value, flags);
    }

    @Override
    public void memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes,
                        int flags) {
        arrive();
        inner.memmove(dst, dstOffset, src, srcOffset, bytes, flags);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        inner.writeback(segment, offset, bytes);
    }

    @Override
    public void fence() {
        inner.fence();
    }

    @Override
    public boolean processBarrier() {
        return inner.processBarrier();
    }

    @Override
    public String toString() {
        return "MeetingArch[" + inner + "]";
    }
}
