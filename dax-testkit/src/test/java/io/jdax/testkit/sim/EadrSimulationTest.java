package io.jdax.testkit.sim;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.PersistenceMode;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.IterKind;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulator's eADR media (the CPU caches inside the persistence domain): a fence makes every
 * earlier store persistent. A PERSISTENT_CACHE pmem device on it writes nothing back and fences,
 * for copyFromIter + flush and for a direct mapping's persist, and its data survives any crash
 * after the fence; an ADR (CPU_CACHE) device writes back as before.
 */
class EadrSimulationTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void onEadrMediaAFenceAloneMakesCachedStoresPersistent() {
        for (PersistenceDomain domain : PersistenceDomain.values()) {
            SimulatedArch sim = new SimulatedArch();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mem = arena.allocate(4096, 64);
                SimulatedMedia m = sim.track("m", mem, domain);
                assertEquals(domain, m.domain());
                mem.set(ValueLayout.JAVA_LONG, 64, 42); // a store the Arch never sees: a dirty line
                assertEquals(LineState.DIRTY, m.lineState(64));
                sim.fence();
                boolean eadr = domain == PersistenceDomain.CPU_CACHE;
                assertEquals(eadr ? LineState.CLEAN : LineState.DIRTY, m.lineState(64), domain.toString());
                assertEquals(eadr ? 42 : 0, MemorySegment.ofArray(m.persistentImage()).get(ValueLayout.JAVA_LONG_UNALIGNED, 64),
                        "what the harshest crash keeps after the fence, " + domain);
                mem.set(ValueLayout.JAVA_LONG, 128, 7); // after the fence: may or may not survive either way
                assertEquals(List.of(128L), m.unfencedLines(128, 8));
                assertEquals(eadr ? 0 : 1, m.unfencedLines(64, 8).size());
            }
        }
    }

    private DaxDevice open(SimulatedArch sim, String name, String eadr) {
        return DaxDevices.open("pmem:" + dir.resolve(name) + "?size=" + SIZE + "&create=true&mode=emulated&eadr=" + eadr,
                sim);
    }

    @Test
    void aPersistentCacheDeviceWritesNothingBackAndFencesAndItsDataSurvives() {
        SimulatedArch sim = new SimulatedArch();
        Random rnd = new Random(3);
        try (DaxDevice dev = open(sim, "eadr.img", "on"); Arena arena = Arena.ofConfined()) {
            assertEquals(PersistenceMode.PERSISTENT_CACHE, dev.persistence(), dev.persistenceReason());
            SimulatedMedia media = sim.track(dev);
            assertEquals(PersistenceDomain.CPU_CACHE, media.domain());
            long pos = 0;
            for (IterKind k : IterKind.values()) {
                for (int len : new int[] {5, 100, 4096, 3 * 4096 + 77}) {
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    long at = pos + 13;
                    media.resetStats();
                    DeviceIo.write(dev, at, k.source(data, arena));
                    dev.flush();
                    WritebackStats s = media.stats();
                    assertEquals(0, s.linesWrittenBack(), k + " " + len + " bytes: " + s.describe());
                    assertTrue(s.fences() >= 1, "no fence: " + s.describe());
                    assertEquals(List.of(), media.unfencedLines(at, len), k + " " + len + " bytes after flush()");
                    for (long seed = 0; seed < 3; seed++) {
                        assertArrayEquals(data, Arrays.copyOfRange(media.crash(seed), (int) at, (int) at + len));
                    }
                    pos += len + 4096;
                }
            }
        }
    }

    @Test
    void persistOfADirectMappingIsAFenceOnEadrAndWriteBackAndFenceOnAdr() {
        for (String eadr : new String[] {"on", "off"}) {
            SimulatedArch sim = new SimulatedArch();
            try (DaxDevice dev = open(sim, "map-" + eadr + ".img", eadr)) {
                MemFs fs = new MemFs(dev);
                MemFile f = fs.create();
                f.write(0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[64 * 1024]));
                f.fsync();
                SimulatedMedia media = sim.track(dev);
                DaxMapping map = f.map(0, 64 * 1024, DaxAccessMode.WRITE);
                byte[] data = new byte[10_000];
                new Random(9).nextBytes(data);
                MemorySegment.copy(data, 0, map.segment(), ValueLayout.JAVA_BYTE, 33, data.length); // plain stores
                media.resetStats();
                map.persist(33, data.length);
                WritebackStats s = media.stats();
                assertTrue(s.fences() >= 1, eadr + ": " + s.describe());
                if (eadr.equals("on")) {
                    assertEquals(PersistenceMode.PERSISTENT_CACHE, dev.persistence());
                    assertEquals(0, s.linesWrittenBack(), "eADR persist wrote back: " + s.describe());
                } else {
                    assertEquals(PersistenceMode.CPU_CACHE, dev.persistence());
                    assertTrue(s.linesWrittenBack() >= data.length / 64, "ADR persist writes the range back: "
                            + s.describe());
                }
                assertTrue(media.unfencedLines().isEmpty(), eadr + ": lines left unfenced " + media.unfencedLines());
                map.memset(20_000, 5000, (byte) 7);
                assertTrue(media.unfencedLines().isEmpty(), eadr + ": memset left lines unfenced");
                assertFalse(media.stats().fences() < 2, "memset fenced");
            }
        }
    }

    @Test
    void anAdrDeviceStillWritesBackItsCachedEdgesAndNothingInVain() {
        SimulatedArch sim = new SimulatedArch();
        try (DaxDevice dev = open(sim, "adr.img", "auto"); Arena arena = Arena.ofConfined()) {
            assertEquals(PersistenceMode.CPU_CACHE, dev.persistence(), "emulated pmem in no region: ADR assumed");
            SimulatedMedia media = sim.track(dev);
            DeviceIo.write(dev, 13, IterKind.UBUF.source(new byte[3000], arena));
            dev.flush();
            WritebackStats s = media.stats();
            assertTrue(s.linesWrittenBack() >= 1, "the unaligned edges are written back: " + s.describe());
            assertEquals(0, s.redundantWritebacks(), s.describe());
        }
    }
}
