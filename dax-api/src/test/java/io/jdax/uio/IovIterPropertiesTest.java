package io.jdax.uio;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** IovIter against a plain model: a flat byte array and an integer position. */
class IovIterPropertiesTest {

    /** A segment layout: the kind and the length of each segment (zero-length ones included). */
    record Layout(IovIter.Kind kind, List<Integer> lengths, long seed) {
        int total() {
            return lengths.stream().mapToInt(Integer::intValue).sum();
        }
    }

    @Provide
    Arbitrary<Layout> layouts() {
        return Combinators.combine(
                Arbitraries.of(IovIter.Kind.class),
                Arbitraries.integers().between(0, 300).list().ofMinSize(1).ofMaxSize(12),
                Arbitraries.longs()).as(Layout::new);
    }

    /** An iterator and the windows of memory it walks, in order. */
    record Built(IovIter iter, List<MemorySegment> windows) {
    }

    /** Builds an iterator of the layout's kind whose bytes, in order, are {@code flat}. */
    static Built build(Layout layout, IovIter.Direction dir, byte[] flat, Arena arena) {
        List<MemorySegment> pages = new ArrayList<>();
        List<MemorySegment> windows = new ArrayList<>();
        int pos = 0;
        for (int len : layout.lengths()) {
            MemorySegment page = switch (layout.kind()) {
                case USER -> arena.allocate(Math.max(len, 1)).asSlice(0, len);
                case KVEC -> MemorySegment.ofArray(new byte[len]);
                case BVEC -> MemorySegment.ofArray(new byte[len + 7]); // a page with slack around the vector
            };
            MemorySegment window = layout.kind() == IovIter.Kind.BVEC ? page.asSlice(3, len) : page;
            MemorySegment.copy(MemorySegment.ofArray(flat), pos, window, 0, len);
            pages.add(page);
            windows.add(window);
            pos += len;
        }
        IovIter iter = switch (layout.kind()) {
            case USER -> IovIter.iovec(dir, pages);
            case KVEC -> IovIter.kvec(dir, pages);
            case BVEC -> IovIter.bvec(dir, pages.stream().map(p -> new IovIter.BioVec(p, 3, p.byteSize() - 7)).toList());
        };
        assertEquals(layout.kind(), iter.kind());
        return new Built(iter, windows);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Property(tries = 300)
    void advanceRevertTruncateKeepCountAndPositionConsistent(@ForAll("layouts") Layout layout,
                                                           @ForAll("ops") List<int[]> ops) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] flat = random(layout.total(), layout.seed());
            IovIter it = build(layout, IovIter.Direction.SOURCE, flat, arena).iter();
            long pos = 0;
            long count = flat.length;
            for (int[] op : ops) {
                long n = op[1];
                switch (op[0]) {
                    case 0 -> { // advance
                        if (n <= count) {
                            it.advance(n);
                            pos += n;
                            count -= n;
                        } else {
                            long c = count;
                            assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> it.advance(n)).errno());
                            assertEquals(c, it.count(), "a refused advance changes nothing");
                        }
                    }
                    case 1 -> { // revert
                        if (n <= pos) {
                            it.revert(n);
                            pos -= n;
                            count += n;
                        } else {
                            assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> it.revert(n)).errno());
                        }
                    }
                    case 2 -> { // truncate
                        it.truncate(n);
                        count = Math.min(count, n);
                    }
                    default -> { // reexpand to what the buffers hold
                        it.reexpand(flat.length - pos);
                        count = flat.length - pos;
                    }
                }
                assertEquals(count, it.count(), "count after " + op[0]);
                assertEquals(pos, it.consumed(), "position after " + op[0]);
            }
            // What remains is exactly the model's bytes from pos, count of them.
            byte[] rest = new byte[(int) count];
            long copied = it.copyFromIter(MemorySegment.ofArray(rest), count, MemorySegment::copy);
            assertEquals(count, copied);
            assertArrayEquals(java.util.Arrays.copyOfRange(flat, (int) pos, (int) (pos + count)), rest);
            assertEquals(0, it.count());
        }
    }

    @Provide
    Arbitrary<List<int[]>> ops() {
        Arbitrary<int[]> op = Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 1200)).as((a, b) -> new int[] {a, b});
        return op.list().ofMaxSize(20);
    }

    @Property(tries = 300)
    void copyFromIterReproducesTheBytesInAnyChunking(@ForAll("layouts") Layout layout,
                                                     @ForAll("chunks") List<Integer> chunks) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] flat = random(layout.total(), layout.seed());
            IovIter it = build(layout, IovIter.Direction.SOURCE, flat, arena).iter();
            byte[] out = new byte[flat.length + 16];
            MemorySegment dst = MemorySegment.ofArray(out);
            long at = 0;
            for (int chunk : chunks) {
                long before = it.count();
                long n = it.copyFromIter(dst.asSlice(at, out.length - at), Math.min(chunk, out.length - at),
                        MemorySegment::copy);
                assertEquals(Math.min(Math.min(chunk, out.length - at), before), n);
                at += n;
            }
            at += it.copyFromIter(dst.asSlice(at), out.length - at, MemorySegment::copy);
            assertEquals(flat.length, at);
            assertArrayEquals(flat, java.util.Arrays.copyOf(out, flat.length));
            for (int i = flat.length; i < out.length; i++) {
                assertEquals(0, out[i], "bytes past the iterator's count are untouched");
            }
        }
    }

    @Provide
    Arbitrary<List<Integer>> chunks() {
        return Arbitraries.integers().between(0, 700).list().ofMaxSize(8);
    }

    @Property(tries = 300)
    void copyToIterFillsTheSegmentsInOrder(@ForAll("layouts") Layout layout, @ForAll("chunks") List<Integer> chunks) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] data = random(layout.total(), layout.seed() + 1);
            byte[] zeros = new byte[layout.total()];
            Built built = build(layout, IovIter.Direction.DEST, zeros, arena);
            IovIter it = built.iter();
            List<MemorySegment> views = built.windows();
            long at = 0;
            for (int chunk : chunks) {
                at += it.copyToIter(MemorySegment.ofArray(data).asSlice(at), Math.min(chunk, data.length - at));
            }
            at += it.copyToIter(MemorySegment.ofArray(data).asSlice(at), data.length - at);
            assertEquals(data.length, at);
            assertArrayEquals(data, concat(views));
        }
    }

    @Property(tries = 200)
    void zeroWritesExactlyCountZeros(@ForAll("layouts") Layout layout, @ForAll("truncation") int keep) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] ones = new byte[layout.total()];
            java.util.Arrays.fill(ones, (byte) 0x5A);
            Built built = build(layout, IovIter.Direction.DEST, ones, arena);
            IovIter it = built.iter();
            List<MemorySegment> views = built.windows();
            it.truncate(keep);
            long expected = Math.min(keep, layout.total());
            assertEquals(expected, it.zero(Long.MAX_VALUE));
            byte[] after = concat(views);
            for (int i = 0; i < after.length; i++) {
                assertEquals(i < expected ? 0 : 0x5A, after[i], "byte " + i);
            }
        }
    }

    @Provide
    Arbitrary<Integer> truncation() {
        return Arbitraries.integers().between(0, 4000);
    }

    private static byte[] concat(List<MemorySegment> segs) {
        var out = new java.io.ByteArrayOutputStream();
        for (MemorySegment s : segs) {
            out.writeBytes(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        return out.toByteArray();
    }
}
