package io.jdax.daxfs.campaigns;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.daxfs.FormatOptions;
import io.jdax.daxfs.Fsck;
import io.jdax.daxfs.FsckReport;
import io.jdax.daxfs.fault.Fault;
import io.jdax.daxfs.fault.FaultInjection;
import io.jdax.testkit.campaign.CheckedWorkload;
import io.jdax.testkit.campaign.Ledger;
import io.jdax.testkit.campaign.Workload;
import io.jdax.uio.IovIter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * A daxfs workload for the testkit's power-fail campaigns, judged by what the filesystem
 * promises rather than by device bytes. The workload formats the device, mounts it, and runs
 * its steps; before each step it says which states a crash may leave (a list of
 * <em>worlds</em>, each a map from file name to what that file may hold, names not in the map
 * being absent), and after the step returns it narrows them to what the step promised.
 * <p>
 * Each crash image must then: pass fsck with no error and no leak; mount; show exactly the
 * names of one world, each file holding what that world allows (which also means no byte a file
 * was never given: stale data of a deleted file fails); unmount; pass fsck clean, with nothing
 * left pending.
 */
abstract class FsCrashWorkload implements CheckedWorkload {

    /** What one file may hold after a crash. */
    sealed interface Expect permits Exact, Partial {
        /** Why {@code content} is not allowed, or null. */
        String mismatch(byte[] content);
    }

    /** Exactly these bytes. */
    record Exact(byte[] content) implements Expect {
        @Override
        public String mismatch(byte[] c) {
            if (Arrays.equals(c, content)) {
                return null;
            }
            int at = Arrays.mismatch(c, content);
            return "holds " + c.length + " bytes, expected exactly " + content.length + " (first difference at byte " + at
                    + ": " + (at < c.length ? c[at] : "end") + " instead of " + (at < content.length ? content[at] : "end") + ")";
        }

        @Override
        public String toString() {
            return "exactly " + content.length + " bytes";
        }
    }

    /**
     * An unacknowledged write (or several) under way over {@code base}: the size lies in
     * {@code [minSize, maxSize]}, and every byte holds its base value (zero past the base), or
     * a value one of the writes put there. Anything else was never given to this file.
     */
    record Partial(byte[] base, long minSize, long maxSize, List<Write> writes) implements Expect {
        @Override
        public String mismatch(byte[] c) {
            if (c.length < minSize || c.length > maxSize) {
                return "size " + c.length + " is outside [" + minSize + ", " + maxSize + "]";
            }
            for (int i = 0; i < c.length; i++) {
                byte v = c[i];
                if (v == (i < base.length ? base[i] : 0)) {
                    continue;
                }
                boolean given = false;
                for (Write w : writes) {
                    if (i >= w.offset() && i < w.offset() + w.data().length && w.data()[(int) (i - w.offset())] == v) {
                        given = true;
                        break;
                    }
                }
                if (!given) {
                    return "byte " + i + " holds " + v + ", which no write gave it (base " + (i < base.length ? base[i] : 0)
                            + ")";
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "base of " + base.length + " bytes, size in [" + minSize + ", " + maxSize + "], " + writes.size()
                    + " write(s) in flight";
        }
    }

    /** A write: {@code data} at {@code offset}. */
    record Write(long offset, byte[] data) {
    }

    /** The names and contents one acceptable state has. */
    static final class World {
        final TreeMap<String, Expect> files = new TreeMap<>();

        World with(String name, Expect e) {
            files.put(name, e);
            return this;
        }

        World copy() {
            World w = new World();
            w.files.putAll(files);
            return w;
        }

        /** Why {@code seen} is not this world, or null. */
        String mismatch(Map<String, byte[]> seen) {
            if (!seen.keySet().equals(files.keySet())) {
                return "names " + seen.keySet() + ", expected " + files.keySet();
            }
            for (var e : files.entrySet()) {
                String m = e.getValue().mismatch(seen.get(e.getKey()));
                if (m != null) {
                    return "file '" + e.getKey() + "' " + m;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return files.toString();
        }
    }

    /** The device the campaigns format: room for every workload's files with the journal's smallest size. */
    static final int DEVICE_SIZE = 1 << 20;
    /**
     * Transactions split early (above a third of the smallest journal): deletes, truncates and
     * large writes then take several, and crashes land between them.
     */
    static final int TX_LIMIT = 9;

    private final String name;
    private final long seed;
    private final LongFunction<FsCrashWorkload> withSeed;
    /** Deliberate bugs to switch on in the workload's mount (the proof that campaigns catch them). */
    final Set<Fault> faults = EnumSet.noneOf(Fault.class);
    /** The acceptable states right now; changed by the workload as it goes. */
    private List<World> worlds = List.of();
    /** False until format returned: before that a crash may leave no filesystem at all. */
    private boolean formatted;
    /** The state the last acknowledged step left. */
    World durable = new World();
    protected SplittableRandom rnd;
    private Ledger ledger;
    int checks;
    /** Images whose fsck (before mount) saw an orphan being freed, or a truncate under way: the recovery paths exercised. */
    int orphansSeen;
    int truncatesSeen;

    FsCrashWorkload(String name, long seed, LongFunction<FsCrashWorkload> withSeed) {
        this.name = name;
        this.seed = seed;
        this.withSeed = withSeed;
    }

    /** The same steps with data from {@code s}; no faults switched on. */
    @Override
    public Workload withSeed(long s) {
        return withSeed.apply(s);
    }

    @Override
    public String name() {
        return "daxfs-" + name;
    }

    @Override
    public int minDeviceSize() {
        return DEVICE_SIZE;
    }

    /** The steps, on a freshly formatted and mounted filesystem. */
    abstract void steps(DaxFs fs);

    @Override
    public final void run(DaxDevice device, Ledger ledger) {
        this.ledger = ledger;
        this.rnd = new SplittableRandom(seed);
        this.formatted = false;
        this.durable = new World();
        this.worlds = List.of(durable);
        DaxFs.format(device, FormatOptions.defaults());
        formatted = true;
        ledger.acknowledge();
        DaxFs fs = new FaultInjection(faults, TX_LIMIT).mount(device);
        try {
            steps(fs);
        } finally {
            fs.unmount();
        }
        ledger.acknowledge();
    }

    /** Before a step: a crash from now on may leave {@link #durable} or any of {@code others}. */
    void mayBecome(World... others) {
        List<World> w = new ArrayList<>();
        w.add(durable);
        w.addAll(List.of(others));
        worlds = w;
    }

    /** After a step returned: it promised {@code now}; a crash shows exactly that. */
    void promised(World now) {
        durable = now;
        worlds = List.of(now);
        ledger.acknowledge();
    }

    // ---- helpers for the steps

    /** {@code n} bytes of values 1 to 255, never zero (a zero could hide a lost byte). */
    byte[] data(int n) {
        return data(n, 1, 255);
    }

    /** {@code n} bytes of values {@code lo} to {@code hi}: files given disjoint ranges cannot pass for each other. */
    byte[] data(int n, int lo, int hi) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (lo + rnd.nextInt(hi - lo + 1));
        }
        return b;
    }

    /** Creates {@code name} and fills it with {@code d}, fsynced, saying what each step may leave. */
    DaxFile createFilled(DaxFs fs, String name, byte[] d) {
        mayBecome(durable.copy().with(name, new Exact(new byte[0])));
        DaxFile f = fs.create(name);
        promised(durable.copy().with(name, new Exact(new byte[0])));
        mayBecome(durable.copy().with(name, new Partial(new byte[0], 0, d.length, List.of(new Write(0, d)))));
        write(f, 0, d);
        f.fsync();
        promised(durable.copy().with(name, new Exact(d)));
        return f;
    }

    static void write(DaxFile f, long pos, byte[] data) {
        long n = f.write(pos, IovIter.kvec(IovIter.Direction.SOURCE, data));
        if (n != data.length) {
            throw new DaxException(Errno.EIO, "short write " + n + " of " + data.length);
        }
    }

    static byte[] contentOf(World w, String name) {
        Expect e = w.files.get(name);
        if (e instanceof Exact x) {
            return x.content();
        }
        throw new IllegalStateException(name + " is not settled: " + e);
    }

    static byte[] concat(byte[] a, long pos, byte[] b) {
        byte[] out = Arrays.copyOf(a, (int) Math.max(a.length, pos + b.length));
        System.arraycopy(b, 0, out, (int) pos, b.length);
        return out;
    }

    // ---- the judge

    @Override
    public List<String> check(DaxDevice rebooted) {
        checks++;
        List<String> problems = new ArrayList<>();
        if (!formatted) {
            // No filesystem yet, or half a format (the superblock goes last): mount may fail, or show nothing.
            try (DaxFs fs = DaxFs.mount(rebooted)) {
                if (!fs.list().isEmpty()) {
                    problems.add("files on a filesystem whose format had not returned: " + fs.list());
                }
            } catch (DaxException e) {
                // allowed
            }
            return problems;
        }
        FsckReport before;
        try {
            before = Fsck.check(rebooted);
        } catch (DaxException e) {
            problems.add("fsck failed: " + e.getMessage());
            return problems;
        }
        if (!before.errors().isEmpty() || before.leakedBlocks() > 0) {
            problems.add("fsck before mount: " + before.describe());
        }
        if (before.pending().stream().anyMatch(m -> m.contains("orphan"))) {
            orphansSeen++;
        }
        if (before.pending().stream().anyMatch(m -> m.contains("truncate was under way"))) {
            truncatesSeen++;
        }
        Map<String, byte[]> seen = new LinkedHashMap<>();
        try (DaxFs fs = DaxFs.mount(rebooted)) {
            for (String n : fs.list()) {
                DaxFile f = fs.open(n);
                byte[] c = new byte[(int) f.size()];
                long got = f.read(0, IovIter.kvec(IovIter.Direction.DEST, c));
                if (got != c.length) {
                    problems.add("file '" + n + "': read " + got + " of its " + c.length + " bytes");
                }
                seen.put(n, c);
            }
        } catch (DaxException e) {
            problems.add("mount failed: " + e.getMessage());
            return problems;
        }
        List<String> why = new ArrayList<>();
        boolean match = false;
        for (World w : worlds) {
            String m = w.mismatch(seen);
            if (m == null) {
                match = true;
                break;
            }
            why.add(m);
        }
        if (!match) {
            problems.add("the files match none of the " + worlds.size() + " allowed states: " + String.join(" | ", why));
        }
        FsckReport after = Fsck.check(rebooted);
        if (!after.clean() || !after.pending().isEmpty()) {
            problems.add("fsck after mount and unmount: " + after.describe());
        }
        return problems;
    }
}
