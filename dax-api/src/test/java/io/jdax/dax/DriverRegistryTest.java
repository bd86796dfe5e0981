package io.jdax.dax;

import io.jdax.arch.PortableArch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discovery against the drivers of this module's test META-INF/services (one healthy, some broken). */
class DriverRegistryTest {
    private final DriverRegistry registry = DaxDevices.registry();

    @Test
    void brokenProvidersAreReportedAndSkippedWhileOthersLoad() {
        assertTrue(registry.drivers().stream().anyMatch(d -> d.scheme().equals("good")), registry.drivers().toString());
        assertTrue(registry.failures().stream().anyMatch(f -> f.describe().contains("Throwing")
                && f.describe().contains("constructor failed on purpose")), registry.failures().toString());
        assertTrue(registry.failures().stream().anyMatch(f -> f.describe().contains("NoSuchDriverClass")),
                registry.failures().toString());
        DaxException e = assertThrows(DaxException.class, () -> DaxDevices.open("good:/x", new PortableArch()));
        assertTrue(e.getMessage().contains("good driver opened /x with portable"), e.getMessage());
    }

    @Test
    void unknownSchemeListsInstalledDriversAndFailures() {
        DaxException e = assertThrows(DaxException.class, () -> DaxDevices.open("nosuch:/x"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("no driver for scheme 'nosuch'"), e.getMessage());
        assertTrue(e.getMessage().contains("good (io.jdax.dax.testdrivers.TestDrivers$Good)"), e.getMessage());
        assertTrue(e.getMessage().contains("failed to load"), e.getMessage());
    }

    @Test
    void twoDriversWithOneSchemeAreAnErrorUntilAPropertyPicksOne() {
        assertEquals(2, registry.conflicts().get("twin").size());
        DaxException e = assertThrows(DaxException.class, () -> DaxDevices.open("twin:/a"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("TwinA") && e.getMessage().contains("TwinB")
                && e.getMessage().contains("-Djdax.driver.twin="), e.getMessage());
        String prop = DriverRegistry.DRIVER_PROPERTY_PREFIX + "twin";
        System.setProperty(prop, "io.jdax.dax.testdrivers.TestDrivers$TwinB");
        try {
            DaxException opened = assertThrows(DaxException.class, () -> DaxDevices.open("twin:/a"));
            assertTrue(opened.getMessage().contains("twin B opened /a"), opened.getMessage());
            System.setProperty(prop, "no.Such");
            assertEquals(Errno.ENODEV, assertThrows(DaxException.class, () -> DaxDevices.open("twin:/a")).errno());
        } finally {
            System.clearProperty(prop);
        }
    }

    @Test
    void driversAreLoadedOnceAndTheListIsUnmodifiable() {
        assertTrue(registry == DaxDevices.registry());
        assertThrows(UnsupportedOperationException.class, () -> registry.drivers().clear());
    }
}
