package io.jdax.fsdax;

import java.util.Set;

/**
 * A filesystem's extent lookup ({@code struct iomap_ops}), the SPI the DAX engine drives
 * (contract C6). For each I/O, {@link DaxIomap} calls {@link #begin} for the extent at the current
 * position, moves data within it, then calls {@link #end} with how many bytes it processed, and
 * goes on from there until the I/O is done, a step makes no progress, or an error stops it.
 *
 * <h2>What the filesystem must do</h2>
 * <ul>
 *   <li>{@code begin} answers an extent that starts at or before {@code pos} and ends after it;
 *       it may be shorter or longer than {@code length} (the engine clips it).</li>
 *   <li>For {@link IomapFlag#WRITE} it answers {@link Iomap.Mapped}: it allocates holes and
 *       converts unwritten extents, flags them {@link Iomap.Mapped#isNew() new}, and should fail
 *       with ENOSPC before anything is written when the whole write cannot get space
 *       ({@code length} is everything the I/O has left).</li>
 *   <li>{@code end} commits: only the {@code written} bytes from {@code pos} hold new data. Blocks
 *       of a new extent past them (rounded up to a block) must be released, or left unwritten,
 *       so no block is half-committed.</li>
 *   <li>The caller serialises I/O on one file as it needs ({@code i_rwsem}); the engine holds no
 *       file lock.</li>
 * </ul>
 * <h2>What the engine guarantees</h2>
 * <ul>
 *   <li>{@code end} is called exactly once after every {@code begin} that returned, with
 *       {@code written} = 0 when the step failed.</li>
 *   <li>Before {@code end}, every byte of a new extent outside {@code [pos, pos + written)} holds
 *       zeros. If it cannot zero the block that holds the end of the write, it gives the bytes of
 *       that block back to the iterator and reports fewer written.</li>
 * </ul>
 *
 * @param <I> the filesystem's inode type
 */
public interface IomapOps<I extends Inode> {

    /**
     * Maps the file range at {@code pos} ({@code iomap_begin}).
     *
     * @param inode  the file
     * @param pos    the first byte the engine needs
     * @param length how many bytes the I/O has left from {@code pos}, at least one
     * @param flags  why: {@link IomapFlag#WRITE}, {@link IomapFlag#ZERO}, {@link IomapFlag#FAULT},
     *               or none for a read
     * @return the extent holding {@code pos}
     * @throws io.jdax.dax.DaxException e.g. ENOSPC when a write cannot get space
     */
    Iomap begin(I inode, long pos, long length, Set<IomapFlag> flags);

    /**
     * Commits what the step did ({@code iomap_end}). The default does nothing, for filesystems
     * with nothing to commit.
     *
     * @param inode   the file
     * @param pos     the {@code pos} given to {@link #begin}
     * @param length  the bytes of the extent the step covered: the extent clipped to the I/O
     * @param written the bytes processed from {@code pos}, {@code 0 <= written <= length}
     * @param flags   the flags given to {@link #begin}
     * @param iomap   the extent {@link #begin} returned
     */
    default void end(I inode, long pos, long length, long written, Set<IomapFlag> flags, Iomap iomap) {
    }
}
