package io.jdax.it.faults;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Child JVM of {@code SharedArenaRaceIT}: one thread copies from (or into) a segment of an
 * {@link Arena#ofShared()} while another closes that arena at a random moment of the copy.
 * Allowed outcomes of each race: the copy completes (with the right bytes) and the close
 * succeeds after it; the copy fails with a DaxException EFAULT (the arena was closed first); or
 * {@code close()} fails with an IllegalStateException (the JDK holds a segment that is in a
 * downcall). Anything else is counted as wrong; a use after free would crash the JVM or copy
 * wrong bytes.
 * <p>
 * {@code SharedArenaRace DIR RACES KIND...} (or {@code all}); prints one {@code RACES} line per
 * kind, then {@code SURVIVED}; exit status 0 only if nothing went wrong.
 */
public final class SharedArenaRace {
    static final long MIN = 64 * 1024;
    static final long MAX = 4L << 20;
    static final long BVEC_PAGE = 64 * 1024;
    /** How the closing thread times its close (one race in four each; SLEEP twice). */
    static final int SPIN = 0;
    static final int SPIN_AFTER_START = 1;
    static final int SLEEP = 2;

    /** One race: the operation on {@code seg} (the segment of the closing arena), {@code n} bytes. */
    interface Op {
        void run(MemorySegment seg, long n, byte mark);
    }

    /** What a completed copy must have left, checked after the race; null when nothing to check. */
    interface Check {
        boolean ok(long n, byte mark);
    }

    record Kind(String name, Op op, Check check) {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int races = Integer.parseInt(args[1]);
        Arch arch = Archs.current();
        System.out.println("ARCH " + arch.name() + " call=" + arch.features().getOrDefault("call", "-"));
        Path file = dir.resolve("jdax-race-" + ProcessHandle.current().pid() + ".img");
        boolean ok = true;
        try (DaxDevice dev = DaxDevices.open("pmem:" + file + "?size=" + MAX + "&create=true&mode=emulated")) {
            Map<String, Kind> kinds = kinds(arch, dev);
            List<String> names = new ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                if (args[i].equals("all")) {
                    names.addAll(kinds.keySet());
                } else {
                    names.add(args[i]);
                }
            }
            for (String name : names) {
                Kind k = kinds.get(name);
                if (k == null) {
                    throw new IllegalArgumentException("no kind " + name + "; known: " + kinds.keySet());
                }
                ok &= race(k, races, arch);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.println("SURVIVED");
        System.out.flush();
        System.exit(ok ? 0 : 1);
    }

    static Map<String, Kind> kinds(Arch arch, DaxDevice dev) {
        MemorySegment other = Arena.global().allocate(MAX, 64); // the side no one closes
        Map<String, Kind> m = new LinkedHashMap<>();
        Check toOther = (n, mark) -> at(other, 0) == mark && at(other, n / 2) == mark && at(other, n - 1) == mark;
        m.put("arch.copyFlushcache", new Kind("arch.copyFlushcache",
                (seg, n, mark) -> arch.copyFlushcache(seg, 0, other, 0, n), toOther));
        m.put("arch.copyNocache", new Kind("arch.copyNocache",
                (seg, n, mark) -> arch.copyNocache(seg, 0, other, 0, n), toOther));
        m.put("arch.copyMc", new Kind("arch.copyMc", (seg, n, mark) -> arch.copyMc(other, 0, seg, 0, n), null));
        m.put("arch.writeback", new Kind("arch.writeback", (seg, n, mark) -> arch.writeback(seg, 0, n), null));

        MemorySegment devMem;
        try (DaxReadLock lock = dev.readLock()) {
            devMem = dev.directAccess(0, MAX / DaxDevice.PAGE_SIZE, DaxAccessMode.WRITE).addr();
        }
        Check toDevice = (n, mark) -> at(devMem, 0) == mark && at(devMem, n / 2) == mark && at(devMem, n - 1) == mark;
        m.put("pmem.copyFromIter.USER", new Kind("pmem.copyFromIter.USER", (seg, n, mark) -> {
            IovIter it = IovIter.iovec(IovIter.Direction.SOURCE, seg.asSlice(0, n / 3), seg.asSlice(n / 3, n - n / 3));
            dev.copyFromIter(0, n, it);
        }, toDevice));
        m.put("pmem.copyFromIter.BVEC", new Kind("pmem.copyFromIter.BVEC", (seg, n, mark) -> {
            IovIter it = IovIter.bvec(IovIter.Direction.SOURCE, pages(seg, n));
            dev.copyFromIter(0, n, it);
        }, toDevice));
        m.put("pmem.copyToIter.USER", new Kind("pmem.copyToIter.USER", (seg, n, mark) -> {
            IovIter it = IovIter.iovec(IovIter.Direction.DEST, seg.asSlice(0, n / 3), seg.asSlice(n / 3, n - n / 3));
            dev.copyToIter(0, n, it);
        }, null));
        m.put("pmem.copyToIter.BVEC", new Kind("pmem.copyToIter.BVEC", (seg, n, mark) -> {
            IovIter it = IovIter.bvec(IovIter.Direction.DEST, pages(seg, n));
            dev.copyToIter(0, n, it);
        }, null));
        return m;
    }

    private static byte at(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    private static List<IovIter.BioVec> pages(MemorySegment seg, long n) {
        List<IovIter.BioVec> v = new ArrayList<>();
        for (long off = 0; off < n; off += BVEC_PAGE) {
            v.add(new IovIter.BioVec(seg, off, Math.min(BVEC_PAGE, n - off)));
        }
        return v;
    }

    /**
     * The race the copying thread runs next: published by {@link #round} (volatile), its results
     * read by the main thread once {@link #done} equals the round.
     */
    static final class Race {
        MemorySegment seg;
        long n;
        byte mark;
        volatile int round;
        volatile int done;
        volatile boolean started;
        volatile boolean stop;
        Throwable copyFailure;
        long copyStart;
        long copyEnd;
    }

    /**
     * At least {@code races} races of {@code k}, the main thread closing: sizes log-uniform in
     * [64 KiB, 4 MiB]. The close comes a random 0..1.5x the time an unraced copy of that size
     * takes after the copying thread was woken (it may not have started: the close may come
     * first), spinning, or 0..1.2x after it started, spinning (one race in four each: on an idle
     * machine the two threads run side by side); or, in half the races, after sleeping that long,
     * which leaves this CPU to the copying thread (on a loaded machine, where a spinning closer
     * keeps the copier off its CPU until the closer's time slice ends, this is what lands closes
     * inside the copy: the timer wakes the closer while the copier is in it).
     */
    static boolean race(Kind k, int races, Arch arch) throws Exception {
        double nsPerByte = calibrate(k);
        SplittableRandom random = new SplittableRandom(k.name().hashCode());
        Race r = new Race();
        Thread copier = Thread.ofPlatform().name("copier").start(() -> {
            for (int seen = 0; ; ) {
                while (r.round == seen && !r.stop) {
                    LockSupport.park();
                }
                if (r.stop) {
                    return;
                }
                seen = r.round;
                r.copyFailure = null;
                r.copyStart = System.nanoTime();
                r.started = true;
                try {
                    k.op().run(r.seg, r.n, r.mark);
                } catch (Throwable t) {
                    r.copyFailure = t;
                }
                r.copyEnd = System.nanoTime();
                r.done = seen;
            }
        });
        long completed = 0;
        long efault = 0;
        long closeRefused = 0;
        long closeInCopy = 0;
        long[] refusedBy = new long[4];
        long wrong = 0;
        long bytes = 0;
        List<String> wrongs = new ArrayList<>();
        // FFM holds the arena during the call: a close landing there is refused.
        boolean held = arch.features().getOrDefault("call", "").startsWith("ffm");
        int i = 1;
        // At least `races`; more (up to 5x) while fewer than 10 closes came first or landed in
        // a copy (5 refused, with FFM): on a loaded machine the two threads are not always on a
        // CPU at the same time, and the first races run beside the JIT compilers.
        for (; i <= races || i <= 5 * races && (closeInCopy < 10 || efault < 10 || held && closeRefused < 5); i++) {
            long n = Math.round(Math.exp(random.nextDouble(Math.log(MIN), Math.log(MAX)))) & ~63L;
            Arena arena = Arena.ofShared();
            r.seg = arena.allocate(n, 64);
            r.mark = (byte) (i % 250 + 1);
            r.seg.fill(r.mark);
            r.n = n;
            r.started = false;
            int how = random.nextInt(4);
            long delay = (long) (random.nextDouble(how == SPIN_AFTER_START ? 1.2 : 1.5) * nsPerByte * n);
            r.round = i;
            LockSupport.unpark(copier);
            if (how == SLEEP) {
                // Leave this CPU to the copier; the timer wakes us in its copy, here or on the other CPU.
                LockSupport.parkNanos(delay);
            } else {
                while (how == SPIN_AFTER_START && !r.started) {
                    Thread.onSpinWait();
                }
                for (long until = System.nanoTime() + delay; System.nanoTime() < until; ) {
                    Thread.onSpinWait();
                }
            }
            long closeStart = System.nanoTime();
            Throwable closeFailure = null;
            try {
                arena.close();
            } catch (Throwable t) {
                closeFailure = t;
            }
            while (r.done != i) {
                Thread.onSpinWait();
            }
            bytes += n;
            if (r.copyStart < closeStart && closeStart < r.copyEnd) {
                closeInCopy++;
            }
            Throwable c = r.copyFailure;
            if (c == null) {
                completed++;
                if (k.check() != null && !k.check().ok(n, r.mark)) {
                    wrong++;
                    wrongs.add("race " + i + ": the copy completed with wrong bytes (used memory after free?)");
                }
            } else if (c instanceof DaxException d && d.errno() == Errno.EFAULT) {
                efault++;
            } else {
                wrong++;
                wrongs.add("race " + i + ": copy failed with " + describe(c));
            }
            if (closeFailure instanceof IllegalStateException) {
                closeRefused++;
                refusedBy[how]++;
                arena.close(); // the copy is over: now it closes
            } else if (closeFailure != null) {
                wrong++;
                wrongs.add("race " + i + ": close failed with " + describe(closeFailure));
            }
        }
        int n = i - 1;
        r.stop = true;
        LockSupport.unpark(copier);
        copier.join();
        System.out.println("RACES " + k.name() + " n=" + n + " completed=" + completed + " efault=" + efault
                + " closeRefused=" + closeRefused + " (spin " + refusedBy[SPIN] + ", spin after start "
                + refusedBy[SPIN_AFTER_START] + ", sleep " + (refusedBy[SLEEP] + refusedBy[SLEEP + 1]) + ")"
                + " closeDuringCopy=" + closeInCopy + " wrong=" + wrong
                + " avgBytes=" + bytes / n + " copyNsPerByte="
                + String.format(java.util.Locale.ROOT, "%.3f", nsPerByte));
        for (String w : wrongs.subList(0, Math.min(wrongs.size(), 20))) {
            System.out.println("WRONG " + k.name() + " " + w);
        }
        return wrong == 0;
    }

    private static String describe(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    /** Nanoseconds per byte of an unraced copy of this kind, 1 MiB at a time (after warm-up). */
    private static double calibrate(Kind k) {
        long n = 1L << 20;
        try (Arena a = Arena.ofShared()) {
            MemorySegment seg = a.allocate(n, 64);
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 30; i++) {
                long t0 = System.nanoTime();
                k.op().run(seg, n, (byte) 0);
                best = Math.min(best, System.nanoTime() - t0);
            }
            return (double) best / n;
        }
    }
}
