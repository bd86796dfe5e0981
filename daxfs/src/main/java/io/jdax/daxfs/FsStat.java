package io.jdax.daxfs;

/**
 * What {@code statfs} says of a mounted filesystem.
 *
 * @param blocks      4 KiB blocks of the device
 * @param dataBlocks  blocks available to files (the rest is metadata)
 * @param freeBlocks  data blocks a write could get now
 * @param inodes      inode slots
 * @param freeInodes  inode slots not in use
 * @param commits     journal transactions committed since mount
 */
public record FsStat(long blocks, long dataBlocks, long freeBlocks, long inodes, long freeInodes, long commits) {
}
