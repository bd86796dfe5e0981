package io.jdax.uio;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * IovIter against a plain model: a flat byte array and an integer position. Each case is generated
 * from its seed (shown in the test name), so a failure reproduces exactly.
 */
class IovIterPropertiesTest {

    static LongStream seeds() {
        return LongStream.range(0, 300);
    }

    /** A random layout: 1..12 segments of 0..300 bytes (empty ones included), of a random kind. */
    static Layout layout(Random rnd) {
        List<Integer> lengths = new ArrayList<>();
        int n = 1 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            lengths.add(rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(301));
        }
        return new Layout(IovIter.Kind.values()[rnd.nextInt(3)], lengths, rnd.nextLong());
    }

    static List<Integer> chunks(Random rnd) {
        List<Integer> out = new ArrayList<>();
        for (int i = rnd.nextInt(9); i > 0; i--) {
            out.add(rnd.nextInt(701));
        }
        return out;
    }

    /** A segment layout: the kind and the length of each segment (zero-length ones included). */
    record Layout(IovIter.Kind kind, List<Integer> lengths, long seed) {
        int total() {
            return lengths.stream().mapToInt(Integer::intValue).sum();
        }
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

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void advanceRevertTruncateKeepCountAndPositionConsistent(long seed) {
        Random rnd = new Random(seed);
        Layout layout = layout(rnd);
        List<int[]> ops = new ArrayList<>();
        for (int i = rnd.nextInt(21); i > 0; i--) {
            ops.add(new int[] {rnd.nextInt(4), rnd.nextInt(1201)});
        }
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

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void copyFromIterReproducesTheBytesInAnyChunking(long seed) {
        Random rnd = new Random(seed);
        Layout layout = layout(rnd);
        List<Integer> chunks = chunks(rnd);
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

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void copyToIterFillsTheSegmentsInOrder(long seed) {
        Random rnd = new Random(seed);
        Layout layout = layout(rnd);
        List<Integer> chunks = chunks(rnd);
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

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void zeroWritesExactlyCountZeros(long seed) {
        Random rnd = new Random(seed);
        Layout layout = layout(rnd);
        int keep = rnd.nextInt(4001);
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

    private static byte[] concat(List<MemorySegment> segs) {
        var out = new java.io.ByteArrayOutputStream();
        for (MemorySegment s : segs) {
            out.writeBytes(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        return out.toByteArray();
    }
}
