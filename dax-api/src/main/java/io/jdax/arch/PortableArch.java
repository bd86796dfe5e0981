package io.jdax.arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pure-Java {@link Arch}: correct everywhere, durable nowhere by itself. It has no cache
 * instructions: copies are plain {@link MemorySegment#copy}, and {@link #writeback} can only
 * force a mapped segment to its file (msync), which makes page-cache mappings durable and
 * nothing else. Devices that need a CPU cache write-back see {@link #hasCacheWriteback()} false
 * and open in a weaker mode.
 */
public final class PortableArch implements Arch {

    /** The provider name. */
    public static final String NAME = "portable";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> features() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("copy", "MemorySegment.copy (cached stores)");
        f.put("flush", "none (mapped segments: force/msync)");
        f.put("fence", "none needed");
        return f;
    }

    @Override
    public boolean hasCacheWriteback() {
        return false;
    }

    @Override
    public void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override
    public void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        copyNocache(src, srcOffset, dst, dstOffset, bytes);
        writeback(dst, dstOffset, bytes);
    }

    @Override
    public void writeback(MemorySegment segment, long offset, long bytes) {
        Ranges.check(segment, offset, bytes);
        if (bytes > 0 && segment.isMapped()) {
            try {
                segment.asSlice(offset, bytes).force();
            } catch (java.io.UncheckedIOException e) {
                throw new DaxException(Errno.EIO, "msync of " + bytes + " bytes failed: " + e.getCause().getMessage(), e);
            }
        }
    }

    @Override
    public void fence() {
        // Plain stores are ordered by the JMM here; nothing to do without cache instructions.
    }

    /** Finds the portable Arch through the ServiceLoader; priority 0. */
    public static final class Provider implements ArchProvider {
        /** Called by the ServiceLoader. */
        public Provider() {
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Arch load() {
            return new PortableArch();
        }
    }
}
