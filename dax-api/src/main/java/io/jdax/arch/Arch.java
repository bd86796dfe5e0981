package io.jdax.arch;

import io.jdax.uio.IovIter;

import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * The CPU's copy and cache primitives (contract C3), the kernel's {@code arch/x86/lib} in Java
 * form. One instance is chosen per JVM by {@link Archs#current()} (native x86 when it loads, the
 * portable one otherwise; a system property overrides), and a device may be opened with another
 * (the power-fail simulator) for tests.
 * <p>
 * Every method checks its ranges against the segments before touching memory: an offset or
 * length outside a segment fails with {@link io.jdax.dax.Errno#ERANGE}, a segment of a closed
 * arena with {@link io.jdax.dax.Errno#EFAULT}. Native implementations only ever receive
 * addresses that passed these checks.
 * <p>
 * A fault of the memory itself (a mapped page that lost its backing, poisoned media) ends the
 * call with a {@link MemoryFaultException}, never a signal that kills the JVM (C8); the bytes
 * before the faulting one may have been stored.
 * <p>
 * The write-back rule C4 is the point of this type: {@link #copyFlushcache} writes back exactly
 * the cache lines it did not store non-temporally.
 */
public interface Arch {

    /** The cache-line size the primitives work in. */
    int CACHE_LINE = 64;

    /** {@link #memset}/{@link #memmove} flag: no fence at the end (libpmem2's {@code PMEM2_F_MEM_NODRAIN}). */
    int MEM_NODRAIN = 1;
    /** Flag: non-temporal stores where the rule allows (the default; {@code PMEM2_F_MEM_NONTEMPORAL}). */
    int MEM_NONTEMPORAL = 1 << 1;
    /** Flag: cached stores, then a write-back of every line ({@code PMEM2_F_MEM_TEMPORAL}). */
    int MEM_TEMPORAL = 1 << 2;
    /** Flag, a hint: write-combining, taken as {@link #MEM_NONTEMPORAL} ({@code PMEM2_F_MEM_WC}). */
    int MEM_WC = 1 << 3;
    /** Flag, a hint: write-back, taken as {@link #MEM_TEMPORAL} ({@code PMEM2_F_MEM_WB}). */
    int MEM_WB = 1 << 4;
    /** Flag: stores only, neither write-back nor fence: not durable ({@code PMEM2_F_MEM_NOFLUSH}). */
    int MEM_NOFLUSH = 1 << 5;

    /**
     * The default of {@link #eadrNontemporalFrom()}: 4 KiB. Measured on this project's machine
     * (native-x86/NATIVE-NOTES.md, "eADR: cached or non-temporal stores"): a copy with cached
     * stores + fence takes 6-24 ns up to 256 bytes and 159 ns at 2 KiB, against 140-180 ns and
     * 213 ns with non-temporal stores + fence; they tie at 4 KiB and non-temporal stores win from
     * 8 KiB on (1.3x there, 1.9x at 256 KiB). That machine has no eADR: the store cost only.
     */
    long EADR_NONTEMPORAL_FROM = 4096;

    /** A short name: {@code native-x86}, {@code portable}, {@code simulated}. */
    String name();

    /**
     * What this implementation picked and why, in display order: e.g. {@code copy=avx2},
     * {@code flush=clwb}, {@code flushcache.threshold=128}.
     */
    Map<String, String> features();

    /**
     * Whether {@link #writeback} really writes CPU cache lines back to memory (clwb or
     * equivalent). When false, a device whose durability needs it must open in a weaker
     * persistence mode or refuse (C3), never pretend to be durable.
     */
    boolean hasCacheWriteback();

    /**
     * The kernel's {@code copy_from_iter_nocache} for one contiguous run: non-temporal stores
     * where the source allows, no durability promise, no fence.
     */
    void copyNocache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes);

    /**
     * The kernel's {@code memcpy_flushcache}: when it returns, every destination byte was either
     * stored non-temporally or written back. Only lines that received cached stores are written
     * back (C4). No fence: call {@link #fence()} before acknowledging durability.
     */
    void copyFlushcache(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes);

    /** Writes back every cache line overlapping the range ({@code clean_cache_range}), no fence. */
    void writeback(MemorySegment segment, long offset, long bytes);

    /** Orders all earlier non-temporal stores and write-backs before later stores ({@code sfence}). */
    void fence();

    /**
     * The kernel's {@code copy_mc}: a plain copy (cached stores, no write-back) made to survive
     * a fault on either side, for reads of device memory, which may be poisoned. The default
     * copies in Java, where the JDK reports a fault as an {@link InternalError}, made a
     * {@link MemoryFaultException} of unknown address when it arrives inside the copy (it may
     * come a little later: see {@link MemoryFaultException#copy}).
     */
    default void copyMc(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
    }

    /**
     * Sets {@code bytes} bytes of {@code dst} from {@code offset} to {@code value}, durably when it
     * returns unless {@code flags} say otherwise ({@code pmem2_memset_fn}): the lines stored with
     * cached stores are written back and only those (C4), then a fence. The default sets in Java
     * (cached stores) and writes every line back.
     *
     * @param flags {@code MEM_*} bits, 0 for the default
     */
    default void memset(MemorySegment dst, long offset, long bytes, byte value, int flags) {
        Ranges.checkWritable(dst, offset, bytes);
        try {
            dst.asSlice(offset, bytes).fill(value);
        } catch (InternalError e) {
            throw MemoryFaultException.fromJdk(e, "memset of " + bytes + " bytes at " + dst + " + " + offset);
        }
        persistAfter(dst, offset, bytes, flags);
    }

    /**
     * Copies {@code bytes} from {@code src} to {@code dst}, correct when the two overlap (either
     * way), durably when it returns unless {@code flags} say otherwise ({@code pmem2_memmove_fn}):
     * the lines stored with cached stores are written back and only those (C4), then a fence. The
     * default copies in Java (cached stores) and writes every line back.
     *
     * @param flags {@code MEM_*} bits, 0 for the default
     */
    default void memmove(MemorySegment dst, long dstOffset, MemorySegment src, long srcOffset, long bytes,
                         int flags) {
        Ranges.check(src, srcOffset, bytes);
        Ranges.checkWritable(dst, dstOffset, bytes);
        MemoryFaultException.copy(src, srcOffset, dst, dstOffset, bytes);
        persistAfter(dst, dstOffset, bytes, flags);
    }

    /** The end of a default {@link #memset}/{@link #memmove} made with cached stores: write-back and fence per the flags. */
    private void persistAfter(MemorySegment dst, long offset, long bytes, int flags) {
        if ((flags & MEM_NOFLUSH) == 0) {
            writeback(dst, offset, bytes);
            if ((flags & MEM_NODRAIN) == 0) {
                fence();
            }
        }
    }

    /**
     * The copy for memory whose CPU caches are inside the persistence domain (eADR, a
     * {@code PERSISTENT_CACHE} device): no write-back and no fence (the device's flush fences).
     * Cached stores ({@link #copyMc}, a plain copy that survives a fault) below
     * {@link #eadrNontemporalFrom()} bytes, where the fence after them costs next to nothing;
     * {@link #copyNocache} from there on, where non-temporal stores are the faster way and leave
     * the cache to others.
     */
    default void copyEadr(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        if (bytes < eadrNontemporalFrom()) {
            copyMc(src, srcOffset, dst, dstOffset, bytes);
        } else {
            copyNocache(src, srcOffset, dst, dstOffset, bytes);
        }
    }

    /** Where {@link #copyEadr} switches from cached to non-temporal stores, in bytes. */
    default long eadrNontemporalFrom() {
        return EADR_NONTEMPORAL_FROM;
    }

    /**
     * Runs a full memory barrier on every thread of the process ({@code membarrier(2)}): when it
     * returns, each running thread has passed a full fence since the call began. Device read sides
     * use it so their readers need no fence of their own (DESIGN.md C11).
     *
     * @return true if it ran; false if this Arch cannot (then readers fence themselves)
     */
    default boolean processBarrier() {
        return false;
    }

    /**
     * {@code copy_to_iter} with {@link #copyMc}: the read a pmem driver provides as its
     * {@code copyToIter}, and the core's fallback read.
     */
    default long copyToIterMc(MemorySegment src, long srcOffset, long bytes, IovIter iter) {
        return iter.copyToIter(src, srcOffset, bytes, this::copyMc);
    }

    /**
     * {@link #copyEadr} for each contiguous run: the write of a pmem driver whose device is
     * {@code PERSISTENT_CACHE}, and the core's fallback write for such devices.
     */
    default long copyFromIterEadr(MemorySegment dst, long dstOffset, long bytes, IovIter iter) {
        return iter.copyFromIter(dst, dstOffset, bytes, this::copyEadr);
    }

    /** {@code copy_from_iter_nocache}: the core's fallback write for volatile and page-cache devices. */
    default long copyFromIterNocache(MemorySegment dst, long dstOffset, long bytes, IovIter iter) {
        return iter.copyFromIter(dst, dstOffset, bytes, this::copyNocache);
    }

    /**
     * {@code copy_from_iter_flushcache}: the durable copy a pmem driver provides as its
     * {@code copyFromIter}, and the core's fallback write for CPU_CACHE devices.
     */
    default long copyFromIterFlushcache(MemorySegment dst, long dstOffset, long bytes, IovIter iter) {
        return iter.copyFromIter(dst, dstOffset, bytes, this::copyFlushcache);
    }
}
