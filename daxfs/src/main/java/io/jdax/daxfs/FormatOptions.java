package io.jdax.daxfs;

/**
 * How {@link DaxFs#format} lays a filesystem out. Zero means "choose from the device size".
 *
 * @param inodes            the number of inodes (files the filesystem can hold), rounded up to
 *                          a multiple of 8; 0: one per 64 KiB of device, at least 32
 * @param transactionBlocks the most metadata blocks one journal transaction holds, 16 to 508;
 *                          0: one per 128 device blocks within those bounds. Larger operations
 *                          are split into several transactions, each a consistent state.
 */
public record FormatOptions(long inodes, int transactionBlocks) {

    /** Everything chosen from the device size. */
    public static FormatOptions defaults() {
        return new FormatOptions(0, 0);
    }

    /** These options with another inode count. */
    public FormatOptions withInodes(long n) {
        return new FormatOptions(n, transactionBlocks);
    }

    /** These options with another transaction size. */
    public FormatOptions withTransactionBlocks(int n) {
        return new FormatOptions(inodes, n);
    }
}
