package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few Linux system calls the JDK does not offer, through FFM: {@code open}/{@code close},
 * {@code flock} (the JDK's file locks are {@code fcntl}'s, per process: see {@link DeviceFile}),
 * {@code mmap}/{@code munmap} of a character device (FileChannel cannot map one), the
 * {@code FS_IOC_FIEMAP} ioctl, and {@code fallocate}/{@code lseek(SEEK_HOLE)} to give a file its
 * space before it is mapped ({@link FileSpace}). Loaded for device DAX, a pmem block device, and
 * any file not opened with {@code sparse=true}. Constants are those of Linux on x86-64 and arm64.
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int EWOULDBLOCK = 11;

    /** {@code flock} operations: exclusive, without waiting; and unlock. */
    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int LOCK_UN = 8;

    /** {@code lseek} to the first hole at or after the offset (the end of the file counts as one). */
    static final int SEEK_HOLE = 4;
    /** {@code fallocate} mode: allocate, never change the file's size. */
    static final int FALLOC_FL_KEEP_SIZE = 0x01;

    private static final int PROT_NONE = 0;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final long MAP_FAILED = -1L;

    /** {@code _IOWR('f', 11, struct fiemap)}. */
    private static final long FS_IOC_FIEMAP = 0xC020660BL;
    private static final int FIEMAP_FLAG_SYNC = 0x1;
    private static final int FIEMAP_HEADER = 32;
    private static final int FIEMAP_EXTENT_SIZE = 56;
    private static final int FIEMAP_BATCH = 128;
    /** The extent flags whose physical address means nothing (not yet allocated, inline, encoded). */
    static final int FIEMAP_EXTENT_LAST = 0x1;
    static final int FIEMAP_EXTENT_NO_PHYSICAL = 0x2 | 0x4 | 0x8 | 0x80 | 0x100 | 0x200 | 0x400;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FLOCK = downcall("flock",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle IOCTL = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private LibC() {
    }

    /** Looked up on first use, so a C library without fallocate still opens device DAX. */
    private static final class Space {
        static final MethodHandle LSEEK = downcall("lseek",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        // glibc's and musl's fallocate() are the bare system call; posix_fallocate() is not.
        static final MethodHandle FALLOCATE = downcall("fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    /**
     * One extent of a file ({@code struct fiemap_extent}).
     *
     * @param logical  the offset in the file
     * @param physical the offset on the block device
     * @param length   bytes
     * @param flags    {@code FIEMAP_EXTENT_*}
     */
    record Extent(long logical, long physical, long length, int flags) {
        boolean hasPhysical() {
            return (flags & FIEMAP_EXTENT_NO_PHYSICAL) == 0;
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(more, 0, options, 1, more.length);
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new DaxException(Errno.EOPNOTSUPP, "the C library has no " + name + "()"));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** Fails unless the constants above are right for this system. */
    static void requireLinux(String what) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            throw new DaxException(Errno.EOPNOTSUPP, what + " needs Linux on x86-64 or arm64, not "
                    + System.getProperty("os.name") + " " + arch);
        }
    }

    /** {@code open(2)} without O_CREAT. */
    static int open(Path path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path.toString()), flags);
            if (fd < 0) {
                throw failure(errno(state), "open " + path);
            }
            return fd;
        } catch (DaxException e) {
            throw e;
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, "open " + path + ": " + t, t);
        }
    }

    /** {@code close(2)}; errors are ignored, as nothing can be done about them. */
    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(a.allocate(CAPTURE), fd);
        } catch (Throwable ignored) {
            // the descriptor is gone either way
        }
    }

    /** {@code flock(2)}: 0, or the negated errno (EWOULDBLOCK: another open file holds the lock). */
    static int flock(int fd, int operation) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            while (true) {
                int rc = (int) FLOCK.invokeExact(state, fd, operation);
                if (rc == 0) {
                    return 0;
                }
                if (errno(state) != EINTR) {
                    return -errno(state);
                }
            }
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, "flock: " + t, t);
        }
    }

    /**
     * {@code lseek(2)}: the resulting offset, or the negated errno (as the kernel returns it), so
     * the caller decides what an error means (SEEK_HOLE is EINVAL where a filesystem's lseek predates it).
     */
    static long lseek(int fd, long offset, int whence) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            long at = (long) Space.LSEEK.invokeExact(state, fd, offset, whence);
            return at < 0 ? -errno(state) : at;
        } catch (LinkageError e) {
            throw e; // no lseek or no native access: the caller says what that means
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, "lseek: " + t, t);
        }
    }

    /**
     * The Linux {@code fallocate(2)} system call: 0, or the negated errno (ENOSPC, EOPNOTSUPP where
     * the filesystem cannot allocate ahead, ...). Interrupted calls are retried. Never glibc's
     * {@code posix_fallocate}: on a filesystem without fallocate it falls back to writing a byte
     * into every block, which races any other writer of the file and can overwrite its store.
     */
    static int fallocate(int fd, int mode, long offset, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            while (true) {
                int rc = (int) Space.FALLOCATE.invokeExact(state, fd, mode, offset, length);
                if (rc == 0) {
                    return 0;
                }
                int errno = errno(state);
                // EINTR: a signal stopped it, and tmpfs gave back what it had taken: try again
                if (errno != EINTR) {
                    return -errno;
                }
            }
        } catch (LinkageError e) {
            throw e; // no fallocate or no native access: the caller says what that means
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, "fallocate: " + t, t);
        }
    }

    /** {@code strerror(3)} of a failed call, with the number: "No space left on device (errno 28)". */
    static String describe(int errno) {
        return strerror(errno) + " (errno " + errno + ")";
    }

    /**
     * Maps {@code length} bytes of {@code fd} shared, read-write, at an address aligned to
     * {@code align} (device DAX refuses to fault a misaligned mapping). A PROT_NONE reservation of
     * {@code length + align} is placed first, the file mapped at the aligned address inside it,
     * and the rest of the reservation returned. The segment belongs to {@code arena}; closing it
     * unmaps.
     */
    static MemorySegment mmapShared(int fd, long length, long align, Arena arena, String what) {
        if (length <= 0 || Long.bitCount(align) != 1 || length > Long.MAX_VALUE - align) {
            throw new DaxException(Errno.EINVAL, what + ": cannot map " + length + " bytes at alignment " + align);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            long reserveLength = length + align;
            MemorySegment reserve = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, reserveLength,
                    PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (reserve.address() == MAP_FAILED) {
                throw failure(errno(state), what + ": reserving " + reserveLength + " bytes of address space");
            }
            long base = reserve.address();
            long aligned = (base + align - 1) & -align;
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(state, MemorySegment.ofAddress(aligned), length,
                    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0L);
            if (mapped.address() == MAP_FAILED) {
                DaxException e = failure(errno(state), what + ": mmap of " + length + " bytes");
                munmapQuietly(base, reserveLength);
                throw e;
            }
            if (aligned > base) {
                munmapQuietly(base, aligned - base);
            }
            long tail = base + reserveLength - (aligned + length);
            if (tail > 0) {
                munmapQuietly(aligned + length, tail);
            }
            if (mapped.address() != aligned || (mapped.address() & (align - 1)) != 0) {
                munmapQuietly(mapped.address(), length);
                throw new DaxException(Errno.EFAULT, what + ": mmap returned 0x" + Long.toHexString(mapped.address())
                        + ", not the " + align + "-aligned 0x" + Long.toHexString(aligned) + " asked for");
            }
            return MemorySegment.ofAddress(aligned).reinterpret(length, arena, s -> munmapQuietly(aligned, length));
        } catch (DaxException e) {
            throw e;
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, what + ": mmap: " + t, t);
        }
    }

    private static void munmapQuietly(long address, long length) {
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) MUNMAP.invokeExact(a.allocate(CAPTURE), MemorySegment.ofAddress(address), length);
        } catch (Throwable ignored) {
            // nothing more can be done; the address space stays reserved
        }
    }

    /**
     * The extents of a file ({@code FS_IOC_FIEMAP}, after syncing delayed allocations), in file order.
     *
     * @throws DaxException EOPNOTSUPP where the filesystem has no extent map (tmpfs)
     */
    static List<Extent> fiemap(Path path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(CAPTURE);
            MemorySegment fm = a.allocate(FIEMAP_HEADER + (long) FIEMAP_EXTENT_SIZE * FIEMAP_BATCH, 8);
            List<Extent> out = new ArrayList<>();
            long start = 0;
            while (true) {
                fm.fill((byte) 0);
                fm.set(JAVA_LONG, 0, start);              // fm_start
                fm.set(JAVA_LONG, 8, -1L);                // fm_length: to the end (FIEMAP_MAX_OFFSET)
                fm.set(JAVA_INT, 16, FIEMAP_FLAG_SYNC);   // fm_flags
                fm.set(JAVA_INT, 24, FIEMAP_BATCH);       // fm_extent_count
                int rc = (int) IOCTL.invokeExact(state, fd, FS_IOC_FIEMAP, fm);
                if (rc < 0) {
                    throw failure(errno(state), "FIEMAP of " + path);
                }
                int mapped = fm.get(JAVA_INT, 20);
                if (mapped <= 0) {
                    return out;
                }
                Extent last = null;
                for (int i = 0; i < Math.min(mapped, FIEMAP_BATCH); i++) {
                    long e = FIEMAP_HEADER + (long) i * FIEMAP_EXTENT_SIZE;
                    last = new Extent(fm.get(JAVA_LONG, e), fm.get(JAVA_LONG, e + 8), fm.get(JAVA_LONG, e + 16),
                            fm.get(JAVA_INT, e + 40));
                    out.add(last);
                }
                if ((last.flags() & FIEMAP_EXTENT_LAST) != 0 || last.length() <= 0) {
                    return out;
                }
                start = last.logical() + last.length();
            }
        } catch (DaxException e) {
            throw e;
        } catch (Throwable t) {
            throw new DaxException(Errno.EIO, "FIEMAP of " + path + ": " + t, t);
        } finally {
            close(fd);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** A DaxException for a failed call: the errno's code when jdax has it, EIO otherwise. */
    static DaxException failure(int errno, String what) {
        return new DaxException(code(errno), what + ": " + describe(errno));
    }

    /** The errno's code when jdax has it, EIO otherwise. */
    static Errno code(int errno) {
        for (Errno e : Errno.values()) {
            if (e.number() == errno) {
                return e;
            }
        }
        return Errno.EIO;
    }

    private static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "unknown error" : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "unknown error";
        }
    }
}
