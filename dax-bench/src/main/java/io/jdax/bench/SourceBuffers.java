package io.jdax.bench;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * What the benchmark writes from: the same random bytes twice, in a native buffer (USER and BVEC
 * iterators: non-temporal stores allowed) and in a heap array (KVEC iterators), touched once so the
 * copies read warm, faulted-in memory.
 */
public final class SourceBuffers implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment nativeBytes;
    private final byte[] heapBytes;

    /**
     * Fills {@code bytes} of each with random bytes from {@code seed}.
     *
     * @throws DaxException EINVAL unless {@code bytes} is a positive multiple of 4096 below 2 GiB
     */
    public SourceBuffers(int bytes, long seed) {
        if (bytes <= 0 || bytes % 4096 != 0) {
            throw new DaxException(Errno.EINVAL, "source buffers of " + bytes + " bytes: a positive multiple of 4096 needed");
        }
        heapBytes = new byte[bytes];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < bytes; i += 8) {
            long v = rnd.nextLong();
            for (int k = 0; k < 8; k++) {
                heapBytes[i + k] = (byte) (v >>> (8 * k));
            }
        }
        arena = Arena.ofShared();
        nativeBytes = arena.allocate(bytes, 4096);
        MemorySegment.copy(heapBytes, 0, nativeBytes, ValueLayout.JAVA_BYTE, 0, bytes);
    }

    /** The native copy. */
    public MemorySegment nativeSource() {
        return nativeBytes;
    }

    /** The heap copy (same bytes as {@link #nativeSource()} until stamped). */
    public byte[] heapSource() {
        return heapBytes;
    }

    /** Bytes in each copy. */
    public int size() {
        return heapBytes.length;
    }

    /** Frees the native copy. */
    @Override
    public void close() {
        arena.close();
    }
}
