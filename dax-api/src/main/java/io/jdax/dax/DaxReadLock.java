package io.jdax.dax;

/**
 * A hold on an open device ({@code dax_read_lock}), released by {@link #close()}: while held, the
 * device's memory stays mapped. Use with try-with-resources, in one thread.
 */
public interface DaxReadLock extends AutoCloseable {
    /**
     * Releases the hold: once per {@link DaxDevice#readLock()}, in the thread that took it (a
     * close with no hold left does nothing).
     */
    @Override
    void close();
}
