package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.sim.SimulatedArch;
import io.jdax.testkit.sim.SimulatedMedia;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RebootTest {
    @TempDir
    Path dir;

    @Test
    void theSameDriverFindsWhatSurvivedAndOnlyThat() throws Exception {
        SimulatedArch sim = new SimulatedArch();
        byte[] kept = new byte[5000];
        byte[] lost = new byte[3000];
        Arrays.fill(kept, (byte) 1);
        Arrays.fill(lost, (byte) 2);
        byte[] image;
        try (DaxDevice dev = DaxDevices.open("pmem:" + dir.resolve("a.img") + "?size=64K&create=true", sim)) {
            SimulatedMedia media = sim.track(dev);
            DeviceIo.write(dev, 100, kept);
            dev.flush();
            DeviceIo.write(dev, 20_000, lost); // never flushed
            image = media.persistentImage();
        }
        Path file = dir.resolve("crash.img");
        try (DaxDevice after = Reboot.open(DeviceFactory.pmem(), image, file)) {
            assertInstanceOf(SimulatedArch.class, after.arch(), "a fresh simulator, not the crashed one");
            assertArrayEquals(kept, DeviceIo.read(after, 100, kept.length));
            assertArrayEquals(new byte[3000], DeviceIo.read(after, 20_000, 3000));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Errno.EIO, assertThrows(DaxException.class,
                () -> Reboot.open(DeviceFactory.pmem(), image, file), "the file exists already").errno());
    }
}
