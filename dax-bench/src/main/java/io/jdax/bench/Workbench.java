package io.jdax.bench;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The devices and buffers a benchmark runs on, and the {@link WritePath} of every
 * {@link BenchMethod} over them.
 * <p>
 * The pmem device is either emulated (a file created {@code 0600} in a private {@code 0700}
 * directory under the scratch parent, {@code /dev/shm} by default) or the device named by
 * {@link Config#deviceSpec()}. Its first {@link #region()} bytes are what the device-level methods
 * walk; after them lies the fs-dax area: the reference filesystem is laid over the whole device
 * with a spacer file holding the region, so a file written there never touches the region. brd
 * and the filesystem are set up on first use. Everything is faulted in before it is measured.
 * <p>
 * The emulated device's directory is removed by {@link #close()}, and by a shutdown hook if the
 * JVM exits first (Ctrl-C, SIGTERM); only SIGKILL leaves it behind.
 */
public final class Workbench implements AutoCloseable {
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    /**
     * What to set up.
     *
     * @param deviceSpec    the pmem device to measure, or null for an emulated one in the scratch parent
     * @param scratchParent where the emulated device's private directory is made
     * @param regionBytes   bytes the device-level methods walk (at most; less on a small device)
     * @param fileBytes     bytes of the fs-dax file (at most a quarter of a given device)
     * @param brdBytes      bytes of the brd device walked by {@link BenchMethod#BRD_FALLBACK}
     * @param sourceBytes   bytes of each source buffer
     * @param libpmem       the libpmem library to load, or null not to
     * @param emulatedMode  the pmem {@code mode} of the emulated device ({@code emulated} for CPU_CACHE on a
     *                      plain file), or null for the driver's default
     */
    public record Config(String deviceSpec, Path scratchParent, long regionBytes, long fileBytes, long brdBytes,
                         int sourceBytes, String libpmem, String emulatedMode) {
        /** Checks the sizes. */
        public Config {
            Objects.requireNonNull(scratchParent, "scratchParent");
            for (long v : new long[] {regionBytes, fileBytes, brdBytes, sourceBytes}) {
                if (v < PAGE || v % PAGE != 0) {
                    throw new DaxException(Errno.EINVAL, "workbench sizes must be positive multiples of 4096: region "
                            + regionBytes + ", file " + fileBytes + ", brd " + brdBytes + ", source " + sourceBytes);
                }
            }
        }

        /**
         * An emulated device in {@code /dev/shm} (else the temp directory) with a 256 MiB region,
         * a 64 MiB file, 64 MiB of brd, 64 MiB sources, and libpmem when installed.
         */
        public static Config defaults() {
            return new Config(null, defaultScratchParent(), 256L << 20, 64L << 20, 64L << 20, 64 << 20,
                    LibPmem.DEFAULT_LIBRARY, null);
        }

        /** With another device (null: emulated). */
        public Config withDevice(String spec) {
            return new Config(spec, scratchParent, regionBytes, fileBytes, brdBytes, sourceBytes, libpmem, emulatedMode);
        }

        /** With another scratch parent. */
        public Config withScratchParent(Path dir) {
            return new Config(deviceSpec, dir, regionBytes, fileBytes, brdBytes, sourceBytes, libpmem, emulatedMode);
        }

        /** With other sizes. */
        public Config withSizes(long region, long file, long brd, int source) {
            return new Config(deviceSpec, scratchParent, region, file, brd, source, libpmem, emulatedMode);
        }

        /** With another libpmem (null: none). */
        public Config withLibpmem(String library) {
            return new Config(deviceSpec, scratchParent, regionBytes, fileBytes, brdBytes, sourceBytes, library,
                    emulatedMode);
        }

        /** With another mode for the emulated device (null: the driver's default). */
        public Config withEmulatedMode(String mode) {
            return new Config(deviceSpec, scratchParent, regionBytes, fileBytes, brdBytes, sourceBytes, libpmem, mode);
        }
    }

    /** {@code /dev/shm} when it is a writable directory (memory, like persistent memory), else the temp directory. */
    public static Path defaultScratchParent() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    private final Config config;
    private final Path scratch;
    private final Thread cleanup;
    private final DaxDevice pmem;
    private final long region;
    private final long fileBytes;
    private final SourceBuffers sources;
    private final LibPmem libpmem;
    private final String libpmemStatus;
    private final Map<BenchMethod, WritePath> paths = new EnumMap<>(BenchMethod.class);
    private final Map<BenchMethod, ReadPath> readPaths = new EnumMap<>(BenchMethod.class);
    private final Map<BenchMethod, MemPath> memPaths = new EnumMap<>(BenchMethod.class);
    private DaxDevice brd;
    private MemFile file;
    private DaxMapping mapping;
    private SourceBuffers destinations;

    private Workbench(Config config, Path scratch, Thread cleanup, DaxDevice pmem, long region, long fileBytes,
                      SourceBuffers sources, LibPmem libpmem, String libpmemStatus) {
        this.config = config;
        this.scratch = scratch;
        this.cleanup = cleanup;
        this.pmem = pmem;
        this.region = region;
        this.fileBytes = fileBytes;
        this.sources = sources;
        this.libpmem = libpmem;
        this.libpmemStatus = libpmemStatus;
    }

    /**
     * Creates or opens the pmem device, faults its region in, and fills the sources.
     *
     * @throws DaxException what the driver says about the device (no room in the scratch
     *                      directory, a bad spec, ...); nothing is left behind
     */
    public static Workbench open(Config config) {
        Objects.requireNonNull(config, "config");
        Path scratch = null;
        Thread cleanup = null;
        DaxDevice pmem = null;
        SourceBuffers sources = null;
        try {
            String spec = config.deviceSpec();
            long fileArea;
            if (spec == null) {
                scratch = Files.createTempDirectory(config.scratchParent(), "jdax-bench-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path dir = scratch;
                cleanup = new Thread(() -> deleteTree(dir), "jdax-bench-cleanup");
                Runtime.getRuntime().addShutdownHook(cleanup);
                fileArea = config.fileBytes();
                spec = "pmem:" + scratch.resolve("pmem.img") + "?size=" + (config.regionBytes() + fileArea)
                        + "&create=true" + (config.emulatedMode() == null ? "" : "&mode=" + config.emulatedMode());
            } else {
                fileArea = 0;
            }
            pmem = DaxDevices.open(spec);
            if (config.deviceSpec() != null) {
                fileArea = Math.min(config.fileBytes(), pmem.size() / 4 / PAGE * PAGE);
            }
            long region = Math.min(config.regionBytes(), pmem.size() - fileArea);
            if (region < PAGE) {
                throw new DaxException(Errno.ENOSPC, pmem.name() + " is too small to measure: " + Sizes.format(pmem.size()));
            }
            prefault(pmem, region + fileArea);
            sources = new SourceBuffers(config.sourceBytes(), 0x6a646178L);
            LibPmem lib = null;
            String status;
            if (config.libpmem() == null) {
                status = "not loaded (none asked for)";
            } else {
                try {
                    lib = LibPmem.load(config.libpmem());
                    status = "loaded " + config.libpmem();
                } catch (DaxException e) {
                    status = e.getMessage().substring(e.errno().name().length() + 2);
                }
            }
            return new Workbench(config, scratch, cleanup, pmem, region, fileArea, sources, lib, status);
        } catch (IOException e) {
            closeQuietly(pmem, sources, scratch, cleanup);
            throw new DaxException(Errno.EIO, "cannot create a scratch directory in " + config.scratchParent() + ": " + e, e);
        } catch (RuntimeException | Error e) {
            closeQuietly(pmem, sources, scratch, cleanup);
            throw e;
        }
    }

    /** The pmem device measured. */
    public DaxDevice pmem() {
        return pmem;
    }

    /** The emulated device's private directory; empty for a device given by spec. */
    public Optional<Path> scratch() {
        return Optional.ofNullable(scratch);
    }

    /** Bytes of the pmem device the device-level methods walk. */
    public long region() {
        return region;
    }

    /** Bytes of the fs-dax file (0 when the device leaves no room for one). */
    public long fileBytes() {
        return fileBytes;
    }

    /** The source buffers. */
    public SourceBuffers sources() {
        return sources;
    }

    /** libpmem, when it loaded. */
    public Optional<LibPmem> libpmem() {
        return Optional.ofNullable(libpmem);
    }

    /** Whether libpmem loaded, or why not. */
    public String libpmemStatus() {
        return libpmemStatus;
    }

    /** The brd device, opened on first use of {@link BenchMethod#BRD_FALLBACK}; empty before. */
    public Optional<DaxDevice> brd() {
        return Optional.ofNullable(brd);
    }

    /** Why {@code method} cannot run here, or empty when it can. */
    public Optional<String> unavailable(BenchMethod method) {
        Optional<String> noFile = fileBytes < 64 * 1024 ? Optional.of("the device leaves no room for a file ("
                + Sizes.format(pmem.size()) + ")") : Optional.empty();
        Optional<String> noLibpmem = libpmem == null ? Optional.of("libpmem: " + libpmemStatus)
                : !nativeMemory(pmem) ? Optional.of("the device's memory is on the Java heap: libpmem cannot "
                + "address it") : Optional.empty();
        return switch (method) {
            case DURABLE_FENCE -> pmem.persistence() == PersistenceMode.PAGE_CACHE ? Optional.empty()
                    : Optional.of("the device is " + pmem.persistence() + ": its flush() is this fence already, "
                    + BenchMethod.DURABLE.id() + " measures it");
            case NOCACHE -> pmem.arch().hasCacheWriteback() ? Optional.empty()
                    : Optional.of("the " + pmem.arch().name() + " Arch has no non-temporal stores: no ceiling to measure");
            case LIBPMEM -> noLibpmem;
            case LIBPMEM_MEMSET, LIBPMEM_MEMMOVE -> noLibpmem.or(() -> noFile);
            case FSDAX_FSYNC, FSDAX_READ, MEMSET, MEMMOVE -> noFile;
            default -> Optional.empty();
        };
    }

    /**
     * Why {@code method} cannot run with iterators of {@code kind}, or empty when it can: the
     * non-temporal ceiling of a heap source exists only where the Arch streams heap memory.
     */
    public Optional<String> unavailable(BenchMethod method, IovIter.Kind kind) {
        Optional<String> why = unavailable(method);
        if (why.isPresent() || method != BenchMethod.NOCACHE || kind != IovIter.Kind.KVEC || streamsHeap(pmem.arch())) {
            return why;
        }
        return Optional.of("no true ceiling for heap sources: this Arch's non-temporal copy takes a heap array with "
                + "cached stores (" + pmem.arch().features().getOrDefault("call", pmem.arch().name()) + ")");
    }

    /**
     * Whether {@code arch}'s non-temporal copy streams a heap source: native-x86 through FFM hands
     * the array to C (a critical downcall, the array pinned); through JNI, or the portable Arch,
     * a heap source is copied with cached stores.
     */
    static boolean streamsHeap(Arch arch) {
        return "native-x86".equals(arch.name()) && arch.features().getOrDefault("call", "").startsWith("ffm");
    }

    private static boolean nativeMemory(DaxDevice dev) {
        try (DaxReadLock ignored = dev.readLock()) {
            return dev.directAccess(0, 1, DaxAccessMode.READ).addr().isNative();
        }
    }

    /**
     * The write path of {@code method}, set up on first use (brd and the filesystem are created
     * and faulted in then).
     *
     * @throws DaxException EOPNOTSUPP with {@link #unavailable}'s reason when it cannot run here
     */
    public synchronized WritePath path(BenchMethod method) {
        Optional<String> why = unavailable(method);
        if (why.isPresent()) {
            throw new DaxException(Errno.EOPNOTSUPP, method.id() + ": " + why.get());
        }
        WritePath p = paths.get(method);
        if (p == null) {
            p = create(method);
            paths.put(method, p);
        }
        return p;
    }

    /**
     * The read path of {@code method} ({@link BenchMethod.Op#READ}), set up on first use.
     *
     * @throws DaxException EOPNOTSUPP with {@link #unavailable}'s reason when it cannot run here
     */
    public synchronized ReadPath readPath(BenchMethod method) {
        if (method.op() != BenchMethod.Op.READ) {
            throw new DaxException(Errno.EINVAL, method.id() + " is not a read");
        }
        Optional<String> why = unavailable(method);
        if (why.isPresent()) {
            throw new DaxException(Errno.EOPNOTSUPP, method.id() + ": " + why.get());
        }
        return readPaths.computeIfAbsent(method, m -> switch (m) {
            case READ -> new DeviceRead(m, pmem, region, (pos, dst) -> pmem.copyToIter(pos, dst.count(), dst));
            case PLAIN_READ -> {
                MemorySegment whole = regionMemory();
                yield new DeviceRead(m, pmem, region, whole != null
                        ? (pos, dst) -> dst.copyToIter(whole, pos, dst.count(), MemorySegment::copy)
                        : (pos, dst) -> readChunks(pmem, pos, dst));
            }
            case FSDAX_READ -> new FileRead(openFile(), fileBytes);
            default -> throw new AssertionError(m);
        });
    }

    /**
     * The memset or memmove path of {@code method}, set up on first use: over a {@link DaxMapping}
     * of the fs-dax file (the DAX mmap path), jdax's rows through {@code DaxMapping.memset/memmove},
     * libpmem's on the same memory.
     *
     * @throws DaxException EOPNOTSUPP with {@link #unavailable}'s reason when it cannot run here
     */
    public synchronized MemPath memPath(BenchMethod method) {
        if (method.op() != BenchMethod.Op.MEMSET && method.op() != BenchMethod.Op.MEMMOVE) {
            throw new DaxException(Errno.EINVAL, method.id() + " is neither a memset nor a memmove");
        }
        Optional<String> why = unavailable(method);
        if (why.isPresent()) {
            throw new DaxException(Errno.EOPNOTSUPP, method.id() + ": " + why.get());
        }
        return memPaths.computeIfAbsent(method, m -> new MappedOp(m, openMapping(), libpmem));
    }

    /** Native buffers reads land in, as big as the sources, made on first use. */
    public synchronized SourceBuffers destinations() {
        if (destinations == null) {
            destinations = new SourceBuffers(config.sourceBytes(), 0x72656164L);
        }
        return destinations;
    }

    private DaxMapping openMapping() {
        if (mapping == null) {
            mapping = openFile().map(0, fileBytes, DaxAccessMode.WRITE);
        }
        return mapping;
    }

    private WritePath create(BenchMethod method) {
        Arch arch = pmem.arch();
        return switch (method) {
            case DURABLE -> new DevicePath(method, pmem, region, (pos, src) -> pmem.copyFromIter(pos, src.count(), src),
                    pmem::flush, () -> { });
            case DURABLE_FENCE -> new DevicePath(method, pmem, region,
                    (pos, src) -> pmem.copyFromIter(pos, src.count(), src), arch::fence, pmem::flush);
            case SEED_REGRESSION -> anchor(method, (dst, off, bytes, iter) -> {
                long n = arch.copyFromIterNocache(dst, off, bytes, iter);
                arch.writeback(dst, off, n); // the regression: every line, non-temporal or not
                return n;
            }, arch::fence);
            case CACHED_WRITEBACK -> anchor(method, (dst, off, bytes, iter) -> {
                long n = iter.copyFromIter(dst, off, bytes, MemorySegment::copy);
                arch.writeback(dst, off, n);
                return n;
            }, arch::fence);
            case NOCACHE -> anchor(method, arch::copyFromIterNocache, arch::fence);
            case LIBPMEM -> {
                LibPmem lib = libpmem;
                IovIter.SegmentCopy run = (src, srcOff, dst, dstOff, len) ->
                        lib.memcpyNodrain(dst.asSlice(dstOff, len), src.asSlice(srcOff, len), len);
                yield anchor(method, (dst, off, bytes, iter) -> iter.copyFromIter(dst, off, bytes, run), lib::drain);
            }
            case BRD_FALLBACK -> {
                DaxDevice b = openBrd();
                yield new DevicePath(method, b, b.size(), (pos, src) -> b.copyFromIter(pos, src.count(), src), b::flush,
                        () -> { });
            }
            case FSDAX_FSYNC -> new FilePath(openFile(), fileBytes);
            default -> throw new DaxException(Errno.EINVAL, method.id() + " is not a write");
        };
    }

    /**
     * An anchor: a copy strategy that is not the device's, straight into the region's memory
     * (held as one segment when the device answers the whole region at once, so the anchor pays
     * no per-write device overhead; otherwise through {@code directAccess} chunks), then its
     * commit. The product path ({@link BenchMethod#DURABLE}) pays the device core's checks and
     * read side on every write: the ratio to {@link BenchMethod#NOCACHE} shows that cost.
     */
    private DevicePath anchor(BenchMethod method, DaxOperations.CopyFromIter copy, Runnable commit) {
        MemorySegment whole = regionMemory();
        Write write = whole != null ? (pos, src) -> copy.copyFromIter(whole, pos, src.count(), src)
                : (pos, src) -> writeChunks(pmem, pos, src, copy);
        return new DevicePath(method, pmem, region, write, commit, pmem::flush);
    }

    /** The region as one segment, or null when the device answers it in pieces. */
    private MemorySegment regionMemory() {
        DirectAccess da = pmem.directAccess(0, region / PAGE, DaxAccessMode.WRITE);
        return da.nrPages() * PAGE >= region ? da.addr() : null;
    }

    /**
     * The fs-dax file {@link BenchMethod#FSDAX_FSYNC} writes, set up on first use: {@link #fileBytes()}
     * bytes, every block allocated and written (zeros), so writes and reads through it go to mapped
     * extents. For benchmarks that call {@code write}, {@code read} and {@code fsync} on their own
     * schedule (an fsync every N writes).
     *
     * @throws DaxException EOPNOTSUPP with {@link #unavailable}'s reason when the device leaves no room
     */
    public synchronized MemFile file() {
        Optional<String> why = unavailable(BenchMethod.FSDAX_FSYNC);
        if (why.isPresent()) {
            throw new DaxException(Errno.EOPNOTSUPP, "fs-dax file: " + why.get());
        }
        return openFile();
    }

    private DaxDevice openBrd() {
        if (brd == null) {
            brd = DaxDevices.open("brd:jdax-bench?size=" + config.brdBytes());
            prefault(brd, brd.size());
        }
        return brd;
    }

    /** The fs-dax file: after a spacer file that holds the region, written once so its blocks are allocated. */
    private MemFile openFile() {
        if (file == null) {
            MemFs fs = new MemFs(pmem);
            fs.create().fallocate(0, region);
            MemFile f = fs.create();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment zeros = arena.allocate(1 << 20, PAGE);
                for (long at = 0; at < fileBytes; at += zeros.byteSize()) {
                    long n = Math.min(zeros.byteSize(), fileBytes - at);
                    long done = f.write(at, IovIter.ubuf(IovIter.Direction.SOURCE, zeros.asSlice(0, n)));
                    if (done != n) {
                        throw new DaxException(Errno.EIO, "fs-dax: short write of " + done + " of " + n + " bytes");
                    }
                }
            }
            f.fsync();
            for (Iomap m : f.fiemap()) {
                if (m instanceof Iomap.Mapped mp && mp.addr() < region) {
                    throw new DaxException(Errno.EUCLEAN, "fs-dax: the file landed in the raw region at " + mp.addr());
                }
            }
            file = f;
        }
        return file;
    }

    /** Stores zeros over {@code [0, bytes)} through the device, so page faults happen now, not while measured. */
    private static void prefault(DaxDevice dev, long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeros = arena.allocate(1 << 20, PAGE);
            for (long at = 0; at < bytes; at += zeros.byteSize()) {
                long n = Math.min(zeros.byteSize(), bytes - at);
                long done = dev.copyFromIter(at, n, IovIter.ubuf(IovIter.Direction.SOURCE, zeros.asSlice(0, n)));
                if (done != n) {
                    throw new DaxException(Errno.EIO, dev.name() + ": short prefault write of " + done + " of " + n);
                }
            }
        }
        dev.flush();
    }

    /** An anchor's write through {@code directAccess} chunks, for a device that answers the region in pieces. */
    static long writeChunks(DaxDevice dev, long pos, IovIter src, DaxOperations.CopyFromIter copy) {
        long left = src.count();
        long at = pos;
        while (left > 0) {
            long off = at % PAGE;
            try (DaxReadLock ignored = dev.readLock()) {
                DirectAccess da = dev.directAccess(at / PAGE, Math.ceilDiv(off + left, PAGE), DaxAccessMode.WRITE);
                long len = Math.min(da.nrPages() * PAGE - off, left);
                long n = copy.copyFromIter(da.addr(), off, len, src);
                if (n != len) {
                    throw new DaxException(Errno.EIO, dev.name() + ": short copy of " + n + " of " + len + " bytes at " + at);
                }
                at += n;
                left -= n;
            }
        }
        return at - pos;
    }

    /** A plain read through {@code directAccess} chunks, for a device that answers the region in pieces. */
    static long readChunks(DaxDevice dev, long pos, IovIter dst) {
        long left = dst.count();
        long at = pos;
        while (left > 0) {
            long off = at % PAGE;
            try (DaxReadLock ignored = dev.readLock()) {
                DirectAccess da = dev.directAccess(at / PAGE, Math.ceilDiv(off + left, PAGE), DaxAccessMode.READ);
                long len = Math.min(da.nrPages() * PAGE - off, left);
                long n = dst.copyToIter(da.addr(), off, len, MemorySegment::copy);
                if (n != len) {
                    throw new DaxException(Errno.EIO, dev.name() + ": short read of " + n + " of " + len + " bytes at " + at);
                }
                at += n;
                left -= n;
            }
        }
        return at - pos;
    }

    /** Stamps {@code [pos, pos + size)} of the device as {@link IterRing#stamp(MemorySegment, long)} does, with plain stores. */
    static void stampDevice(DaxDevice dev, long pos, long size, long serial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment image = IterRing.markImage(serial, size, arena);
            for (long at : IterRing.markOffsets(size)) {
                writeChunks(dev, pos + at, IovIter.ubuf(IovIter.Direction.SOURCE, image), plainCopy());
            }
        }
    }

    private static DaxOperations.CopyFromIter plainCopy() {
        return (dst, off, bytes, iter) -> iter.copyFromIter(dst, off, bytes, MemorySegment::copy);
    }

    /** Reads back through {@code directAccess} (READ) and compares; -1 when equal. */
    static long compare(DaxDevice dev, long pos, MemorySegment expected) {
        long done = 0;
        long size = expected.byteSize();
        while (done < size) {
            long at = pos + done;
            long off = at % PAGE;
            try (DaxReadLock ignored = dev.readLock()) {
                DirectAccess da = dev.directAccess(at / PAGE, Math.ceilDiv(off + size - done, PAGE),
                        DaxAccessMode.READ);
                long len = Math.min(da.nrPages() * PAGE - off, size - done);
                long m = MemorySegment.mismatch(expected, done, done + len, da.addr(), off, off + len);
                if (m >= 0) {
                    return done + m;
                }
                done += len;
            }
        }
        return -1;
    }

    /** One write of a device-level method, at a device position. */
    @FunctionalInterface
    private interface Write {
        long write(long pos, IovIter src);
    }

    /** A device-level method: its write, then its commit. */
    private record DevicePath(BenchMethod method, DaxDevice device, long capacity, Write writer,
                              Runnable commit, Runnable housekeeping) implements WritePath {
        @Override
        public void write(long pos, IovIter src) {
            long n = src.count();
            long done = writer.write(pos, src);
            if (done != n) {
                throw new DaxException(Errno.EIO, "short write of " + done + " of " + n + " bytes at " + pos);
            }
            commit.run();
        }

        @Override
        public void afterBatch() {
            housekeeping.run();
        }

        @Override
        public long mismatch(long pos, MemorySegment expected) {
            return compare(device, pos, expected);
        }
    }

    /** fs-dax: a write through the iomap engine, then fsync; read back through the engine too. */
    private static final class FilePath implements WritePath {
        private final MemFile file;
        private final long capacity;
        private MemorySegment readBuffer;

        FilePath(MemFile file, long capacity) {
            this.file = file;
            this.capacity = capacity;
        }

        @Override
        public BenchMethod method() {
            return BenchMethod.FSDAX_FSYNC;
        }

        @Override
        public long capacity() {
            return capacity;
        }

        @Override
        public void write(long pos, IovIter src) {
            long n = src.count();
            long done = file.write(pos, src);
            if (done != n) {
                throw new DaxException(Errno.EIO, "fs-dax: short write of " + done + " of " + n + " bytes at " + pos);
            }
            file.fsync();
        }

        @Override
        public synchronized long mismatch(long pos, MemorySegment expected) {
            long size = expected.byteSize();
            if (readBuffer == null || readBuffer.byteSize() < size) {
                readBuffer = Arena.ofAuto().allocate(Math.max(size, 64 * 1024), 64);
            }
            MemorySegment buf = readBuffer.asSlice(0, size);
            long got = file.read(pos, IovIter.ubuf(IovIter.Direction.DEST, buf));
            if (got != size) {
                return got;
            }
            return MemorySegment.mismatch(expected, 0, size, buf, 0, size);
        }
    }

    /** One read of a device-level read method, at a device position. */
    @FunctionalInterface
    private interface Read {
        long read(long pos, IovIter dst);
    }

    /** A device-level read: jdax's copyToIter, or the plain copy from the mapping. */
    private record DeviceRead(BenchMethod method, DaxDevice device, long capacity, Read reader) implements ReadPath {
        @Override
        public void stamp(long pos, long size, long serial) {
            stampDevice(device, pos, size, serial);
        }

        @Override
        public void read(long pos, IovIter dst) {
            long n = dst.count();
            long done = reader.read(pos, dst);
            if (done != n) {
                throw new DaxException(Errno.EIO, "short read of " + done + " of " + n + " bytes at " + pos);
            }
        }

        @Override
        public long mismatch(long pos, MemorySegment got) {
            return compare(device, pos, got);
        }
    }

    /** fs-dax: a file read through the iomap engine; the marks are written through the file too. */
    private static final class FileRead implements ReadPath {
        private final MemFile file;
        private final long capacity;
        private final FilePath readBack;

        FileRead(MemFile file, long capacity) {
            this.file = file;
            this.capacity = capacity;
            this.readBack = new FilePath(file, capacity);
        }

        @Override
        public BenchMethod method() {
            return BenchMethod.FSDAX_READ;
        }

        @Override
        public long capacity() {
            return capacity;
        }

        @Override
        public void stamp(long pos, long size, long serial) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment image = IterRing.markImage(serial, size, arena);
                for (long at : IterRing.markOffsets(size)) {
                    file.write(pos + at, IovIter.ubuf(IovIter.Direction.SOURCE, image));
                }
            }
        }

        @Override
        public void read(long pos, IovIter dst) {
            long n = dst.count();
            long done = file.read(pos, dst);
            if (done != n) {
                throw new DaxException(Errno.EIO, "fs-dax: short read of " + done + " of " + n + " bytes at " + pos);
            }
        }

        @Override
        public long mismatch(long pos, MemorySegment got) {
            return readBack.mismatch(pos, got);
        }
    }

    /**
     * memset or memmove on the fs-dax file's {@link DaxMapping}: jdax's through the mapping (the
     * Arch's durable memset/memmove on a CPU_CACHE device, stores + msync on a PAGE_CACHE one),
     * libpmem's on the same memory.
     */
    private static final class MappedOp implements MemPath {
        private final BenchMethod method;
        private final DaxMapping mapping;
        private final MemorySegment memory;
        private final LibPmem lib;
        private final long capacity;
        private MemorySegment filled;
        private byte filledWith;

        MappedOp(BenchMethod method, DaxMapping mapping, LibPmem lib) {
            this.method = method;
            this.mapping = mapping;
            this.memory = mapping.segment();
            this.lib = lib;
            this.capacity = method.op() == BenchMethod.Op.MEMMOVE ? mapping.length() / 2 / PAGE * PAGE : mapping.length();
        }

        @Override
        public BenchMethod method() {
            return method;
        }

        @Override
        public long capacity() {
            return capacity;
        }

        @Override
        public void prepare(long pos, long size, byte value, long serial) {
            if (method.op() == BenchMethod.Op.MEMMOVE) {
                IterRing.stamp(memory.asSlice(pos + capacity, size), serial);
                return;
            }
            byte other = (byte) ~value;
            for (long at = 0; at < size; at += PAGE) {
                memory.set(java.lang.foreign.ValueLayout.JAVA_BYTE, pos + at, other);
            }
            memory.set(java.lang.foreign.ValueLayout.JAVA_BYTE, pos + size - 1, other);
        }

        @Override
        public void run(long pos, long size, byte value) {
            switch (method) {
                case MEMSET -> mapping.memset(pos, size, value);
                case LIBPMEM_MEMSET -> lib.memsetPersist(memory.asSlice(pos, size), value, size);
                case MEMMOVE -> mapping.memmove(pos, pos + capacity, size);
                case LIBPMEM_MEMMOVE -> lib.memmovePersist(memory.asSlice(pos, size), memory.asSlice(pos + capacity, size),
                        size);
                default -> throw new AssertionError(method);
            }
        }

        @Override
        public synchronized long mismatch(long pos, long size, byte value) {
            if (method.op() == BenchMethod.Op.MEMMOVE) {
                return MemorySegment.mismatch(memory, pos, pos + size, memory, pos + capacity, pos + capacity + size);
            }
            if (filled == null || filled.byteSize() < size) {
                filled = Arena.ofAuto().allocate(Math.max(size, 64 * 1024), 64);
                filled.fill(value);
                filledWith = value;
            } else if (filledWith != value) {
                filled.fill(value);
                filledWith = value;
            }
            return MemorySegment.mismatch(memory, pos, pos + size, filled, 0, size);
        }

        @Override
        public void afterBatch() {
            if (method == BenchMethod.LIBPMEM_MEMSET || method == BenchMethod.LIBPMEM_MEMMOVE) {
                mapping.persist(); // a PAGE_CACHE device: msync what libpmem's stores left dirty (a fence elsewhere)
            }
        }
    }

    /** Closes the devices and removes the emulated device's directory. */
    @Override
    public void close() {
        closeQuietly(brd, destinations, null, null);
        closeQuietly(pmem, sources, scratch, cleanup);
    }

    private static void closeQuietly(DaxDevice dev, SourceBuffers sources, Path scratch, Thread cleanup) {
        try {
            if (dev != null) {
                dev.close();
            }
        } catch (RuntimeException e) {
            // the directory goes anyway: a mapped file can be unlinked
        } finally {
            if (sources != null) {
                sources.close();
            }
            if (scratch != null) {
                deleteTree(scratch);
            }
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs (and finds nothing)
                }
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort; the directory's removal reports nothing either
                }
            });
        } catch (IOException e) {
            // gone already, or unreadable: nothing more to do
        }
    }
}
