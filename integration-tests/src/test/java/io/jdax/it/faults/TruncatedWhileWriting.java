package io.jdax.it.faults;

import io.jdax.arch.Archs;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.daxfs.FormatOptions;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child JVM of {@code TruncatedMappingIT}: a pmem device (a {@code /dev/shm} file, mode=emulated,
 * so every write is native-x86's durable copy) is written or read by two threads while another
 * process ({@code truncate -s 4096}) cuts the file under the mapping. Every copy into or out of a
 * page past the cut then faults in the C routines; each must come back as a DaxException and the
 * JVM must live on.
 * <p>
 * {@code TruncatedWhileWriting DIR SCENARIO...} (or {@code all}): one line per scenario,
 * {@code RESULT name ops=N daxExceptions=N errnos={..} other=N}, every other exception's stack
 * trace, then {@code SURVIVED}. Exit status 0 only if every scenario saw DaxExceptions and
 * nothing else.
 */
public final class TruncatedWhileWriting {
    static final long DEVICE = 16L << 20;
    static final int IO = 128 * 1024;
    static final int PAGE = DaxDevice.PAGE_SIZE;
    static final int THREADS = 2;
    /** Per thread: the file (or device) range each thread cycles through. */
    static final long SPAN = 2L << 20;

    /** The iterator kinds (KVEC: a heap array; USER: native segments; BVEC: native pages). */
    enum Iter { USER, KVEC, BVEC }

    /** What each writer thread does, one I/O per call; {@code i} counts its I/Os. */
    interface Step {
        void run(int i);
    }

    /** Builds one thread's steps once the device is open (and, for filesystems, set up). */
    interface Scenario {
        Step step(Ctx ctx, int thread);
    }

    /** The open device and what the scenario set up on it. */
    static final class Ctx {
        final DaxDevice dev;
        MemFs memfs;
        DaxFs daxfs;

        Ctx(DaxDevice dev) {
            this.dev = dev;
        }
    }

    static final Map<String, Scenario> SCENARIOS = scenarios();

    /** Every scenario's name, in the order {@code all} runs them. */
    public static List<String> scenarioNames() {
        return List.copyOf(SCENARIOS.keySet());
    }

    private static Map<String, Scenario> scenarios() {
        Map<String, Scenario> m = new java.util.LinkedHashMap<>();
        for (Iter k : Iter.values()) {
            m.put("pmem.copyFromIter." + k, (c, t) -> devWrite(c, t, k, false));
        }
        for (Iter k : Iter.values()) {
            m.put("pmem.copyFromIterNocache." + k, (c, t) -> devWrite(c, t, k, true));
        }
        m.put("pmem.zeroPageRange", (c, t) -> {
            return i -> c.dev.zeroPageRange(pos(t, i) / PAGE, IO / PAGE);
        });
        for (Iter k : Iter.values()) {
            m.put("pmem.copyToIter." + k, (c, t) -> devRead(c, t, k));
        }
        for (Iter k : Iter.values()) {
            m.put("memfs.write." + k, (c, t) -> memfsIo(c, t, k, true));
        }
        for (Iter k : Iter.values()) {
            m.put("memfs.read." + k, (c, t) -> memfsIo(c, t, k, false));
        }
        for (Iter k : Iter.values()) {
            m.put("daxfs.write." + k, (c, t) -> daxfsWrite(c, t, k));
        }
        return m;
    }

    /** Where thread {@code t}'s {@code i}-th I/O goes: its own span of the device, page aligned. */
    static long pos(int t, int i) {
        return t * SPAN + (long) i * IO % SPAN;
    }

    private static Step devWrite(Ctx c, int t, Iter k, boolean nocache) {
        Buffers b = new Buffers(k);
        if (!nocache) {
            return i -> c.dev.copyFromIter(pos(t, i), IO, b.iter(IovIter.Direction.SOURCE));
        }
        // the Arch's nocache copy straight into the device's memory, as a driver without its own copy gets it
        return i -> {
            try (DaxReadLock lock = c.dev.readLock()) {
                DirectAccess da = c.dev.directAccess(pos(t, i) / PAGE, IO / PAGE, DaxAccessMode.WRITE);
                c.dev.arch().copyFromIterNocache(da.addr(), 0, IO, b.iter(IovIter.Direction.SOURCE));
            }
        };
    }

    private static Step devRead(Ctx c, int t, Iter k) {
        Buffers b = new Buffers(k);
        return i -> c.dev.copyToIter(pos(t, i), IO, b.iter(IovIter.Direction.DEST));
    }

    private static Step memfsIo(Ctx c, int t, Iter k, boolean write) {
        MemFs fs;
        synchronized (c) {
            if (c.memfs == null) {
                c.memfs = new MemFs(c.dev);
            }
            fs = c.memfs;
        }
        MemFile f = fs.create();
        Buffers b = new Buffers(k);
        byte[] fill = new byte[IO];
        for (long p = 0; p < SPAN; p += IO) { // the file's blocks exist before the cut
            f.write(p, IovIter.kvec(IovIter.Direction.SOURCE, fill));
        }
        return write ? i -> f.write(pos(0, i), b.iter(IovIter.Direction.SOURCE))
                : i -> f.read(pos(0, i), b.iter(IovIter.Direction.DEST));
    }

    private static Step daxfsWrite(Ctx c, int t, Iter k) {
        DaxFs fs;
        synchronized (c) {
            if (c.daxfs == null) {
                DaxFs.format(c.dev, FormatOptions.defaults());
                c.daxfs = DaxFs.mount(c.dev);
            }
            fs = c.daxfs;
        }
        DaxFile f = fs.create("file" + t);
        Buffers b = new Buffers(k);
        // New blocks (allocated, journalled) for the first 4 MiB, then overwrites; an fsync every 8.
        return i -> {
            f.write((long) i * IO % (2 * SPAN), b.iter(IovIter.Direction.SOURCE));
            if (i % 8 == 7) {
                f.fsync();
            }
        };
    }

    /** One thread's I/O buffer, as an iterator of the chosen kind (a new iterator per I/O). */
    static final class Buffers {
        private final Iter kind;
        private final byte[] array = new byte[IO];
        private final MemorySegment native_;
        private final List<IovIter.BioVec> pages = new ArrayList<>();

        Buffers(Iter kind) {
            this.kind = kind;
            this.native_ = Arena.ofAuto().allocate(IO, PAGE);
            for (int i = 0; i < IO; i++) {
                array[i] = (byte) (i * 31 + 7);
            }
            MemorySegment.copy(MemorySegment.ofArray(array), 0, native_, 0, IO);
            for (long off = 0; off < IO; off += PAGE) {
                pages.add(new IovIter.BioVec(native_.asSlice(off, PAGE), 0, PAGE));
            }
        }

        IovIter iter(IovIter.Direction dir) {
            return switch (kind) {
                case KVEC -> IovIter.kvec(dir, array);
                case USER -> IovIter.iovec(dir, native_.asSlice(0, 50_000), native_.asSlice(50_000)); // two runs
                case BVEC -> IovIter.bvec(dir, pages);
            };
        }
    }

    /** What one scenario saw. */
    record Outcome(String name, long ops, long daxExceptions, Map<String, Long> errnos, List<Throwable> others,
                   String first) {
        boolean ok() {
            return daxExceptions > 0 && others.isEmpty();
        }

        String line() {
            return "RESULT " + name + " ops=" + ops + " daxExceptions=" + daxExceptions + " errnos=" + errnos
                    + " other=" + others.size() + (first == null ? "" : " first=\"" + first + "\"");
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        List<String> names = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("all")) {
                names.addAll(SCENARIOS.keySet());
            } else {
                names.add(args[i]);
            }
        }
        var arch = Archs.current();
        System.out.println("ARCH " + arch.name() + " call=" + arch.features().getOrDefault("call", "-"));
        boolean ok = true;
        for (String name : names) {
            Scenario s = SCENARIOS.get(name);
            if (s == null) {
                throw new IllegalArgumentException("no scenario " + name + "; known: " + SCENARIOS.keySet());
            }
            Outcome o = run(dir, name, s);
            System.out.println(o.line());
            for (Throwable t : o.others()) {
                System.out.println("OTHER " + name + ":");
                t.printStackTrace(System.out);
            }
            ok &= o.ok();
        }
        System.out.println("SURVIVED");
        System.out.flush();
        System.exit(ok ? 0 : 1);
    }

    /**
     * Writers start; once each has done some I/O the file is cut to one page by another process;
     * the writers go on until each has seen 3 DaxExceptions (at most 20 s).
     */
    static Outcome run(Path dir, String name, Scenario scenario) throws Exception {
        Path file = dir.resolve("jdax-truncated-" + ProcessHandle.current().pid() + "-" + name + ".img");
        Files.deleteIfExists(file);
        AtomicLong ops = new AtomicLong();
        AtomicLong dax = new AtomicLong();
        Map<String, Long> errnos = new TreeMap<>();
        ConcurrentLinkedQueue<Throwable> others = new ConcurrentLinkedQueue<>();
        ConcurrentHashMap<Integer, Long> seen = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        String[] first = new String[1];
        DaxDevice dev = DaxDevices.open("pmem:" + file + "?size=" + DEVICE + "&create=true&mode=emulated");
        try {
            Ctx ctx = new Ctx(dev);
            // Reads need something there; every byte of the device is backed before the cut.
            dev.zeroPageRange(0, DEVICE / PAGE);
            dev.flush();
            List<Step> steps = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                steps.add(scenario.step(ctx, t));
            }
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                Step step = steps.get(t);
                threads.add(Thread.ofPlatform().name(name + "-" + t).start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            step.run(i);
                            ops.incrementAndGet();
                        } catch (DaxException e) {
                            dax.incrementAndGet();
                            seen.merge(thread, 1L, Long::sum);
                            synchronized (errnos) {
                                errnos.merge(e.errno().name(), 1L, Long::sum);
                                if (first[0] == null) {
                                    first[0] = e.getMessage();
                                }
                            }
                        } catch (Throwable e) { // InternalError, IllegalStateException, ...: all wrong
                            others.add(e);
                            return;
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ops.get() < 8L * THREADS && others.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            Process cut = new ProcessBuilder("truncate", "-s", String.valueOf(PAGE), file.toString())
                    .redirectErrorStream(true).start();
            String cutOut = new String(cut.getInputStream().readAllBytes());
            if (cut.waitFor() != 0) {
                throw new IOException("truncate failed: " + cutOut);
            }
            while (System.nanoTime() < deadline && others.isEmpty()
                    && !(seen.size() == THREADS && seen.values().stream().allMatch(n -> n >= 3))) {
                Thread.sleep(1);
            }
            stop.set(true);
            for (Thread th : threads) {
                th.join();
            }
            if (ctx.daxfs != null) {
                try {
                    ctx.daxfs.unmount(); // its last journal write faults too
                } catch (DaxException e) {
                    dax.incrementAndGet();
                } catch (Throwable e) {
                    others.add(e);
                }
            }
        } finally {
            dev.close();
            Files.deleteIfExists(file);
        }
        return new Outcome(name, ops.get(), dax.get(), errnos, List.copyOf(others), first[0]);
    }
}
