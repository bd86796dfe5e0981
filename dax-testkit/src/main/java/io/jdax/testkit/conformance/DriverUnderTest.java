package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the conformance suite needs to know about a driver: its scheme and how to make a spec for
 * a fresh device. Everything else it learns from the driver itself, through the
 * {@link java.util.ServiceLoader}, as any jdax program would.
 *
 * @param scheme     the driver's scheme
 * @param specs      how to name a fresh device
 * @param badSpecs   specs of the driver's own that must fail to open (a {@link DaxException}
 *                   each), beside the suite's generic ones
 * @param arch       the Arch the ordinary checks open devices with (durability checks use the simulator)
 * @param deviceSize the size asked of {@link #specs}, at least 64 pages
 */
public record DriverUnderTest(String scheme, DeviceSpecs specs, List<String> badSpecs, Supplier<Arch> arch,
                              long deviceSize) {

    /** The smallest device the suite can work with: 64 pages. */
    public static final long MIN_SIZE = 64L * DaxDevice.PAGE_SIZE;

    /** Names a fresh device. */
    @FunctionalInterface
    public interface DeviceSpecs {
        /**
         * The spec of a fresh device of {@code size} bytes (or of any size of at least
         * {@link #MIN_SIZE}, for a fixed real device).
         *
         * @param scratch a private, empty directory for files the device needs; deleted after the check
         */
        String newDevice(Path scratch, long size);
    }

    /** Checks the values. */
    public DriverUnderTest {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(specs, "specs");
        Objects.requireNonNull(arch, "arch");
        badSpecs = List.copyOf(badSpecs);
        if (deviceSize < MIN_SIZE || deviceSize % DaxDevice.PAGE_SIZE != 0) {
            throw new DaxException(Errno.EINVAL, "the suite needs a device of at least " + MIN_SIZE
                    + " bytes in whole pages, not " + deviceSize);
        }
    }

    /** A driver with no extra bad specs, the JVM's Arch, and 1 MiB devices. */
    public static DriverUnderTest of(String scheme, DeviceSpecs specs) {
        return new DriverUnderTest(scheme, specs, List.of(), Archs::current, 1 << 20);
    }

    /** The same, with specs of the driver's own that must fail to open. */
    public DriverUnderTest withBadSpecs(List<String> specs) {
        return new DriverUnderTest(scheme, this.specs, specs, arch, deviceSize);
    }

    /** The same, opening devices with another Arch for the ordinary checks. */
    public DriverUnderTest withArch(Supplier<Arch> a) {
        return new DriverUnderTest(scheme, specs, badSpecs, a, deviceSize);
    }

    /** The same, with devices of another size. */
    public DriverUnderTest withDeviceSize(long bytes) {
        return new DriverUnderTest(scheme, specs, badSpecs, arch, bytes);
    }
}
