package io.jdax.dax;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One value per thread for one owner (a device's readers, an engine's counters), found by the
 * calling thread without a {@link ThreadLocal}: an open-addressed table keyed by the thread, read
 * with plain loads and replaced whole when a thread registers. A {@code ThreadLocal.get()} walks
 * the thread's weak-keyed map: it was ~13 of the device core's ~42 ns per write + flush
 * (JFR, {@code FsDaxOverheadBenchmark}).
 * <p>
 * Values of threads that have ended are dropped when the table grows, once {@code idle} says
 * nothing can read them any more; {@code retired} hears of each first (to fold counts into a
 * total). Registration, dropping and {@link #forEach} run under this object's monitor, so a caller
 * that also synchronizes on it sees a value either in the table or retired, never both or neither.
 *
 * @param <T> the value
 */
public final class PerThread<T> {

    private static final VarHandle TABLE;

    static {
        try {
            TABLE = MethodHandles.lookup().findVarHandle(PerThread.class, "table", Object[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int MIN = 16;

    private final Supplier<T> create;
    private final Predicate<T> idle;
    private final Consumer<T> retired;
    // Pairs: a thread at [2i], its value at [2i + 1], side by side on one line. Written under
    // this, then published whole (TABLE, release); read with acquire.
    @SuppressWarnings("unused") // TABLE
    private Object[] table = new Object[2 * MIN];
    private int registered; // guarded by this: the pairs in table
    // The first thread to register and its value, for a lookup that is one compare. Plain fields:
    // a thread that reads itself in firstOwner wrote it, so it sees its first too.
    private Thread firstOwner;
    private T first;

    /**
     * @param create  makes the calling thread's value on its first {@link #get()}, in that thread
     * @param idle    whether the value of a thread that has ended may be dropped
     * @param retired hears of each value before it is dropped
     */
    public PerThread(Supplier<T> create, Predicate<T> idle, Consumer<T> retired) {
        this.create = Objects.requireNonNull(create, "create");
        this.idle = Objects.requireNonNull(idle, "idle");
        this.retired = Objects.requireNonNull(retired, "retired");
    }

    /** The calling thread's value, made on its first call. */
    @SuppressWarnings("unchecked")
    public T get() {
        Thread t = Thread.currentThread();
        if (firstOwner == t) {
            return first;
        }
        return lookup(t);
    }

    @SuppressWarnings("unchecked")
    private T lookup(Thread t) {
        Object[] tab = (Object[]) TABLE.getAcquire(this);
        int mask = (tab.length >> 1) - 1;
        for (int i = slot(t, mask); ; i = (i + 1) & mask) {
            Object owner = tab[2 * i];
            if (owner == t) {
                return (T) tab[2 * i + 1];
            }
            if (owner == null) {
                return register(t);
            }
        }
    }

    /** Hands every value in the table to {@code action}, under this object's monitor. */
    @SuppressWarnings("unchecked")
    public synchronized void forEach(Consumer<? super T> action) {
        Object[] tab = table;
        for (int i = 0; i < tab.length; i += 2) {
            if (tab[i] != null) {
                action.accept((T) tab[i + 1]);
            }
        }
    }

    /** Values in the table, of live threads and of ended ones not yet dropped (for tests). */
    public synchronized int size() {
        return registered;
    }

    private static int slot(Thread t, int mask) {
        return (int) ((t.threadId() * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    @SuppressWarnings("unchecked")
    private synchronized T register(Thread t) {
        Object[] tab = table;
        for (int i = 0; i < tab.length; i += 2) {
            if (tab[i] == t) {
                return (T) tab[i + 1]; // registered since this thread read the table
            }
        }
        T mine = create.get();
        if (firstOwner == null) {
            first = mine;
            firstOwner = t; // after first: see firstOwner
        }
        // Past half full: a table for the values kept, at most a quarter full, without the values
        // of threads that have ended, if idle (an ended thread cannot come back).
        int pairs = tab.length >> 1;
        boolean sweep = (registered + 1) * 2 > pairs;
        int kept = 0;
        if (sweep) {
            for (int i = 0; i < tab.length; i += 2) {
                kept += tab[i] != null && kept((Thread) tab[i], (T) tab[i + 1]) ? 1 : 0;
            }
            pairs = Math.max(MIN, Integer.highestOneBit((kept + 1) * 4 - 1) << 1);
        }
        Object[] next = new Object[2 * pairs];
        int n = 0;
        for (int i = 0; i < tab.length; i += 2) {
            if (tab[i] == null) {
                continue;
            }
            T v = (T) tab[i + 1];
            if (!sweep || kept((Thread) tab[i], v)) {
                put(next, (Thread) tab[i], v);
                n++;
            } else {
                retired.accept(v);
            }
        }
        put(next, t, mine);
        registered = n + 1;
        TABLE.setRelease(this, next);
        return mine;
    }

    private boolean kept(Thread owner, T value) {
        return owner.isAlive() || !idle.test(value);
    }

    private static void put(Object[] tab, Thread owner, Object value) {
        int mask = (tab.length >> 1) - 1;
        int i = slot(owner, mask);
        while (tab[2 * i] != null) {
            i = (i + 1) & mask;
        }
        tab[2 * i] = owner;
        tab[2 * i + 1] = value;
    }
}
