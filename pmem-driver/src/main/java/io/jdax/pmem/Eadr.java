package io.jdax.pmem;

import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a device whose stores persist from the CPU on is taken to have its CPU caches inside
 * the persistence domain ({@code eadr=}, or {@value PmemDriver#EADR_PROPERTY}): then it is
 * {@link PersistenceMode#PERSISTENT_CACHE} (a fence makes a store durable) instead of
 * {@link PersistenceMode#CPU_CACHE} (write-back + fence). Decided from the region's
 * {@code persistence_domain}, never from the CPU model (DESIGN.md C12).
 */
enum Eadr {
    /** What the region says: {@code cpu_cache} is eADR; {@code memory_controller}, empty or absent is not. */
    AUTO,
    /** eADR whatever the region says: for a platform whose firmware does not report it, and for emulation. */
    ON,
    /** Never eADR: write-backs kept even where the region says {@code cpu_cache}. */
    OFF;

    /** The spec's {@code eadr}, else the system property, else AUTO. */
    static Eadr of(DeviceSpec spec) {
        String value = spec.param(PmemDriver.PARAM_EADR).orElse(null);
        String from = "parameter '" + PmemDriver.PARAM_EADR + "'";
        if (value == null) {
            value = System.getProperty(PmemDriver.EADR_PROPERTY);
            from = "-D" + PmemDriver.EADR_PROPERTY;
        }
        if (value == null || value.isBlank()) {
            return AUTO;
        }
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': " + from + " is '" + value
                    + "'; expected auto, on or off");
        }
    }

    /**
     * The mapping with its persistence decided: a {@link PersistenceMode#CPU_CACHE} mapping becomes
     * {@link PersistenceMode#PERSISTENT_CACHE} when this says so for {@code region}; other modes
     * stay, with a note when {@code eadr=on} was asked for in vain.
     *
     * @param region the nvdimm region under the device, if any
     * @param what   what the device is and how it is mapped, for the reason (e.g. "device DAX
     *               dax0.0: no page cache, no system call")
     * @param arch   the Arch's name, which fences
     */
    Mapping apply(Mapping m, Optional<NdRegion> region, String what, String arch) {
        if (m.persistence() != PersistenceMode.CPU_CACHE) {
            return this == ON ? m.withPersistence(m.persistence(), m.reason() + "; eadr=on does not apply to "
                    + m.persistence() + " (no CPU-cache durability path to shorten)") : m;
        }
        String says = region.map(r -> r.name() + "'s persistence_domain is " + r.describeDomain())
                .orElse("no nvdimm region under it reports a persistence domain");
        String fenced = ": stores are durable once fenced by " + arch + ", no write-back (" + what + ")";
        return switch (this) {
            case ON -> m.withPersistence(PersistenceMode.PERSISTENT_CACHE, "eadr=on asked for: the CPU caches are "
                    + "taken to be inside the persistence domain (" + says + ")" + fenced);
            case OFF -> m.withPersistence(PersistenceMode.CPU_CACHE, m.reason() + "; eadr=off: write-backs kept ("
                    + says + ")");
            case AUTO -> region.filter(NdRegion::persistentCache).isPresent()
                    ? m.withPersistence(PersistenceMode.PERSISTENT_CACHE, says + fenced)
                    : m.withPersistence(PersistenceMode.CPU_CACHE, m.reason() + " (" + says + ")");
        };
    }
}
