package io.jdax.testkit.campaign;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Opens a device over an image file: how a {@link Campaign} starts its workload and how it
 * "reboots" after each simulated crash, through the same driver code.
 */
@FunctionalInterface
public interface DeviceFactory {

    /** The placeholder for the image path in {@link #spec(String)} templates. */
    String IMAGE = "{image}";

    /**
     * Opens a device whose memory is the file {@code image}, using {@code arch} for every copy
     * and cache operation.
     */
    DaxDevice open(Path image, Arch arch);

    /**
     * Devices opened by spec through the {@link java.util.ServiceLoader}, the image path put in
     * place of {@value #IMAGE}: {@code spec("pmem:{image}")}.
     *
     * @throws DaxException EINVAL if the template has no {@value #IMAGE}
     */
    static DeviceFactory spec(String template) {
        Objects.requireNonNull(template, "template");
        if (!template.contains(IMAGE)) {
            throw new DaxException(Errno.EINVAL, "device spec template '" + template + "' has no " + IMAGE
                    + " for the image path, e.g. pmem:" + IMAGE);
        }
        return (image, arch) -> DaxDevices.open(template.replace(IMAGE, image.toString()), arch);
    }

    /** The pmem driver over the image file: {@code pmem:{image}}. */
    static DeviceFactory pmem() {
        return spec("pmem:" + IMAGE);
    }
}
