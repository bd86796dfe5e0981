package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The file or device node under a pmem device, kept open for the device's life: what the memory
 * is (its {@linkplain #identity() identity}) and what its exclusive claim locks.
 * <ul>
 *   <li>The identity is read from the open descriptor ({@code /proc/self/fd/N}, which the kernel
 *       resolves to the open file itself), never from the name again: a rename or a symbolic
 *       link swapped between the open and the {@code stat} cannot give it another file's.</li>
 *   <li>The claim is {@code flock(2)} on that descriptor. A flock belongs to the open file, so
 *       another open of the same file (another device object here, another JVM) is refused while
 *       it lasts, and closing some other descriptor of the file (the driver's own
 *       {@code fdatasync} and FIEMAP do) leaves it alone. The JDK's {@code FileChannel.tryLock}
 *       would not do: its {@code fcntl} locks belong to the process, so a second channel's lock in
 *       the same JVM is refused only by the JDK's own table, and closing any channel of the file
 *       silently drops them all for the kernel, letting another JVM in. Advisory: it keeps out
 *       openers that claim too (jdax's), not a plain writer of the file.</li>
 * </ul>
 */
final class DeviceFile {
    private final Path name;
    private final String identity;
    private int fd; // guarded by this; -1 once closed

    private DeviceFile(Path name, int fd, String identity) {
        this.name = name;
        this.fd = fd;
        this.identity = identity;
    }

    /**
     * Opens {@code path} read-write and reads what it is from the descriptor.
     *
     * @throws DaxException from {@code open(2)}: ENOENT, EACCES, ...
     * @throws LinkageError where this JVM refuses native access to the driver
     */
    static DeviceFile open(Path path) {
        int fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        try {
            return new DeviceFile(path, fd, identity(Path.of("/proc/self/fd/" + fd)));
        } catch (RuntimeException | Error e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** The descriptor, for {@code mmap}. */
    synchronized int fd() {
        return fd;
    }

    /** The open file under a name that reaches nothing else: what to open again for a FileChannel. */
    synchronized Path path() {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** {@code inode MAJOR:MINOR INO} for a file, {@code chr MAJOR:MINOR} for a character device. */
    String identity() {
        return identity;
    }

    /**
     * What {@code file} is, stat'ed through its name: for a file the driver could not open itself
     * ({@link PmemFile} without native access), read right after opening it.
     */
    static String identity(Path file) {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:mode,dev,ino,rdev");
            int mode = (Integer) a.get("mode");
            if ((mode & 0170000) == 0020000) {
                long rdev = (Long) a.get("rdev");
                return "chr " + Sysfs.major(rdev) + ":" + Sysfs.minor(rdev);
            }
            long dev = (Long) a.get("dev");
            return "inode " + Sysfs.major(dev) + ":" + Sysfs.minor(dev) + " " + a.get("ino");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new DaxException(Errno.EIO, "cannot stat " + file + ": " + e, e);
        }
    }

    /**
     * Claims the file for {@code holder} with a non-blocking exclusive flock.
     *
     * @throws DaxException EBUSY when another open file holds it
     */
    synchronized DaxOperations.Claim claim(String holder) {
        int rc = LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB);
        if (rc == -LibC.EWOULDBLOCK) {
            throw new DaxException(Errno.EBUSY, "pmem " + name + " (" + identity + ") is claimed by another open "
                    + "of it, in this process or another: " + holder + " must wait until that one gives it back");
        }
        if (rc < 0) {
            throw new DaxException(LibC.code(-rc), "cannot claim " + name + " for " + holder + ": flock failed: "
                    + LibC.describe(-rc));
        }
        return this::unclaim;
    }

    private synchronized void unclaim() {
        if (fd >= 0) {
            LibC.flock(fd, LibC.LOCK_UN);
        }
    }

    /** Closes the descriptor (and with it any claim). */
    synchronized void close() {
        if (fd >= 0) {
            LibC.close(fd);
            fd = -1;
        }
    }
}
