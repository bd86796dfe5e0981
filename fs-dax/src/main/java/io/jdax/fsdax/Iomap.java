package io.jdax.fsdax;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.Objects;

/**
 * One extent of a file as {@link IomapOps#begin} describes it ({@code struct iomap}): the file
 * range {@code [offset, offset + length)} and where, if anywhere, it lives on a device.
 * <p>
 * DAX needs filesystem blocks of one page, as the kernel does: the engine refuses a
 * {@link Mapped} extent whose {@code offset} or {@code addr} is not page-aligned, or a
 * {@linkplain Mapped#isNew() new} one whose length is not a whole number of pages.
 */
public sealed interface Iomap permits Iomap.Hole, Iomap.Mapped, Iomap.Unwritten {

    /** The first file byte of the extent. */
    long offset();

    /** The extent's length in bytes, at least one. */
    long length();

    /** The file byte after the extent. */
    default long end() {
        return offset() + length();
    }

    /**
     * No storage ({@code IOMAP_HOLE}): reads as zeros.
     *
     * @param offset the first file byte
     * @param length the length in bytes
     */
    record Hole(long offset, long length) implements Iomap {
        /** Checks the range. */
        public Hole {
            checkRange(offset, length);
        }
    }

    /**
     * Storage that holds the file's data ({@code IOMAP_MAPPED}).
     *
     * @param offset the first file byte
     * @param length the length in bytes
     * @param device the device the extent lives on ({@code iomap->dax_dev})
     * @param addr   the device byte that holds file byte {@code offset} ({@code iomap->addr})
     * @param isNew  the blocks were allocated (or converted from unwritten) for this write
     *               ({@code IOMAP_F_NEW}): they may hold a previous owner's data, so the engine
     *               zeroes every byte of the extent the write does not store
     */
    record Mapped(long offset, long length, DaxDevice device, long addr, boolean isNew) implements Iomap {
        /** Checks the ranges. */
        public Mapped {
            checkRange(offset, length);
            checkAddr(device, addr, length);
        }
    }

    /**
     * Storage allocated but never written ({@code IOMAP_UNWRITTEN}, e.g. after fallocate): reads
     * as zeros whatever the device holds.
     *
     * @param offset the first file byte
     * @param length the length in bytes
     * @param device the device the extent lives on
     * @param addr   the device byte reserved for file byte {@code offset}
     */
    record Unwritten(long offset, long length, DaxDevice device, long addr) implements Iomap {
        /** Checks the ranges. */
        public Unwritten {
            checkRange(offset, length);
            checkAddr(device, addr, length);
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length < 1 || offset > Long.MAX_VALUE - length) {
            throw new DaxException(Errno.EINVAL, "bad extent: offset " + offset + " length " + length);
        }
    }

    private static void checkAddr(DaxDevice device, long addr, long length) {
        Objects.requireNonNull(device, "device");
        if (addr < 0 || addr > Long.MAX_VALUE - length) {
            throw new DaxException(Errno.EINVAL, "bad extent: device address " + addr + " length " + length);
        }
    }
}
