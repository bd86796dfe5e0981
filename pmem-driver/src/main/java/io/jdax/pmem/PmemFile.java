package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import jdk.nio.mapmode.ExtendedMapMode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Opens a regular file as a device: creates it if asked (0600; an existing one only if it is the
 * caller's and nobody else may write it, unless {@code shared=true}), checks its size, gives it all its
 * blocks unless it is meant to be sparse ({@link FileSpace}, C8), and maps it with MAP_SYNC when
 * that can be made durable, else as a plain shared mapping (C7). The file stays open for the
 * device's life ({@link DeviceFile}: what it is, and its exclusive claim). Whatever fails leaves
 * nothing behind that this call created.
 */
final class PmemFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final String MSYNC_NOTE = "page-cache mapping, flush() msyncs the dirty pages";

    private PmemFile() {
    }

    static Mapping open(DeviceSpec spec, Path path, OptionalLong size, boolean create, boolean sparse,
                        boolean shared, RequestedMode mode, Arch arch, Platform platform) {
        String name = path.toString();
        if (Files.isDirectory(path)) {
            throw new DaxException(Errno.EISDIR, "pmem " + name + " is a directory: give a file");
        }
        boolean created = false;
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            created = create(spec, path, size, create, sparse);
        }
        if (create && !created && !shared) {
            requireOwn(path);
        }
        try {
            return map(spec, path, size, created, sparse, mode, arch, platform);
        } catch (RuntimeException | Error e) {
            if (created) {
                deleteQuietly(path, e);
            }
            throw e;
        }
    }

    /**
     * Creates the file with its final size, all of it allocated unless {@code sparse}; false if
     * another opener created it first.
     */
    private static boolean create(DeviceSpec spec, Path path, OptionalLong size, boolean create, boolean sparse) {
        String name = path.toString();
        Path parent = path.toAbsolutePath().getParent();
        if (!create) {
            throw new DaxException(Errno.ENOENT, "pmem " + name + " does not exist (add create=true and a size to "
                    + "create it)");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new DaxException(Errno.ENOENT, "cannot create pmem " + name + ": directory " + parent
                    + " does not exist");
        }
        long bytes = size.orElseThrow(() -> new DaxException(Errno.EINVAL, "device spec '" + spec
                + "': creating " + name + " needs a size, e.g. size=64M"));
        checkSize(spec, bytes);
        if (!sparse) {
            // The early, friendly check; the fallocate below is the guarantee (others may fill the
            // filesystem in between). A file meant to be sparse may be larger than the free space.
            // A filesystem of no stated size (ramfs) says nothing here: fallocate decides.
            FileStore store;
            long free;
            long total;
            try {
                store = Files.getFileStore(parent);
                free = store.getUsableSpace();
                total = store.getTotalSpace();
            } catch (IOException e) {
                throw new DaxException(Errno.EIO, "cannot create pmem " + name + ": " + e, e);
            }
            if (total > 0 && bytes > free) {
                throw new DaxException(Errno.ENOSPC, "cannot create pmem " + name + " of " + Sizes.format(bytes)
                        + ": only " + Sizes.format(free) + " (" + free + " bytes) free on " + store.name()
                        + " (" + store.type() + "). Free some space or ask for less, or "
                        + FileSpace.SPARSE_WAY_OUT);
            }
        }
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            return false; // raced with another creator: open theirs, with the same size checks
        } catch (AccessDeniedException e) {
            throw new DaxException(Errno.EACCES, "cannot create pmem " + name + ": permission denied", e);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot create pmem " + name + ": " + e, e);
        }
        try {
            Files.setPosixFilePermissions(path, OWNER_ONLY); // in case the umask was stranger than 077
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(bytes); // ftruncate: sparse, no block is written
            }
        } catch (IOException e) {
            DaxException failure = new DaxException(Errno.EIO, "cannot size new pmem " + name + " to " + bytes
                    + " bytes: " + e.getMessage(), e);
            deleteQuietly(path, failure);
            throw failure;
        }
        if (!sparse) {
            try {
                FileSpace.allocateNew(path, bytes);
            } catch (RuntimeException | Error e) {
                deleteQuietly(path, e);
                throw e;
            }
        }
        return true;
    }

    /**
     * With {@code create=true} the caller means a file of its own: one that another user made first
     * (in /tmp, /dev/shm, a shared mount), or may write, could read or change everything written
     * to it. In a sticky directory nobody else can swap the caller's own file after this check.
     */
    private static void requireOwn(Path path) {
        String name = path.toString();
        String fix = ": create=true opens an existing file only if it is this user's and neither group nor others "
                + "may write it; remove it, or add shared=true to use it as it is";
        int me = effectiveUid();
        try {
            int linkOwner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (Files.isSymbolicLink(path) && linkOwner != me) {
                throw new DaxException(Errno.EACCES, "pmem " + name + " is a symbolic link of uid " + linkOwner
                        + ", not of this process (uid " + me + ")" + fix);
            }
            int owner = (Integer) Files.getAttribute(path, "unix:uid");
            int mode = (Integer) Files.getAttribute(path, "unix:mode") & 07777;
            if (owner != me) {
                throw new DaxException(Errno.EACCES, "pmem " + name + " already exists and belongs to uid " + owner
                        + ", not to this process (uid " + me + ")" + fix);
            }
            if ((mode & 0022) != 0) {
                throw new DaxException(Errno.EACCES, "pmem " + name + " already exists and group or others may write"
                        + " it (mode 0" + Integer.toOctalString(mode) + ")" + fix);
            }
        } catch (NoSuchFileException e) {
            throw new DaxException(Errno.ENOENT, "pmem " + name + " vanished while being opened", e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new DaxException(Errno.EIO, "cannot check who owns pmem " + name + ": " + e, e);
        }
    }

    /** The effective uid, from {@code /proc/self/status} ("Uid: real effective saved fs"). */
    private static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new DaxException(Errno.EIO, "cannot read this process's uid from /proc/self/status: " + e, e);
        }
        throw new DaxException(Errno.EIO, "no Uid line in /proc/self/status");
    }

    private static Mapping map(DeviceSpec spec, Path path, OptionalLong size, boolean created, boolean sparse,
                               RequestedMode mode, Arch arch, Platform platform) {
        String name = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new DaxException(Errno.EINVAL, "pmem " + name + " is neither a regular file nor a device DAX "
                    + "character device (a pmem block device is used through a DAX filesystem mounted on it)");
        }
        DeviceFile opened = openDescriptor(path);
        try {
            return mapOpened(spec, path, size, created, sparse, mode, arch, platform, opened);
        } catch (RuntimeException | Error e) {
            if (opened != null) {
                opened.close();
            }
            throw e;
        }
    }

    private static Mapping mapOpened(DeviceSpec spec, Path path, OptionalLong size, boolean created, boolean sparse,
                                     RequestedMode mode, Arch arch, Platform platform, DeviceFile opened) {
        String name = path.toString();
        try (FileChannel ch = FileChannel.open(opened == null ? path : opened.path(), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            // opened by name: stat'ed right after, as near as the JDK lets us get to the open file
            String identity = opened == null ? DeviceFile.identity(path) : opened.identity();
            long actual = ch.size();
            if (size.isPresent() && size.getAsLong() != actual) {
                throw new DaxException(Errno.EINVAL, "pmem " + name + " is " + Sizes.format(actual) + " (" + actual
                        + " bytes) but the spec asks for size=" + spec.param(PmemDriver.PARAM_SIZE).orElse("")
                        + " (" + size.getAsLong() + " bytes); an existing file is never truncated or extended");
            }
            if (actual <= 0 || actual % DaxDevice.PAGE_SIZE != 0) {
                throw new DaxException(Errno.EINVAL, "pmem " + name + " is " + actual + " bytes, not a positive "
                        + "multiple of the " + DaxDevice.PAGE_SIZE + "-byte page");
            }
            // Before the extents are read for bad blocks: a hole has none, its new blocks do.
            if (!sparse && !created) {
                FileSpace.fillHoles(path, actual);
            }
            BadBlockSource badBlocks = badBlockSource(path, platform);
            List<BadBlocks.Range> initial = readBadBlocks(name, badBlocks, actual);
            Arena arena = Arena.ofShared();
            try {
                return mapWith(ch, path, actual, mode, arch, arena, badBlocks, initial, fsType(path), opened,
                        identity);
            } catch (RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        } catch (AccessDeniedException e) {
            throw cannotOpen(name, Errno.EACCES, e);
        } catch (NoSuchFileException e) {
            throw cannotOpen(name, Errno.ENOENT, e);
        } catch (FileSystemException e) {
            throw new DaxException(Errno.EIO, "cannot open pmem " + name + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot open pmem " + name + ": " + e, e);
        }
    }

    /**
     * The file's own descriptor, kept for the device's life ({@link DeviceFile}: its identity and
     * exclusive claim), or null where it cannot be had: not Linux, or a JVM that refuses native
     * access (then the file is opened by name, as sparse files may be, and claims nothing).
     */
    private static DeviceFile openDescriptor(Path path) {
        try {
            LibC.requireLinux("a pmem file's descriptor");
            return DeviceFile.open(path);
        } catch (LinkageError e) {
            return null; // no native access: LibC cannot even load
        } catch (DaxException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                return null; // not Linux
            }
            throw e.errno() == Errno.EACCES || e.errno() == Errno.ENOENT ? cannotOpen(path.toString(), e.errno(), e)
                    : new DaxException(e.errno(), "cannot open pmem " + path + ": " + e.getMessage(), e);
        }
    }

    private static DaxException cannotOpen(String name, Errno errno, Exception e) {
        return errno == Errno.EACCES
                ? new DaxException(Errno.EACCES, "cannot open pmem " + name + " for reading and writing: "
                + "permission denied", e)
                : new DaxException(Errno.ENOENT, "pmem " + name + " vanished while being opened", e);
    }

    private static Mapping mapWith(FileChannel ch, Path path, long size, RequestedMode mode, Arch arch, Arena arena,
                                   BadBlockSource badBlocks, List<BadBlocks.Range> initial, String fsType,
                                   DeviceFile opened, String identity) throws IOException {
        String name = path.toString();
        long align = DaxDevice.PAGE_SIZE;
        switch (mode) {
            case PAGE_CACHE -> {
                return new Mapping(name, mapPlain(ch, size, arena), arena, PersistenceMode.PAGE_CACHE,
                        "mode=page_cache asked for: " + MSYNC_NOTE, align, badBlocks, initial, path, opened,
                        identity);
            }
            case VOLATILE -> {
                return new Mapping(name, mapPlain(ch, size, arena), arena, PersistenceMode.VOLATILE,
                        "mode=volatile asked for: no durability promise, flush() only fences", align, badBlocks, initial,
                        path, opened, identity);
            }
            case EMULATED -> {
                if (!arch.hasCacheWriteback()) {
                    throw new DaxException(Errno.EOPNOTSUPP, "pmem " + name + ": mode=emulated runs the CPU_CACHE "
                            + "path, which needs an Arch with cache write-back; Arch '" + arch.name() + "' has none");
                }
                return new Mapping(name, mapPlain(ch, size, arena), arena, PersistenceMode.CPU_CACHE,
                        "mode=emulated asked for: this " + fsType + " file is treated as persistent memory (like "
                        + "PMEM_IS_PMEM_FORCE=1): flush() writes back and fences, no msync; the data is only as "
                        + "durable as the file's memory", align, badBlocks, initial, path, opened, identity);
            }
            default -> {
                // Without clwb a MAP_SYNC mapping could never be made durable, and the JDK's force()
                // on one crashes JDK 25 (NOTES.md): do not even try.
                if (!arch.hasCacheWriteback()) {
                    String why = "Arch '" + arch.name() + "' cannot write CPU cache lines back, so a MAP_SYNC "
                            + "mapping could not be made durable";
                    if (mode == RequestedMode.CPU_CACHE) {
                        throw new DaxException(Errno.EOPNOTSUPP, "pmem " + name + ": mode=cpu_cache needs an Arch "
                                + "with cache write-back: " + why + " (see 'jdax info' for why native-x86 is not "
                                + "in use)");
                    }
                    return new Mapping(name, mapPlain(ch, size, arena), arena, PersistenceMode.PAGE_CACHE,
                            why + ": " + MSYNC_NOTE, align, badBlocks, initial, path, opened, identity);
                }
                MemorySegment sync;
                try {
                    sync = ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
                } catch (IOException | UnsupportedOperationException e) {
                    String why = "MAP_SYNC not supported by the " + fsType + " filesystem of " + name + " ("
                            + e.getMessage() + ")";
                    if (mode == RequestedMode.CPU_CACHE) {
                        throw new DaxException(Errno.EOPNOTSUPP, "pmem " + name + ": mode=cpu_cache needs MAP_SYNC, "
                                + "which needs a filesystem mounted with -o dax on persistent memory: " + why, e);
                    }
                    return new Mapping(name, mapPlain(ch, size, arena), arena, PersistenceMode.PAGE_CACHE,
                            why + ": " + MSYNC_NOTE, align, badBlocks, initial, path, opened, identity);
                }
                return new Mapping(name, sync, arena, PersistenceMode.CPU_CACHE, "MAP_SYNC mapping on the DAX "
                        + fsType + " filesystem: stores are durable once written back by " + arch.name()
                        + " and fenced, no system call", align, badBlocks, initial, path, opened, identity);
            }
        }
    }

    private static MemorySegment mapPlain(FileChannel ch, long size, Arena arena) throws IOException {
        return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
    }

    /** The pmem disk under the file's filesystem, if there is one (fsdax); else injection only. */
    private static BadBlockSource badBlockSource(Path path, Platform platform) {
        Object dev;
        try {
            dev = Files.getAttribute(path, "unix:dev");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return new BadBlockSource.None("no device number for " + path);
        }
        return platform.sysfs().pmemDisk(((Number) dev).longValue())
                .<BadBlockSource>map(d -> new BadBlockSource.Disk(d, path))
                .orElseGet(() -> new BadBlockSource.None("the filesystem of " + path + " is not on a pmem disk"));
    }

    /** The kernel's list at open: a device whose poison cannot be known is not opened blind. */
    static List<BadBlocks.Range> readBadBlocks(String name, BadBlockSource source, long size) {
        try {
            return source.read(size / BadBlocks.SECTOR_SIZE);
        } catch (DaxException e) {
            throw BadBlockSource.unreadable(name, source, e);
        }
    }

    private static String fsType(Path path) {
        try {
            return Files.getFileStore(path).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static void checkSize(DeviceSpec spec, long bytes) {
        if (bytes <= 0 || bytes % DaxDevice.PAGE_SIZE != 0) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': size " + bytes
                    + " must be a positive multiple of the " + DaxDevice.PAGE_SIZE + "-byte page");
        }
    }

    private static void deleteQuietly(Path path, Throwable cause) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
