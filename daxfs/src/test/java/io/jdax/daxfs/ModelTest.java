package io.jdax.daxfs;

import io.jdax.dax.DaxDevice;
import io.jdax.fsdax.Iomap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random sequences of every operation, against a model of names and bytes; every few
 * steps the filesystem is unmounted, the device closed and reopened, and everything (names,
 * sizes, blocks, times, extents, bytes) must be exactly as before. fsck is clean throughout.
 */
class ModelTest {
    static Stream<Arguments> seeds() {
        return IntStream.rangeClosed(1, 24).mapToObj(s -> Arguments.of("seed " + s, (long) s));
    }

    /** What a file looks like from outside, for comparing across a reopen; extents as "kind offset+length@device byte". */
    record Snapshot(FileStat stat, List<String> extents, byte[] content) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Snapshot s && s.stat.equals(stat) && s.extents.equals(extents)
                    && Arrays.equals(s.content, content);
        }

        @Override
        public int hashCode() {
            return stat.hashCode();
        }

        @Override
        public String toString() {
            return stat + " " + extents + " " + content.length + " bytes";
        }
    }

    private static Map<String, Snapshot> snapshot(DaxFs fs) {
        Map<String, Snapshot> out = new TreeMap<>();
        for (String n : fs.list()) {
            DaxFile f = fs.open(n);
            List<String> extents = f.fiemap().stream().map(e -> switch (e) {
                case Iomap.Mapped m -> "mapped " + m.offset() + "+" + m.length() + "@" + m.addr();
                case Iomap.Unwritten u -> "unwritten " + u.offset() + "+" + u.length() + "@" + u.addr();
                case Iomap.Hole h -> "hole " + h.offset() + "+" + h.length();
            }).toList();
            out.put(n, new Snapshot(f.stat(), extents, read(f)));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seeds")
    void randomOperationsMatchTheModelAndSurviveReopen(String label, long seed) {
        Random rnd = new Random(seed);
        DaxDevice dev = Fixture.pmem("model", 8 << 20);
        DaxFs.format(dev, FormatOptions.defaults().withTransactionBlocks(16 + rnd.nextInt(3) * 8));
        DaxFs fs = DaxFs.mount(dev);
        Map<String, byte[]> model = new TreeMap<>();
        List<String> names = List.of("a", "b", "c", "dé", "e".repeat(255));
        int reopens = 0;
        try {
            for (int step = 0; step < 160; step++) {
                String name = names.get(rnd.nextInt(names.size()));
                byte[] cur = model.get(name);
                int op = rnd.nextInt(12);
                String what = "step " + step + " op " + op + " on " + name;
                if (cur == null) {
                    fs.create(name);
                    model.put(name, new byte[0]);
                    continue;
                }
                DaxFile f = fs.open(name);
                switch (op) {
                    case 0, 1, 2, 3 -> { // write, sometimes far past the end
                        long pos = rnd.nextInt(5) == 0 ? rnd.nextInt(40 * BLOCK) : rnd.nextInt(cur.length + 1);
                        byte[] d = new byte[1 + rnd.nextInt(3 * BLOCK)];
                        rnd.nextBytes(d);
                        write(f, pos, d);
                        byte[] next = Arrays.copyOf(cur, (int) Math.max(cur.length, pos + d.length));
                        System.arraycopy(d, 0, next, (int) pos, d.length);
                        model.put(name, next);
                    }
                    case 4 -> {
                        int size = rnd.nextInt(cur.length + 2 * BLOCK + 1);
                        f.truncate(size);
                        model.put(name, Arrays.copyOf(cur, size));
                    }
                    case 5 -> {
                        long pos = rnd.nextInt(cur.length + BLOCK + 1);
                        long len = 1 + rnd.nextInt(4 * BLOCK);
                        f.fallocate(pos, len);
                        model.put(name, Arrays.copyOf(cur, (int) Math.max(cur.length, pos + len)));
                    }
                    case 6 -> {
                        if (cur.length > 0) {
                            int pos = rnd.nextInt(cur.length);
                            int len = 1 + rnd.nextInt(cur.length - pos);
                            f.punchHole(pos, len);
                            byte[] next = cur.clone();
                            Arrays.fill(next, pos, pos + len, (byte) 0);
                            model.put(name, next);
                        }
                    }
                    case 7 -> {
                        fs.delete(name);
                        model.remove(name);
                    }
                    case 8 -> {
                        String to = names.get(rnd.nextInt(names.size()));
                        fs.rename(name, to);
                        model.remove(name);
                        model.put(to, cur);
                    }
                    case 9 -> f.fsync();
                    default -> {
                        Map<String, Snapshot> before = snapshot(fs);
                        fs.unmount();
                        FsckReport r = Fsck.check(dev);
                        assertTrue(r.clean() && r.pending().isEmpty(), what + ": " + r.describe());
                        dev.close();
                        dev = Fixture.reopen(dev);
                        fs = DaxFs.mount(dev);
                        assertEquals(List.of(), fs.recovered(), "a clean unmount leaves nothing to recover");
                        assertEquals(before, snapshot(fs), what + ": data and metadata identical after reopen");
                        reopens++;
                    }
                }
                assertEquals(new ArrayList<>(model.keySet()), fs.list(), what);
                byte[] expect = model.get(name);
                if (expect != null && model.containsKey(name)) {
                    assertArrayEquals(expect, read(fs.open(name)), what);
                }
            }
            for (var e : model.entrySet()) {
                assertArrayEquals(e.getValue(), read(fs.open(e.getKey())), e.getKey());
            }
            assertTrue(reopens > 0, "the sequence reopened the device at least once");
        } finally {
            fs.unmount();
            FsckReport r = Fsck.check(dev);
            dev.close();
            Fixture.delete(dev);
            assertTrue(r.clean() && r.pending().isEmpty(), r.describe());
        }
    }
}
