package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.MemoryFaultException;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.Kaddr;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import io.jdax.dax.UnsafeShutdownCount;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open pmem device: one linear mapping of a file or of device DAX, the kernel's
 * {@code drivers/nvdimm/pmem.c} in Java form.
 * <ul>
 *   <li>{@code directAccess} returns as many contiguous pages as asked, up to the end; a range
 *       holding a bad sector is EIO unless the mode is a recovery write, which gets the pages
 *       before the first bad sector (at least one).</li>
 *   <li>{@code copyFromIter} is the durable copy, {@link Arch#copyFromIterFlushcache}: the lines
 *       not stored non-temporally are written back, and only those (C4). In
 *       {@link PersistenceMode#PERSISTENT_CACHE} (eADR) it is {@link Arch#copyFromIterEadr}:
 *       nothing is written back (cached stores are in a persistent cache), {@code flush} fences.</li>
 *   <li>{@code copyToIter} refuses (EIO) a range with known bad sectors rather than read poison,
 *       and reads with {@link Arch#copyMc}, which survives poison it did not know of.</li>
 *   <li>{@code zeroPageRange} zeroes through the same durable copy and clears the poison of the
 *       sectors it covers; {@code recoveryWrite} clears the whole sectors it rewrites.</li>
 *   <li>{@code flush} fences; in {@link PersistenceMode#PAGE_CACHE} it then msyncs the pages
 *       written since the last flush, and only those. {@code flushRange} writes back and fences
 *       (CPU_CACHE), fences (PERSISTENT_CACHE), or msyncs (PAGE_CACHE).</li>
 *   <li>What the platform says (C12): {@code unsafeShutdownCount} sums the region's DIMMs'
 *       {@code dirty_shutdown}; {@code deepFlush} writes the region's {@code deep_flush} (device
 *       DAX) or {@code fdatasync}s the file (whose flush reaches the pmem driver's
 *       {@code nvdimm_flush} on fsdax); {@code facts} names the region, its persistence domain,
 *       the deep flush and the bad-block source.</li>
 *   <li>{@code identity} is the mapped file's {@code st_dev}/{@code st_ino} or the device node's
 *       {@code st_rdev}, read from the descriptor it keeps open; {@code claimExclusive} is a
 *       {@code flock} on that descriptor ({@link DeviceFile}).</li>
 * </ul>
 * Every copy, write-back and fence goes through the device's {@link Arch}, so a simulated Arch
 * sees all of them.
 * <p>
 * <b>Faults.</b> A copy into or out of a page that lost its backing (the file truncated by
 * another process, a sparse file on a full filesystem) or that is poisoned fails with a
 * {@link DaxException} naming the device offset: ENOSPC when the filesystem could not back the
 * page, EIO otherwise; poison found that way is added to {@link #badBlocks()}. The JVM goes on,
 * and so does the device for other ranges.
 * <p>
 * <b>Direct stores.</b> In PAGE_CACHE mode a {@code directAccess} for WRITE or RECOVERY_WRITE
 * counts its pages as written (as the page cache would see stores through them): the next
 * {@code flush()} msyncs them. Stores made through that memory after that flush need a new
 * {@code directAccess} for WRITE before the flush that should cover them.
 * <p>
 * <b>Lifetime.</b> The core ({@link DaxDevice}) owns it: memory from {@code directAccess} is
 * valid until {@link #close()}, which waits for operations in flight and read locks, then unmaps.
 * The driver's own copies hand the Arch a view of the mapping without the arena's scope (when
 * the module has native access): the core's read side keeps the mapping alive across them, and
 * the Arch's native calls skip acquiring the shared arena twice per call.
 */
public final class PmemDevice extends DaxDevice {
    private final Ops ops;

    private PmemDevice(Info info, Arch arch, Ops ops) {
        super(info, arch, ops);
        this.ops = ops;
    }

    static PmemDevice open(Mapping m, DeviceSpec spec, Arch arch, Platform platform) {
        long size = m.memory().byteSize();
        BadBlocks badBlocks = new BadBlocks(size / BadBlocks.SECTOR_SIZE);
        badBlocks.replaceAll(m.initial());
        Info info = new Info(m.name(), spec, size, m.alignment(), m.persistence(), m.reason(), badBlocks,
                platform.closeTimeout());
        return new PmemDevice(info, arch, new Ops(m, arch, platform, badBlocks));
    }

    /** Where the device's bad-block list comes from, e.g. a region's {@code badblocks} file. */
    public String badBlocksSource() {
        return ops.badBlockSource.describe();
    }

    /**
     * Re-reads the kernel's bad-block list, replacing the device's (injected entries included).
     * A device the kernel keeps no list for keeps its injected entries.
     *
     * @return the list now in force
     * @throws DaxException EIO if the kernel's list cannot be read; ENXIO after close
     */
    public List<BadBlocks.Range> refreshBadBlocks() {
        try (DaxReadLock lock = readLock()) {
            if (ops.badBlockSource.isKernel()) {
                ops.badBlocks.replaceAll(PmemFile.readBadBlocks(name(), ops.badBlockSource, size()));
            }
            return ops.badBlocks.list();
        }
    }

    /** Pages written since the last flush that the next one will msync; 0 unless PAGE_CACHE. */
    public long dirtyPages() {
        return ops.dirty == null ? 0 : ops.dirty.pages();
    }

    @Override
    public String toString() {
        return "pmem " + name() + " (" + Sizes.format(size()) + ", " + persistence() + ")";
    }

    /** The driver's operations: what is pmem's own, with the core's checks and read side around them. */
    private static final class Ops implements DaxOperations {
        private static final int SECTORS_PER_PAGE = PAGE_SIZE / BadBlocks.SECTOR_SIZE;
        /** A native source of zeros, so zeroing streams non-temporally like any native copy. */
        private static final MemorySegment ZEROS = Arena.global().allocate(64 * 1024, PAGE_SIZE).asReadOnly();

        private final String name;
        private final Arch arch;
        private final MemorySegment memory;
        /** The mapping for the Arch: unscoped where possible (see the class comment). */
        private final MemorySegment target;
        /** Unmapped, and its file closed, at release. */
        private final Mapping mapping;
        private final Optional<String> identity;
        private final Optional<ClaimExclusive> claimExclusive;
        private final long size;
        private final PersistenceMode persistence;
        private final BadBlockSource badBlockSource;
        private final BadBlocks badBlocks;
        private final DirtyRanges dirty;
        private final Platform.Msync msync;
        private final Path file;
        // Made once: the core asks for them when the device is made.
        private final Optional<CopyFromIter> copyFromIter = Optional.of(this::copyFromIterDurable);
        private final Optional<CopyToIter> copyToIter = Optional.of(this::copyToIterChecked);
        private final Optional<ZeroPageRange> zeroPageRange = Optional.of(this::zero);
        private final Optional<CopyFromIter> recoveryWrite = Optional.of(this::recoveryWrite);
        private final Optional<FlushRange> flushRange = Optional.of(this::flushRange);
        private final Optional<DeepFlush> deepFlush;
        private final Optional<NdRegion> region;
        private final String origin;
        private final Path sysfsRoot;
        /** PERSISTENT_CACHE: the caches are persistent, nothing is ever written back (C12). */
        private final boolean eadr;

        Ops(Mapping m, Arch arch, Platform platform, BadBlocks badBlocks) {
            this.name = m.name();
            this.arch = arch;
            this.memory = m.memory();
            this.target = unscoped(m.memory());
            this.mapping = m;
            this.identity = Optional.of(m.identity());
            this.claimExclusive = Optional.ofNullable(m.opened()).map(f -> f::claim);
            this.size = m.memory().byteSize();
            this.persistence = m.persistence();
            this.badBlockSource = m.badBlocks();
            this.badBlocks = badBlocks;
            this.dirty = persistence == PersistenceMode.PAGE_CACHE ? new DirtyRanges() : null;
            this.msync = platform.msync();
            this.file = m.file();
            this.region = m.region();
            this.origin = m.origin();
            this.sysfsRoot = platform.sysfs().root();
            this.eadr = persistence == PersistenceMode.PERSISTENT_CACHE;
            // device DAX: the region's deep_flush; a file: fdatasync, whose flush reaches the pmem
            // driver's nvdimm_flush on fsdax (libpmem2 msyncs there)
            this.deepFlush = file != null ? Optional.of(this::fdatasync)
                    : region.filter(r -> r.deepFlushValue().isPresent()).map(r -> r::deepFlush);
        }

        /**
         * A view of the mapping with no scope to acquire per native call, where this module may
         * make one (plain files work without native access: then the scoped mapping itself).
         */
        private static MemorySegment unscoped(MemorySegment memory) {
            if (!PmemDevice.class.getModule().isNativeAccessEnabled()) {
                return memory;
            }
            return MemorySegment.ofAddress(memory.address()).reinterpret(memory.byteSize());
        }

        @Override
        public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
            long n = nrPages;
            Optional<BadBlocks.Range> bad = badBlocks.check(pgoff * SECTORS_PER_PAGE, n * SECTORS_PER_PAGE);
            if (bad.isPresent()) {
                if (mode != DaxAccessMode.RECOVERY_WRITE) {
                    throw poisoned("pages " + pgoff + ".." + (pgoff + n - 1) + ", bytes", pgoff * PAGE_SIZE,
                            n * PAGE_SIZE, bad.get());
                }
                // The kernel's recovery stride: the pages before the first bad sector, or its page.
                n = Math.max(1, bad.get().sector() / SECTORS_PER_PAGE - pgoff);
            }
            if (mode != DaxAccessMode.READ) {
                markDirty(pgoff * PAGE_SIZE, n * PAGE_SIZE);
            }
            kaddr.set(memory, pgoff * PAGE_SIZE);
            return n;
        }

        @Override
        public Optional<CopyFromIter> copyFromIter() {
            return copyFromIter;
        }

        private long copyFromIterDurable(MemorySegment addr, long offset, long bytes, IovIter iter) {
            if (dirty == null) { // no page cache: nothing to mark
                try {
                    return copy(offset, bytes, iter);
                } catch (MemoryFaultException f) {
                    throw fault(f, "copyFromIter", offset, bytes);
                }
            }
            long before = iter.consumed();
            try {
                return copy(offset, bytes, iter);
            } catch (MemoryFaultException f) {
                throw fault(f, "copyFromIter", offset, bytes);
            } finally {
                markDirty(offset, iter.consumed() - before); // after the copy, so a racing flush cannot miss it
            }
        }

        /** The device's copy: flushcache (C4), or with eADR the same stores and no write-back. */
        private long copy(long offset, long bytes, IovIter iter) {
            return eadr ? arch.copyFromIterEadr(target, offset, bytes, iter)
                    : arch.copyFromIterFlushcache(target, offset, bytes, iter);
        }

        @Override
        public Optional<CopyToIter> copyToIter() {
            return copyToIter;
        }

        private long copyToIterChecked(MemorySegment addr, long offset, long bytes, IovIter iter) {
            long n = Math.min(bytes, iter.count());
            if (n > 0) {
                long first = offset / BadBlocks.SECTOR_SIZE;
                Optional<BadBlocks.Range> bad = badBlocks.check(first, (offset + n - 1) / BadBlocks.SECTOR_SIZE - first + 1);
                if (bad.isPresent()) {
                    throw poisoned("copyToIter of bytes", offset, n, bad.get());
                }
            }
            try {
                return arch.copyToIterMc(target, offset, bytes, iter);
            } catch (MemoryFaultException f) {
                throw fault(f, "copyToIter", offset, n);
            }
        }

        @Override
        public Optional<ZeroPageRange> zeroPageRange() {
            return zeroPageRange;
        }

        private void zero(long pgoff, long nrPages) {
            long off = pgoff * PAGE_SIZE;
            long bytes = nrPages * PAGE_SIZE;
            long done = 0;
            try {
                while (done < bytes) {
                    long chunk = Math.min(ZEROS.byteSize(), bytes - done);
                    if (eadr) {
                        arch.copyEadr(ZEROS, 0, target, off + done, chunk);
                    } else {
                        arch.copyFlushcache(ZEROS, 0, target, off + done, chunk);
                    }
                    done += chunk;
                }
            } catch (MemoryFaultException f) {
                throw fault(f, "zeroPageRange", off, bytes);
            } finally {
                markDirty(off, done);
            }
            // Whole pages are whole sectors: all of their poison is gone (pmem_clear_poison).
            badBlocks.clear(pgoff * SECTORS_PER_PAGE, nrPages * SECTORS_PER_PAGE);
        }

        @Override
        public Optional<CopyFromIter> recoveryWrite() {
            return recoveryWrite;
        }

        private long recoveryWrite(MemorySegment addr, long offset, long bytes, IovIter iter) {
            long before = iter.consumed();
            try {
                long done;
                try {
                    done = copy(offset, bytes, iter);
                } catch (MemoryFaultException f) {
                    throw fault(f, "recoveryWrite", offset, bytes);
                }
                // Only sectors rewritten whole are good again; a partly written one keeps its poison.
                long first = (offset + BadBlocks.SECTOR_SIZE - 1) / BadBlocks.SECTOR_SIZE;
                long end = (offset + done) / BadBlocks.SECTOR_SIZE;
                if (end > first) {
                    badBlocks.clear(first, end - first);
                }
                return done;
            } finally {
                markDirty(offset, iter.consumed() - before);
            }
        }

        @Override
        public Optional<FlushRange> flushRange() {
            return flushRange;
        }

        /** {@code dax_flush} of a range: write-back + fence, a fence, or msync of its pages, as the mode needs. */
        private void flushRange(long pos, long bytes) {
            switch (persistence) {
                case PERSISTENT_CACHE -> arch.fence(); // eADR: the stores are in a persistent cache
                case CPU_CACHE -> {
                    try {
                        arch.writeback(target, pos, bytes);
                    } catch (MemoryFaultException f) {
                        throw fault(f, "flushRange", pos, bytes);
                    }
                    arch.fence();
                }
                case PAGE_CACHE -> {
                    // stores made straight into the memory: the page cache saw them, msync them
                    markDirty(pos, bytes);
                    flush();
                }
                case VOLATILE -> arch.fence();
            }
        }

        @Override
        public void flush() {
            arch.fence();
            if (dirty != null) {
                msyncDirty();
            }
        }

        @Override
        public Optional<DeepFlush> deepFlush() {
            return deepFlush;
        }

        private void fdatasync() {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(false);
            } catch (IOException e) {
                throw new DaxException(Errno.EIO, name + ": deep flush: fdatasync of " + file + " failed: " + e, e);
            }
        }

        @Override
        public Optional<String> identity() {
            return identity;
        }

        @Override
        public Optional<ClaimExclusive> claimExclusive() {
            return claimExclusive;
        }

        @Override
        public UnsafeShutdownCount unsafeShutdownCount() {
            return region.map(r -> r.unsafeShutdownCount(sysfsRoot)).orElseGet(() -> new UnsafeShutdownCount.Unsupported(
                    (origin == null ? name : origin) + ": no nvdimm region, no DIMMs to count"));
        }

        @Override
        public Map<String, String> facts() {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("memory", origin == null ? "(not reported)" : origin);
            f.put("persistence domain", region.map(NdRegion::describeDomain)
                    .orElse("none reported (no nvdimm region under the device)"));
            f.put("deep flush", file != null
                    ? "fdatasync(2) of " + file + region.map(r -> ": on fsdax its flush reaches the pmem driver's "
                    + "nvdimm_flush (" + r.describeDeepFlush() + ")").orElse(": the file's filesystem flush")
                    : region.map(NdRegion::describeDeepFlush).orElse("none: flush() is all this device has"));
            f.put("bad blocks from", badBlockSource.describe());
            return f;
        }

        @Override
        public void release() {
            mapping.unmap(); // nothing is inside the read side any more
        }

        private void msyncDirty() {
            List<DirtyRanges.Run> runs = dirty.drain();
            if (!runs.isEmpty()) {
                requireWholeFile(runs);
            }
            for (int i = 0; i < runs.size(); i++) {
                DirtyRanges.Run run = runs.get(i);
                try {
                    msync.sync(memory.asSlice(run.offset(), run.bytes()));
                } catch (RuntimeException e) {
                    // What was not synced stays dirty for the next flush.
                    for (DirtyRanges.Run left : runs.subList(i, runs.size())) {
                        dirty.mark(left.offset(), left.bytes());
                    }
                    throw e instanceof DaxException d ? d
                            : new DaxException(Errno.EIO, name + ": msync failed: " + e, e);
                }
            }
        }

        /**
         * What a memory fault during {@code op} on {@code [offset, offset + bytes)} of the device
         * means for this device; poison is recorded in the bad-block list. A fault outside the device
         * (the caller's memory) is passed on as it is.
         */
        private DaxException fault(MemoryFaultException f, String op, long offset, long bytes) {
            long at = f.address() - memory.address();
            boolean known = f.address() >= 0;
            if (known && (at < 0 || at >= size)) {
                return f;
            }
            String where = known ? "device offset " + at : "device bytes [" + offset + ", +" + bytes + ")";
            if (f.kind() == MemoryFaultException.Kind.POISON) {
                long start = at & -f.granule();
                long first = start / BadBlocks.SECTOR_SIZE;
                long sectors = Math.min(size - start, f.granule()) / BadBlocks.SECTOR_SIZE;
                badBlocks.set(first, Math.max(1, sectors));
                return new DaxException(Errno.EIO, name + ": " + op + " hit poisoned media at " + where + "; sectors ["
                        + first + ", +" + Math.max(1, sectors) + ") are now in badBlocks()", f);
            }
            if (file == null) {
                return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": the page has no backing", f);
            }
            long end = known ? at + 1 : offset + bytes;
            long fileSize;
            try {
                fileSize = Files.size(file);
            } catch (IOException e) {
                fileSize = -1;
            }
            if (fileSize >= 0 && fileSize < end) {
                return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": " + file
                        + " was cut to " + fileSize + " bytes while mapped (truncated by another process?); the "
                        + size + "-byte device now ends early", f);
            }
            long free = freeSpace();
            if (free >= 0 && free < PAGE_SIZE) {
                return new DaxException(Errno.ENOSPC, name + ": " + op + " faulted at " + where + ": the filesystem of "
                        + file + " has no space left to back that page (a sparse file? open it without sparse=true to "
                        + "allocate it up front)", f);
            }
            return new DaxException(Errno.EIO, name + ": " + op + " faulted at " + where + ": the filesystem of " + file
                    + " could not back that page", f);
        }

        /**
         * A page-cache flush syncs by system call anyway, so it also checks that the file still
         * holds the whole device: pages cut off by another process are gone with whatever was
         * written to them, and must not be acknowledged as durable. The runs stay dirty.
         */
        private void requireWholeFile(List<DirtyRanges.Run> runs) {
            long fileSize;
            try {
                fileSize = file == null ? size : Files.size(file);
            } catch (IOException e) {
                fileSize = size; // unknown: msync itself will say what is wrong
            }
            if (fileSize < size) {
                for (DirtyRanges.Run run : runs) {
                    dirty.mark(run.offset(), run.bytes());
                }
                throw new DaxException(Errno.EIO, name + ": flush refused: " + file + " was cut to " + fileSize
                        + " bytes while mapped (truncated by another process?); what was written past that is lost");
            }
        }

        private long freeSpace() {
            try {
                return Files.getFileStore(file).getUsableSpace();
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        private void markDirty(long offset, long bytes) {
            if (dirty != null) {
                dirty.mark(offset, bytes);
            }
        }

        private DaxException poisoned(String what, long offset, long bytes, BadBlocks.Range bad) {
            return new DaxException(Errno.EIO, name + ": " + what + " [" + offset + ", +" + bytes + ") holds bad sectors ["
                    + bad.sector() + ", " + bad.end() + ") (poisoned media)");
        }
    }
}
