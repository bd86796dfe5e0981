package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.sim.SimulatedArch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link Workload#withSeed}: a seed picks what a workload writes, and the same seed writes it again. */
class WorkloadSeedTest {
    private static final int SIZE = 256 * 1024;

    @TempDir
    Path dir;
    private int images;

    @ParameterizedTest
    @ValueSource(strings = {"random-overwrite", "fs-file-writes", "fs-direct-mapped-stores"})
    void aSeedPicksTheDataAndTheSameSeedWritesItAgain(String name) {
        Workload w = Workloads.all().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        byte[] five = image(w.withSeed(5));
        assertArrayEquals(five, image(w.withSeed(5)), "seed 5 twice");
        assertFalse(Arrays.equals(five, image(w.withSeed(6))), "seeds 5 and 6 wrote the same image");
        assertEquals(name, w.withSeed(6).name());
    }

    @Test
    void aWorkloadThatDrawsNothingAtRandomIsItsOwnReseeding() {
        Workload w = Workloads.sequentialAppend();
        assertSame(w, w.withSeed(3));
    }

    /** The device after the workload ran on zeros (emulated pmem on the simulator: CPU_CACHE, which the direct-mapped one needs). */
    private byte[] image(Workload w) {
        String spec = "pmem:" + dir.resolve("image" + images++) + "?size=" + SIZE + "&create=true&mode=emulated";
        try (DaxDevice d = DaxDevices.open(spec, new SimulatedArch())) {
            w.run(d, Ledger.ofZeros(SIZE));
            return DeviceIo.read(d, 0, SIZE);
        }
    }
}
