package io.jdax.dax;

import io.jdax.arch.Arch;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The drivers one {@link ServiceLoader} pass found, loaded once into unmodifiable lists. A
 * provider that fails to load (its class is missing, its constructor throws) is recorded in
 * {@link #failures()} and skipped; the others load.
 * <p>
 * The rule for two drivers with one scheme: both are listed in {@link #conflicts()}, and opening
 * that scheme fails with an error naming both, unless the system property
 * {@code jdax.driver.<scheme>} names the class to use.
 */
public final class DriverRegistry {

    /** Prefix of the system properties that pick one driver among several with the same scheme. */
    public static final String DRIVER_PROPERTY_PREFIX = "jdax.driver.";

    /**
     * A provider that could not be loaded.
     *
     * @param provider the provider's class name, when known
     * @param error    what went wrong
     */
    public record Failure(String provider, Throwable error) {
        /** One line for reports. */
        public String describe() {
            Throwable root = error;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return provider + ": " + root;
        }
    }

    private final List<InstalledDriver> drivers;
    private final List<Failure> failures;
    private final Map<String, List<InstalledDriver>> byScheme;

    private DriverRegistry(List<InstalledDriver> drivers, List<Failure> failures) {
        this.drivers = List.copyOf(drivers);
        this.failures = List.copyOf(failures);
        Map<String, List<InstalledDriver>> map = new LinkedHashMap<>();
        for (InstalledDriver d : drivers) {
            map.computeIfAbsent(d.scheme(), k -> new ArrayList<>()).add(d);
        }
        map.replaceAll((k, v) -> List.copyOf(v));
        this.byScheme = java.util.Collections.unmodifiableMap(map);
    }

    /** Loads every {@link DaxDriver} the class loader (and, for named modules, the module layer) sees. */
    public static DriverRegistry load(ClassLoader loader) {
        return load(ServiceLoader.load(DaxDriver.class, loader));
    }

    /** Loads the drivers of a service loader, skipping and recording those that fail. */
    public static DriverRegistry load(ServiceLoader<DaxDriver> loader) {
        List<InstalledDriver> drivers = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        Iterator<ServiceLoader.Provider<DaxDriver>> it = loader.stream().iterator();
        // A broken entry can fail in hasNext (class missing) or in get (constructor threw).
        for (int guard = 0; guard < 10_000; guard++) {
            ServiceLoader.Provider<DaxDriver> provider;
            try {
                if (!it.hasNext()) {
                    break;
                }
                provider = it.next();
            } catch (ServiceConfigurationError e) {
                failures.add(new Failure(providerName(e), e));
                continue;
            }
            try {
                DaxDriver driver = provider.get();
                String scheme = driver.scheme();
                if (scheme == null || !scheme.matches("[a-z][a-z0-9+.-]*")) {
                    failures.add(new Failure(provider.type().getName(),
                            new IllegalStateException("invalid scheme '" + scheme + "'")));
                    continue;
                }
                if (drivers.stream().anyMatch(d -> d.driver().getClass() == driver.getClass())) {
                    continue; // the same class seen through two paths
                }
                drivers.add(InstalledDriver.of(driver));
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                failures.add(new Failure(provider.type().getName(), e));
            }
        }
        return new DriverRegistry(drivers, failures);
    }

    private static String providerName(ServiceConfigurationError e) {
        String msg = String.valueOf(e.getMessage());
        int idx = msg.indexOf("Provider ");
        if (idx >= 0) {
            String rest = msg.substring(idx + 9);
            int space = rest.indexOf(' ');
            return space > 0 ? rest.substring(0, space) : rest;
        }
        return "(unknown provider)";
    }

    /** Every driver that loaded, in discovery order. */
    public List<InstalledDriver> drivers() {
        return drivers;
    }

    /** Every provider that failed to load, with why. */
    public List<Failure> failures() {
        return failures;
    }

    /** Schemes served by more than one driver. */
    public Map<String, List<InstalledDriver>> conflicts() {
        return byScheme.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /**
     * The driver for a scheme.
     *
     * @throws DaxException ENODEV naming the installed schemes when none serves it; EINVAL when
     *                      several do and {@code jdax.driver.<scheme>} does not pick one
     */
    public DaxDriver driver(String scheme) {
        List<InstalledDriver> candidates = byScheme.get(scheme);
        if (candidates == null) {
            StringBuilder msg = new StringBuilder("no driver for scheme '").append(scheme).append("'; installed: ");
            msg.append(drivers.isEmpty() ? "none" : drivers.stream()
                    .map(d -> d.scheme() + " (" + d.driver().getClass().getName() + ")")
                    .collect(Collectors.joining(", ")));
            if (!failures.isEmpty()) {
                msg.append("; failed to load: ").append(failures.stream().map(Failure::describe)
                        .collect(Collectors.joining("; ")));
            }
            throw new DaxException(Errno.ENODEV, msg.toString());
        }
        if (candidates.size() == 1) {
            return candidates.getFirst().driver();
        }
        String property = DRIVER_PROPERTY_PREFIX + scheme;
        String chosen = System.getProperty(property);
        if (chosen != null) {
            return candidates.stream().filter(d -> d.driver().getClass().getName().equals(chosen)).findFirst()
                    .orElseThrow(() -> new DaxException(Errno.ENODEV, "-D" + property + "=" + chosen
                            + " names none of the drivers for '" + scheme + "': " + names(candidates))).driver();
        }
        throw new DaxException(Errno.EINVAL, "scheme '" + scheme + "' is served by several drivers: "
                + names(candidates) + "; pick one with -D" + property + "=<class name>");
    }

    private static String names(List<InstalledDriver> drivers) {
        return drivers.stream().map(d -> d.driver().getClass().getName() + " (" + d.origin() + ")")
                .collect(Collectors.joining(", "));
    }

    /**
     * Opens a device: parses the spec, picks the driver by scheme, and opens it with {@code arch}.
     *
     * @throws DaxException as {@link DeviceSpec#parse}, {@link #driver} and the driver's open do
     */
    public DaxDevice open(String spec, Arch arch) {
        Objects.requireNonNull(arch, "arch");
        DeviceSpec parsed = DeviceSpec.parse(spec);
        return driver(parsed.scheme()).open(parsed, arch);
    }
}
