package io.jdax.uio;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * The kernel's {@code iov_iter} (contract C5): a cursor over the caller's buffers, the source of
 * a write or the destination of a read. Three kinds, as in {@code include/linux/uio.h}:
 * <ul>
 *   <li>{@link User} ({@code ITER_IOVEC}/{@code ITER_UBUF}): the caller's native segments. Copies
 *       from them may use non-temporal stores.</li>
 *   <li>{@link Kvec} ({@code ITER_KVEC}): heap arrays. Copies from them use cached stores (or a
 *       pinned native copy), after which the write-back rule C4 decides what to flush.</li>
 *   <li>{@link Bvec} ({@code ITER_BVEC}): page vectors: (page, offset, length) triples over heap
 *       or native pages.</li>
 * </ul>
 * The iterator has a position and a {@link #count() count} of bytes left. Copies advance it;
 * {@link #advance}, {@link #revert}, {@link #truncate} and {@link #reexpand} move it by hand.
 * Every copy checks that the segments it touches are alive before it copies a byte, so a closed
 * arena fails with {@link Errno#EFAULT} and changes nothing. Segments whose sizes add up to more
 * than {@link Long#MAX_VALUE} are refused at creation with {@link Errno#EINVAL}.
 * <p>
 * Not thread-safe: an iterator belongs to one I/O on one thread.
 */
public abstract sealed class IovIter permits IovIter.User, IovIter.Kvec, IovIter.Bvec {

    /** The iterator kinds, for reports and for choosing copy paths. */
    public enum Kind {
        /** The caller's native memory ({@code ITER_IOVEC}, {@code ITER_UBUF}). */
        USER,
        /** Heap arrays ({@code ITER_KVEC}). */
        KVEC,
        /** Page vectors ({@code ITER_BVEC}). */
        BVEC
    }

    /** Which way data flows through the iterator (the kernel's {@code ITER_SOURCE}/{@code ITER_DEST}). */
    public enum Direction {
        /** The iterator holds the data of a write ({@code WRITE}, {@code ITER_SOURCE}). */
        SOURCE,
        /** The iterator receives the data of a read ({@code READ}, {@code ITER_DEST}). */
        DEST
    }

    /**
     * One contiguous copy, with the shape of {@link MemorySegment#copy(MemorySegment, long,
     * MemorySegment, long, long)}. The CPU primitives of {@link io.jdax.arch.Arch} have it, so an
     * iterator copy can use any of them.
     */
    @FunctionalInterface
    public interface SegmentCopy {
        /** Copies {@code bytes} from {@code src} at {@code srcOffset} to {@code dst} at {@code dstOffset}. */
        void copy(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes);
    }

    /** One element of a {@link Bvec} iterator: {@code length} bytes at {@code offset} within {@code page}. */
    public record BioVec(MemorySegment page, long offset, long length) {
        /** Checks that the triple lies within the page. */
        public BioVec {
            Objects.requireNonNull(page, "page");
            if (offset < 0 || length < 0 || offset > page.byteSize() - length) {
                throw new DaxException(Errno.ERANGE, "bio_vec offset " + offset + " length " + length
                        + " does not fit a page of " + page.byteSize() + " bytes");
            }
        }
    }

    private static final MemorySegment[] NO_SEGMENTS = new MemorySegment[0];

    private final Direction direction;
    private final MemorySegment[] segs;
    private final long total;
    private int idx;
    private long segOff;
    private long consumed;
    private long count;

    private IovIter(Direction direction, MemorySegment[] segs) {
        this.direction = Objects.requireNonNull(direction, "direction");
        long sum = 0;
        for (int i = 0; i < segs.length; i++) {
            MemorySegment s = Objects.requireNonNull(segs[i], "segment");
            if (!s.scope().isAlive()) {
                throw new DaxException(Errno.EFAULT, "iterator segment " + s + " belongs to a closed arena");
            }
            if (direction == Direction.DEST && s.isReadOnly()) {
                throw new DaxException(Errno.EFAULT, "a DEST iterator needs writable segments, " + s + " is read-only");
            }
            if (s.byteSize() > Long.MAX_VALUE - sum) {
                // A count must fit a long, as the kernel's must fit a ssize_t.
                throw new DaxException(Errno.EINVAL, "iterator segments total more than " + Long.MAX_VALUE
                        + " bytes: segment " + i + " of " + segs.length + " (" + s.byteSize() + " bytes) overflows the "
                        + sum + " before it");
            }
            sum += s.byteSize();
        }
        this.segs = segs;
        this.total = sum;
        this.count = sum;
    }

    // ---- factories

    /** An iterator over one native segment ({@code ITER_UBUF}). */
    public static User ubuf(Direction direction, MemorySegment buffer) {
        return new User(direction, requireNative(new MemorySegment[] {buffer}));
    }

    /** An iterator over native segments, in order ({@code ITER_IOVEC}). */
    public static User iovec(Direction direction, MemorySegment... segments) {
        return new User(direction, requireNative(segments.clone()));
    }

    /** An iterator over native segments, in order ({@code ITER_IOVEC}). */
    public static User iovec(Direction direction, List<MemorySegment> segments) {
        return new User(direction, requireNative(segments.toArray(NO_SEGMENTS)));
    }

    /** An iterator over whole heap arrays, in order ({@code ITER_KVEC}). */
    public static Kvec kvec(Direction direction, byte[]... arrays) {
        MemorySegment[] segs = new MemorySegment[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            segs[i] = MemorySegment.ofArray(Objects.requireNonNull(arrays[i], "array"));
        }
        return new Kvec(direction, segs);
    }

    /** An iterator over {@code length} bytes of a heap array from {@code offset} ({@code ITER_KVEC}). */
    public static Kvec kvec(Direction direction, byte[] array, int offset, int length) {
        if (offset < 0 || length < 0 || offset > array.length - length) {
            throw new DaxException(Errno.ERANGE, "offset " + offset + " length " + length + " do not fit a "
                    + array.length + "-byte array");
        }
        return new Kvec(direction, new MemorySegment[] {MemorySegment.ofArray(array).asSlice(offset, length)});
    }

    /** An iterator over heap segments, in order ({@code ITER_KVEC}). */
    public static Kvec kvec(Direction direction, List<MemorySegment> heapSegments) {
        MemorySegment[] segs = heapSegments.toArray(NO_SEGMENTS);
        for (MemorySegment s : segs) {
            if (Objects.requireNonNull(s, "segment").isNative()) {
                throw new DaxException(Errno.EINVAL, "a KVEC iterator takes heap segments; " + s
                        + " is native: use IovIter.iovec for native memory");
            }
        }
        return new Kvec(direction, segs);
    }

    /** An iterator over page vectors, in order ({@code ITER_BVEC}). */
    public static Bvec bvec(Direction direction, List<BioVec> vecs) {
        MemorySegment[] segs = new MemorySegment[vecs.size()];
        for (int i = 0; i < segs.length; i++) {
            BioVec v = Objects.requireNonNull(vecs.get(i), "bio_vec");
            segs[i] = v.page().asSlice(v.offset(), v.length());
        }
        return new Bvec(direction, segs);
    }

    private static MemorySegment[] requireNative(MemorySegment[] segs) {
        for (MemorySegment s : segs) {
            if (!Objects.requireNonNull(s, "segment").isNative()) {
                throw new DaxException(Errno.EINVAL, "a USER iterator takes native segments; " + s
                        + " is on the heap: use IovIter.kvec for heap arrays");
            }
        }
        return segs;
    }

    // ---- state

    /** The kind of buffers this iterator walks. */
    public abstract Kind kind();

    /** Which way data flows through this iterator. */
    public final Direction direction() {
        return direction;
    }

    /** Bytes left to copy ({@code iov_iter_count}). */
    public final long count() {
        return count;
    }

    /** Bytes already consumed from the start: how far {@link #revert} may go back. */
    public final long consumed() {
        return consumed;
    }

    /** The number of segments of this iterator ({@code nr_segs} at creation). */
    public final int nrSegs() {
        return segs.length;
    }

    /** Skips {@code bytes} ({@code iov_iter_advance}). */
    public final void advance(long bytes) {
        requireNonNegative(bytes, "advance");
        if (bytes > count) {
            throw new DaxException(Errno.ERANGE, "cannot advance by " + bytes + " bytes: only " + count + " remain");
        }
        moveForward(bytes);
        count -= bytes;
    }

    /** Moves back over {@code bytes} already consumed ({@code iov_iter_revert}). */
    public final void revert(long bytes) {
        requireNonNegative(bytes, "revert");
        if (bytes > consumed) {
            throw new DaxException(Errno.ERANGE, "cannot revert by " + bytes + " bytes: only " + consumed + " were consumed");
        }
        long n = bytes;
        while (n > 0) {
            if (segOff >= n) {
                segOff -= n;
                n = 0;
            } else {
                n -= segOff;
                idx--;
                segOff = segs[idx].byteSize();
            }
        }
        consumed -= bytes;
        count += bytes;
    }

    /** Limits the bytes left to at most {@code bytes} ({@code iov_iter_truncate}); a larger value changes nothing. */
    public final void truncate(long bytes) {
        requireNonNegative(bytes, "truncate");
        count = Math.min(count, bytes);
    }

    /**
     * Sets the bytes left back to {@code bytes} after a {@link #truncate} ({@code iov_iter_reexpand}).
     *
     * @throws DaxException ERANGE if the buffers do not hold that many bytes from the position
     */
    public final void reexpand(long bytes) {
        requireNonNegative(bytes, "reexpand");
        if (bytes > total - consumed) {
            throw new DaxException(Errno.ERANGE, "cannot reexpand to " + bytes + " bytes: the buffers hold only "
                    + (total - consumed) + " from the position");
        }
        count = bytes;
    }

    // ---- copies

    /**
     * Copies up to {@code bytes} from this SOURCE iterator to {@code addr} (offset 0 on), with
     * {@code copy} doing each contiguous run: one call per run, never one per page or line
     * ({@code copy_from_iter} and its nocache/flushcache variants). Advances the iterator.
     *
     * @return the bytes copied: {@code min(bytes, count())}
     */
    public final long copyFromIter(MemorySegment addr, long bytes, SegmentCopy copy) {
        return copyFromIter(addr, 0, bytes, copy);
    }

    /**
     * Copies up to {@code bytes} from this SOURCE iterator to {@code dst} from {@code dstOffset}
     * on, with {@code copy} doing each contiguous run. Advances the iterator by what was copied,
     * also when a run throws. Allocates nothing.
     *
     * @return the bytes copied: {@code min(bytes, count())}
     * @throws DaxException EINVAL for a negative count or a DEST iterator; ERANGE if the bytes do
     *                      not fit {@code dst}; EFAULT for a closed segment, before any byte moves
     */
    public final long copyFromIter(MemorySegment dst, long dstOffset, long bytes, SegmentCopy copy) {
        requireDirection(Direction.SOURCE, "copyFromIter");
        long n = prepare(dst, dstOffset, bytes);
        long done = 0;
        try {
            while (done < n) {
                MemorySegment s = segs[idx];
                long len = Math.min(s.byteSize() - segOff, n - done);
                if (len > 0) {
                    copy.copy(s, segOff, dst, dstOffset + done, len);
                    done += len;
                    segOff += len;
                } else {
                    idx++;
                    segOff = 0;
                }
            }
        } finally {
            consumed += done;
            count -= done;
        }
        return n;
    }

    /**
     * Copies up to {@code bytes} from {@code addr} into this DEST iterator with plain cached
     * stores ({@code copy_to_iter}). Advances the iterator.
     *
     * @return the bytes copied: {@code min(bytes, count())}
     */
    public final long copyToIter(MemorySegment addr, long bytes) {
        return copyToIter(addr, 0, bytes, MemorySegment::copy);
    }

    /**
     * Copies up to {@code bytes} from {@code addr} into this DEST iterator, with {@code copy}
     * doing each contiguous run. Advances the iterator.
     *
     * @return the bytes copied: {@code min(bytes, count())}
     */
    public final long copyToIter(MemorySegment addr, long bytes, SegmentCopy copy) {
        return copyToIter(addr, 0, bytes, copy);
    }

    /**
     * Copies up to {@code bytes} from {@code src} at {@code srcOffset} into this DEST iterator,
     * with {@code copy} doing each contiguous run. Advances the iterator by what was copied, also
     * when a run throws. Allocates nothing.
     *
     * @return the bytes copied: {@code min(bytes, count())}
     * @throws DaxException as {@link #copyFromIter(MemorySegment, long, long, SegmentCopy)}
     */
    public final long copyToIter(MemorySegment src, long srcOffset, long bytes, SegmentCopy copy) {
        requireDirection(Direction.DEST, "copyToIter");
        long n = prepare(src, srcOffset, bytes);
        long done = 0;
        try {
            while (done < n) {
                MemorySegment s = segs[idx];
                long len = Math.min(s.byteSize() - segOff, n - done);
                if (len > 0) {
                    copy.copy(src, srcOffset + done, s, segOff, len);
                    done += len;
                    segOff += len;
                } else {
                    idx++;
                    segOff = 0;
                }
            }
        } finally {
            consumed += done;
            count -= done;
        }
        return n;
    }

    /**
     * Fills up to {@code bytes} of this DEST iterator with zeros ({@code iov_iter_zero}): how
     * holes and unwritten extents read. Advances the iterator.
     *
     * @return the bytes zeroed: {@code min(bytes, count())}
     */
    public final long zero(long bytes) {
        requireDirection(Direction.DEST, "zero");
        requireNonNegative(bytes, "zero");
        long n = Math.min(bytes, count);
        requireAlive(n);
        return walk(n, (seg, segOffset, done, len) -> seg.asSlice(segOffset, len).fill((byte) 0));
    }

    /** One contiguous run of a walk: {@code len} bytes at {@code segOffset} of {@code seg}, {@code done} bytes in. */
    @FunctionalInterface
    private interface Run {
        void run(MemorySegment seg, long segOffset, long done, long len);
    }

    /**
     * Hands the next {@code n} bytes to {@code run}, one call per contiguous run (empty segments
     * skipped), and advances the iterator by what was done, also when a run throws.
     */
    private long walk(long n, Run run) {
        long done = 0;
        try {
            while (done < n) {
                MemorySegment s = segs[idx];
                long len = Math.min(s.byteSize() - segOff, n - done);
                if (len == 0) {
                    idx++;
                    segOff = 0;
                    continue;
                }
                run.run(s, segOff, done, len);
                done += len;
                segOff += len;
            }
        } finally {
            consumed += done;
            count -= done;
        }
        return n;
    }

    // ---- checks

    private long prepare(MemorySegment addr, long offset, long bytes) {
        Objects.requireNonNull(addr, "addr");
        requireNonNegative(bytes, "copy");
        long n = Math.min(bytes, count);
        if (offset < 0 || offset > addr.byteSize() - n) {
            throw new DaxException(Errno.ERANGE, "copy of " + n + " bytes at offset " + offset + " does not fit the "
                    + addr.byteSize() + "-byte segment " + addr);
        }
        if (!addr.scope().isAlive()) {
            throw new DaxException(Errno.EFAULT, "segment " + addr + " belongs to a closed arena");
        }
        requireAlive(n);
        return n;
    }

    /** Every segment the next {@code n} bytes touch must be alive, checked before any byte moves. */
    private void requireAlive(long n) {
        long left = n;
        for (int i = idx; left > 0 && i < segs.length; i++) {
            MemorySegment s = segs[i];
            if (!s.scope().isAlive()) {
                throw new DaxException(Errno.EFAULT, kind() + " iterator segment " + i + " (" + s
                        + ") belongs to a closed arena");
            }
            left -= s.byteSize() - (i == idx ? segOff : 0);
        }
    }

    private void moveForward(long bytes) {
        long n = bytes;
        while (n > 0) {
            long rem = segs[idx].byteSize() - segOff;
            if (n < rem) {
                segOff += n;
                n = 0;
            } else {
                n -= rem;
                idx++;
                segOff = 0;
            }
        }
        consumed += bytes;
    }

    private void requireDirection(Direction wanted, String op) {
        if (direction != wanted) {
            throw new DaxException(Errno.EINVAL, op + " needs a " + wanted + " iterator, this one is " + direction);
        }
    }

    private static void requireNonNegative(long bytes, String op) {
        if (bytes < 0) {
            throw new DaxException(Errno.EINVAL, op + " of a negative byte count: " + bytes);
        }
    }

    @Override
    public String toString() {
        return "IovIter[" + kind() + " " + direction + " count=" + count + " consumed=" + consumed
                + " nrSegs=" + segs.length + "]";
    }

    // ---- the kinds

    /** The caller's native memory ({@code ITER_IOVEC}, {@code ITER_UBUF}). */
    public static final class User extends IovIter {
        private User(Direction direction, MemorySegment[] segs) {
            super(direction, segs);
        }

        @Override
        public Kind kind() {
            return Kind.USER;
        }
    }

    /** Heap arrays ({@code ITER_KVEC}). */
    public static final class Kvec extends IovIter {
        private Kvec(Direction direction, MemorySegment[] segs) {
            super(direction, segs);
        }

        @Override
        public Kind kind() {
            return Kind.KVEC;
        }
    }

    /** Page vectors ({@code ITER_BVEC}). */
    public static final class Bvec extends IovIter {
        private Bvec(Direction direction, MemorySegment[] segs) {
            super(direction, segs);
        }

        @Override
        public Kind kind() {
            return Kind.BVEC;
        }
    }
}
