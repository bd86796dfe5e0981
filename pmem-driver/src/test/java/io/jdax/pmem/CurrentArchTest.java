package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver with the JVM's own Arch (native-x86 when its library loads, else the portable one):
 * the mode it gets follows the Arch's cache write-back, and data moves through the real copies.
 */
class CurrentArchTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();
    private final Arch arch = Archs.current();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    @Test
    void deviceDaxIsCpuCacheExactlyWhenTheArchCanWriteBack() {
        fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0, 0, null);
        String spec = "pmem:" + fx.dir.resolve("dax0.0") + (arch.hasCacheWriteback() ? "" : "?mode=volatile");
        PmemDevice d = fx.openDevDax(spec, arch);
        assertEquals(arch.hasCacheWriteback() ? PersistenceMode.CPU_CACHE : PersistenceMode.VOLATILE, d.persistence(),
                arch.name() + ": " + d.persistenceReason());
        roundTrip(d);
    }

    @Test
    void aTmpfsFileIsPageCacheWithAnyArch() {
        PmemDevice d = fx.open(fx.spec("f", "size=4M&create=true"), arch);
        assertEquals(PersistenceMode.PAGE_CACHE, d.persistence(), d.persistenceReason());
        roundTrip(d);
    }

    private static void roundTrip(PmemDevice d) {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            long at = 3;
            for (IovIter.Kind kind : IovIter.Kind.values()) {
                for (int length : new int[] {1, 63, 64, 100, 4096, 70_000}) {
                    byte[] data = new byte[length];
                    rnd.nextBytes(data);
                    Iters.write(d, at, Iters.source(kind, data, arena));
                    d.flush();
                    Iters.Dest dst = Iters.dest(kind, length, arena);
                    Iters.read(d, at, dst.iter());
                    assertArrayEquals(data, dst.bytes().get(), kind + " " + length + " at " + at);
                    at += length + 13;
                }
            }
            d.zeroPageRange(0, 2);
            assertArrayEquals(new byte[8192],
                    d.directAccess(0, 2, DaxAccessMode.READ).addr().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }
}
