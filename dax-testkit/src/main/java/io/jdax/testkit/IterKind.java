package io.jdax.testkit;

import io.jdax.uio.IovIter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The shapes of iterator the suite and the workloads copy through, one per kernel kind and
 * more: native memory streams (non-temporal stores allowed), heap memory cannot, and several
 * segments make the copy loops cross segment boundaries.
 */
public enum IterKind {
    /** One native segment ({@code ITER_UBUF}). */
    UBUF,
    /** Three native segments of uneven lengths ({@code ITER_IOVEC}). */
    IOVEC,
    /** Two heap arrays ({@code ITER_KVEC}). */
    KVEC,
    /** Native pages, up to 1000 bytes each at offset 17 of its page ({@code ITER_BVEC}). */
    BVEC,
    /** Heap pages, as {@link #BVEC} ({@code ITER_BVEC} over heap memory). */
    BVEC_HEAP;

    private static final int BVEC_CHUNK = 1000;
    private static final int BVEC_OFFSET = 17;

    /**
     * An iterator of this shape holding {@code data}.
     *
     * @param arena where native buffers are allocated; they live as long as it
     */
    public IovIter source(byte[] data, Arena arena) {
        List<MemorySegment> segs = segments(data.length, arena);
        int at = 0;
        for (MemorySegment s : segs) {
            MemorySegment.copy(data, at, s, ValueLayout.JAVA_BYTE, 0, (int) s.byteSize());
            at += (int) s.byteSize();
        }
        return iter(IovIter.Direction.SOURCE, segs);
    }

    /**
     * A read's destination.
     *
     * @param iter  the DEST iterator
     * @param bytes what it holds now, in order
     */
    public record Dest(IovIter iter, Supplier<byte[]> bytes) {
    }

    /** An empty iterator of this shape, {@code length} bytes long, to read into. */
    public Dest dest(int length, Arena arena) {
        List<MemorySegment> segs = segments(length, arena);
        return new Dest(iter(IovIter.Direction.DEST, segs), () -> {
            byte[] out = new byte[length];
            int at = 0;
            for (MemorySegment s : segs) {
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, out, at, (int) s.byteSize());
                at += (int) s.byteSize();
            }
            return out;
        });
    }

    private List<MemorySegment> segments(int length, Arena arena) {
        Objects.requireNonNull(arena, "arena");
        List<MemorySegment> segs = new ArrayList<>();
        switch (this) {
            case UBUF -> segs.add(arena.allocate(Math.max(length, 1), 64).asSlice(0, length));
            case IOVEC -> {
                int a = length / 3;
                int b = length / 2 - a / 2;
                for (int n : new int[] {a, b, length - a - b}) {
                    segs.add(arena.allocate(Math.max(n, 1), 64).asSlice(0, n));
                }
            }
            case KVEC -> {
                segs.add(MemorySegment.ofArray(new byte[length / 2]));
                segs.add(MemorySegment.ofArray(new byte[length - length / 2]));
            }
            case BVEC, BVEC_HEAP -> {
                for (int at = 0; at < length || segs.isEmpty(); at += BVEC_CHUNK) {
                    int n = Math.min(BVEC_CHUNK, length - at);
                    MemorySegment page = this == BVEC ? arena.allocate(4096, 4096)
                            : MemorySegment.ofArray(new byte[4096]);
                    segs.add(page.asSlice(BVEC_OFFSET, n));
                }
            }
        }
        return segs;
    }

    private IovIter iter(IovIter.Direction dir, List<MemorySegment> segs) {
        return switch (this) {
            case UBUF -> IovIter.ubuf(dir, segs.getFirst());
            case IOVEC -> IovIter.iovec(dir, segs);
            case KVEC -> IovIter.kvec(dir, segs);
            case BVEC, BVEC_HEAP -> IovIter.bvec(dir, segs.stream()
                    .map(s -> new IovIter.BioVec(s, 0, s.byteSize())).toList());
        };
    }
}
