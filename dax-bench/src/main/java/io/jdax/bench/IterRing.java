package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Iterators of one kind and size, built once over disjoint slots of the {@link SourceBuffers} and
 * reused round-robin ({@link IovIter#revert} rewinds one), so a measured operation never pays for
 * building its iterator and the source stays warm. Source iterators feed writes; destination
 * iterators ({@link #destinations}) receive reads.
 * <ul>
 *   <li>USER: one native segment ({@code ITER_UBUF});</li>
 *   <li>KVEC: a slice of the heap array ({@code ITER_KVEC});</li>
 *   <li>BVEC: the native bytes as page fragments, one {@code bio_vec} per 4 KiB page touched
 *       ({@code ITER_BVEC}).</li>
 * </ul>
 * Slots start 64-byte aligned and are a cache line apart, so neighbouring slots share no line.
 */
public final class IterRing {
    private static final int PAGE = 4096;
    private static final ValueLayout.OfLong STAMP = ValueLayout.JAVA_LONG_UNALIGNED;

    private final IovIter.Kind kind;
    private final IovIter.Direction direction;
    private final long size;
    private final long[] offsets;
    private final IovIter[] iters;
    private final MemorySegment[] expected;

    /**
     * A ring of at most {@code maxSlots} source iterators of {@code size} bytes, the first slot at
     * {@code firstOffset} (rounded down to 64) or wherever fewer slots fit.
     *
     * @throws DaxException EINVAL if {@code size} is not positive or larger than the source
     */
    public IterRing(SourceBuffers src, IovIter.Kind kind, long size, int maxSlots, long firstOffset) {
        this(src, kind, IovIter.Direction.SOURCE, size, maxSlots, firstOffset, src.size(), true);
    }

    /**
     * Source iterators confined to {@code [from, to)} of the buffers: each writer thread takes its
     * own window, so threads never share (or stamp) each other's bytes.
     *
     * @throws DaxException EINVAL if not even one iterator of {@code size} bytes fits the window
     */
    public static IterRing sources(SourceBuffers src, IovIter.Kind kind, long size, int maxSlots, long from, long to) {
        return new IterRing(src, kind, IovIter.Direction.SOURCE, size, maxSlots, from, to, false);
    }

    /**
     * Destination iterators (reads land in them) over {@code [from, to)} of {@code buffers}:
     * {@link #expected} is then the bytes a read filled in.
     *
     * @throws DaxException EINVAL if not even one iterator of {@code size} bytes fits the window
     */
    public static IterRing destinations(SourceBuffers buffers, IovIter.Kind kind, long size, int maxSlots, long from,
                                        long to) {
        return new IterRing(buffers, kind, IovIter.Direction.DEST, size, maxSlots, from, to, false);
    }

    private IterRing(SourceBuffers src, IovIter.Kind kind, IovIter.Direction direction, long size, int maxSlots,
                     long from, long to, boolean slide) {
        long lo = Math.max(0, from) / 64 * 64;
        long hi = Math.min(to, src.size());
        if (size <= 0 || size > src.size() || (!slide && size > hi - lo)) {
            throw new DaxException(Errno.EINVAL, "iterators of " + size + " bytes from a " + (slide ? src.size()
                    : Math.max(0, hi - lo)) + "-byte " + (slide ? "source" : "window of the buffers"));
        }
        this.kind = kind;
        this.direction = direction;
        this.size = size;
        long stride = (size + 63) / 64 * 64 + 64;
        long fit = slide ? (src.size() - size) / stride + 1 : (hi - lo - size) / stride + 1;
        int n = (int) Math.max(1, Math.min(Math.max(1, maxSlots), fit));
        long span = (n - 1) * stride + size;
        long first = slide ? Math.min(lo, (src.size() - span) / 64 * 64) : lo;
        offsets = new long[n];
        iters = new IovIter[n];
        expected = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = first + i * stride;
            iters[i] = build(src, offsets[i]);
            expected[i] = kind == IovIter.Kind.KVEC
                    ? MemorySegment.ofArray(src.heapSource()).asSlice(offsets[i], size)
                    : src.nativeSource().asSlice(offsets[i], size);
        }
    }

    private IovIter build(SourceBuffers src, long off) {
        return switch (kind) {
            case USER -> IovIter.ubuf(direction, src.nativeSource().asSlice(off, size));
            case KVEC -> IovIter.kvec(direction, src.heapSource(), (int) off, (int) size);
            case BVEC -> {
                List<IovIter.BioVec> vecs = new ArrayList<>();
                for (long at = off; at < off + size; ) {
                    long page = at / PAGE * PAGE;
                    long len = Math.min(page + PAGE, off + size) - at;
                    vecs.add(new IovIter.BioVec(src.nativeSource().asSlice(page, PAGE), at - page, len));
                    at += len;
                }
                yield IovIter.bvec(direction, vecs);
            }
        };
    }

    /** The iterator kind. */
    public IovIter.Kind kind() {
        return kind;
    }

    /** Bytes per iterator. */
    public long size() {
        return size;
    }

    /** How many iterators the ring holds: how many operations can run before one is reused. */
    public int slots() {
        return iters.length;
    }

    /** The iterator of {@code slot}, rewound to hold all its bytes again. */
    public IovIter iter(int slot) {
        IovIter it = iters[slot];
        it.revert(it.consumed());
        it.reexpand(size);
        return it;
    }

    /**
     * The bytes of the iterator of {@code slot}: for a source, what the device must show after a
     * write of it; for a destination, what a read filled in.
     */
    public MemorySegment expected(int slot) {
        return expected[slot];
    }

    /** Where the slot starts in its source buffer. */
    public long sourceOffset(int slot) {
        return offsets[slot];
    }

    /**
     * Writes a mark derived from {@code serial} (8 bytes that all differ from the previous serial's)
     * into the slot's bytes: at its start, at every 4 KiB after that and in its last 8 bytes
     * (smaller sizes: one byte). Each write then carries bytes that no earlier write
     * to the same place carried, so a write that never happened cannot pass verification.
     */
    public void stamp(int slot, long serial) {
        stamp(expected[slot], serial);
    }

    /**
     * The mark of {@link #stamp(int, long)} written into {@code m}: 8 bytes derived from
     * {@code serial} at its start, every 4 KiB and in its last 8 bytes (under 16 bytes: one byte).
     */
    public static void stamp(MemorySegment m, long serial) {
        long size = m.byteSize();
        long mark = mark(serial);
        if (size < 16) {
            m.set(ValueLayout.JAVA_BYTE, 0, (byte) (mark >>> 56));
            return;
        }
        for (long at = 0; at + 8 <= size; at += PAGE) {
            m.set(STAMP, at, mark);
        }
        m.set(STAMP, size - 8, mark);
    }

    /** The 8-byte mark of {@code serial}: every byte changes from one serial to the next, the top ones too. */
    static long mark(long serial) {
        return serial * 0x9E3779B97F4A7C15L;
    }

    /**
     * What {@link #stamp(MemorySegment, long)} puts at each place it marks in a range of
     * {@code size} bytes: the 8-byte mark, or (under 16 bytes) its top byte.
     */
    static MemorySegment markImage(long serial, long size, java.lang.foreign.SegmentAllocator allocator) {
        long mark = mark(serial);
        if (size < 16) {
            MemorySegment one = allocator.allocate(1);
            one.set(ValueLayout.JAVA_BYTE, 0, (byte) (mark >>> 56));
            return one;
        }
        MemorySegment eight = allocator.allocate(8);
        eight.set(STAMP, 0, mark);
        return eight;
    }

    /** The offsets {@link #stamp(MemorySegment, long)} marks in a range of {@code size} bytes. */
    static long[] markOffsets(long size) {
        if (size < 16) {
            return new long[] {0};
        }
        long[] at = new long[(int) ((size - 8) / PAGE) + 2];
        int n = 0;
        for (long a = 0; a + 8 <= size; a += PAGE) {
            at[n++] = a;
        }
        at[n++] = size - 8;
        return java.util.Arrays.copyOf(at, n);
    }
}
