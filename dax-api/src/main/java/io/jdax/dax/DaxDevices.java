package io.jdax.dax;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;

/**
 * The entry point: opens devices by specification, {@code DaxDevices.open("pmem:/mnt/pmem/f?size=1G")},
 * with the driver chosen by scheme among those the {@link java.util.ServiceLoader} finds (C1).
 * The driver list is loaded once, on first use, from this class's loader (and its module layer).
 */
public final class DaxDevices {
    private DaxDevices() {
    }

    private static final class Holder {
        static final DriverRegistry REGISTRY = DriverRegistry.load(DaxDevices.class.getClassLoader());
    }

    /** The installed drivers and the providers that failed to load. */
    public static DriverRegistry registry() {
        return Holder.REGISTRY;
    }

    /**
     * Opens a device with the JVM's {@link Arch} ({@link Archs#current()}).
     *
     * @throws DaxException naming what is wrong: the spec, the scheme (with the installed ones),
     *                      or the device
     */
    public static DaxDevice open(String spec) {
        return registry().open(spec, Archs.current());
    }

    /** Opens a device that uses {@code arch} for its copies and cache maintenance, e.g. a simulator. */
    public static DaxDevice open(String spec, Arch arch) {
        return registry().open(spec, arch);
    }
}
