package io.jdax.daxfs;

import io.jdax.arch.MemoryFaultException;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Whole-block metadata I/O on the device, every access under the device's read lock.
 * <ul>
 *   <li>{@link #write} copies through the device core ({@link DaxDevice#copyFromIter}: pmem's
 *       durable {@code copy_from_iter_flushcache}, or the core's one fallback, durable for a
 *       CPU_CACHE device): when it returns every byte is stored non-temporally or written back,
 *       and {@link #fence} makes it durable.</li>
 *   <li>{@link #storeWord} is the one in-place store that must be atomic: an aligned 8-byte
 *       store, then a write-back of its line.</li>
 *   <li>{@link #fence} is the device's {@code flush()}: a fence, plus an msync in page-cache mode.</li>
 * </ul>
 */
final class MetaIo implements MetaReader {
    private static final int BLOCK = Geometry.BLOCK;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final DaxDevice device;

    MetaIo(DaxDevice device) {
        this.device = device;
    }

    DaxDevice device() {
        return device;
    }

    @Override
    public byte[] read(long block) {
        byte[] out = new byte[BLOCK];
        try (DaxReadLock lock = device.readLock()) {
            DirectAccess da = device.directAccess(block, 1, DaxAccessMode.READ);
            MemorySegment.copy(da.addr(), ValueLayout.JAVA_BYTE, 0, out, 0, BLOCK);
        } catch (InternalError e) {
            throw fault(e, "read of metadata block " + block);
        }
        return out;
    }

    /** Stores a block image; durable after the next {@link #fence}. */
    void write(long block, byte[] image) {
        if (image.length != BLOCK) {
            throw new IllegalArgumentException("image of " + image.length + " bytes");
        }
        long n = device.copyFromIter(block * BLOCK, BLOCK, IovIter.kvec(IovIter.Direction.SOURCE, image));
        if (n != BLOCK) {
            throw new DaxException(Errno.EIO, device.name() + ": short metadata write of " + n + " of " + BLOCK
                    + " bytes at block " + block);
        }
    }

    /** Zeroes {@code count} blocks from {@code block}; durable after the next {@link #fence}. */
    void zero(long block, long count) {
        device.zeroPageRange(block, count);
    }

    /** Reads the aligned 8-byte word at {@code offset} of {@code block}. */
    long readWord(long block, int offset) {
        try (DaxReadLock lock = device.readLock()) {
            MemorySegment m = device.directAccess(block, 1, DaxAccessMode.READ).addr();
            return m.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset);
        } catch (InternalError e) {
            throw fault(e, "read of the word at " + offset + " of metadata block " + block);
        }
    }

    /**
     * Stores the aligned 8-byte word at {@code offset} of {@code block} with one store (a crash
     * leaves the old word or the new one, never a mix), then writes its line back (not on a
     * PERSISTENT_CACHE device, whose caches are persistent); durable after the next {@link #fence}.
     */
    void storeWord(long block, int offset, long value) {
        if (offset % 8 != 0) {
            throw new IllegalArgumentException("unaligned word at " + offset);
        }
        try (DaxReadLock lock = device.readLock()) {
            MemorySegment m = device.directAccess(block, 1, DaxAccessMode.WRITE).addr();
            if (m.isNative()) {
                WORD.setVolatile(m, (long) offset, value); // aligned: one 8-byte store
            } else {
                // a heap page (brd) is volatile memory: nothing to tear at power loss
                m.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset, value);
            }
            if (device.persistence() != PersistenceMode.PERSISTENT_CACHE) {
                device.arch().writeback(m, offset, 8); // eADR: the line is in a persistent cache already
            }
        } catch (InternalError e) {
            throw fault(e, "store of the word at " + offset + " of metadata block " + block);
        }
    }

    /**
     * A fault of device memory in a load or store made here, which the JDK reports as an
     * InternalError (the file under a pmem device cut by another process, poison): an EIO like
     * any other failed metadata I/O, so the filesystem shuts down instead of going on with memory
     * and media that no longer agree (an Error would slip past that).
     */
    private MemoryFaultException fault(InternalError e, String what) {
        return MemoryFaultException.fromJdk(e, device.name() + ": " + what);
    }

    /** The durability point: everything written before it survives power loss. */
    void fence() {
        device.flush();
    }
}
