package io.jdax.daxfs.campaigns;

import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;

import java.util.Arrays;
import java.util.List;

/**
 * The daxfs crash workloads, one per operation, each deterministic for its seed. Each is a
 * {@link io.jdax.testkit.campaign.Workload} service (module-info and {@code META-INF/services}),
 * so {@code jdax crashtest} runs them when this module is present.
 */
public final class FsCrashWorkloads {
    static final int BLOCK = DaxFs.BLOCK_SIZE;

    private FsCrashWorkloads() {
    }

    static List<FsCrashWorkload> all(long seed) {
        return List.of(new CreateWriteFsync(seed), new AppendFsync(seed), new RenameOver(seed), new Truncate(seed),
                new Fallocate(seed), new Delete(seed));
    }

    /** Files created, written (up to 3 blocks and a bit) and fsynced; then part of each overwritten in place and fsynced. */
    public static final class CreateWriteFsync extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public CreateWriteFsync() {
            this(1);
        }

        public CreateWriteFsync(long seed) {
            super("create-write-fsync", seed, CreateWriteFsync::new);
        }

        @Override
        void steps(DaxFs fs) {
            for (int i = 0; i < 3; i++) {
                String name = "file" + i;
                mayBecome(durable.copy().with(name, new Exact(new byte[0])));
                DaxFile f = fs.create(name);
                promised(durable.copy().with(name, new Exact(new byte[0])));
                byte[] d = data(1 + rnd.nextInt(3 * BLOCK + 100));
                mayBecome(durable.copy().with(name, new Partial(new byte[0], 0, d.length, List.of(new Write(0, d)))));
                write(f, 0, d);
                f.fsync();
                promised(durable.copy().with(name, new Exact(d)));
            }
            for (int i = 0; i < 3; i++) {
                String name = "file" + i;
                DaxFile f = fs.open(name);
                byte[] cur = contentOf(durable, name);
                byte[] patch = data(1 + rnd.nextInt(BLOCK));
                long pos = rnd.nextInt(cur.length + 1);
                byte[] next = concat(cur, pos, patch);
                mayBecome(durable.copy().with(name, new Partial(cur, cur.length, next.length, List.of(new Write(pos, patch)))));
                write(f, pos, patch);
                f.fsync();
                promised(durable.copy().with(name, new Exact(next)));
            }
        }
    }

    /** Records of 1 to 1500 bytes appended to one file, each fsynced. */
    public static final class AppendFsync extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public AppendFsync() {
            this(1);
        }

        public AppendFsync(long seed) {
            super("append-fsync", seed, AppendFsync::new);
        }

        @Override
        void steps(DaxFs fs) {
            mayBecome(durable.copy().with("log", new Exact(new byte[0])));
            DaxFile f = fs.create("log");
            promised(durable.copy().with("log", new Exact(new byte[0])));
            for (int r = 0; r < 10; r++) {
                byte[] cur = contentOf(durable, "log");
                byte[] rec = data(1 + rnd.nextInt(1500));
                mayBecome(durable.copy().with("log", new Partial(cur, cur.length, cur.length + rec.length,
                        List.of(new Write(cur.length, rec)))));
                write(f, cur.length, rec);
                f.fsync();
                promised(durable.copy().with("log", new Exact(concat(cur, cur.length, rec))));
            }
        }
    }

    /** The atomic-replace idiom: write "tmp", fsync, rename it over "target"; three times. */
    public static final class RenameOver extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public RenameOver() {
            this(1);
        }

        public RenameOver(long seed) {
            super("rename-over", seed, RenameOver::new);
        }

        @Override
        void steps(DaxFs fs) {
            DaxFile t = createFilled(fs, "target", data(2 * BLOCK + 17));
            // the first target is sparse over two leaves: freeing it as it is replaced takes several transactions
            byte[] c = contentOf(durable, "target");
            byte[] far = data(BLOCK + 1);
            byte[] withFar = concat(c, 520L * BLOCK, far);
            mayBecome(durable.copy().with("target", new Partial(c, c.length, withFar.length,
                    List.of(new Write(520L * BLOCK, far)))));
            write(t, 520L * BLOCK, far);
            t.fsync();
            promised(durable.copy().with("target", new Exact(withFar)));
            for (int round = 0; round < 3; round++) {
                byte[] next = data(1 + rnd.nextInt(3 * BLOCK));
                createFilled(fs, "tmp", next);
                // all or nothing: the old target with tmp beside it, or the new target alone
                World after = new World().with("target", new Exact(next));
                mayBecome(after);
                fs.rename("tmp", "target");
                promised(after);
            }
        }
    }

    /**
     * Truncates down (inside a block, and across two leaves of the block map, which takes several
     * transactions), up (the old tail must read as zeros), and to zero.
     */
    public static final class Truncate extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public Truncate() {
            this(1);
        }

        public Truncate(long seed) {
            super("truncate", seed, Truncate::new);
        }

        @Override
        void steps(DaxFs fs) {
            DaxFile f = createFilled(fs, "t", data(12 * BLOCK + 300));
            // two blocks in a second leaf: the first truncate then takes several transactions
            byte[] c = contentOf(durable, "t");
            byte[] far = data(BLOCK + 10);
            byte[] withFar = concat(c, 600L * BLOCK, far);
            mayBecome(durable.copy().with("t", new Partial(c, c.length, withFar.length,
                    List.of(new Write(600L * BLOCK, far)))));
            write(f, 600L * BLOCK, far);
            f.fsync();
            promised(durable.copy().with("t", new Exact(withFar)));
            long[] sizes = {BLOCK + 1 + rnd.nextInt(BLOCK - 2), 3L * BLOCK, 0, 2L * BLOCK + 5};
            for (long size : sizes) {
                byte[] cur = contentOf(durable, "t");
                byte[] next = Arrays.copyOf(cur, (int) size); // growth shows zeros
                mayBecome(durable.copy().with("t", new Exact(next)));
                f.truncate(size);
                promised(durable.copy().with("t", new Exact(next)));
            }
            byte[] cur = contentOf(durable, "t");
            byte[] w = data(100);
            mayBecome(durable.copy().with("t", new Partial(cur, cur.length, cur.length, List.of(new Write(BLOCK, w)))));
            write(f, BLOCK, w);
            f.fsync();
            promised(durable.copy().with("t", new Exact(concat(cur, BLOCK, w))));
        }
    }

    /** Fallocate past the end (blocks read as zeros, the size grows), then writes into the fallocated range. */
    public static final class Fallocate extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public Fallocate() {
            this(1);
        }

        public Fallocate(long seed) {
            super("fallocate", seed, Fallocate::new);
        }

        @Override
        void steps(DaxFs fs) {
            DaxFile f = createFilled(fs, "fa", data(BLOCK + 700));
            for (int round = 0; round < 2; round++) {
                byte[] cur = contentOf(durable, "fa");
                long pos = cur.length + rnd.nextInt(BLOCK);
                long len = BLOCK + rnd.nextInt(4 * BLOCK);
                byte[] grown = Arrays.copyOf(cur, (int) (pos + len));
                mayBecome(durable.copy().with("fa", new Partial(grown, cur.length, grown.length, List.of())));
                f.fallocate(pos, len);
                promised(durable.copy().with("fa", new Exact(grown)));
                byte[] w = data(1 + rnd.nextInt(2 * BLOCK));
                long at = pos + rnd.nextInt((int) (len - Math.min(len, w.length)) + 1);
                byte[] next = concat(grown, at, w);
                mayBecome(durable.copy().with("fa", new Partial(grown, grown.length, next.length, List.of(new Write(at, w)))));
                write(f, at, w);
                f.fsync();
                promised(durable.copy().with("fa", new Exact(next)));
            }
        }
    }

    /**
     * Deletes files whose bytes (values 128 to 255) then sit in free blocks, and writes new files
     * (values 1 to 127) and fallocates: no new file may ever show a deleted file's byte.
     */
    public static final class Delete extends FsCrashWorkload {
        /** Seed 1, as the ServiceLoader makes it; {@code jdax crashtest} gives each round its own ({@link #withSeed}). */
        public Delete() {
            this(1);
        }

        public Delete(long seed) {
            super("delete", seed, Delete::new);
        }

        @Override
        void steps(DaxFs fs) {
            for (String n : List.of("old1", "old2")) {
                createFilled(fs, n, data(4 * BLOCK + rnd.nextInt(BLOCK), 128, 255));
            }
            // old2 gets a block past its first leaf: freeing it takes several transactions (an orphan between)
            DaxFile o2 = fs.open("old2");
            byte[] cur2 = contentOf(durable, "old2");
            byte[] far = data(BLOCK + 100, 128, 255); // two blocks of the second leaf
            byte[] next2 = concat(cur2, 510L * BLOCK, far);
            mayBecome(durable.copy().with("old2", new Partial(cur2, cur2.length, next2.length,
                    List.of(new Write(510L * BLOCK, far)))));
            write(o2, 510L * BLOCK, far);
            o2.fsync();
            promised(durable.copy().with("old2", new Exact(next2)));
            World gone = durable.copy();
            gone.files.remove("old1");
            mayBecome(gone);
            fs.delete("old1");
            promised(gone);

            mayBecome(durable.copy().with("new1", new Exact(new byte[0])));
            DaxFile n1 = fs.create("new1");
            promised(durable.copy().with("new1", new Exact(new byte[0])));
            byte[] part = data(BLOCK / 2, 1, 127);
            long at = BLOCK + 123; // the first block stays a hole, the second is half written
            mayBecome(durable.copy().with("new1", new Partial(new byte[0], 0, at + part.length,
                    List.of(new Write(at, part)))));
            write(n1, at, part);
            n1.fsync();
            promised(durable.copy().with("new1", new Exact(concat(new byte[0], at, part))));

            World gone2 = durable.copy();
            gone2.files.remove("old2");
            mayBecome(gone2);
            fs.delete("old2");
            promised(gone2);

            mayBecome(durable.copy().with("new2", new Exact(new byte[0])));
            DaxFile n2 = fs.create("new2");
            promised(durable.copy().with("new2", new Exact(new byte[0])));
            byte[] zeros = new byte[5 * BLOCK];
            mayBecome(durable.copy().with("new2", new Partial(zeros, 0, zeros.length, List.of())));
            n2.fallocate(0, zeros.length);
            promised(durable.copy().with("new2", new Exact(zeros)));
            byte[] tail = data(300, 1, 127);
            mayBecome(durable.copy().with("new2", new Partial(zeros, zeros.length, zeros.length,
                    List.of(new Write(2 * BLOCK + 50, tail)))));
            write(n2, 2 * BLOCK + 50, tail);
            n2.fsync();
            promised(durable.copy().with("new2", new Exact(concat(zeros, 2 * BLOCK + 50, tail))));
        }
    }
}
