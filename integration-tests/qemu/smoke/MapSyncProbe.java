import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import jdk.nio.mapmode.ExtendedMapMode;

/**
 * Smoke probe for the jdax QEMU guest, run with the single-file source launcher:
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED MapSyncProbe.java mapsync FILE_ON_DAX_MOUNT [FILE_ON_NON_DAX_FS]
 *   java --enable-native-access=ALL-UNNAMED MapSyncProbe.java devdax /dev/daxX.Y
 * </pre>
 *
 * Prints {@code key=value} lines on stdout (diagnostics on stderr); exit status
 * 0 when the probe passed.
 *
 * <p>{@code mapsync}: maps a new 0600 file with {@code ExtendedMapMode.READ_WRITE_SYNC}
 * (MAP_SYNC: only possible on a DAX mount), writes and reads back, unmaps and reads
 * the file with plain I/O. It never calls {@code force()}: JDK 25 crashes there on a
 * READ_WRITE_SYNC mapping without C2. The optional second file is a negative
 * control: MAP_SYNC must be refused there.
 *
 * <p>{@code devdax}: {@code FileChannel.map} cannot map a character device, so
 * {@code open}/{@code mmap}/{@code munmap} are called through FFM, with a length
 * that honours the device's {@code align}; writes, reads back, unmaps, maps again
 * and checks the bytes are still there.
 */
public class MapSyncProbe {
    static final long MIB = 1L << 20;
    static final int O_RDWR = 2;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: MapSyncProbe mapsync FILE [NON_DAX_FILE] | devdax /dev/daxX.Y");
            System.exit(2);
        }
        int rc = switch (args[0]) {
            case "mapsync" -> mapsync(Path.of(args[1]), args.length > 2 ? Path.of(args[2]) : null);
            case "devdax" -> devdax(Path.of(args[1]));
            default -> {
                System.err.println("unknown probe: " + args[0]);
                yield 2;
            }
        };
        System.exit(rc);
    }

    static void out(String key, Object value) {
        System.out.println(key + "=" + String.valueOf(value).replace('\n', ' '));
    }

    static long pattern(long seed, long i) {
        return seed ^ (i * 0x9E3779B97F4A7C15L);
    }

    // ---- MAP_SYNC on a DAX file system --------------------------------------

    static int mapsync(Path file, Path nonDaxFile) {
        long t0 = System.nanoTime();
        long size = 2 * MIB;
        long seed = System.nanoTime();
        long[] offsets = {0, 4096, size / 2, size - 8};
        int rc = 0;
        try {
            Files.deleteIfExists(file);
            try (FileChannel ch = FileChannel.open(file, EnumSet.of(CREATE_NEW, READ, WRITE),
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Arena arena = Arena.ofConfined()) {
                ch.write(ByteBuffer.wrap(new byte[] {0}), size - 1); // file length = size
                MemorySegment seg = ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
                for (long off : offsets) seg.set(JAVA_LONG, off, pattern(seed, off));
                for (long off : offsets) {
                    long got = seg.get(JAVA_LONG, off);
                    if (got != pattern(seed, off)) throw new IOException("read back mismatch at " + off + " in the mapping");
                }
            } // unmapped here; no force(): see the class comment
            ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
            for (long off : offsets) {
                if (all.getLong((int) off) != pattern(seed, off)) throw new IOException("file content mismatch at " + off);
            }
            out("mapsync", "ok");
            out("mapsync_file_mode", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            out("mapsync_bytes", size);
        } catch (Throwable e) {
            e.printStackTrace();
            out("mapsync", "fail");
            out("mapsync_error", e);
            rc = 1;
        }
        out("mapsync_probe_ms", (System.nanoTime() - t0) / 1_000_000);

        if (nonDaxFile != null) {
            try {
                Files.deleteIfExists(nonDaxFile);
                try (FileChannel ch = FileChannel.open(nonDaxFile, CREATE_NEW, READ, WRITE);
                        Arena arena = Arena.ofConfined()) {
                    ch.write(ByteBuffer.wrap(new byte[] {0}), size - 1);
                    ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
                }
                out("mapsync_nondax", "accepted");   // unexpected: not a DAX file system?
            } catch (IOException e) {
                out("mapsync_nondax", "refused (" + e.getMessage() + ")");
            } catch (Throwable e) {
                out("mapsync_nondax", "error (" + e + ")");
            } finally {
                try {
                    Files.deleteIfExists(nonDaxFile);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
        return rc;
    }

    // ---- device DAX through FFM ----------------------------------------------

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    static MethodHandle downcall(String name, FunctionDescriptor fd, boolean errno) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new IllegalStateException("no libc symbol " + name));
        return errno
                ? LINKER.downcallHandle(sym, fd, Linker.Option.captureCallState("errno"))
                : LINKER.downcallHandle(sym, fd);
    }

    static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true);
    static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false);
    static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), true);
    static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), true);

    static long readSysfsLong(Path p, long fallback) throws IOException {
        return Files.isReadable(p) ? Long.parseLong(Files.readString(p).trim()) : fallback;
    }

    /** mmap(NULL, len, RW, MAP_SHARED, open(dev), 0) as a segment that munmaps when arena closes. */
    static MemorySegment mapDevice(Path dev, long len, Arena arena) throws Throwable {
        MemorySegment state = arena.allocate(CALL_STATE);
        int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(dev.toString()), O_RDWR);
        if (fd < 0) throw new IOException("open " + dev + ": errno " + (int) ERRNO.get(state, 0L));
        MemorySegment addr;
        try {
            addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        } finally {
            int ignored = (int) CLOSE.invokeExact(fd); // the mapping keeps the device open
        }
        if (addr.address() == -1L) throw new IOException("mmap " + dev + " len " + len + ": errno " + (int) ERRNO.get(state, 0L));
        return addr.reinterpret(len, arena, s -> {
            try {
                MemorySegment st = Arena.global().allocate(CALL_STATE);
                int r = (int) MUNMAP.invokeExact(st, s, len);
                if (r != 0) System.err.println("munmap failed: errno " + (int) ERRNO.get(st, 0L));
            } catch (Throwable t) {
                t.printStackTrace();
            }
        });
    }

    static int devdax(Path dev) {
        long t0 = System.nanoTime();
        try {
            Path sys = Path.of("/sys/bus/dax/devices", dev.getFileName().toString());
            long devSize = readSysfsLong(sys.resolve("size"), -1);
            long align = readSysfsLong(sys.resolve("align"), 2 * MIB);
            long len = Math.max(2 * MIB, align);
            len = (len + align - 1) / align * align;
            out("devdax_size", devSize);
            out("devdax_align", align);
            out("devdax_map_len", len);
            if (devSize < len) throw new IOException("device " + dev + " too small: " + devSize);

            long seed = System.nanoTime();
            long[] offsets = {0, 64, 4096, len / 2, len - 8};
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = mapDevice(dev, len, arena);
                out("devdax_addr_aligned", seg.address() % align == 0 ? "yes" : "no");
                for (long off : offsets) seg.set(JAVA_LONG, off, pattern(seed, off));
                for (long off : offsets) {
                    if (seg.get(JAVA_LONG, off) != pattern(seed, off)) throw new IOException("read back mismatch at " + off);
                }
            } // munmap
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = mapDevice(dev, len, arena);
                for (long off : offsets) {
                    if (seg.get(JAVA_LONG, off) != pattern(seed, off)) throw new IOException("mismatch at " + off + " after remapping");
                }
            }
            // A length that is not a multiple of align must be refused (device DAX rule).
            if (align > 4096) {
                try (Arena arena = Arena.ofConfined()) {
                    mapDevice(dev, align / 2, arena);
                    out("devdax_misaligned_len", "accepted");
                } catch (IOException e) {
                    out("devdax_misaligned_len", "refused (" + e.getMessage() + ")");
                }
            }
            out("devdax", "ok");
            out("devdax_probe_ms", (System.nanoTime() - t0) / 1_000_000);
            return 0;
        } catch (Throwable e) {
            e.printStackTrace();
            out("devdax", "fail");
            out("devdax_error", e);
            out("devdax_probe_ms", (System.nanoTime() - t0) / 1_000_000);
            return 1;
        }
    }
}
