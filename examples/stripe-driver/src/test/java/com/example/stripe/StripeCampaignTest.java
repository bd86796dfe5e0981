package com.example.stripe;

import io.jdax.dax.DaxDevices;
import io.jdax.testkit.campaign.Campaign;
import io.jdax.testkit.campaign.CampaignReport;
import io.jdax.testkit.campaign.DeviceFactory;
import io.jdax.testkit.campaign.Workload;
import io.jdax.testkit.campaign.Workloads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Power-fail campaigns against this driver: each workload crashed at every flush boundary and at
 * random points, the driver rebooted over each crash image, every acknowledged byte checked.
 */
class StripeCampaignTest {
    private static final int FILES = 4;
    private static final long UNIT = 16 * 1024;

    /**
     * A campaign's image is the device's bytes in order, one file; this driver keeps them in
     * {@value #FILES} files, a stripe unit at a time. So the factory lays the image out as the
     * driver does, in a directory beside it, and opens the driver there.
     */
    static DeviceFactory stripes() {
        return (image, arch) -> {
            try {
                byte[] bytes = Files.readAllBytes(image);
                Path dir = image.resolveSibling(image.getFileName() + ".stripes");
                if (Files.isDirectory(dir)) { // the last reboot's: its device is closed
                    try (Stream<Path> old = Files.list(dir)) {
                        for (Path f : old.toList()) {
                            Files.delete(f);
                        }
                    }
                } else {
                    Files.createDirectory(dir);
                }
                long fileSize = Math.ceilDiv(bytes.length, FILES * UNIT) * UNIT;
                byte[][] files = new byte[FILES][(int) fileSize];
                for (int unit = 0; (long) unit * UNIT < bytes.length; unit++) {
                    int n = (int) Math.min(UNIT, bytes.length - (long) unit * UNIT);
                    System.arraycopy(bytes, (int) (unit * UNIT), files[unit % FILES], (int) (unit / FILES * UNIT), n);
                }
                for (int i = 0; i < FILES; i++) {
                    Files.write(dir.resolve("stripe-" + i + ".img"), files[i]);
                }
                return DaxDevices.open("stripe:" + dir + "?size=" + bytes.length + "&files=" + FILES + "&unit=" + UNIT
                        + "&mode=emulated", arch);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @TestFactory
    Stream<DynamicTest> everyAcknowledgedByteSurvivesEveryCrash(@TempDir Path scratch) {
        Campaign campaign = new Campaign(stripes(), Campaign.Config.defaults().withScratch(scratch));
        return Workloads.all().stream().map((Workload w) -> DynamicTest.dynamicTest(w.name(), () -> {
            CampaignReport r = campaign.run(w);
            System.out.print(r.describe());
            // A workload that cannot judge this device (fs-direct-mapped-stores maps a file as one
            // segment; a stripe unit is too short for that) is skipped, saying why.
            Assumptions.assumeTrue(r.applicable(), r.notApplicable());
            assertTrue(r.passed(), r.describe());
            assertTrue(r.pmemcheck().clean(), r.pmemcheck().describe(10)); // no write-back in vain, nothing left dirty
        }));
    }
}
