package io.jdax.pmem;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DirectAccess;
import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Iterators of every kind over given bytes, and the fs-dax-like loops that move them through a device. */
final class Iters {
    private Iters() {
    }

    /** A SOURCE iterator of {@code kind} holding {@code data}, split into a few uneven segments. */
    static IovIter source(IovIter.Kind kind, byte[] data, Arena arena) {
        List<int[]> cuts = cuts(data.length);
        return switch (kind) {
            case USER -> {
                List<MemorySegment> segs = new ArrayList<>();
                for (int[] c : cuts) {
                    MemorySegment s = arena.allocate(Math.max(c[1], 1), 64).asSlice(0, c[1]);
                    MemorySegment.copy(MemorySegment.ofArray(data), c[0], s, 0, c[1]);
                    segs.add(s);
                }
                yield IovIter.iovec(IovIter.Direction.SOURCE, segs);
            }
            case KVEC -> {
                byte[][] arrays = new byte[cuts.size()][];
                for (int i = 0; i < arrays.length; i++) {
                    arrays[i] = java.util.Arrays.copyOfRange(data, cuts.get(i)[0], cuts.get(i)[0] + cuts.get(i)[1]);
                }
                yield IovIter.kvec(IovIter.Direction.SOURCE, arrays);
            }
            case BVEC -> {
                List<IovIter.BioVec> vecs = new ArrayList<>();
                for (int[] c : cuts) {
                    // each piece sits at an odd offset of its own heap page buffer
                    byte[] page = new byte[c[1] + 17];
                    System.arraycopy(data, c[0], page, 17, c[1]);
                    vecs.add(new IovIter.BioVec(MemorySegment.ofArray(page), 17, c[1]));
                }
                yield IovIter.bvec(IovIter.Direction.SOURCE, vecs);
            }
        };
    }

    /** A DEST iterator of {@code kind} with room for {@code length} bytes, and how to collect them after. */
    record Dest(IovIter iter, java.util.function.Supplier<byte[]> bytes) {
    }

    static Dest dest(IovIter.Kind kind, int length, Arena arena) {
        List<int[]> cuts = cuts(length);
        switch (kind) {
            case USER -> {
                List<MemorySegment> segs = new ArrayList<>();
                for (int[] c : cuts) {
                    segs.add(arena.allocate(Math.max(c[1], 1), 8).asSlice(0, c[1]));
                }
                return new Dest(IovIter.iovec(IovIter.Direction.DEST, segs), () -> join(segs));
            }
            case KVEC -> {
                List<MemorySegment> segs = new ArrayList<>();
                for (int[] c : cuts) {
                    segs.add(MemorySegment.ofArray(new byte[c[1]]));
                }
                return new Dest(IovIter.kvec(IovIter.Direction.DEST, segs), () -> join(segs));
            }
            default -> {
                List<IovIter.BioVec> vecs = new ArrayList<>();
                List<MemorySegment> segs = new ArrayList<>();
                for (int[] c : cuts) {
                    MemorySegment page = MemorySegment.ofArray(new byte[c[1] + 5]);
                    vecs.add(new IovIter.BioVec(page, 5, c[1]));
                    segs.add(page.asSlice(5, c[1]));
                }
                return new Dest(IovIter.bvec(IovIter.Direction.DEST, vecs), () -> join(segs));
            }
        }
    }

    private static byte[] join(List<MemorySegment> segs) {
        int n = 0;
        for (MemorySegment s : segs) {
            n += (int) s.byteSize();
        }
        byte[] out = new byte[n];
        int at = 0;
        for (MemorySegment s : segs) {
            MemorySegment.copy(s, 0, MemorySegment.ofArray(out), at, s.byteSize());
            at += (int) s.byteSize();
        }
        return out;
    }

    /** Three pieces (first, middle, rest) of uneven sizes, or one for tiny lengths. */
    private static List<int[]> cuts(int length) {
        if (length < 3) {
            return List.of(new int[] {0, length});
        }
        int a = length / 3 + 1;
        int b = length / 5;
        return List.of(new int[] {0, a}, new int[] {a, b}, new int[] {a + b, length - a - b});
    }

    /** Writes the iterator at device offset {@code offset} through the core's chunk loop (the driver's copyFromIter). */
    static long write(DaxDevice d, long offset, IovIter src) {
        return d.copyFromIter(offset, src.count(), src);
    }

    /** Reads into the iterator from device offset {@code offset} through the core (the driver's copyToIter). */
    static long read(DaxDevice d, long offset, IovIter dst) {
        return d.copyToIter(offset, dst.count(), dst);
    }
}
