package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.PersistenceMode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * A mapped device, as the openers hand it to {@link PmemDevice}.
 *
 * @param name        the device's name
 * @param memory      the whole mapping; closing {@code arena} unmaps it
 * @param arena       the shared arena that owns the mapping
 * @param persistence the mode the device got
 * @param reason      why it got that mode
 * @param alignment   the alignment of the mapping
 * @param badBlocks   where the kernel's bad-block list comes from
 * @param initial     that list as read at open
 * @param file        the mapped regular file, or null for device DAX: what a page that lost its
 *                    backing is checked against (truncated, or the filesystem full)
 */
record Mapping(String name, MemorySegment memory, Arena arena, PersistenceMode persistence, String reason,
               long alignment, BadBlockSource badBlocks, List<BadBlocks.Range> initial, Path file) {
}
