package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.Sizes;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Space up front (C8): a file gets all its blocks before it is mapped, so a filesystem without
 * room is an ENOSPC at open and not a fault at the first store into a hole. Blocks are asked for
 * with the {@code fallocate} system call, which only reserves them: data already in the file is
 * never touched. {@code sparse=true} skips all of this (see {@link PmemDriver}).
 */
final class FileSpace {
    /** What every refusal offers as the way out, and what it costs. */
    static final String SPARSE_WAY_OUT = "add " + PmemDriver.PARAM_SPARSE + "=true to map it sparse (then a store "
            + "into a hole fails late, with ENOSPC, when the filesystem is full)";

    private FileSpace() {
    }

    /**
     * Allocates every block of {@code path}, a file this call just created and sized. The caller
     * deletes the file when this fails.
     */
    static void allocateNew(Path path, long size) {
        int fd = open(path, size, true);
        try {
            int rc = LibC.fallocate(fd, 0, 0, size);
            if (rc < 0) {
                throw refusal(path, size, true, -rc, LibC.describe(-rc), 0, store(path));
            }
        } catch (LinkageError e) {
            throw unavailable(what(path, size, true), e);
        } finally {
            LibC.close(fd);
        }
    }

    /**
     * Allocates the holes of the existing file {@code path} of {@code size} bytes, or refuses it
     * with the reason. Its contents, and its size, stay as they are either way.
     */
    static void fillHoles(Path path, long size) {
        int fd = open(path, size, false);
        try {
            long hole = LibC.lseek(fd, 0, LibC.SEEK_HOLE);
            if (hole >= size) {
                return; // the end of the file is its first hole: nothing to do
            }
            // A filesystem without SEEK_HOLE (EINVAL) cannot show its holes: allocate it all. tmpfs,
            // ext4 and xfs show blocks allocated but never written as holes too; fallocate finds
            // them allocated and leaves them as they are.
            long from = hole < 0 ? 0 : hole;
            // KEEP_SIZE: a file is never extended, even one another process cut meanwhile.
            int rc = LibC.fallocate(fd, LibC.FALLOC_FL_KEEP_SIZE, from, size - from);
            if (rc < 0) {
                throw refusal(path, size, false, -rc, LibC.describe(-rc), from, store(path));
            }
        } catch (LinkageError e) {
            throw unavailable(what(path, size, false), e);
        } finally {
            LibC.close(fd);
        }
    }

    /** Where a file lives, for messages: its filesystem and the space left there. */
    record Store(String name, String type, long free) {
        @Override
        public String toString() {
            return (free < 0 ? "? bytes" : Sizes.format(free) + " (" + free + " bytes)") + " free on " + name
                    + " (" + type + ")";
        }
    }

    static Store store(Path path) {
        try {
            FileStore s = Files.getFileStore(path.toAbsolutePath().getParent());
            return new Store(s.name(), s.type(), s.getUsableSpace());
        } catch (IOException | RuntimeException e) {
            return new Store("its filesystem", "unknown", -1);
        }
    }

    /**
     * The error for a failed allocation of {@code path}: ENOSPC and EOPNOTSUPP (the filesystem has
     * no fallocate) named as such, anything else with the system's reason; each names
     * {@code sparse=true} and what it risks.
     *
     * @param created  the file is new (and will be deleted), not an existing file with holes
     * @param errno    the system call's errno
     * @param reason   its text ({@code strerror})
     * @param hole     for an existing file, the offset of its first hole
     */
    static DaxException refusal(Path path, long size, boolean created, int errno, String reason, long hole,
                                Store store) {
        String what = created
                ? "cannot create pmem " + path + " of " + Sizes.format(size) + " (" + size + " bytes)"
                : "cannot open pmem " + path + " (" + Sizes.format(size) + ", " + size + " bytes): it has holes "
                + "(the first at byte " + hole + ") and";
        String allocating = created ? ": allocating its blocks failed" : " allocating them failed";
        String fix = created ? "" : "; the file is unchanged";
        return switch (LibC.code(errno)) {
            case ENOSPC -> new DaxException(Errno.ENOSPC, what + allocating + ": " + reason + "; " + store
                    + ". Free some space" + (created ? " or ask for less" : "") + ", or " + SPARSE_WAY_OUT + fix);
            case EOPNOTSUPP -> new DaxException(Errno.EOPNOTSUPP, what + allocating + ": the " + store.type()
                    + " filesystem cannot allocate blocks ahead (fallocate: " + reason + "), so a full filesystem "
                    + "would only show at a later store. Put it on a filesystem that can (ext4, xfs, tmpfs), or "
                    + SPARSE_WAY_OUT + fix);
            case Errno code -> new DaxException(code, what + allocating + ": " + reason + "; " + SPARSE_WAY_OUT
                    + " if it cannot be allocated" + fix);
        };
    }

    /** A read-write descriptor of {@code path}, or the reason allocation cannot be done here. */
    private static int open(Path path, long size, boolean created) {
        try {
            LibC.requireLinux("allocating a pmem file up front");
            return LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        } catch (DaxException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                throw new DaxException(Errno.EOPNOTSUPP, what(path, size, created) + ": " + e.getMessage() + "; or "
                        + SPARSE_WAY_OUT, e);
            }
            throw e;
        } catch (LinkageError e) {
            throw unavailable(what(path, size, created), e);
        }
    }

    private static String what(Path path, long size, boolean created) {
        return (created ? "cannot create pmem " : "cannot open pmem ") + path + " of " + Sizes.format(size);
    }

    /**
     * The error when the system calls cannot be made at all: the C library lacks one, or the JVM
     * refuses native access to this module (FFM is a restricted API).
     */
    static DaxException unavailable(String what, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        if (root instanceof DaxException d) {
            return new DaxException(Errno.EOPNOTSUPP, what + ": " + d.getMessage() + "; " + SPARSE_WAY_OUT, e);
        }
        return new DaxException(Errno.EOPNOTSUPP, what + ": allocating it up front calls fallocate through FFM, "
                + "and this JVM refuses (" + root + "): run with --enable-native-access=io.jdax.pmem (module path) "
                + "or ALL-UNNAMED (class path), or " + SPARSE_WAY_OUT, e);
    }
}
