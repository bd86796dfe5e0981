package io.jdax.bench;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything a run found: where it ran, the figures, what was skipped and why, and any write that
 * did not read back as written.
 *
 * @param plan       what was asked
 * @param started    when the run began
 * @param elapsed    wall time of the measurements (setup excluded)
 * @param arch       the Arch's name
 * @param archFeatures what the Arch picked ({@link io.jdax.arch.Arch#features()})
 * @param archWritesBack whether the Arch really writes cache lines back (false: the portable one,
 *                   whose figures say nothing about cache maintenance)
 * @param pmem       the pmem device measured
 * @param brd        the brd device, when {@link BenchMethod#BRD_FALLBACK} ran
 * @param region     bytes of the pmem device the device-level methods walked
 * @param fileBytes  bytes of the fs-dax file
 * @param libpmem    whether libpmem loaded, or why not
 * @param clockNs    the median time between two clock reads, in every latency figure
 * @param results    the figures, in the order measured
 * @param skipped    what did not run, and why
 * @param mismatches writes that did not read back as written (must be empty)
 */
public record BenchReport(BenchRunner.Plan plan, Instant started, Duration elapsed, String arch,
                          Map<String, String> archFeatures, boolean archWritesBack, DeviceInfo pmem,
                          Optional<DeviceInfo> brd, long region, long fileBytes, String libpmem,
                          double clockNs, List<BenchResult> results, List<Skip> skipped, List<Mismatch> mismatches) {

    /** Copies the collections. */
    public BenchReport {
        archFeatures = Map.copyOf(archFeatures);
        results = List.copyOf(results);
        skipped = List.copyOf(skipped);
        mismatches = List.copyOf(mismatches);
    }

    /**
     * A device as measured.
     *
     * @param name        its name
     * @param spec        the spec it was opened with
     * @param size        its size in bytes
     * @param persistence how it persists
     * @param reason      why it got that mode
     * @param copyFromIter whether it has its own copyFromIter (else the fallback copy ran)
     */
    public record DeviceInfo(String name, String spec, long size, PersistenceMode persistence, String reason,
                             boolean copyFromIter) {
        /** Describes an open device. */
        public static DeviceInfo of(DaxDevice d) {
            return new DeviceInfo(d.name(), d.spec().text(), d.size(), d.persistence(), d.persistenceReason(),
                    d.hasOwnCopyFromIter());
        }
    }

    /**
     * Something not measured.
     *
     * @param method the method
     * @param kind   the iterator kind, or null for all
     * @param size   the size, or 0 for all
     * @param reason why (thread counts that skip it share the reason)
     */
    public record Skip(BenchMethod method, IovIter.Kind kind, long size, String reason) {
    }

    /**
     * A write that did not read back as written.
     *
     * @param method   the method
     * @param kind     the iterator kind (null for memset and memmove)
     * @param size     bytes per operation
     * @param threads  threads running the cell
     * @param position where on the device or in the file
     * @param offset   the first differing byte, from {@code position}
     */
    public record Mismatch(BenchMethod method, IovIter.Kind kind, long size, int threads, long position, long offset) {
    }

    /** True when every write read back as written. */
    public boolean verified() {
        return mismatches.isEmpty();
    }

    /** The figures of one cell with one thread, if it was measured. */
    public Optional<BenchResult> result(BenchMethod method, IovIter.Kind kind, long size) {
        return result(method, kind, size, 1);
    }

    /** The figures of one cell, if it was measured. */
    public Optional<BenchResult> result(BenchMethod method, IovIter.Kind kind, long size, int threads) {
        return results.stream().filter(r -> r.method() == method && r.kind() == kind && r.size() == size
                && r.threads() == threads).findFirst();
    }

    /** {@code r}'s throughput divided by that of {@code base} for the same kind, size and threads, if measured. */
    public OptionalDouble ratio(BenchResult r, BenchMethod base) {
        if (base == null) {
            return OptionalDouble.empty();
        }
        return result(base, r.kind(), r.size(), r.threads()).map(b -> OptionalDouble.of(b.nsPerOp() / r.nsPerOp()))
                .orElse(OptionalDouble.empty());
    }

    /** The "x libpmem" column: {@code r} against its libpmem peer ({@link BenchMethod#libpmemPeer()}). */
    public OptionalDouble ratioLibpmem(BenchResult r) {
        return ratio(r, r.method().libpmemPeer());
    }

    /** The "x ceiling" column: {@code r} against its kind's ceiling ({@link BenchMethod#ceiling()}), where there is one. */
    public OptionalDouble ratioCeiling(BenchResult r) {
        return ratio(r, r.method().ceiling());
    }

    /** The thread counts measured, ascending. */
    public List<Integer> threadCounts() {
        return results.stream().map(BenchResult::threads).distinct().sorted().toList();
    }
}
