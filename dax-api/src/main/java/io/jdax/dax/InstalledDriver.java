package io.jdax.dax;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;

/**
 * A driver found by the {@link java.util.ServiceLoader}, with where it came from.
 *
 * @param driver the driver
 * @param origin its module name ("module io.jdax.brd") or jar ("jar /path/x.jar")
 * @param version the module's or jar's version, or "unknown"
 */
public record InstalledDriver(DaxDriver driver, String origin, String version) {

    /** The driver's scheme. */
    public String scheme() {
        return driver.scheme();
    }

    static InstalledDriver of(DaxDriver driver) {
        Class<?> type = driver.getClass();
        Module module = type.getModule();
        String origin;
        String version = null;
        if (module.isNamed()) {
            origin = "module " + module.getName();
            version = module.getDescriptor() == null ? null : module.getDescriptor().rawVersion().orElse(null);
        } else {
            origin = "class path " + location(type);
        }
        if (version == null && type.getPackage() != null) {
            version = type.getPackage().getImplementationVersion();
        }
        return new InstalledDriver(driver, origin, version == null ? "unknown" : version);
    }

    private static String location(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return "(unknown location)";
        }
        try {
            return Path.of(source.getLocation().toURI()).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return source.getLocation().toString();
        }
    }
}
