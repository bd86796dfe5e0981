package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.testkit.sim.SimulatedArch;

import java.nio.file.Path;
import java.util.Objects;

/**
 * "Reboots" after a simulated power failure: writes a crash image to a new file (mode 0600) and
 * opens it with the same driver, on a fresh {@link SimulatedArch}, so the code that wrote the data
 * is the code that finds it again.
 * <pre>{@code
 * byte[] image = media.crash(seed);
 * try (DaxDevice after = Reboot.open(DeviceFactory.pmem(), image, dir.resolve("crash.img"))) {
 *     ... read and check through the driver (or a filesystem over it) ...
 * }
 * }</pre>
 */
public final class Reboot {
    private Reboot() {
    }

    /**
     * Writes {@code image} to {@code file}, which must not exist, and opens a device over it.
     * The caller closes the device and deletes the file.
     *
     * @throws DaxException EIO if the file cannot be written; what the driver throws
     */
    public static DaxDevice open(DeviceFactory factory, byte[] image, Path file) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(image, "image");
        ImageFiles.write(file, image);
        return factory.open(file, new SimulatedArch());
    }
}
