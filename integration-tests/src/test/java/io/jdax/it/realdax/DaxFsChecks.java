package io.jdax.it.realdax;

import io.jdax.dax.DaxDevice;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.daxfs.FormatOptions;
import io.jdax.daxfs.Fsck;
import io.jdax.daxfs.FsckReport;
import io.jdax.fsdax.IomapStats;
import io.jdax.testkit.IterKind;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * daxfs on real kernel DAX: {@link #populate} formats a device and leaves files made by each
 * iterator kind, a sparse file, an atomic replace and a delete; {@link #verify}, typically in a
 * new JVM after the namespace went away and came back, finds exactly those files with exactly
 * those bytes, and fsck clean before and after the mount. The expected files travel between the
 * two as a manifest (name, size, CRC-32C of the whole content).
 */
final class DaxFsChecks {
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    private DaxFsChecks() {
    }

    /** The files {@link #verify} must find: name → size and the CRC-32C of all its bytes. */
    record Manifest(TreeMap<String, Entry> files) {
        record Entry(long size, String crc) {
        }

        void save(Path file) throws IOException {
            List<String> lines = new ArrayList<>();
            files.forEach((name, e) -> lines.add(e.size() + " " + e.crc() + " " + name));
            Files.write(file, lines, StandardCharsets.UTF_8);
        }

        static Manifest load(Path file) throws IOException {
            TreeMap<String, Entry> files = new TreeMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ", 3);
                files.put(f[2], new Entry(Long.parseLong(f[0]), f[1]));
            }
            if (files.isEmpty()) {
                throw new IOException("the daxfs manifest " + file + " names no file");
            }
            return new Manifest(files);
        }
    }

    /**
     * Formats {@code device}, makes the files, unmounts, and checks fsck is clean.
     *
     * @return what {@link #verify} must find; {@code report} gets the engine's counters
     */
    static Manifest populate(DaxDevice device, Report report) {
        Random random = new Random(0xda4f5L);
        TreeMap<String, byte[]> model = new TreeMap<>();
        DaxFs.format(device, FormatOptions.defaults());
        DaxFs fs = DaxFs.mount(device);
        try (Arena arena = Arena.ofConfined()) {
            write(fs, arena, model, "kvec", IterKind.KVEC, 0, bytes(random, 10_000));
            write(fs, arena, model, "user-unaligned", IterKind.IOVEC, 5_000, bytes(random, 300_000));
            // A hole of 256 pages, then data, then unwritten blocks past the end.
            write(fs, arena, model, "sparse", IterKind.BVEC, 256L * PAGE + 100, bytes(random, 5_000));
            byte[] sparse = model.get("sparse");
            fs.open("sparse").fallocate(sparse.length, 16 * PAGE); // grows the file; the blocks read as zeros
            model.put("sparse", Arrays.copyOf(sparse, sparse.length + 16 * PAGE));
            // An atomic replace: the old content must never come back.
            write(fs, arena, model, "replaced", IterKind.UBUF, 0, bytes(random, 3 * PAGE));
            write(fs, arena, model, "replacement", IterKind.KVEC, 0, bytes(random, 7_000));
            fs.rename("replacement", "replaced");
            model.put("replaced", model.remove("replacement"));
            // A deleted file: its name must not come back.
            write(fs, arena, model, "deleted", IterKind.KVEC, 0, bytes(random, 2 * PAGE));
            fs.delete("deleted");
            model.remove("deleted");
            fs.sync();
            compare(fs, arena, model, "before unmount");
        }
        IomapStats stats = fs.dax().stats();
        report.info("daxfs.engine.stats", stats);
        // the core picks the copy once per device: its own means every write went through pmem's
        check(device.hasOwnCopyFromIter(), "daxfs's device " + device + " writes with the core's fallback, not"
                + " pmem's copyFromIter");
        fs.unmount();
        fsckClean(device, "after unmount");
        TreeMap<String, Manifest.Entry> files = new TreeMap<>();
        model.forEach((name, bytes) -> files.put(name, new Manifest.Entry(bytes.length, Ledger.crc(bytes))));
        return new Manifest(files);
    }

    /** fsck clean, mount, exactly the manifest's files and bytes, unmount, fsck clean. */
    static void verify(DaxDevice device, Manifest expected, String when) {
        fsckClean(device, when + ", before mount");
        DaxFs fs = DaxFs.mount(device);
        try (Arena arena = Arena.ofConfined()) {
            check(fs.list().equals(List.copyOf(expected.files().keySet())), "daxfs " + when + " lists " + fs.list()
                    + ", expected " + expected.files().keySet());
            expected.files().forEach((name, e) -> {
                DaxFile f = fs.open(name);
                check(f.size() == e.size(), "daxfs file " + name + " " + when + " has " + f.size()
                        + " bytes, expected " + e.size());
                String crc = Ledger.crc(read(f, arena));
                check(crc.equals(e.crc()), "daxfs file " + name + " " + when + " holds other bytes (CRC-32C "
                        + crc + ", expected " + e.crc() + ")");
            });
        } finally {
            fs.unmount();
        }
        fsckClean(device, when + ", after unmount");
    }

    private static void write(DaxFs fs, Arena arena, TreeMap<String, byte[]> model, String name, IterKind kind,
                              long pos, byte[] data) {
        DaxFile f = fs.create(name);
        long done = f.write(pos, kind.source(data, arena));
        check(done == data.length, "daxfs write of " + data.length + " bytes to " + name + " returned " + done);
        f.fsync();
        byte[] content = new byte[Math.toIntExact(pos + data.length)];
        System.arraycopy(data, 0, content, (int) pos, data.length);
        model.put(name, content);
    }

    private static void compare(DaxFs fs, Arena arena, TreeMap<String, byte[]> model, String when) {
        model.forEach((name, bytes) -> {
            byte[] got = read(fs.open(name), arena);
            check(Arrays.equals(got, bytes), "daxfs file " + name + " reads other bytes " + when);
        });
    }

    private static byte[] read(DaxFile f, Arena arena) {
        IterKind.Dest dest = IterKind.UBUF.dest(Math.toIntExact(f.size()), arena);
        long done = f.read(0, dest.iter());
        check(done == f.size(), "daxfs read of " + f.name() + " returned " + done + " of " + f.size() + " bytes");
        return dest.bytes().get();
    }

    private static void fsckClean(DaxDevice device, String when) {
        FsckReport r = Fsck.check(device);
        check(r.clean(), "daxfs fsck " + when + ": " + r.describe());
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
