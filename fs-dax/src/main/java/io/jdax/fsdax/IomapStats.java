package io.jdax.fsdax;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link DaxIomap}: which copy paths it took and how often it called the
 * filesystem and the device, so tests and {@code jdax} reports can see the engine's choices
 * (which fallback, how many chunks) without reading its code. Thread-safe; counts only go up.
 */
public final class IomapStats {
    final LongAdder ios = new LongAdder();
    final LongAdder begins = new LongAdder();
    final LongAdder ends = new LongAdder();
    final LongAdder directAccessCalls = new LongAdder();
    final LongAdder copyFromIterCalls = new LongAdder();
    final LongAdder copyFromIterNocacheCalls = new LongAdder();
    final LongAdder recoveryWriteCalls = new LongAdder();
    final LongAdder copyToIterCalls = new LongAdder();
    final LongAdder plainCopyToIterCalls = new LongAdder();
    final LongAdder zeroPageRangeCalls = new LongAdder();
    final LongAdder zeroedBytes = new LongAdder();
    final LongAdder holeBytes = new LongAdder();

    IomapStats() {
    }

    /** I/Os started by {@link DaxIomap#rw}, {@link DaxIomap#zeroRange} and {@link DaxIomap#map}. */
    public long ios() {
        return ios.sum();
    }

    /** Calls of {@link IomapOps#begin} that returned. */
    public long begins() {
        return begins.sum();
    }

    /** Calls of {@link IomapOps#end}. */
    public long ends() {
        return ends.sum();
    }

    /** Calls of {@code directAccess}: one per chunk, so one per page over brd. */
    public long directAccessCalls() {
        return directAccessCalls.sum();
    }

    /** Chunks written with the device's own {@code copyFromIter} (e.g. pmem's durable copy). */
    public long copyFromIterCalls() {
        return copyFromIterCalls.sum();
    }

    /** Chunks written with the fallback {@code Arch.copyFromIterNocache} (devices without {@code copyFromIter}). */
    public long copyFromIterNocacheCalls() {
        return copyFromIterNocacheCalls.sum();
    }

    /** Chunks written with the device's {@code recoveryWrite} over poisoned memory. */
    public long recoveryWriteCalls() {
        return recoveryWriteCalls.sum();
    }

    /** Chunks read with the device's own {@code copyToIter}. */
    public long copyToIterCalls() {
        return copyToIterCalls.sum();
    }

    /** Chunks read with the plain {@code IovIter.copyToIter} (devices without {@code copyToIter}). */
    public long plainCopyToIterCalls() {
        return plainCopyToIterCalls.sum();
    }

    /** Calls of the device's {@code zeroPageRange}. */
    public long zeroPageRangeCalls() {
        return zeroPageRangeCalls.sum();
    }

    /** Device bytes zeroed: parts of new extents the write did not store, and {@link DaxIomap#zeroRange}. */
    public long zeroedBytes() {
        return zeroedBytes.sum();
    }

    /** Zero bytes read from holes and unwritten extents. */
    public long holeBytes() {
        return holeBytes.sum();
    }

    @Override
    public String toString() {
        return "IomapStats[ios=" + ios() + " begins=" + begins() + " ends=" + ends()
                + " directAccess=" + directAccessCalls() + " copyFromIter=" + copyFromIterCalls()
                + " copyFromIterNocache=" + copyFromIterNocacheCalls() + " recoveryWrite=" + recoveryWriteCalls()
                + " copyToIter=" + copyToIterCalls() + " plainCopyToIter=" + plainCopyToIterCalls()
                + " zeroPageRange=" + zeroPageRangeCalls() + " zeroedBytes=" + zeroedBytes()
                + " holeBytes=" + holeBytes() + "]";
    }
}
