package io.jdax.daxfs;

import java.time.Instant;

/**
 * What {@code stat} says of a file.
 *
 * @param name    its name
 * @param ino     its inode number
 * @param size    its size in bytes
 * @param blocks  4 KiB blocks it holds, written or fallocated
 * @param created when it was created
 * @param modified when its data last changed
 * @param changed when its inode last changed (data, size or name)
 */
public record FileStat(String name, long ino, long size, long blocks, Instant created, Instant modified,
                       Instant changed) {
}
