package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;
import io.jdax.testkit.DeviceIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A workload that judges its images itself: the ledger's bytes are not consulted (it declares
 * none), its check's words become the report's losses, and a broken driver is still caught.
 */
class CheckedWorkloadTest {
    @TempDir
    Path scratch;

    /** Writes a record, flushes, and from then on expects it on every image. */
    private static final class Record implements CheckedWorkload {
        final byte[] data = new byte[3000];
        boolean acknowledged;
        int checks;

        Record() {
            Arrays.fill(data, (byte) 0x3C);
        }

        @Override
        public String name() {
            return "checked-record";
        }

        @Override
        public void run(DaxDevice device, Ledger ledger) {
            acknowledged = false;
            DeviceIo.write(device, 1000, data);
            device.flush();
            acknowledged = true;
            ledger.acknowledge();
        }

        @Override
        public List<String> check(DaxDevice rebooted) {
            checks++;
            if (acknowledged && !Arrays.equals(data, DeviceIo.read(rebooted, 1000, data.length))) {
                return List.of("the acknowledged record is not on the image");
            }
            return List.of();
        }
    }

    private CampaignReport run(String spec, Record w) {
        return new Campaign(DeviceFactory.spec(spec), Campaign.Config.defaults().withScratch(scratch)).run(w);
    }

    @Test
    void theWorkloadJudgesInsteadOfTheLedger() {
        Record w = new Record();
        CampaignReport r = run("pmem:{image}", w);
        assertTrue(r.passed(), r.describe());
        assertEquals(0, r.acknowledgedBytesLost(), "no byte was declared: the ledger judges nothing");
        assertEquals(r.imagesChecked(), w.checks, "every image went to the check");
        assertTrue(r.crashPoints() > 0);
    }

    @Test
    void aRejectedImageFailsTheCampaignInTheCheckWords() {
        CampaignReport r = run("pmemx:{image}?copy=cached", new Record());
        assertFalse(r.passed(), r.describe());
        assertTrue(r.rebootFailures() > 0);
        assertTrue(r.losses().stream().anyMatch(l -> l.at().contains("the acknowledged record is not on the image")),
                r.describe());
    }
}
