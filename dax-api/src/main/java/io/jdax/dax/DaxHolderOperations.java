package io.jdax.dax;

/**
 * What a device tells the one that {@link DaxDevice#hold holds} it, the kernel's
 * {@code struct dax_holder_operations}.
 */
@FunctionalInterface
public interface DaxHolderOperations {

    /**
     * The device is closing ({@code kill_dax}, which tells its holder with
     * {@code notify_failure(..., MF_MEM_PRE_REMOVE)}). Called once, by the first
     * {@link DaxDevice#close()}, in the closing thread, while the device still works and before
     * close waits for the callers inside it: the holder stops taking new work here (a filesystem
     * shuts down) and lets its calls in flight finish or fail. It must not wait for them, nor
     * throw. Its hold ends when the device is released.
     *
     * @param device the device that is closing
     */
    void notifyPreRemove(DaxDevice device);
}
