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
 * building its iterator and the source stays warm.
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
    private final long size;
    private final long[] offsets;
    private final IovIter[] iters;
    private final MemorySegment[] expected;

    /**
     * A ring of at most {@code maxSlots} iterators of {@code size} bytes, the first slot at
     * {@code firstOffset} (rounded down to 64) or wherever fewer slots fit.
     *
     * @throws DaxException EINVAL if {@code size} is not positive or larger than the source
     */
    public IterRing(SourceBuffers src, IovIter.Kind kind, long size, int maxSlots, long firstOffset) {
        if (size <= 0 || size > src.size()) {
            throw new DaxException(Errno.EINVAL, "iterators of " + size + " bytes from a " + src.size() + "-byte source");
        }
        this.kind = kind;
        this.size = size;
        long stride = (size + 63) / 64 * 64 + 64;
        long fit = (src.size() - size) / stride + 1;
        int n = (int) Math.max(1, Math.min(Math.max(1, maxSlots), fit));
        long span = (n - 1) * stride + size;
        long first = Math.min(Math.max(0, firstOffset) / 64 * 64, (src.size() - span) / 64 * 64);
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
            case USER -> IovIter.ubuf(IovIter.Direction.SOURCE, src.nativeSource().asSlice(off, size));
            case KVEC -> IovIter.kvec(IovIter.Direction.SOURCE, src.heapSource(), (int) off, (int) size);
            case BVEC -> {
                List<IovIter.BioVec> vecs = new ArrayList<>();
                for (long at = off; at < off + size; ) {
                    long page = at / PAGE * PAGE;
                    long len = Math.min(page + PAGE, off + size) - at;
                    vecs.add(new IovIter.BioVec(src.nativeSource().asSlice(page, PAGE), at - page, len));
                    at += len;
                }
                yield IovIter.bvec(IovIter.Direction.SOURCE, vecs);
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

    /** The bytes the iterator of {@code slot} holds: what the device must show after a write of it. */
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
        MemorySegment m = expected[slot];
        long mark = serial * 0x9E3779B97F4A7C15L; // every byte changes from one serial to the next, the top ones too
        if (size < 16) {
            m.set(ValueLayout.JAVA_BYTE, 0, (byte) (mark >>> 56));
            return;
        }
        for (long at = 0; at + 8 <= size; at += PAGE) {
            m.set(STAMP, at, mark);
        }
        m.set(STAMP, size - 8, mark);
    }
}
