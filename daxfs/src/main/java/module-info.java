/**
 * daxfs: a persistent, crash-consistent reference filesystem on one DAX device, the persistent
 * sibling of fs-dax's in-memory {@code MemFs}. Files are read, written and mapped through the
 * fs-dax iomap engine; metadata (superblock, journal, block bitmap, inode table, block-map
 * nodes) is checksummed with CRC32C and changed only through a redo journal.
 * See {@link io.jdax.daxfs.DaxFs} and {@code docs/DAXFS.md}.
 */
@SuppressWarnings("module") // the qualified export names io.jdax.daxfs.campaigns, built after this module
module io.jdax.daxfs {
    requires transitive io.jdax.api;
    requires transitive io.jdax.fsdax;

    exports io.jdax.daxfs;
    // Fault injection: only the power-fail campaigns may mount a deliberately broken filesystem.
    exports io.jdax.daxfs.fault to io.jdax.daxfs.campaigns;
}
