package io.jdax.dax;

/**
 * The errno-like codes carried by {@link DaxException}: the Linux names and numbers, so a
 * reader who knows the kernel's DAX code knows what each failure means.
 */
public enum Errno {
    /** No such file or directory. */
    ENOENT(2),
    /** I/O error: a bad block (poisoned media) or a device fault. */
    EIO(5),
    /** No such device or address: the device is closed or gone. */
    ENXIO(6),
    /** Bad file state, e.g. an object used after it was closed. */
    EBADF(9),
    /** Out of memory. */
    ENOMEM(12),
    /** Permission denied. */
    EACCES(13),
    /** Bad address: a memory segment that is not usable (closed arena, wrong kind). */
    EFAULT(14),
    /** Device or resource busy. */
    EBUSY(16),
    /** Already exists. */
    EEXIST(17),
    /** No such device: no driver for the scheme. */
    ENODEV(19),
    /** Not a directory. */
    ENOTDIR(20),
    /** Is a directory. */
    EISDIR(21),
    /** Invalid argument. */
    EINVAL(22),
    /** File too large. */
    EFBIG(27),
    /** No space left on the device. */
    ENOSPC(28),
    /** Read-only. */
    EROFS(30),
    /** Result out of range: an offset or length past the end of the device or buffer. */
    ERANGE(34),
    /** A name is too long. */
    ENAMETOOLONG(36),
    /** Operation not supported by this device or platform. */
    EOPNOTSUPP(95),
    /** Structure needs cleaning: on-media metadata is corrupt. */
    EUCLEAN(117),
    /** Memory page has a hardware error (the kernel's code for poisoned pmem since 6.x). */
    EHWPOISON(133);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The Linux errno number. */
    public int number() {
        return number;
    }
}
