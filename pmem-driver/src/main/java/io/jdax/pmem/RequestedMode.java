package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;

import java.util.Locale;

/** The persistence a spec asks for ({@code mode=}, or {@value PmemDriver#MODE_PROPERTY}). */
enum RequestedMode {
    /** The best the device, the filesystem and the Arch can honour. */
    AUTO,
    /** CPU_CACHE or fail: MAP_SYNC on a DAX filesystem, or device DAX, with an Arch that writes back. */
    CPU_CACHE,
    /** A plain shared mapping whose flush msyncs the dirty pages (files only). */
    PAGE_CACHE,
    /** No durability promise at all: flush only fences. The opt-in for device DAX without clwb. */
    VOLATILE,
    /**
     * Treat a plain file mapping as persistent memory, as PMDK's {@code PMEM_IS_PMEM_FORCE=1} does:
     * CPU_CACHE semantics (write-back + fence, no msync) over memory that is not really persistent.
     * For emulated pmem (a file in /dev/shm), the power-fail simulator, and benchmarks of the
     * CPU_CACHE path; never for data that must survive.
     */
    EMULATED;

    /** The spec's {@code mode}, else the system property, else AUTO. */
    static RequestedMode of(DeviceSpec spec) {
        String value = spec.param(PmemDriver.PARAM_MODE).orElse(null);
        String from = "parameter '" + PmemDriver.PARAM_MODE + "'";
        if (value == null) {
            value = System.getProperty(PmemDriver.MODE_PROPERTY);
            from = "-D" + PmemDriver.MODE_PROPERTY;
        }
        if (value == null || value.isBlank()) {
            return AUTO;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': " + from + " is '" + value
                    + "'; expected auto, cpu_cache, page_cache, volatile or emulated");
        }
    }

    String param() {
        return name().toLowerCase(Locale.ROOT);
    }
}
