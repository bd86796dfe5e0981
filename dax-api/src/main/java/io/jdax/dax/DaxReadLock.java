package io.jdax.dax;

/**
 * A hold on an open device ({@code dax_read_lock}), released by {@link #close()}: while held, the
 * device's memory stays mapped. Use with try-with-resources.
 */
public interface DaxReadLock extends AutoCloseable {
    /** Releases the hold. Idempotent. */
    @Override
    void close();
}
