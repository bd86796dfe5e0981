package io.jdax.testkit.campaign;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.IterKind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The built-in workloads. Each is deterministic for its parameters, writes bytes that are never
 * zero (so a lost byte cannot hide as the image's initial zeros), rotates through the
 * {@link IterKind iterator shapes}, and ends with a durability point.
 */
public final class Workloads {
    private Workloads() {
    }

    /** Sequential 1000-byte records, flushed every 4: the default log-append load. */
    public static Workload sequentialAppend() {
        return sequentialAppend(48, 1000, 4);
    }

    /**
     * Records of {@code recordSize} bytes written one after the other from offset 0 (wrapping at
     * the end of the device), through the device's {@code copyFromIter} or the fallback, with a
     * {@code flush()} every {@code flushEvery} records and at the end.
     */
    public static Workload sequentialAppend(int records, int recordSize, int flushEvery) {
        positive(records, "records");
        positive(recordSize, "recordSize");
        positive(flushEvery, "flushEvery");
        return new Workload() {
            @Override
            public String name() {
                return "sequential-append";
            }

            @Override
            public void run(DaxDevice device, Ledger ledger) {
                if (recordSize > device.size()) {
                    throw new DaxException(Errno.EINVAL, name() + ": a " + recordSize + "-byte record does not fit the "
                            + device.size() + "-byte device");
                }
                SplittableRandom rnd = new SplittableRandom(records * 31L + recordSize);
                try (Arena arena = Arena.ofConfined()) {
                    long pos = 0;
                    for (int i = 0; i < records; i++) {
                        if (pos + recordSize > device.size()) {
                            pos = 0;
                        }
                        write(device, ledger, pos, nonZero(rnd, recordSize), IterKind.values()[i % IterKind.values().length],
                                arena);
                        pos += recordSize;
                        if ((i + 1) % flushEvery == 0 || i == records - 1) {
                            device.flush();
                            ledger.acknowledge();
                        }
                    }
                }
            }
        };
    }

    /** 40 writes of 1 to 3000 bytes at random offsets, flushed every 5. */
    public static Workload randomOverwrite() {
        return randomOverwrite(40, 3000, 5, 7);
    }

    /**
     * Writes of random length (1 to {@code maxLength}) at random, unaligned offsets, overwriting
     * each other, with a {@code flush()} every {@code flushEvery} writes and at the end.
     */
    public static Workload randomOverwrite(int writes, int maxLength, int flushEvery, long seed) {
        positive(writes, "writes");
        positive(maxLength, "maxLength");
        positive(flushEvery, "flushEvery");
        return new Workload() {
            @Override
            public String name() {
                return "random-overwrite";
            }

            @Override
            public Workload withSeed(long s) {
                return randomOverwrite(writes, maxLength, flushEvery, s);
            }

            @Override
            public void run(DaxDevice device, Ledger ledger) {
                SplittableRandom rnd = new SplittableRandom(seed);
                try (Arena arena = Arena.ofConfined()) {
                    for (int i = 0; i < writes; i++) {
                        int len = 1 + rnd.nextInt((int) Math.min(maxLength, device.size()));
                        long pos = rnd.nextLong(device.size() - len + 1);
                        write(device, ledger, pos, nonZero(rnd, len), IterKind.values()[rnd.nextInt(IterKind.values().length)],
                                arena);
                        if ((i + 1) % flushEvery == 0 || i == writes - 1) {
                            device.flush();
                            ledger.acknowledge();
                        }
                    }
                }
            }
        };
    }

    /** 24 writes of 1 to 6000 bytes into a file of half the device, fsync every 3. */
    public static Workload fileWrites() {
        return fileWrites(24, 6000, 3, 11);
    }

    /**
     * File writes through fs-dax ({@link MemFs}, the iomap engine): a file of half the device is
     * fallocated (its blocks are known from then on), then written at random offsets and
     * lengths, with an {@code fsync} every {@code fsyncEvery} writes and at the end.
     */
    public static Workload fileWrites(int writes, int maxLength, int fsyncEvery, long seed) {
        positive(writes, "writes");
        positive(maxLength, "maxLength");
        positive(fsyncEvery, "fsyncEvery");
        return new Workload() {
            @Override
            public String name() {
                return "fs-file-writes";
            }

            @Override
            public Workload withSeed(long s) {
                return fileWrites(writes, maxLength, fsyncEvery, s);
            }

            @Override
            public void run(DaxDevice device, Ledger ledger) {
                SplittableRandom rnd = new SplittableRandom(seed);
                MemFs fs = new MemFs(device);
                MemFile file = fs.create();
                long fileSize = mappedBytes(device);
                file.fallocate(0, fileSize);
                long[] blocks = deviceBlocks(file, fileSize);
                try (Arena arena = Arena.ofConfined()) {
                    for (int i = 0; i < writes; i++) {
                        int len = 1 + rnd.nextInt((int) Math.min(maxLength, fileSize));
                        long pos = rnd.nextLong(fileSize - len + 1);
                        byte[] data = nonZero(rnd, len);
                        // The file's blocks need not be contiguous on the device: declare block by block.
                        for (long at = pos; at < pos + len; at = (at / MemFs.BLOCK_SIZE + 1) * MemFs.BLOCK_SIZE) {
                            long end = Math.min(pos + len, (at / MemFs.BLOCK_SIZE + 1) * MemFs.BLOCK_SIZE);
                            ledger.willWrite(blocks[(int) (at / MemFs.BLOCK_SIZE)] * MemFs.BLOCK_SIZE
                                    + at % MemFs.BLOCK_SIZE, Arrays.copyOfRange(data, (int) (at - pos), (int) (end - pos)));
                        }
                        long n = file.write(pos, IterKind.values()[rnd.nextInt(IterKind.values().length)].source(data, arena));
                        if (n != len) {
                            throw new DaxException(Errno.EIO, name() + ": short write of " + n + " of " + len + " bytes");
                        }
                        if ((i + 1) % fsyncEvery == 0 || i == writes - 1) {
                            file.fsync();
                            ledger.acknowledge();
                        }
                    }
                }
            }
        };
    }

    /** 40 direct stores of 1 to 500 bytes into a mapped file, persisted every 4. */
    public static Workload directMappedStores() {
        return directMappedStores(40, 500, 4, 13);
    }

    /**
     * Plain stores into a file mapped straight onto device memory (the DAX mmap path: the Arch
     * never sees them), with {@code persist} of the ranges stored every {@code persistEvery}
     * stores and at the end, each persist acknowledging only its range.
     * <p>
     * Needs a {@link PersistenceMode#CPU_CACHE} or {@link PersistenceMode#PERSISTENT_CACHE} device
     * (in PAGE_CACHE mode persist relies on msync, which the simulator cannot observe) whose
     * {@code directAccess} answers the file's pages as one run (a mapping is one segment; a device
     * whose pages are scattered, such as brd or a striped one, cannot map it): on any other device
     * it is not applicable ({@link Workload#notApplicableTo}), and run anyway it fails with EOPNOTSUPP.
     */
    public static Workload directMappedStores(int stores, int maxLength, int persistEvery, long seed) {
        positive(stores, "stores");
        positive(maxLength, "maxLength");
        positive(persistEvery, "persistEvery");
        return new Workload() {
            @Override
            public String name() {
                return "fs-direct-mapped-stores";
            }

            @Override
            public Workload withSeed(long s) {
                return directMappedStores(stores, maxLength, persistEvery, s);
            }

            @Override
            public Optional<String> notApplicableTo(DaxDevice device) {
                if (!device.persistence().persistsByCpu()) {
                    return Optional.of(name() + " needs a CPU_CACHE or PERSISTENT_CACHE device; " + device.name() + " is "
                            + device.persistence() + " (" + device.persistenceReason() + "): its persist relies on"
                            + " msync, which the simulator cannot observe");
                }
                long need = mappedBytes(device) / DaxDevice.PAGE_SIZE;
                long longest = longestRun(device, need);
                if (longest < need) {
                    return Optional.of(name() + " maps a file of " + need + " pages as one segment; " + device.name()
                            + " answers directAccess with at most " + longest + " contiguous page(s) (its pages are"
                            + " scattered), so no file of that size can be mapped");
                }
                return Optional.empty();
            }

            @Override
            public void run(DaxDevice device, Ledger ledger) {
                if (!device.persistence().persistsByCpu()) {
                    throw new DaxException(Errno.EOPNOTSUPP, name() + " needs a CPU_CACHE or PERSISTENT_CACHE device; "
                            + device.name()
                            + " is " + device.persistence() + " (" + device.persistenceReason() + "): its persist relies"
                            + " on msync, which the simulator cannot observe");
                }
                SplittableRandom rnd = new SplittableRandom(seed);
                MemFs fs = new MemFs(device);
                MemFile file = fs.create();
                long fileSize = mappedBytes(device);
                // Writing zeros allocates the blocks (a mapping needs written extents) and changes no byte.
                file.write(0, io.jdax.uio.IovIter.kvec(io.jdax.uio.IovIter.Direction.SOURCE, new byte[(int) fileSize]));
                file.fsync();
                long base = deviceBlocks(file, fileSize)[0] * MemFs.BLOCK_SIZE;
                DaxMapping map = file.map(0, fileSize, DaxAccessMode.WRITE);
                MemorySegment mem = map.segment();
                List<long[]> unpersisted = new ArrayList<>();
                for (int i = 0; i < stores; i++) {
                    int len = 1 + rnd.nextInt((int) Math.min(maxLength, fileSize));
                    long off = rnd.nextLong(fileSize - len + 1);
                    byte[] data = nonZero(rnd, len);
                    ledger.willWrite(base + off, data);
                    MemorySegment.copy(data, 0, mem, ValueLayout.JAVA_BYTE, off, len); // a store the Arch never sees
                    unpersisted.add(new long[] {off, len});
                    if ((i + 1) % persistEvery == 0 || i == stores - 1) {
                        for (long[] r : unpersisted) {
                            map.persist(r[0], r[1]);
                            ledger.acknowledge(base + r[0], r[1]);
                        }
                        unpersisted.clear();
                    }
                }
            }
        };
    }

    /** The bytes of the file {@link #directMappedStores} maps: half the device, in whole blocks. */
    private static long mappedBytes(DaxDevice device) {
        return device.size() / 2 / MemFs.BLOCK_SIZE * MemFs.BLOCK_SIZE;
    }

    /** The longest run of pages one {@code directAccess} answers on the device, looked for until {@code enough}. */
    @SuppressWarnings("try") // the read lock is held, not called
    private static long longestRun(DaxDevice device, long enough) {
        long longest = 0;
        try (DaxReadLock lock = device.readLock()) {
            for (long p = 0; p < device.nrPages() && longest < enough; ) {
                long n = device.directAccess(p, device.nrPages() - p, DaxAccessMode.READ).nrPages();
                longest = Math.max(longest, n);
                p += n;
            }
        }
        return longest;
    }

    /** The four built-in workloads with their default parameters. */
    public static List<Workload> all() {
        return List.of(sequentialAppend(), randomOverwrite(), fileWrites(), directMappedStores());
    }

    /** Declares, then writes through the device's copy path; a short write is an error. */
    static void write(DaxDevice device, Ledger ledger, long pos, byte[] data, IterKind kind, Arena arena) {
        ledger.willWrite(pos, data);
        long n = DeviceIo.write(device, pos, kind.source(data, arena));
        if (n != data.length) {
            throw new DaxException(Errno.EIO, device.name() + ": short write of " + n + " of " + data.length
                    + " bytes at " + pos);
        }
    }

    /** The device block of each file block of {@code [0, fileSize)}; fails on a hole. */
    static long[] deviceBlocks(MemFile file, long fileSize) {
        long[] blocks = new long[(int) (fileSize / MemFs.BLOCK_SIZE)];
        Arrays.fill(blocks, -1);
        for (Iomap m : file.fiemap()) {
            long addr = switch (m) {
                case Iomap.Mapped mp -> mp.addr();
                case Iomap.Unwritten u -> u.addr();
                case Iomap.Hole h -> -1;
            };
            for (long b = 0; addr >= 0 && b < m.length() / MemFs.BLOCK_SIZE; b++) {
                long fileBlock = m.offset() / MemFs.BLOCK_SIZE + b;
                if (fileBlock < blocks.length) {
                    blocks[(int) fileBlock] = addr / MemFs.BLOCK_SIZE + b;
                }
            }
        }
        for (int b = 0; b < blocks.length; b++) {
            if (blocks[b] < 0) {
                throw new DaxException(Errno.EUCLEAN, file + ": file block " + b + " has no device block");
            }
        }
        return blocks;
    }

    static byte[] nonZero(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (1 + rnd.nextInt(255));
        }
        return b;
    }

    private static void positive(int v, String what) {
        if (v <= 0) {
            throw new DaxException(Errno.EINVAL, "workload: " + what + " must be positive, got " + v);
        }
    }
}
