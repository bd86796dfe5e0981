package com.example.stripe;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import jdk.nio.mapmode.ExtendedMapMode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code stripe:DIR?size=SIZE&files=N&unit=UNIT&create=true&mode=cpu_cache|emulated}: persistent
 * memory striped over {@code N} files {@code DIR/stripe-0.img ...} in units of {@code UNIT}
 * (RAID 0). The example of a driver whose pages are scattered: {@code directAccess} answers at
 * most to the end of a stripe unit.
 * <ul>
 *   <li>{@code mode=cpu_cache} (the default): each file mapped with MAP_SYNC, which only a DAX
 *       filesystem grants; durable once written back and fenced.</li>
 *   <li>{@code mode=emulated}: plain shared mappings treated as persistent memory (PMDK's
 *       {@code PMEM_IS_PMEM_FORCE}), for tests in {@code /dev/shm} and the power-fail simulator:
 *       nothing is msynced, never use it for data that must survive.</li>
 * </ul>
 * Both are {@link PersistenceMode#CPU_CACHE}: stores are durable only once their cache lines are
 * written back, so the device refuses an Arch that cannot write lines back (C3, C7).
 */
public final class StripeDriver implements DaxDriver {
    private static final Set<String> PARAMS = Set.of("size", "files", "unit", "create", "mode");
    private static final int PAGE = DaxDevice.PAGE_SIZE;

    /** The ServiceLoader needs a public no-argument constructor that does no I/O. */
    public StripeDriver() {
    }

    @Override
    public String scheme() {
        return "stripe";
    }

    @Override
    public String description() {
        return "example plugin: persistent memory striped over files, stripe:DIR?size=64M&files=4&unit=64K"
                + "&create=true&mode=cpu_cache|emulated";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        // The whole spec is checked before anything is made.
        spec.requireKnownParams(PARAMS);
        if (spec.path().isEmpty()) {
            throw bad(spec, "needs a directory for its files, e.g. stripe:/dev/shm/s?size=64M&create=true");
        }
        long size = spec.size("size").orElseThrow(() -> bad(spec, "size is required, e.g. size=64M"));
        if (size <= 0 || size % PAGE != 0) {
            throw bad(spec, "size must be a positive multiple of " + PAGE);
        }
        int files = files(spec);
        long unit = spec.size("unit").orElse(64 * 1024L);
        if (unit < PAGE || Long.bitCount(unit) != 1) {
            throw bad(spec, "unit must be a power of two of at least " + PAGE);
        }
        boolean create = spec.flag("create", false);
        String mode = spec.param("mode").orElse("cpu_cache");
        if (!mode.equals("cpu_cache") && !mode.equals("emulated")) {
            throw bad(spec, "mode must be cpu_cache or emulated, not '" + mode + "'");
        }
        if (!arch.hasCacheWriteback()) {
            throw new DaxException(Errno.EOPNOTSUPP, "device spec '" + spec + "': stripe is durable only once cache"
                    + " lines are written back, and the " + arch.name() + " Arch cannot write them back: use"
                    + " native-x86 (or, in tests, the power-fail simulator)");
        }
        Path dir = Path.of(spec.path());
        if (!Files.isDirectory(dir)) {
            throw new DaxException(Errno.ENOENT, "device spec '" + spec + "': " + dir + " is not a directory");
        }
        // Every file holds the same number of units; the last row of units may be partly unused.
        long fileSize = Math.ceilDiv(size, files * unit) * unit;
        return map(spec, arch, dir, size, files, unit, fileSize, create, mode.equals("emulated"));
    }

    private static DaxDevice map(DeviceSpec spec, Arch arch, Path dir, long size, int files, long unit, long fileSize,
                                 boolean create, boolean emulated) {
        Arena arena = Arena.ofShared();
        List<FileChannel> channels = new ArrayList<>();
        List<MemorySegment> maps = new ArrayList<>();
        List<Path> made = new ArrayList<>();
        try {
            for (int i = 0; i < files; i++) {
                Path f = dir.resolve("stripe-" + i + ".img");
                FileChannel ch;
                if (create && Files.notExists(f, LinkOption.NOFOLLOW_LINKS)) {
                    ch = FileChannel.open(f, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                    made.add(f);
                    channels.add(ch);
                    ch.write(ByteBuffer.allocate(1), fileSize - 1); // sized, sparse
                } else {
                    ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
                    channels.add(ch);
                    if (ch.size() != fileSize) {
                        throw bad(spec, f + " has " + ch.size() + " bytes; " + files + " files of "
                                + Sizes.format(size) + " in units of " + Sizes.format(unit) + " need " + fileSize);
                    }
                }
                try {
                    maps.add(ch.map(emulated ? FileChannel.MapMode.READ_WRITE : ExtendedMapMode.READ_WRITE_SYNC, 0,
                            fileSize, arena));
                } catch (IOException e) {
                    if (emulated) {
                        throw e;
                    }
                    throw new DaxException(Errno.EOPNOTSUPP, "device spec '" + spec + "': MAP_SYNC refused for " + f
                            + " (" + e.getMessage() + "): is it on a DAX filesystem? mode=emulated treats a plain"
                            + " mapping as persistent memory, for tests");
                }
            }
        } catch (IOException | RuntimeException e) {
            // Nothing half-made stays behind: mappings, channels and the files this open created.
            arena.close();
            for (FileChannel ch : channels) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing after a failure: the first error is the one to report
                }
            }
            for (Path f : made) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // as above
                }
            }
            throw e instanceof DaxException d ? d : new DaxException(Errno.EIO, "device spec '" + spec + "': " + e, e);
        }
        String reason = (emulated ? "emulated: plain shared mappings treated as persistent memory (no msync, for"
                + " tests)" : "MAP_SYNC mappings on a DAX filesystem") + ", " + files + " files striped in units of "
                + Sizes.format(unit) + ": durable once written back and fenced";
        DaxDevice.Info info = new DaxDevice.Info("stripe:" + dir.getFileName(), spec, size, PAGE,
                PersistenceMode.CPU_CACHE, reason);
        return new DaxDevice(info, arch, new StripeOperations(arena, channels, maps, unit, arch));
    }

    private static int files(DeviceSpec spec) {
        String v = spec.param("files").orElse("4");
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is wanted
        }
        throw bad(spec, "files must be a number from 1 to 64, not '" + v + "'");
    }

    private static DaxException bad(DeviceSpec spec, String what) {
        return new DaxException(Errno.EINVAL, "device spec '" + spec + "': " + what);
    }
}
