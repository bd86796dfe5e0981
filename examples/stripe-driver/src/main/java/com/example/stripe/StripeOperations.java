package com.example.stripe;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.Kaddr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * The driver's own work: where a page is. The device's pages go round the files a stripe unit at
 * a time (RAID 0): unit 0 in file 0, unit 1 in file 1, ..., unit {@code files} in file 0 again,
 * after unit 0. So {@code directAccess} answers at most to the end of a unit, and the device core
 * loops over the units of every copy; it also supplies the copies (its flushcache fallback, as the
 * device is CPU_CACHE), zeroing and flushRange.
 */
final class StripeOperations implements DaxOperations {
    private final Arena arena;
    private final List<FileChannel> channels;
    private final MemorySegment[] files;
    private final long unitPages;
    private final Arch arch;

    StripeOperations(Arena arena, List<FileChannel> channels, List<MemorySegment> files, long unit, Arch arch) {
        this.arena = arena;
        this.channels = channels;
        this.files = files.toArray(MemorySegment[]::new);
        this.unitPages = unit / DaxDevice.PAGE_SIZE;
        this.arch = arch;
    }

    @Override
    public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
        long unit = pgoff / unitPages;          // the device's stripe unit holding the page
        long inUnit = pgoff % unitPages;
        MemorySegment file = files[(int) (unit % files.length)];
        long row = unit / files.length;         // units of that file before this one
        kaddr.set(file, (row * unitPages + inUnit) * DaxDevice.PAGE_SIZE);
        return Math.min(nrPages, unitPages - inUnit); // contiguous only to the end of the unit
    }

    @Override
    public void flush() {
        // CPU_CACHE: every copy wrote its cache lines back (the core's flushcache copy, or
        // flushRange's write-back); the fence makes them durable. No msync: MAP_SYNC.
        arch.fence();
    }

    @Override
    public void release() {
        arena.close(); // unmaps the files; the core calls this once, after every caller has left
        for (FileChannel ch : channels) {
            try {
                ch.close();
            } catch (java.io.IOException e) {
                // the mappings are gone; nothing was written through the channel
            }
        }
    }
}
