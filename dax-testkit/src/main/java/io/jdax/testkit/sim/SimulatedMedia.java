package io.jdax.testkit.sim;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Device memory tracked by a {@link SimulatedArch}: the media model of contract C9, one state per
 * 64-byte line, in a {@link PersistenceDomain}: with {@code MEMORY_CONTROLLER} (ADR) a thread's
 * fence makes persistent what that thread wrote back or stored non-temporally; with
 * {@code CPU_CACHE} (eADR) a fence makes every store before it persistent. For each line it keeps
 * the content that is surely persistent; the contents it was written back or stored
 * non-temporally with and not yet fenced by the thread that did it (pending); the content after
 * each cached store through the Arch since it was last written back (the cache may have evicted
 * any of them); and whether the Arch stored into it with cached stores since. Stores that bypass
 * the Arch (a program writing into a direct mapping) need no hook: a line whose memory differs
 * from its last known content is dirty by definition. What such stores do in between is not
 * seen: {@link SimulatedArch} says what that hides.
 * <p>
 * Offsets in this API are device offsets: {@link #start()} is the first tracked byte.
 * Thread-safe; every method synchronizes on the owning arch.
 */
public final class SimulatedMedia {
    private static final int LINE = Arch.CACHE_LINE;

    /**
     * A content a line was written back or stored non-temporally with, and the thread that did it:
     * only that thread's fence makes it persistent (an sfence orders its own core's stores).
     */
    private record Pending(long thread, byte[] content) {
    }

    /** One contiguous piece of the tracked memory, as a driver handed it out. */
    record Region(SimulatedMedia media, long mediaOffset, MemorySegment memory, long key) {
        long size() {
            return memory.byteSize();
        }
    }

    private final SimulatedArch arch;
    private final String name;
    private final PersistenceDomain domain;
    private final long start;
    private final long size;
    private final List<Region> regions = new ArrayList<>(); // by mediaOffset, contiguous from 0
    private final byte[] persistent;
    private final MemorySegment persistentSeg;
    private final BitSet dirty;
    private final int[] writebacks;
    private final Map<Integer, List<Pending>> pending = new HashMap<>();
    private final Map<Integer, List<byte[]>> evictable = new HashMap<>();
    private final Map<Integer, List<StackTraceElement>> storeStacks = new HashMap<>();
    private final List<PmemcheckReport.Entry> wastedEntries = new ArrayList<>();
    private long wasted;
    private long bytesCopied;
    private long ntLines;
    private long cachedLines;
    private long linesWrittenBack;
    private long redundant;
    private long fences;
    private long barriers;
    private boolean released;

    SimulatedMedia(SimulatedArch arch, String name, long start, List<MemorySegment> chunks, PersistenceDomain domain) {
        this.arch = arch;
        this.name = name;
        this.domain = Objects.requireNonNull(domain, "domain");
        this.start = start;
        long total = 0;
        for (MemorySegment c : chunks) {
            if (c.byteSize() % LINE != 0) {
                throw new DaxException(Errno.EINVAL, name + ": tracked memory must come in whole 64-byte lines, got a "
                        + c.byteSize() + "-byte piece");
            }
            total += c.byteSize();
        }
        if (total == 0 || total > SimulatedArch.MAX_TRACKED) {
            throw new DaxException(Errno.EINVAL, name + ": can track 64 bytes to " + SimulatedArch.MAX_TRACKED
                    + " bytes, not " + total + " (track a sub-range of a large device)");
        }
        this.size = total;
        this.persistent = new byte[(int) total];
        this.persistentSeg = MemorySegment.ofArray(persistent);
        int lines = (int) (total / LINE);
        this.dirty = new BitSet(lines);
        this.writebacks = new int[lines];
        long off = 0;
        for (MemorySegment c : chunks) {
            regions.add(new Region(this, off, c, c.address())); // heap: the offset in its array
            // What the memory holds when tracking starts counts as persistent.
            MemorySegment.copy(c, 0, persistentSeg, off, c.byteSize());
            off += c.byteSize();
        }
    }

    List<Region> regions() {
        return regions;
    }

    /** The name given at tracking time, usually the device's. */
    public String name() {
        return name;
    }

    /** Where the media is persistent from: what a fence makes durable. */
    public PersistenceDomain domain() {
        return domain;
    }

    /** The device offset of the first tracked byte. */
    public long start() {
        return start;
    }

    /** The number of tracked bytes. */
    public long size() {
        return size;
    }

    /** False once untracked, or once the device's memory was found released. */
    public boolean isTracked() {
        synchronized (arch.lock) {
            return !released;
        }
    }

    // ---- the model, called by SimulatedArch under its lock; offsets are media offsets

    void markReleased() {
        released = true;
    }

    /** {@code copyNocache}: non-temporal whole lines from native sources, cached stores for the rest. */
    void storeNocache(long off, long len, boolean nativeSource, long thread, List<StackTraceElement> stack) {
        bytesCopied += len;
        forLines(off, len, (line, whole) -> {
            if (whole && nativeSource) {
                ntLine(line, thread);
            } else {
                cachedLine(line, stack);
            }
        });
    }

    /**
     * {@code memcpy_flushcache}: non-temporal whole lines from native sources; cached stores and a
     * write-back for partial lines and for heap sources (which cannot be streamed).
     */
    void storeFlushcache(long off, long len, boolean nativeSource, long thread) {
        bytesCopied += len;
        forLines(off, len, (line, whole) -> {
            if (whole && nativeSource) {
                ntLine(line, thread);
            } else {
                cachedLine(line, List.of()); // written back at once: never left dirty
                writebackLine(line, thread);
            }
        });
    }

    /** {@code memset}/{@code memmove} with cached stores: the write-back, if any, is a separate call. */
    void storeCached(long off, long len, List<StackTraceElement> stack) {
        forLines(off, len, (line, whole) -> cachedLine(line, stack));
    }

    void writeback(long off, long len, long thread, List<StackTraceElement> stack) {
        boolean[] coveredDirty = {false};
        forLines(off, len, (line, whole) -> coveredDirty[0] |= writebackLine(line, thread));
        if (!coveredDirty[0] && len > 0) {
            wasted++; // pmemcheck's redundant flush: the whole call was for nothing
            if (wastedEntries.size() < PmemcheckReport.MAX_ENTRIES) {
                wastedEntries.add(new PmemcheckReport.Entry(PmemcheckReport.Kind.WASTED_WRITEBACK, name, start + off,
                        len, stack));
            }
        }
    }

    /** A fence by {@code thread}: its pending lines become persistent, other threads' stay pending. */
    void fence(long thread) {
        fences++;
        if (domain == PersistenceDomain.CPU_CACHE) {
            settleCache();
            return;
        }
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            List<Pending> p = e.getValue();
            int last = p.size() - 1;
            while (last >= 0 && p.get(last).thread() != thread) {
                last--;
            }
            if (last < 0) {
                continue;
            }
            System.arraycopy(p.get(last).content(), 0, persistent, e.getKey() * LINE, LINE);
            // What was on its way before it is overtaken; later ones, by other threads, are still on theirs.
            p.subList(0, last + 1).clear();
            if (p.isEmpty()) {
                it.remove();
            }
        }
    }

    /**
     * A process-wide barrier ({@code membarrier(2)}): every CPU running a thread of the process
     * takes an interrupt, which drains its write-combining buffers and completes its write-backs,
     * so every thread's pending lines become persistent (the last content of each). Not a fence
     * of any one thread: counted apart.
     *
     * @return whether it made anything persistent
     */
    boolean barrier() {
        barriers++;
        if (domain == PersistenceDomain.CPU_CACHE) {
            boolean any = !unsettled().isEmpty();
            settleCache();
            return any;
        }
        for (var e : pending.entrySet()) {
            List<Pending> p = e.getValue();
            System.arraycopy(p.getLast().content(), 0, persistent, e.getKey() * LINE, LINE);
        }
        boolean any = !pending.isEmpty();
        pending.clear();
        return any;
    }

    /**
     * eADR: whatever the stores before a fence left in the cache is in the persistence domain
     * now, dirty or not, seen by the Arch or stored straight into the mapping.
     */
    private void settleCache() {
        BitSet u = unsettled();
        for (int l = u.nextSetBit(0); l >= 0; l = u.nextSetBit(l + 1)) {
            System.arraycopy(readLine(l), 0, persistent, l * LINE, LINE);
        }
        dirty.clear();
        pending.clear();
        evictable.clear();
        storeStacks.clear();
    }

    /** How many process-wide barriers this media saw. */
    public long barriers() {
        return barriers;
    }

    private interface LineAction {
        void apply(int line, boolean whole);
    }

    private static void forLines(long off, long len, LineAction action) {
        if (len <= 0) {
            return;
        }
        long end = off + len;
        for (long l = off / LINE; l * LINE < end; l++) {
            long ls = l * LINE;
            action.apply((int) l, ls >= off && ls + LINE <= end);
        }
    }

    private void ntLine(int line, long thread) {
        ntLines++;
        settle(line, thread);
    }

    private void cachedLine(int line, List<StackTraceElement> stack) {
        cachedLines++;
        if (!dirty.get(line) && !stack.isEmpty()) {
            storeStacks.put(line, stack); // the store that made it dirty
        }
        dirty.set(line);
        // The cache may evict the line as it is now, whatever stores come later: a content that
        // plain stores change back before a write-back is still one the media may hold.
        addDistinct(evictable.computeIfAbsent(line, k -> new ArrayList<>(2)), readLine(line));
    }

    /** True if the line had a store to write back. */
    private boolean writebackLine(int line, long thread) {
        linesWrittenBack++;
        writebacks[line]++;
        if (!dirty.get(line) && Arrays.equals(readLine(line), lastSnapshot(line))) {
            redundant++; // nothing cached since the line was last made pending or persistent
            return false;
        }
        settle(line, thread);
        return true;
    }

    /**
     * The line is on its way to the media as it is now, by {@code thread}: pending, and with it
     * the contents an eviction may have put there since, which that thread's fence overtakes.
     */
    private void settle(int line, long thread) {
        List<byte[]> evicted = evictable.remove(line);
        if (evicted != null) {
            evicted.forEach(c -> snapshotIfChanged(line, c, thread));
        }
        snapshotIfChanged(line, readLine(line), thread);
        dirty.clear(line);
        storeStacks.remove(line);
    }

    private void snapshotIfChanged(int line, byte[] content, long thread) {
        if (!Arrays.equals(content, lastSnapshot(line))) {
            pending.computeIfAbsent(line, k -> new ArrayList<>(2)).add(new Pending(thread, content));
        }
    }

    private byte[] lastSnapshot(int line) {
        List<Pending> p = pending.get(line);
        return p != null ? p.getLast().content() : Arrays.copyOfRange(persistent, line * LINE, line * LINE + LINE);
    }

    private byte[] readLine(int line) {
        long off = (long) line * LINE;
        Region r = regionAt(off);
        byte[] out = new byte[LINE];
        MemorySegment.copy(r.memory(), ValueLayout.JAVA_BYTE, off - r.mediaOffset(), out, 0, LINE);
        return out;
    }

    private Region regionAt(long off) {
        if (released) {
            throw new DaxException(Errno.ENXIO, name + ": the tracked memory is no longer tracked (untracked, or the"
                    + " device was closed): crash before closing the device");
        }
        int lo = 0;
        int hi = regions.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (regions.get(mid).mediaOffset() <= off) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Region r = regions.get(lo);
        if (!r.memory().scope().isAlive()) {
            arch.untrackLocked(this);
            throw new DaxException(Errno.ENXIO, name + ": the device's memory was released: crash before closing it");
        }
        return r;
    }

    // ---- queries

    private int lineOf(long deviceOffset) {
        if (deviceOffset < start || deviceOffset >= start + size) {
            throw new DaxException(Errno.ERANGE, name + ": device offset " + deviceOffset + " is outside the tracked ["
                    + start + ", " + (start + size) + ")");
        }
        return (int) ((deviceOffset - start) / LINE);
    }

    /** The state of the line holding {@code deviceOffset}. */
    public LineState lineState(long deviceOffset) {
        synchronized (arch.lock) {
            return stateOf(lineOf(deviceOffset));
        }
    }

    private LineState stateOf(int line) {
        if (dirty.get(line) || !Arrays.equals(readLine(line), lastSnapshot(line))) {
            return LineState.DIRTY;
        }
        return pending.containsKey(line) ? LineState.PENDING : LineState.CLEAN;
    }

    /** How many times the line holding {@code deviceOffset} was written back since the last {@link #resetStats()}. */
    public int writebacks(long deviceOffset) {
        synchronized (arch.lock) {
            return writebacks[lineOf(deviceOffset)];
        }
    }

    /**
     * The lines of {@code [deviceOffset, deviceOffset + bytes)} that a power failure now could
     * lose (pending or dirty), as device offsets of their first byte.
     */
    public List<Long> unfencedLines(long deviceOffset, long bytes) {
        if (bytes < 0) {
            throw new DaxException(Errno.EINVAL, name + ": negative length " + bytes);
        }
        synchronized (arch.lock) {
            List<Long> out = new ArrayList<>();
            if (bytes == 0) {
                return out;
            }
            int first = lineOf(deviceOffset);
            int last = lineOf(deviceOffset + bytes - 1);
            for (int l = first; l <= last; l++) {
                if (stateOf(l) != LineState.CLEAN) {
                    out.add(start + (long) l * LINE);
                }
            }
            return out;
        }
    }

    /** Every line that a power failure now could lose, as device offsets. */
    public List<Long> unfencedLines() {
        synchronized (arch.lock) {
            BitSet u = unsettled();
            List<Long> out = new ArrayList<>();
            for (int l = u.nextSetBit(0); l >= 0; l = u.nextSetBit(l + 1)) {
                if (stateOf(l) != LineState.CLEAN) {
                    out.add(start + (long) l * LINE);
                }
            }
            return out;
        }
    }

    /** The figures of C4 for this memory since tracking began or the last {@link #resetStats()}. */
    public WritebackStats stats() {
        synchronized (arch.lock) {
            return new WritebackStats(bytesCopied, ntLines, cachedLines, linesWrittenBack, redundant, fences);
        }
    }

    /**
     * What pmemcheck would report now: the wasted write-backs since tracking began or the last
     * {@link #resetStats()}, and the lines dirty now. Call it before the device closes.
     *
     * @throws DaxException ENXIO if the device's memory was already released
     */
    public PmemcheckReport pmemcheck() {
        synchronized (arch.lock) {
            List<PmemcheckReport.Entry> entries = new ArrayList<>(wastedEntries);
            long dirtyLines = 0;
            BitSet u = unsettled();
            for (int l = u.nextSetBit(0); l >= 0; l = u.nextSetBit(l + 1)) {
                if (stateOf(l) == LineState.DIRTY) {
                    dirtyLines++;
                    if (entries.size() < PmemcheckReport.MAX_ENTRIES) {
                        entries.add(new PmemcheckReport.Entry(PmemcheckReport.Kind.DIRTY_LINE, name,
                                start + (long) l * LINE, LINE, storeStacks.getOrDefault(l, List.of())));
                    }
                }
            }
            return new PmemcheckReport(wasted, dirtyLines, entries);
        }
    }

    /** Zeroes the counters and the wasted write-backs of {@link #pmemcheck()} (not the line states). */
    public void resetStats() {
        synchronized (arch.lock) {
            wasted = 0;
            wastedEntries.clear();
            bytesCopied = 0;
            ntLines = 0;
            cachedLines = 0;
            linesWrittenBack = 0;
            redundant = 0;
            fences = 0;
            Arrays.fill(writebacks, 0);
        }
    }

    // ---- crashes

    /** Lines that may hold more than one state: dirty, pending, or changed behind the Arch's back. */
    private BitSet unsettled() {
        BitSet u = (BitSet) dirty.clone();
        pending.keySet().forEach(u::set);
        for (Region r : regions) {
            regionAt(r.mediaOffset()); // fails cleanly if the memory is gone
            long n = r.size();
            long pos = 0;
            while (pos < n) {
                long m = MemorySegment.mismatch(r.memory(), pos, n, persistentSeg, r.mediaOffset() + pos,
                        r.mediaOffset() + n);
                if (m < 0) {
                    break;
                }
                long line = (r.mediaOffset() + pos + m) / LINE;
                u.set((int) line);
                pos = (line + 1) * LINE - r.mediaOffset();
            }
        }
        return u;
    }

    /** The possible surviving contents of a line, without duplicates: persistent, pending..., current. */
    private List<byte[]> candidates(int line) {
        List<byte[]> c = new ArrayList<>(4);
        c.add(Arrays.copyOfRange(persistent, line * LINE, line * LINE + LINE));
        for (Pending p : pending.getOrDefault(line, List.of())) {
            addDistinct(c, p.content());
        }
        for (byte[] e : evictable.getOrDefault(line, List.of())) {
            addDistinct(c, e);
        }
        addDistinct(c, readLine(line));
        return c;
    }

    private static void addDistinct(List<byte[]> list, byte[] value) {
        for (byte[] b : list) {
            if (Arrays.equals(b, value)) {
                return;
            }
        }
        list.add(value);
    }

    /** {@link #crash(long, CrashModel)} with the default {@link CrashModel#LINE} model. */
    public byte[] crash(long seed) {
        return crash(seed, CrashModel.LINE);
    }

    /**
     * The media that survives a power failure now: every fenced line as it was fenced, and for
     * each line that was not, a state chosen by {@code seed} among those it could be in (C9): its
     * last persistent content, a pending one, one left by a cached store through the Arch, or
     * its current content.
     * The same state and seed always give the same image. Nothing in the simulation changes.
     *
     * @return the surviving bytes of the tracked range ({@code size()} bytes, index 0 = {@link #start()})
     * @throws DaxException ENXIO if the device's memory was already released
     */
    public byte[] crash(long seed, CrashModel model) {
        Objects.requireNonNull(model, "model");
        synchronized (arch.lock) {
            byte[] image = persistent.clone();
            SplittableRandom rnd = new SplittableRandom(seed);
            BitSet u = unsettled();
            for (int l = u.nextSetBit(0); l >= 0; l = u.nextSetBit(l + 1)) {
                List<byte[]> states = candidates(l);
                if (states.size() == 1) {
                    continue;
                }
                if (model == CrashModel.LINE) {
                    System.arraycopy(states.get(rnd.nextInt(states.size())), 0, image, l * LINE, LINE);
                } else {
                    chooseWords(states, rnd, image, l * LINE);
                }
            }
            return image;
        }
    }

    /** Each aligned 8-byte word on its own: x86 makes no promise beyond that. */
    private static void chooseWords(List<byte[]> states, SplittableRandom rnd, byte[] image, int at) {
        List<byte[]> words = new ArrayList<>(states.size());
        for (int w = 0; w < LINE; w += 8) {
            words.clear();
            for (byte[] s : states) {
                addDistinct(words, Arrays.copyOfRange(s, w, w + 8));
            }
            System.arraycopy(words.get(rnd.nextInt(words.size())), 0, image, at + w, 8);
        }
    }

    /** The harshest crash: every line that was not fenced keeps its last persistent content. */
    public byte[] persistentImage() {
        synchronized (arch.lock) {
            return persistent.clone();
        }
    }

    /** The kindest crash: everything survives as it is in memory now. */
    public byte[] currentImage() {
        synchronized (arch.lock) {
            byte[] out = new byte[(int) size];
            for (Region r : regions) {
                regionAt(r.mediaOffset());
                MemorySegment.copy(r.memory(), ValueLayout.JAVA_BYTE, 0, out, (int) r.mediaOffset(), (int) r.size());
            }
            return out;
        }
    }

    @Override
    public String toString() {
        return "SimulatedMedia[" + name + " [" + start + ", +" + size + ")" + (domain == PersistenceDomain.CPU_CACHE
                ? " eADR" : "") + (released ? " released" : "") + "]";
    }
}
