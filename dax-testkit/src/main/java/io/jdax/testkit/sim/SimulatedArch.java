package io.jdax.testkit.sim;

import io.jdax.arch.Arch;
import io.jdax.arch.ArchProvider;
import io.jdax.arch.MemoryFaultException;
import io.jdax.arch.Ranges;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The power-fail simulator's CPU (contract C9): an {@link Arch} that copies like a real one and
 * keeps, for the device memory it was told to {@link #track}, the media model of
 * {@link SimulatedMedia}. A device opened with it ({@code DaxDevices.open(spec, simulatedArch)},
 * or {@code -Djdax.arch=simulated}) runs its normal code; {@link SimulatedMedia#crash} then says
 * what would survive a power failure at that moment.
 * <p>
 * How it stores, at 64-byte line granularity (PMDK's flavour of the kernel's primitives):
 * <ul>
 *   <li>{@link #copyNocache}: from native memory, whole lines non-temporally (pending), partial
 *       lines with cached stores (dirty); from heap memory, everything cached (dirty).</li>
 *   <li>{@link #copyFlushcache}: from native memory, whole lines non-temporally and partial lines
 *       cached then written back; from heap memory, every line cached then written back.</li>
 *   <li>{@link #memset}, {@link #memmove}: cached stores (dirty), then per their flags a
 *       write-back of every line and a fence, as {@link Arch}'s defaults do.</li>
 *   <li>{@link #copyMc}: cached stores (dirty); it writes into device memory only as
 *       {@link #copyEadr}'s small copies.</li>
 *   <li>{@link #writeback}: pending with the content of the moment, and counted per line; a
 *       write-back of a line with no cached store since it was last made pending or persistent
 *       is counted as redundant (C4), and takes over no other thread's pending write-back.</li>
 *   <li>{@link #fence}: the lines the calling thread wrote back or stored non-temporally become
 *       persistent; other threads' stay pending, as an sfence orders only its own core's. On
 *       media whose {@link PersistenceDomain} is {@code CPU_CACHE} (eADR), every line does, dirty
 *       or not, whichever thread stored it.</li>
 *   <li>{@link #processBarrier}: {@code membarrier(2)}: every thread's pending lines become
 *       persistent (the device core runs it when a second thread starts using a device).</li>
 * </ul>
 * A device's memory is tracked in the domain its persistence mode implies:
 * {@link io.jdax.dax.PersistenceMode#PERSISTENT_CACHE} devices in {@code CPU_CACHE}, all others in
 * {@code MEMORY_CONTROLLER}.
 * <p>
 * <b>What it cannot see.</b> The simulator keeps a line's contents only from its own calls on
 * that line, and a crash reads the memory as it is at that moment: plain stores into a mapping
 * are seen only by what they leave there at the next call or crash. A line a program changes with
 * plain stores and changes back before either, without a write-back (an acknowledged line zeroed
 * and rewritten with the same bytes, or used as scratch space and restored), looks untouched,
 * though a real cache may have evicted it in between and the media then holds the intermediate
 * bytes. No crash image has them, in either {@link CrashModel}, and
 * {@link SimulatedMedia#pmemcheck()} does not report the line. Cached stores through this Arch
 * ({@link #copyNocache}'s cached lines, {@link #memset}, {@link #memmove}, {@link #copyMc}) are
 * seen: the content each leaves stays a possible survivor of the line in
 * {@link SimulatedMedia#crash} until the line is written back and fenced, and the line is dirty
 * for {@link SimulatedMedia#pmemcheck()} until it is written back or, on eADR media, fenced, so
 * the same scratch made through the Arch shows.
 * <p>
 * {@link SimulatedMedia#pmemcheck()} reports what pmemcheck would: write-backs that covered no
 * dirty line, and lines left dirty, with stacks when {@link #STACKS_PROPERTY} or the constructor
 * asks for them.
 * <p>
 * Memory that is not tracked is copied correctly and otherwise ignored, so the Arch can serve
 * any program. Thread-safe: operations on tracked memory are serialized.
 */
public final class SimulatedArch implements Arch {

    /** The provider name, for {@code -Djdax.arch=simulated}. */
    public static final String NAME = "simulated";

    /**
     * {@code jdax.sim.stacks=true}: simulators made without saying capture the caller's stack at
     * each cached store and write-back into tracked memory, for the entries of
     * {@link SimulatedMedia#pmemcheck()}. Off by default: a stack per call is slow.
     */
    public static final String STACKS_PROPERTY = "jdax.sim.stacks";

    /** The most memory one {@link SimulatedMedia} can track (it keeps a persistent copy on the heap). */
    public static final long MAX_TRACKED = 1L << 30;

    /** What a tracked operation was, for a {@link Listener}. */
    public enum Kind {
        /** {@link #copyNocache} into tracked memory. */
        COPY_NOCACHE,
        /** {@link #copyFlushcache} into tracked memory. */
        COPY_FLUSHCACHE,
        /** The cached stores of {@link #memset}, {@link #memmove} or {@link #copyMc} into tracked memory. */
        STORE,
        /** {@link #writeback} of tracked memory. */
        WRITEBACK,
        /** {@link #fence}. */
        FENCE
    }

    /**
     * One operation on tracked memory, reported after it took effect.
     *
     * @param kind         what it was
     * @param media        the memory it touched, null for a fence
     * @param deviceOffset the device offset of the first byte touched (0 for a fence)
     * @param bytes        how many bytes (0 for a fence)
     */
    public record Event(Kind kind, SimulatedMedia media, long deviceOffset, long bytes) {
    }

    /**
     * Told of every operation on tracked memory, after the fact and outside the simulator's lock:
     * the crash points of a campaign. It may call {@link SimulatedMedia#crash} from there.
     */
    @FunctionalInterface
    public interface Listener {
        /** Called after each operation on tracked memory. */
        void event(Event event);
    }

    final Object lock = new Object();
    private final TreeMap<Long, SimulatedMedia.Region> nativeIndex = new TreeMap<>();
    private final Map<Object, TreeMap<Long, SimulatedMedia.Region>> heapIndex = new IdentityHashMap<>();
    private final List<SimulatedMedia> media = new ArrayList<>();
    private final Listener listener;
    private final boolean captureStacks;
    private volatile boolean tracking;
    private volatile boolean barrier = true; // see withoutProcessBarrier

    /** A simulator with no listener. */
    public SimulatedArch() {
        this(null);
    }

    /**
     * A simulator that reports every operation on tracked memory to {@code listener} (may be
     * null), capturing stacks if {@link #STACKS_PROPERTY} says so.
     */
    public SimulatedArch(Listener listener) {
        this(listener, Boolean.getBoolean(STACKS_PROPERTY));
    }

    /**
     * A simulator that reports every operation on tracked memory to {@code listener} (may be
     * null) and, if {@code captureStacks}, keeps the caller's stack for each entry of
     * {@link SimulatedMedia#pmemcheck()}.
     */
    public SimulatedArch(Listener listener, boolean captureStacks) {
        this.listener = listener;
        this.captureStacks = captureStacks;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> features() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("model", "64-byte lines: dirty, pending (written back or non-temporal), persistent (fenced)");
        f.put("copyNocache", "non-temporal whole lines from native sources, cached otherwise");
        f.put("copyFlushcache", "non-temporal whole lines from native sources; cached + write-back for partial lines"
                + " and heap sources");
        f.put("memset/memmove", "cached stores, seen; then write-back and fence per the flags");
        f.put("copyMc", "cached stores, seen when into tracked memory (copyEadr's small copies)");
        f.put("writeback", "counted per line; redundant write-backs reported (C4)");
        f.put("fence", "persists the write-backs and non-temporal stores of the calling thread only");
        f.put("crash", "seeded choice per unfenced line (LINE) or per 8-byte word (WORD8)");
        f.put("eADR", "media of PERSISTENT_CACHE devices: a fence makes every earlier store persistent");
        return f;
    }

    @Override
    public boolean hasCacheWriteback() {
        return true;
    }

    // ---- tracking

    /** Tracks the whole memory of a device: {@link #track(DaxDevice, long, long)} from page 0. */
    public SimulatedMedia track(DaxDevice device) {
        return track(device, 0, device.nrPages());
    }

    /**
     * Starts simulating {@code nrPages} pages of a device's memory from {@code pgoff}, obtained
     * through its {@code directAccess} (WRITE mode; brd allocates its pages then). What the
     * memory holds now counts as persistent. The device must stay open while it is tracked. The
     * media's {@link PersistenceDomain} is {@code CPU_CACHE} for a
     * {@link io.jdax.dax.PersistenceMode#PERSISTENT_CACHE} device, else {@code MEMORY_CONTROLLER}.
     *
     * @throws DaxException EEXIST if part of that memory is already tracked; EINVAL if it is
     *                      larger than {@link #MAX_TRACKED}; whatever {@code directAccess} throws
     */
    @SuppressWarnings("try") // the read lock is held, not called
    public SimulatedMedia track(DaxDevice device, long pgoff, long nrPages) {
        Objects.requireNonNull(device, "device");
        if (pgoff < 0 || nrPages < 1 || pgoff > device.nrPages() - nrPages) {
            throw new DaxException(Errno.ERANGE, "cannot track pages [" + pgoff + ", +" + nrPages + ") of "
                    + device.name() + " (" + device.nrPages() + " pages)");
        }
        if (nrPages * DaxDevice.PAGE_SIZE > MAX_TRACKED) {
            throw new DaxException(Errno.EINVAL, "cannot track " + nrPages + " pages of " + device.name()
                    + ": at most " + MAX_TRACKED + " bytes; track a sub-range");
        }
        List<MemorySegment> chunks = new ArrayList<>();
        try (DaxReadLock ignored = device.readLock()) {
            long p = pgoff;
            long end = pgoff + nrPages;
            while (p < end) {
                DirectAccess da = device.directAccess(p, end - p, DaxAccessMode.WRITE);
                long n = Math.min(da.nrPages(), end - p);
                chunks.add(da.addr().asSlice(0, n * DaxDevice.PAGE_SIZE));
                p += n;
            }
        }
        PersistenceDomain domain = device.persistence() == io.jdax.dax.PersistenceMode.PERSISTENT_CACHE
                ? PersistenceDomain.CPU_CACHE : PersistenceDomain.MEMORY_CONTROLLER;
        return register(new SimulatedMedia(this, device.name(), pgoff * DaxDevice.PAGE_SIZE, chunks, domain));
    }

    /**
     * Starts simulating a piece of memory that is not a device's, device offset 0 at its start.
     *
     * @throws DaxException EEXIST if it overlaps tracked memory; EINVAL if its size is not a
     *                      multiple of 64 or is larger than {@link #MAX_TRACKED}; EFAULT for a
     *                      read-only heap segment (it cannot be recognized later)
     */
    public SimulatedMedia track(String name, MemorySegment memory) {
        return track(name, memory, PersistenceDomain.MEMORY_CONTROLLER);
    }

    /**
     * {@link #track(String, MemorySegment)} in the given persistence domain.
     *
     * @throws DaxException as {@link #track(String, MemorySegment)}
     */
    public SimulatedMedia track(String name, MemorySegment memory, PersistenceDomain domain) {
        Objects.requireNonNull(memory, "memory");
        return register(new SimulatedMedia(this, Objects.requireNonNull(name, "name"), 0, List.of(memory),
                Objects.requireNonNull(domain, "domain")));
    }

    private SimulatedMedia register(SimulatedMedia m) {
        synchronized (lock) {
            for (SimulatedMedia.Region r : m.regions()) {
                MemorySegment mem = r.memory();
                TreeMap<Long, SimulatedMedia.Region> index;
                if (mem.isNative()) {
                    index = nativeIndex;
                } else {
                    Object base = mem.heapBase().orElseThrow(() -> new DaxException(Errno.EFAULT, m.name()
                            + ": a read-only heap segment cannot be tracked; give the writable one"));
                    index = heapIndex.computeIfAbsent(base, k -> new TreeMap<>());
                }
                overlapCheck(index, r);
            }
            for (SimulatedMedia.Region r : m.regions()) {
                MemorySegment mem = r.memory();
                (mem.isNative() ? nativeIndex : heapIndex.get(mem.heapBase().orElseThrow())).put(r.key(), r);
            }
            media.add(m);
            tracking = true;
            return m;
        }
    }

    private void overlapCheck(TreeMap<Long, SimulatedMedia.Region> index, SimulatedMedia.Region r) {
        var before = index.floorEntry(r.key() + r.size() - 1);
        if (before != null && before.getKey() + before.getValue().size() > r.key()) {
            SimulatedMedia other = before.getValue().media();
            if (other.regions().stream().allMatch(x -> x.memory().scope().isAlive())) {
                throw new DaxException(Errno.EEXIST, r.media().name() + ": memory at device offset "
                        + (r.media().start() + r.mediaOffset()) + " is already tracked by " + other);
            }
            untrackLocked(other); // a closed device's address range, reused by a new mapping
            overlapCheck(index, r);
        }
    }

    /** Stops simulating a piece of memory; its {@link SimulatedMedia} no longer answers crashes. */
    public void untrack(SimulatedMedia m) {
        synchronized (lock) {
            untrackLocked(m);
        }
    }

    void untrackLocked(SimulatedMedia m) {
        for (SimulatedMedia.Region r : m.regions()) {
            MemorySegment mem = r.memory();
            if (mem.isNative()) {
                nativeIndex.remove(r.key(), r);
            } else {
                TreeMap<Long, SimulatedMedia.Region> idx = heapIndex.get(mem.heapBase().orElseThrow());
                if (idx != null) {
                    idx.remove(r.key(), r);
                    if (idx.isEmpty()) {
                        heapIndex.remove(mem.heapBase().orElseThrow());
                    }
                }
            }
        }
        media.remove(m);
        m.markReleased();
        tracking = !media.isEmpty();
    }

    /** The memory tracked now, in tracking order. */
    public List<SimulatedMedia> media() {
        synchronized (lock) {
            return List.copyOf(media);
        }
    }

    /**
     * The one tracked memory, for the common case of one device per simulator.
     *
     * @throws DaxException EINVAL when none or several are tracked
     */
    public SimulatedMedia onlyMedia() {
        synchronized (lock) {
            if (media.size() != 1) {
                throw new DaxException(Errno.EINVAL, "the simulator tracks " + media.size()
                        + " pieces of memory, not one: " + media);
            }
            return media.getFirst();
        }
    }

    /** {@link SimulatedMedia#pmemcheck()} over all tracked memory. */
    public PmemcheckReport pmemcheck() {
        PmemcheckReport sum = PmemcheckReport.NONE;
        for (SimulatedMedia m : media()) {
            sum = sum.plus(m.pmemcheck());
        }
        return sum;
    }

    /** The figures of C4 summed over all tracked memory. */
    public WritebackStats stats() {
        WritebackStats sum = WritebackStats.NONE;
        for (SimulatedMedia m : media()) {
            sum = sum.plus(m.stats());
        }
        return sum;
    }

    // ---- the primitives

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        copy(Kind.COPY_NOCACHE, src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        copy(Kind.COPY_FLUSHCACHE, src, srcOffset, dst, dstOffset, bytes);
    }

    private void copy(Kind kind, MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        if (!tracking) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
            return;
        }
        // A mapped file is native memory: it streams like any native source.
        boolean nativeSource = src.isNative();
        long thread = Thread.currentThread().threadId();
        List<StackTraceElement> stack = kind == Kind.COPY_NOCACHE ? stack() : List.of();
        List<Event> events;
        synchronized (lock) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
            events = apply(kind, dst, dstOffset, bytes, (m, off, len) -> {
                if (kind == Kind.COPY_NOCACHE) {
                    m.storeNocache(off, len, nativeSource, thread, stack);
                } else {
                    m.storeFlushcache(off, len, nativeSource, thread);
                }
            });
        }
        fire(events);
    }

    /**
     * Like the default, a plain copy; into tracked memory (the small copies of {@link #copyEadr}),
     * cached stores that are seen, as {@link #memset}'s.
     */
    @Override
    public void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        store(dst, dstOffset, bytes, () -> MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes));
    }

    /**
     * Like the default: cached stores, then per {@code flags} a write-back of every line and a
     * fence; the stores are seen, so what they left in a line stays a possible survivor until the
     * line is written back and fenced.
     */
    @Override
    public void memset(MemorySegment dst, long offset, long bytes, byte value, int flags) {
        Ranges.checkWritable(dst, offset, bytes);
        store(dst, offset, bytes, () -> {
            try {
                dst.asSlice(offset, bytes).fill(value);
            } catch (InternalError e) {
                throw MemoryFaultException.fromJdk(e, "memset of " + bytes + " bytes at " + dst + " + " + offset);
            }
        });
        persistAfter(dst, offset, bytes, flags);
    }

    /** Like the default, with its stores seen: see {@link #memset}. */
    @Override
    public void memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes,
                        int flags) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        store(dst, dstOffset, bytes, () -> MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes));
        persistAfter(dst, dstOffset, bytes, flags);
    }

    private void store(MemorySegment dst, long offset, long bytes, Runnable stores) {
        if (!tracking) {
            stores.run();
            return;
        }
        List<StackTraceElement> stack = stack();
        List<Event> events;
        synchronized (lock) {
            stores.run();
            events = apply(Kind.STORE, dst, offset, bytes, (m, off, len) -> m.storeCached(off, len, stack));
        }
        fire(events);
    }

    private void persistAfter(MemorySegment dst, long offset, long bytes, int flags) {
        if ((flags & MEM_NOFLUSH) == 0) {
            writeback(dst, offset, bytes);
            if ((flags & MEM_NODRAIN) == 0) {
                fence();
            }
        }
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        Ranges.check(segment, offset, bytes);
        if (!tracking) {
            return;
        }
        long thread = Thread.currentThread().threadId();
        List<StackTraceElement> stack = stack();
        List<Event> events;
        synchronized (lock) {
            events = apply(Kind.WRITEBACK, segment, offset, bytes,
                    (m, off, len) -> m.writeback(off, len, thread, stack));
        }
        fire(events);
    }

    /**
     * An sfence of the calling thread: its own write-backs and non-temporal stores become
     * persistent, other threads' stay pending until they fence.
     */
    @Override
    public void fence() {
        if (!tracking) {
            return;
        }
        long thread = Thread.currentThread().threadId();
        synchronized (lock) {
            for (SimulatedMedia m : media) {
                m.fence(thread);
            }
        }
        fire(List.of(new Event(Kind.FENCE, null, 0, 0)));
    }

    /**
     * Models a kernel without {@code membarrier(2)} from now on: {@link #processBarrier()} answers
     * false, so devices opened afterwards fence their readers and writers themselves.
     *
     * @return this
     */
    public SimulatedArch withoutProcessBarrier() {
        barrier = false;
        return this;
    }

    /**
     * {@code membarrier(2)}, as native-x86 runs it: every thread's write-backs and non-temporal
     * stores become persistent (an interrupt on each CPU drains them), which the device core runs
     * when a second thread starts using a device. Seen as a fence tick when it settled something.
     *
     * @return true: the simulator always has it
     */
    @Override
    public boolean processBarrier() {
        if (!barrier) {
            return false;
        }
        if (!tracking) {
            return true;
        }
        boolean any = false;
        synchronized (lock) {
            for (SimulatedMedia m : media) {
                any |= m.barrier();
            }
        }
        if (any) { // a barrier that settled nothing changes no crash image: no tick
            fire(List.of(new Event(Kind.FENCE, null, 0, 0)));
        }
        return true;
    }

    /** The caller's stack below the simulator, or nothing when stacks are not captured. */
    private List<StackTraceElement> stack() {
        if (!captureStacks) {
            return List.of();
        }
        return StackWalker.getInstance().walk(frames -> frames
                .dropWhile(f -> f.getClassName().equals(SimulatedArch.class.getName())
                        || f.getClassName().startsWith(SimulatedArch.class.getName() + "$"))
                .map(StackWalker.StackFrame::toStackTraceElement)
                .toList());
    }

    private interface PieceAction {
        void apply(SimulatedMedia media, long mediaOffset, long bytes);
    }

    /** Runs {@code action} on every tracked piece of {@code [offset, offset + bytes)} of {@code seg}. */
    private List<Event> apply(Kind kind, MemorySegment seg, long offset, long bytes, PieceAction action) {
        if (bytes == 0) {
            return List.of();
        }
        TreeMap<Long, SimulatedMedia.Region> index;
        if (seg.isNative()) {
            index = nativeIndex;
        } else {
            Object base = seg.heapBase().orElse(null); // read-only heap views hide their array
            index = base == null ? null : heapIndex.get(base);
        }
        if (index == null || index.isEmpty()) {
            return List.of();
        }
        List<Event> events = new ArrayList<>(1);
        long a = seg.address() + offset;
        long end = a + bytes;
        while (a < end) {
            var e = index.floorEntry(a);
            if (e == null || a >= e.getKey() + e.getValue().size()) {
                var next = index.higherKey(a);
                if (next == null || next >= end) {
                    break;
                }
                a = next;
                continue;
            }
            SimulatedMedia.Region r = e.getValue();
            if (!r.memory().scope().isAlive()) {
                untrackLocked(r.media()); // the device closed: its addresses mean nothing now
                continue;
            }
            long len = Math.min(end, e.getKey() + r.size()) - a;
            long mediaOffset = r.mediaOffset() + (a - e.getKey());
            action.apply(r.media(), mediaOffset, len);
            events.add(new Event(kind, r.media(), r.media().start() + mediaOffset, len));
            a += len;
        }
        return events;
    }

    private void fire(List<Event> events) {
        if (listener != null) {
            for (Event e : events) {
                listener.event(e);
            }
        }
    }

    @Override
    public String toString() {
        return "SimulatedArch" + media();
    }

    /**
     * Finds the simulator through the ServiceLoader, priority -1: used only when
     * {@code -Djdax.arch=simulated} names it.
     */
    public static final class Provider implements ArchProvider {
        /** Called by the ServiceLoader. */
        public Provider() {
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return -1;
        }

        @Override
        public Arch load() {
            return new SimulatedArch();
        }
    }
}
