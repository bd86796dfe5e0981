package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.UnsafeShutdownCount;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An nvdimm region ({@code /sys/bus/nd/devices/regionN}, the kernel's
 * {@code drivers/nvdimm/region_devs.c}) as a device in it sees it: what the region says about its
 * persistence domain, its DIMMs and their unsafe shutdown counts, its deep flush, and its bad-block
 * list. Read once at open, except what is asked for again ({@link #unsafeShutdownCount},
 * {@link #deepFlush}).
 *
 * @param name              e.g. {@code region0}
 * @param dir               its sysfs directory (the real path)
 * @param persistenceDomain the {@code persistence_domain} attribute as read: {@code cpu_cache},
 *                          {@code memory_controller}, empty; absent when the file is (kernels
 *                          before 4.16) or could not be read
 * @param domainProblem     why {@code persistenceDomain} is absent although the file exists, or null
 * @param deepFlushValue    the {@code deep_flush} attribute as read ({@code 1}: flush hints, a deep
 *                          flush drains the write-pending queues; {@code 0}: none needed); absent
 *                          when the kernel shows none (a region it cannot flush)
 */
record NdRegion(String name, Path dir, Optional<String> persistenceDomain, String domainProblem,
                Optional<String> deepFlushValue) {

    /** The kernel's value for a region whose CPU caches are in the persistence domain (eADR). */
    static final String CPU_CACHE = "cpu_cache";
    /** The kernel's value for a region persistent from the memory controller on (ADR). */
    static final String MEMORY_CONTROLLER = "memory_controller";

    /** Reads the region at {@code dir}; missing or unreadable attributes are facts, not errors. */
    static NdRegion read(Path dir) {
        Optional<String> domain = Optional.empty();
        String problem = null;
        Path pd = dir.resolve("persistence_domain");
        try {
            domain = Optional.of(Files.readString(pd).strip());
        } catch (NoSuchFileException e) {
            problem = null; // older kernels: not reported at all
        } catch (IOException e) {
            problem = pd + " could not be read (" + e + ")";
        }
        Optional<String> deep;
        try {
            deep = Optional.of(Files.readString(dir.resolve("deep_flush")).strip());
        } catch (IOException e) {
            deep = Optional.empty();
        }
        return new NdRegion(dir.getFileName().toString(), dir, domain, problem, deep);
    }

    /** Whether the region says its CPU caches are inside the persistence domain (eADR). */
    boolean persistentCache() {
        return persistenceDomain.filter(CPU_CACHE::equals).isPresent();
    }

    /** The domain as {@code jdax info} shows it: the value and what jdax makes of it. */
    String describeDomain() {
        if (persistenceDomain.isEmpty()) {
            return domainProblem != null ? "unknown: " + domainProblem + "; taken as memory_controller (ADR)"
                    : "unknown: " + name + " has no persistence_domain (a kernel before 4.16); taken as "
                    + "memory_controller (ADR)";
        }
        return switch (persistenceDomain.get()) {
            case CPU_CACHE -> "cpu_cache (eADR: the CPU caches are inside the persistence domain, a fence "
                    + "makes a store durable)";
            case MEMORY_CONTROLLER -> "memory_controller (ADR: stores are durable once written back to the "
                    + "memory controller)";
            case "" -> "empty (the platform reports neither cpu_cache nor memory_controller); taken as "
                    + "memory_controller (ADR)";
            default -> "'" + persistenceDomain.get() + "' (not a value this jdax knows); taken as "
                    + "memory_controller (ADR)";
        };
    }

    /** The region's bad-block list (region-relative sectors), if the kernel shows one. */
    Optional<Path> badBlocks() {
        Path f = dir.resolve("badblocks");
        return Files.exists(f) ? Optional.of(f) : Optional.empty();
    }

    /**
     * The DIMMs the region is made of, from its {@code mappings} count and {@code mappingN}
     * attributes ({@code "nmem0,0,1073741824,0"}: the DIMM, its offset, length and position).
     *
     * @throws DaxException EIO when those attributes are missing or malformed
     */
    List<String> dimms() {
        int n = (int) Sysfs.readLong(dir.resolve("mappings"));
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Path m = dir.resolve("mapping" + i);
            String text;
            try {
                text = Files.readString(m).strip();
            } catch (IOException e) {
                throw new DaxException(Errno.EIO, "cannot read sysfs attribute " + m + ": " + e, e);
            }
            String dimm = text.split(",", 2)[0];
            if (dimm.isEmpty()) {
                throw new DaxException(Errno.EIO, "sysfs attribute " + m + " holds '" + text
                        + "', not 'nmemN,offset,length,position'");
            }
            out.add(dimm);
        }
        return out;
    }

    /**
     * libpmem2's unsafe shutdown count: the sum of the region's DIMMs'
     * {@code nmemN/nfit/dirty_shutdown}. Unsupported when the region has no DIMMs (memory the
     * firmware described as persistent without NFIT DIMMs) or a DIMM shows no counter (the
     * platform's NFIT has no health method for it, as QEMU's emulated NVDIMM); unreadable when a
     * counter exists but cannot be read.
     */
    UnsafeShutdownCount unsafeShutdownCount(Path sysfsRoot) {
        List<String> dimms;
        try {
            dimms = dimms();
        } catch (DaxException e) {
            return new UnsafeShutdownCount.Unreadable(e.getMessage());
        }
        if (dimms.isEmpty()) {
            return new UnsafeShutdownCount.Unsupported(name + " has no DIMMs (mappings 0): no NFIT health to read");
        }
        long sum = 0;
        List<String> sources = new ArrayList<>();
        for (String dimm : dimms) {
            Path f = sysfsRoot.resolve("bus/nd/devices").resolve(dimm).resolve("nfit/dirty_shutdown");
            if (!Files.exists(f)) {
                return new UnsafeShutdownCount.Unsupported(dimm + " of " + name + " reports no dirty_shutdown "
                        + "(the platform's NFIT gives no shutdown state for it)");
            }
            try {
                long v = Sysfs.readLong(f);
                if (v < 0) {
                    return new UnsafeShutdownCount.Unreadable(f + " holds " + v);
                }
                sum += v;
            } catch (DaxException e) {
                return new UnsafeShutdownCount.Unreadable(e.getMessage());
            }
            sources.add(dimm + "/nfit/dirty_shutdown");
        }
        return new UnsafeShutdownCount.Known(sum, String.join(" + ", sources) + " of " + name);
    }

    /** What a deep flush does on this region, for {@code jdax info}. */
    String describeDeepFlush() {
        if (deepFlushValue.isEmpty()) {
            return "none: " + name + " shows no deep_flush (the kernel cannot flush it)";
        }
        return deepFlushValue.get().equals("1")
                ? "writes 1 to " + dir.resolve("deep_flush") + ": the kernel's nvdimm_flush drains the memory "
                + "controllers' write-pending queues through the flush hints (root only)"
                : "nothing beyond the fence: " + name + "/deep_flush reads " + deepFlushValue.get() + " (no flush hints: "
                + "the platform's ADR drains the write-pending queues at power loss), as libpmem2 does";
    }

    /**
     * {@code pmem2_deep_flush} for device DAX: writes {@code 1} to the region's {@code deep_flush}
     * when it reads {@code 1}; nothing when it reads {@code 0} (no flush hints, as libpmem2).
     *
     * @throws DaxException EACCES naming the file when this user may not write it; EIO when the
     *                      kernel's flush failed
     */
    void deepFlush() {
        Path f = dir.resolve("deep_flush");
        String now;
        try {
            now = Files.readString(f).strip();
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "deep flush: cannot read " + f + ": " + e, e);
        }
        if (!now.equals("1")) {
            return;
        }
        try {
            Files.writeString(f, "1", StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING); // as echo 1 >
        } catch (AccessDeniedException e) {
            throw new DaxException(Errno.EACCES, "deep flush: " + f + " is writable by root only (the data is "
                    + "flushed, the write-pending queues were not drained on request): run as root, or let this "
                    + "user write it (a udev rule or chmod), or skip the deep flush", e);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "deep flush: writing 1 to " + f + " failed: " + e, e);
        }
    }
}
