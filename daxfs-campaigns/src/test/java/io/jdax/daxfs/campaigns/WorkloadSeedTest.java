package io.jdax.daxfs.campaigns;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.testkit.campaign.Ledger;
import io.jdax.testkit.campaign.Workload;
import io.jdax.testkit.sim.SimulatedArch;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The daxfs workloads take {@code jdax crashtest}'s round seed: it picks the files' bytes, and repeats them. */
class WorkloadSeedTest {
    @TempDir
    Path dir;
    private int images;

    static List<String> workloads() {
        return FsCrashWorkloads.all(1).stream().map(Workload::name).toList();
    }

    @ParameterizedTest
    @MethodSource("workloads")
    void aSeedPicksWhatTheFilesHoldAndTheSameSeedRepeatsIt(String name) {
        Workload w = FsCrashWorkloads.all(1).stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        Map<String, String> five = files(w.withSeed(5));
        assertEquals(five, files(w.withSeed(5)), "seed 5 twice");
        assertNotEquals(five, files(w.withSeed(6)), "seeds 5 and 6 left the same files");
        assertEquals(name, w.withSeed(6).name());
    }

    /** Every file left by the workload (which unmounts at its end): name -> its bytes, as text to compare. */
    private Map<String, String> files(Workload w) {
        String spec = "pmem:" + dir.resolve("image" + images++) + "?size=" + FsCrashWorkload.DEVICE_SIZE
                + "&create=true&mode=emulated";
        Map<String, String> out = new TreeMap<>();
        try (DaxDevice d = DaxDevices.open(spec, new SimulatedArch())) {
            w.run(d, Ledger.ofZeros(FsCrashWorkload.DEVICE_SIZE));
            DaxFs fs = DaxFs.mount(d);
            try {
                for (String n : fs.list()) {
                    DaxFile f = fs.open(n);
                    byte[] b = new byte[Math.toIntExact(f.size())];
                    assertEquals(b.length, f.read(0, IovIter.kvec(IovIter.Direction.DEST, b)));
                    out.put(n, Arrays.toString(b));
                }
            } finally {
                fs.unmount();
            }
        }
        return out;
    }
}
