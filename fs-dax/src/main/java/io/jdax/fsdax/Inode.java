package io.jdax.fsdax;

/**
 * What the engine needs to know of a file besides its extents: its size ({@code i_size}), because
 * reads stop at the end of the file whatever the extents say.
 */
public interface Inode {

    /** The file size in bytes ({@code i_size_read}). */
    long size();
}
