package io.jdax.dax;

import io.jdax.arch.Arch;

/**
 * A DAX device driver: the {@link java.util.ServiceLoader} service jdax finds drivers by, keyed by
 * a scheme, as {@link java.nio.file.spi.FileSystemProvider} is (contract C1).
 *
 * <h2>For driver authors</h2>
 * <ul>
 *   <li>Declare the implementation both ways: {@code provides io.jdax.dax.DaxDriver with ...} in
 *       module-info, and its class name in {@code META-INF/services/io.jdax.dax.DaxDriver}; it then
 *       works on the module path and the class path with no registration code.</li>
 *   <li>Have a public no-argument constructor that does no I/O: drivers are instantiated when
 *       jdax lists them. A constructor that throws is reported and skipped, not fatal.</li>
 *   <li>{@link #open} validates the whole specification (use
 *       {@link DeviceSpec#requireKnownParams}) and fails with a {@link DaxException} naming the
 *       problem, leaving nothing half-made.</li>
 *   <li>{@link #open} returns a {@link DaxDevice} made from the driver's {@link DaxOperations}
 *       ({@code new DaxDevice(info, arch, ops)}, or a subclass adding what is the driver's own):
 *       the core owns lifetime, read locks, range checks and the chunk loop, so the driver's
 *       operations are only its own work.</li>
 *   <li>The device does every cache operation through the {@link Arch} it is given, never by
 *       its own means: that is how the power-fail simulator observes it.</li>
 *   <li>Never hand native code an address of memory the driver does not own.</li>
 * </ul>
 * The framework does the rest: spec parsing, driver selection, the device core (C11), the
 * fallback copy paths, the iterators, and (in fs-dax) the extent loop.
 */
public interface DaxDriver {

    /** The scheme this driver serves, e.g. {@code pmem}; lower case, unique among installed drivers. */
    String scheme();

    /** One line for {@code jdax info}: what the driver does and its spec grammar. */
    default String description() {
        return scheme() + " driver";
    }

    /**
     * Opens a device.
     *
     * @param spec the specification, whose {@link DeviceSpec#scheme()} is this driver's
     * @param arch the CPU primitives the device must use for copies and cache maintenance
     * @throws DaxException naming what is wrong with the spec or the device
     */
    DaxDevice open(DeviceSpec spec, Arch arch);
}
