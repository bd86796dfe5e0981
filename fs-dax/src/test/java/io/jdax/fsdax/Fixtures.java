package io.jdax.fsdax;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DirectAccess;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Devices, device inspection and file I/O shorthands for the fs-dax tests. */
final class Fixtures {
    static final int PAGE = DaxDevice.PAGE_SIZE;
    static final byte STALE = (byte) 0xA5;

    private Fixtures() {
    }

    /**
     * The devices the tests run over: brd (one page per directAccess, the nocache fallback), the
     * pmem driver over a tmpfs file (everything at once, its own durable copy), and the linear
     * test device shaped like pmem.
     */
    enum Kind {
        BRD, PMEM, LINEAR;

        DaxDevice open(String name, long size) {
            return switch (this) {
                case BRD -> DaxDevices.open("brd:" + name + "?size=" + size, new PortableArch());
                case PMEM -> DaxDevices.open("pmem:" + scratch().resolve(name + "-" + FILES.incrementAndGet())
                        + "?size=" + size + "&create=true", new PortableArch());
                case LINEAR -> LinearDevice.pmemLike(name, size);
            };
        }
    }

    private static final AtomicLong FILES = new AtomicLong();
    private static Path scratch;

    /** A private directory on tmpfs for pmem files, removed when the JVM exits. */
    static synchronized Path scratch() {
        if (scratch == null) {
            try {
                Path shm = Path.of("/dev/shm");
                scratch = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                        "jdax-fsdax-test-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = scratch;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        }
        return scratch;
    }

    /** Closes devices, and deletes the files of pmem devices. */
    static void closeAll(List<? extends DaxDevice> devices) {
        for (DaxDevice d : devices) {
            d.close();
            if (d.spec().scheme().equals("pmem")) {
                try {
                    Files.deleteIfExists(Path.of(d.spec().path()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }

    /** Fills every byte of the device with {@code b}, as a previous owner would have left it. */
    static void fill(DaxDevice d, byte b) {
        for (long p = 0; p < d.nrPages(); ) {
            DirectAccess da = d.directAccess(p, d.nrPages() - p, DaxAccessMode.WRITE);
            da.addr().asSlice(0, da.nrPages() * PAGE).fill(b);
            p += da.nrPages();
        }
    }

    /** The device's bytes {@code [addr, addr + len)}, read behind the filesystem's back. */
    static byte[] deviceBytes(DaxDevice d, long addr, int len) {
        byte[] out = new byte[len];
        long pos = addr;
        while (pos < addr + len) {
            long inPage = pos % PAGE;
            DirectAccess da = d.directAccess(pos / PAGE, Math.ceilDiv(inPage + addr + len - pos, PAGE),
                    DaxAccessMode.READ);
            long n = Math.min(da.nrPages() * PAGE - inPage, addr + len - pos);
            MemorySegment.copy(da.addr(), inPage, MemorySegment.ofArray(out), pos - addr, n);
            pos += n;
        }
        return out;
    }

    static long write(MemFile f, long pos, byte[] data) {
        return f.write(pos, IovIter.kvec(IovIter.Direction.SOURCE, data));
    }

    /** Reads up to {@code len} bytes; the result is as long as what was read. */
    static byte[] read(MemFile f, long pos, int len) {
        byte[] buf = new byte[len];
        long n = f.read(pos, IovIter.kvec(IovIter.Direction.DEST, buf));
        return Arrays.copyOf(buf, (int) n);
    }

    static byte[] pattern(int len, long seed) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        return b;
    }

    static boolean allBytes(byte[] b, int from, int to, byte v) {
        for (int i = from; i < to; i++) {
            if (b[i] != v) {
                return false;
            }
        }
        return true;
    }

    /** One call of an {@link IomapOps}, as {@link RecordingOps} saw it. */
    record Call(String op, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
    }

    /** Passes every call to a filesystem and records it. */
    static final class RecordingOps<I extends Inode> implements IomapOps<I> {
        final IomapOps<I> fs;
        final List<Call> calls = new ArrayList<>();

        RecordingOps(IomapOps<I> fs) {
            this.fs = fs;
        }

        @Override
        public Iomap begin(I inode, long pos, long length, Set<IomapFlag> flags) {
            Iomap iomap = fs.begin(inode, pos, length, flags);
            calls.add(new Call("begin", pos, length, -1, flags, iomap));
            return iomap;
        }

        @Override
        public void end(I inode, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
            calls.add(new Call("end", pos, length, written, flags, iomap));
            fs.end(inode, pos, length, written, flags, iomap);
        }

        List<Long> written() {
            return calls.stream().filter(c -> c.op().equals("end")).map(Call::written).toList();
        }

        long count(String op) {
            return calls.stream().filter(c -> c.op().equals(op)).count();
        }
    }
}
