package io.jdax.testkit;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Byte-addressed I/O on a whole device for tests and campaigns: thin conveniences over the
 * device core's own chunk loop ({@link DaxDevice#copyFromIter}, {@link DaxDevice#copyToIter}),
 * plus a read with plain loads through {@code directAccess}.
 */
@SuppressWarnings("try") // read locks are held across each chunk, not called
public final class DeviceIo {
    private DeviceIo() {
    }

    /**
     * Writes the iterator's bytes at device offset {@code pos}.
     *
     * @return the bytes written; fewer than the iterator held only if a copy came up short
     * @throws DaxException EINVAL for a negative position or a DEST iterator; ERANGE when the
     *                      write would pass the end of the device; what the device throws
     */
    public static long write(DaxDevice device, long pos, IovIter src) {
        Objects.requireNonNull(src, "src");
        return device.copyFromIter(pos, src.count(), src);
    }

    /**
     * Reads from device offset {@code pos} into the iterator until it is full.
     *
     * @return the bytes read
     * @throws DaxException as {@link #write}
     */
    public static long read(DaxDevice device, long pos, IovIter dst) {
        Objects.requireNonNull(dst, "dst");
        return device.copyToIter(pos, dst.count(), dst);
    }

    /** Writes {@code data} at {@code pos} from a heap array (a KVEC iterator). */
    public static long write(DaxDevice device, long pos, byte[] data) {
        return write(device, pos, IovIter.kvec(IovIter.Direction.SOURCE, data));
    }

    /** Reads {@code length} bytes at {@code pos} with plain loads through {@code directAccess} (READ). */
    public static byte[] read(DaxDevice device, long pos, int length) {
        checkRange(device, pos, length);
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long p = pos + done;
            long off = p % DaxDevice.PAGE_SIZE;
            try (DaxReadLock ignored = device.readLock()) {
                DirectAccess da = device.directAccess(p / DaxDevice.PAGE_SIZE,
                        pagesFor(off, length - done), DaxAccessMode.READ);
                int len = (int) Math.min(da.nrPages() * DaxDevice.PAGE_SIZE - off, length - done);
                MemorySegment.copy(da.addr(), ValueLayout.JAVA_BYTE, off, out, done, len);
                done += len;
            }
        }
        return out;
    }

    private static long pagesFor(long offsetInPage, long bytes) {
        return Math.max(1, Math.ceilDiv(offsetInPage + bytes, DaxDevice.PAGE_SIZE));
    }

    private static void checkRange(DaxDevice device, long pos, long bytes) {
        if (pos < 0 || bytes < 0) {
            throw new DaxException(Errno.EINVAL, device.name() + ": negative " + (pos < 0 ? "position " + pos
                    : "length " + bytes));
        }
        if (pos > device.size() - bytes) {
            throw new DaxException(Errno.ERANGE, device.name() + ": [" + pos + ", +" + bytes
                    + ") goes past the end of the " + device.size() + "-byte device");
        }
    }
}
