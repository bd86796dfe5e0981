package io.jdax.fsdax;

import io.jdax.dax.DaxDevice;
import io.jdax.fsdax.Fixtures.Kind;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static io.jdax.fsdax.Fixtures.PAGE;
import static io.jdax.fsdax.Fixtures.STALE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chunk loop, extent loop and zeroing give one answer whatever the device's shape: brd (one
 * page per directAccess, nocache fallback, zeroPageRange frees pages), pmem (everything at once,
 * its own durable copy), and the linear device without any optional operation, all checked
 * against a plain byte array for random positions, lengths and iterator shapes.
 */
class RwPropertiesTest {
    /** The file stays within this many bytes, so the 32-block devices never run out of space. */
    private static final int SPAN = 12 * PAGE;

    sealed interface Action permits Write, Read, Truncate, PunchHole, Fallocate {
    }

    record Write(int pos, int len, Shape shape, long seed) implements Action {
    }

    record Read(int pos, int len, Shape shape) implements Action {
    }

    record Truncate(int size) implements Action {
    }

    record PunchHole(int pos, int len) implements Action {
    }

    record Fallocate(int pos, int len) implements Action {
    }

    /** How an iterator cuts its bytes into segments, and of which kind they are. */
    record Shape(IovIter.Kind kind, List<Integer> cuts, boolean nativePages) {
    }

    /** The device shapes compared; each is checked against the model on its own. */
    private enum Target {
        BRD, PMEM, LINEAR_PLAIN;

        DaxDevice open() {
            return switch (this) {
                case BRD -> Kind.BRD.open("prop", 32L * PAGE);
                case PMEM -> Kind.PMEM.open("prop", 32L * PAGE);
                case LINEAR_PLAIN -> new LinearDevice("prop", 32L * PAGE);
            };
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 120);
    }

    /** Each case is generated from its seed (shown in the test name), so a failure reproduces exactly. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyDeviceShapeReadsBackWhatAByteArrayHolds(long seed) {
        List<Action> actions = actions(new Random(seed));
        long[] blocks = new long[Target.values().length];
        for (Target t : Target.values()) {
            blocks[t.ordinal()] = run(t, actions);
        }
        // The same operations allocate the same blocks, whichever device is underneath.
        for (long b : blocks) {
            assertEquals(blocks[0], b, () -> "blocks held per target " + Arrays.toString(blocks));
        }
    }

    /** Runs the actions on a fresh, stale-filled device and checks each against the model. */
    private static long run(Target target, List<Action> actions) {
        DaxDevice device = target.open();
        try (Arena arena = Arena.ofConfined()) {
            Fixtures.fill(device, STALE);
            MemFs fs = new MemFs(device);
            MemFile f = fs.create();
            byte[] model = new byte[SPAN + PAGE];
            long size = 0;
            for (int i = 0; i < actions.size(); i++) {
                Action a = actions.get(i);
                String where = target + " action " + i + " " + a;
                switch (a) {
                    case Write w -> {
                        byte[] data = Fixtures.pattern(w.len(), w.seed());
                        Built it = build(IovIter.Direction.SOURCE, w.shape(), w.len(), arena);
                        it.load(data);
                        assertEquals(w.len(), f.write(w.pos(), it.iter()), where);
                        assertEquals(0, it.iter().count(), where);
                        System.arraycopy(data, 0, model, w.pos(), w.len());
                        if (w.len() > 0) {
                            size = Math.max(size, w.pos() + (long) w.len()); // an empty write changes nothing
                        }
                    }
                    case Read r -> {
                        Built it = build(IovIter.Direction.DEST, r.shape(), r.len(), arena);
                        int expect = (int) Math.max(0, Math.min(r.len(), size - r.pos()));
                        assertEquals(expect, f.read(r.pos(), it.iter()), where);
                        assertEquals(r.len() - expect, it.iter().count(), where);
                        assertArrayEquals(Arrays.copyOfRange(model, r.pos(), r.pos() + expect),
                                Arrays.copyOf(it.unload(), expect), where);
                    }
                    case Truncate t -> {
                        f.truncate(t.size());
                        if (t.size() < size) {
                            Arrays.fill(model, t.size(), (int) size, (byte) 0);
                        }
                        size = t.size();
                    }
                    case PunchHole p -> {
                        f.punchHole(p.pos(), p.len());
                        Arrays.fill(model, p.pos(), p.pos() + p.len(), (byte) 0);
                    }
                    case Fallocate fa -> {
                        f.fallocate(fa.pos(), fa.len());
                        size = Math.max(size, fa.pos() + (long) fa.len());
                    }
                }
                assertEquals(size, f.size(), where);
                checkExtents(fs, f, where);
            }
            byte[] all = new byte[(int) size];
            assertEquals(size, f.read(0, IovIter.kvec(IovIter.Direction.DEST, all)), target + " final read");
            assertArrayEquals(Arrays.copyOf(model, (int) size), all, target + " final content");
            return f.blockCount();
        } finally {
            Fixtures.closeAll(List.of(device));
        }
    }

    /**
     * The extent map against the allocator: every block the device has is free or held by the file
     * (none leaked, none freed twice), and FIEMAP lists disjoint extents in file order, none of
     * which could be merged with the one before (same state, contiguous in the file and on the device).
     */
    private static void checkExtents(MemFs fs, MemFile f, String where) {
        assertEquals(fs.nrBlocks(), fs.freeBlocks() + f.blockCount(), where + ": free + held blocks");
        long held = 0;
        Iomap prev = null;
        for (Iomap e : f.fiemap()) {
            held += e.length() / PAGE;
            if (prev != null) {
                assertTrue(prev.end() <= e.offset(), where + ": " + prev + " overlaps " + e);
                boolean mergeable = prev.end() == e.offset() && prev.getClass() == e.getClass()
                        && addr(prev) + prev.length() == addr(e);
                assertFalse(mergeable, where + ": " + prev + " and " + e + " are one extent");
            }
            prev = e;
        }
        assertEquals(f.blockCount(), held, where + ": blocks in FIEMAP");
    }

    private static long addr(Iomap e) {
        return switch (e) {
            case Iomap.Mapped m -> m.addr();
            case Iomap.Unwritten u -> u.addr();
            case Iomap.Hole h -> throw new AssertionError("FIEMAP lists no holes: " + h);
        };
    }

    // ---- iterators of every kind, cut at random places

    /** An iterator and the memory behind it, segment by segment. */
    private record Built(IovIter iter, List<MemorySegment> segments) {
        void load(byte[] data) {
            long off = 0;
            for (MemorySegment s : segments) {
                MemorySegment.copy(MemorySegment.ofArray(data), off, s, 0, s.byteSize());
                off += s.byteSize();
            }
        }

        byte[] unload() {
            byte[] out = new byte[(int) segments.stream().mapToLong(MemorySegment::byteSize).sum()];
            long off = 0;
            for (MemorySegment s : segments) {
                MemorySegment.copy(s, 0, MemorySegment.ofArray(out), off, s.byteSize());
                off += s.byteSize();
            }
            return out;
        }
    }

    private static Built build(IovIter.Direction dir, Shape shape, int len, Arena arena) {
        int[] cuts = shape.cuts().stream().mapToInt(c -> c % (len + 1)).sorted().toArray();
        List<Integer> lengths = new ArrayList<>();
        int prev = 0;
        for (int c : cuts) {
            lengths.add(c - prev); // empty segments included: iterators must step over them
            prev = c;
        }
        lengths.add(len - prev);
        List<MemorySegment> segs = new ArrayList<>();
        return switch (shape.kind()) {
            case USER -> {
                lengths.forEach(n -> segs.add(arena.allocate(Math.max(n, 1)).asSlice(0, n)));
                yield new Built(IovIter.iovec(dir, segs), segs);
            }
            case KVEC -> {
                byte[][] arrays = lengths.stream().map(n -> new byte[n]).toArray(byte[][]::new);
                Arrays.stream(arrays).forEach(a -> segs.add(MemorySegment.ofArray(a)));
                yield new Built(IovIter.kvec(dir, arrays), segs);
            }
            case BVEC -> {
                List<IovIter.BioVec> vecs = new ArrayList<>();
                for (int n : lengths) {
                    int offset = (n * 31) % 97; // a page vector starts anywhere in its page
                    MemorySegment page = shape.nativePages() ? arena.allocate(offset + n + 1)
                            : MemorySegment.ofArray(new byte[offset + n + 1]);
                    vecs.add(new IovIter.BioVec(page, offset, n));
                    segs.add(page.asSlice(offset, n));
                }
                yield new Built(IovIter.bvec(dir, vecs), segs);
            }
        };
    }

    // ---- generators

    static List<Action> actions(Random rnd) {
        List<Action> out = new ArrayList<>();
        for (int i = 1 + rnd.nextInt(12); i > 0; i--) {
            int pick = rnd.nextInt(14); // weights: write 6, read 5, truncate 1, punch 1, fallocate 1
            int p = position(rnd);
            int n = length(rnd);
            if (pick < 6) {
                out.add(new Write(p, Math.min(n, SPAN - p), shape(rnd), rnd.nextLong()));
            } else if (pick < 11) {
                int rp = rnd.nextBoolean() ? p : SPAN + rnd.nextInt(PAGE + 1);
                out.add(new Read(rp, Math.min(n, SPAN + PAGE - rp), shape(rnd)));
            } else if (pick == 11) {
                out.add(new Truncate(p));
            } else if (pick == 12) {
                out.add(new PunchHole(p, Math.max(1, Math.min(n, SPAN - p))));
            } else {
                out.add(new Fallocate(p, Math.max(1, Math.min(n, SPAN - p))));
            }
        }
        return out;
    }

    /** Offsets below {@code SPAN}, often next to a block boundary, where the edge cases are. */
    private static int position(Random rnd) {
        if (rnd.nextBoolean()) {
            long k = rnd.nextInt(SPAN / PAGE + 1);
            return (int) Math.clamp(k * PAGE + rnd.nextInt(5) - 2, 0, SPAN - 1);
        }
        return rnd.nextInt(SPAN);
    }

    /** Lengths up to three blocks, often a block multiple give or take a byte. */
    private static int length(Random rnd) {
        if (rnd.nextBoolean()) {
            return Math.max(0, rnd.nextInt(4) * PAGE + rnd.nextInt(3) - 1);
        }
        return rnd.nextInt(3 * PAGE + 1);
    }

    private static Shape shape(Random rnd) {
        List<Integer> cuts = new ArrayList<>();
        for (int i = rnd.nextInt(5); i > 0; i--) {
            cuts.add(rnd.nextInt(Integer.MAX_VALUE));
        }
        return new Shape(IovIter.Kind.values()[rnd.nextInt(3)], cuts, rnd.nextBoolean());
    }
}
