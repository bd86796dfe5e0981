package io.jdax.pmem;

import io.jdax.dax.BadBlocks;
import io.jdax.dax.PersistenceMode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 * @param opened      the file or device node mapped, kept open for the device's life: its
 *                    identity and exclusive claim; null for a file this JVM could only open by
 *                    name (no native access)
 * @param identity    what the memory is ({@link io.jdax.dax.DaxOperations#identity()})
 * @param region      the nvdimm region under the device (device DAX, or the pmem disk under a
 *                    file's filesystem), if any
 * @param origin      what the memory is, for {@code jdax info}, or null when the opener said nothing
 */
record Mapping(String name, MemorySegment memory, Arena arena, PersistenceMode persistence, String reason,
               long alignment, BadBlockSource badBlocks, List<BadBlocks.Range> initial, Path file,
               DeviceFile opened, String identity, Optional<NdRegion> region, String origin) {

    /** Checks the platform facts. */
    Mapping {
        Objects.requireNonNull(region, "region");
    }

    /** A mapping whose platform facts are added later ({@link #withPlatform}). */
    Mapping(String name, MemorySegment memory, Arena arena, PersistenceMode persistence, String reason,
            long alignment, BadBlockSource badBlocks, List<BadBlocks.Range> initial, Path file, DeviceFile opened,
            String identity) {
        this(name, memory, arena, persistence, reason, alignment, badBlocks, initial, file, opened, identity,
                Optional.empty(), null);
    }

    /** The same mapping in another mode, for another reason (the platform's say, C12). */
    Mapping withPersistence(PersistenceMode mode, String why) {
        return new Mapping(name, memory, arena, mode, why, alignment, badBlocks, initial, file, opened, identity,
                region, origin);
    }

    /** The same mapping with the region under it and what its memory is. */
    Mapping withPlatform(Optional<NdRegion> under, String what) {
        return new Mapping(name, memory, arena, persistence, reason, alignment, badBlocks, initial, file, opened,
                identity, under, what);
    }

    /** Unmaps and closes what was opened: for an open that fails after mapping, and the device's release. */
    void unmap() {
        arena.close();
        if (opened != null) {
            opened.close();
        }
    }
}
