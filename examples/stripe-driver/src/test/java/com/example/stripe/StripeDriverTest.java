package com.example.stripe;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.sim.SimulatedArch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the suite cannot know about this driver: where its bytes lie, and what it refuses. */
class StripeDriverTest {

    @Test
    void pagesGoRoundTheFilesAUnitAtATime(@TempDir Path dir) throws Exception {
        String spec = "stripe:" + dir + "?size=64K&files=2&unit=8K&create=true&mode=emulated";
        try (DaxDevice dev = DaxDevices.open(spec, new SimulatedArch())) {
            byte[] data = new byte[(int) dev.size()];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i / 4096 + 1); // every page its own byte
            }
            DeviceIo.write(dev, 0, data);
            dev.flush();
        }
        byte[] f0 = Files.readAllBytes(dir.resolve("stripe-0.img"));
        byte[] f1 = Files.readAllBytes(dir.resolve("stripe-1.img"));
        assertEquals(32 * 1024, f0.length);
        // units of 2 pages: pages 1-2 in file 0, 3-4 in file 1, 5-6 in file 0, ...
        assertEquals(1, f0[0]);
        assertEquals(2, f0[4096]);
        assertEquals(5, f0[8192]);
        assertEquals(3, f1[0]);
        assertEquals(7, f1[8192]);
    }

    @Test
    void anArchThatCannotWriteCacheLinesBackIsRefusedSayingWhatToUse(@TempDir Path dir) {
        DaxException e = assertThrows(DaxException.class, () -> DaxDevices.open("stripe:" + dir
                + "?size=1M&create=true&mode=emulated", new PortableArch()));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("cannot write them back"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "a refused open leaves no file behind");
        } catch (java.io.IOException x) {
            throw new AssertionError(x);
        }
    }

    @Test
    void filesOfAnotherSizeAreRefusedAndKept(@TempDir Path dir) {
        try (DaxDevice dev = DaxDevices.open("stripe:" + dir + "?size=64K&files=2&unit=8K&create=true&mode=emulated",
                new SimulatedArch())) {
            DeviceIo.write(dev, 0, new byte[] {1, 2, 3});
            dev.flush();
        }
        DaxException e = assertThrows(DaxException.class, () -> DaxDevices.open("stripe:" + dir
                + "?size=128K&files=2&unit=8K&create=true&mode=emulated", new SimulatedArch()));
        assertEquals(Errno.EINVAL, e.errno());
        try (DaxDevice dev = DaxDevices.open("stripe:" + dir + "?size=64K&files=2&unit=8K&mode=emulated", new SimulatedArch())) {
            assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOf(DeviceIo.read(dev, 0, 3), 3));
        }
    }
}
