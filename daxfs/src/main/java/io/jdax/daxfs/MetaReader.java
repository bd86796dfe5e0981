package io.jdax.daxfs;

/**
 * Reads metadata blocks: straight from the device, or through the journal's last transaction
 * laid over it (how fsck judges what mount would see without writing).
 */
@FunctionalInterface
interface MetaReader {
    /** The 4 KiB block {@code block}. */
    byte[] read(long block);
}
