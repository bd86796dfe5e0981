package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random writes, truncates, punches and fallocates in windows spread over a sparse file
 * so that its block map grows and shrinks through every height (1 to 4), against a model of
 * each window; with small transactions, so large frees split; fsck clean and reopen identical.
 */
class SparseModelTest {
    private static final int W = 4 * BLOCK;
    private static final long F = BlockMap.FANOUT;
    /** Window starts: the first leaf, the second, height 3, height 4, the very end. */
    private static final long[] BASES = {0, 510L * BLOCK, (F * F + 3) * BLOCK, (F * F * F + 7) * BLOCK,
        DaxFs.MAX_FILE_SIZE - W};

    static Stream<Arguments> seeds() {
        return IntStream.rangeClosed(1, 16).mapToObj(s -> Arguments.of("seed " + s, (long) s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeds")
    void everyHeightOfTheMapMatchesTheModel(String label, long seed) {
        Random rnd = new Random(seed);
        DaxDevice dev = Fixture.pmem("sparse", 4 << 20);
        DaxFs.format(dev, FormatOptions.defaults().withTransactionBlocks(16));
        byte[][] model = new byte[BASES.length][W];
        long size = 0;
        DaxFs fs = DaxFs.mount(dev);
        try {
            DaxFile f = fs.create("s");
            for (int step = 0; step < 60; step++) {
                int z = rnd.nextInt(BASES.length);
                int off = rnd.nextInt(W);
                int len = 1 + rnd.nextInt(W - off);
                String what = "step " + step + " zone " + z;
                switch (rnd.nextInt(6)) {
                    case 0, 1 -> {
                        byte[] d = new byte[len];
                        rnd.nextBytes(d);
                        write(f, BASES[z] + off, d);
                        System.arraycopy(d, 0, model[z], off, len);
                        size = Math.max(size, BASES[z] + off + len);
                    }
                    case 2 -> {
                        long to = BASES[z] + off;
                        f.truncate(to);
                        for (int i = 0; i < BASES.length; i++) {
                            if (BASES[i] + W > to) {
                                Arrays.fill(model[i], (int) Math.max(0, Math.min(W, to - BASES[i])), W, (byte) 0);
                            }
                        }
                        size = to;
                    }
                    case 3 -> {
                        f.punchHole(BASES[z] + off, len);
                        Arrays.fill(model[z], off, off + len, (byte) 0);
                    }
                    case 4 -> {
                        f.fallocate(BASES[z] + off, len);
                        size = Math.max(size, BASES[z] + off + len);
                    }
                    default -> {
                        fs.unmount();
                        FsckReport r = Fsck.check(dev);
                        assertTrue(r.clean() && r.pending().isEmpty(), what + ": " + r.describe());
                        fs = DaxFs.mount(dev);
                        f = fs.open("s");
                    }
                }
                assertEquals(size, f.size(), what);
                for (int i = 0; i < BASES.length; i++) {
                    int n = (int) Math.max(0, Math.min(W, size - BASES[i]));
                    assertArrayEquals(Arrays.copyOf(model[i], n), read(f, BASES[i], n), what + ": window " + i);
                }
            }
        } finally {
            fs.unmount();
            FsckReport r = Fsck.check(dev);
            dev.close();
            Fixture.delete(dev);
            assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
        }
    }
}
