package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the driver needs from the system, gathered so tests can replace it: the sysfs tree, the
 * msync of a page-cache range, and how long close waits for operations in flight.
 *
 * @param sysfs        where the kernel's device attributes are read
 * @param msync        forces a range of a page-cache mapping to its file
 * @param closeTimeout how long {@code close()} waits for operations and read locks
 */
record Platform(Sysfs sysfs, Msync msync, Duration closeTimeout) {

    /** The running Linux system. */
    static final Platform SYSTEM = new Platform(new Sysfs(Path.of("/sys")), Msync.FORCE, Duration.ofSeconds(30));

    /** Forces a range of a page-cache mapping to its file. */
    @FunctionalInterface
    interface Msync {
        /** The JDK's msync; only ever called on plain (not MAP_SYNC) mappings. */
        Msync FORCE = range -> {
            try {
                range.force();
            } catch (UncheckedIOException e) {
                throw new DaxException(Errno.EIO, "msync of " + range.byteSize() + " bytes failed: "
                        + e.getCause().getMessage(), e);
            }
        };

        /** Forces {@code range}, a slice of a page-cache mapping. */
        void sync(MemorySegment range);
    }
}
