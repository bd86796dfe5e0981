package io.jdax.cli;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxReadLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataGuardTest {

    private static void store(DaxDevice dev, long at, byte[] bytes) {
        try (DaxReadLock ignored = dev.readLock()) {
            MemorySegment m = dev.directAccess(at / 4096, 1, DaxAccessMode.WRITE).addr();
            MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, at % 4096, bytes.length);
        }
    }

    @Test
    void anEmptyDeviceHoldsNothingAndAnyDestroyDataPasses(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("pmem:" + tmp.resolve("a") + "?size=4M&create=true")) {
            assertEquals(Optional.empty(), DataGuard.inspect(dev));
            DataGuard.check(dev, "x", false);
            store(dev, 0, new byte[] {1});
            DataGuard.check(dev, "x", true);
            DataGuard.Refused e = assertThrows(DataGuard.Refused.class, () -> DataGuard.check(dev, "pmem:x", false));
            assertTrue(e.getMessage().startsWith("pmem:x holds data (non-zero bytes at byte 0"), e.getMessage());
        }
    }

    @Test
    void theFirstAndLastPagesAreAlwaysSampled(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("brd:g?size=64M")) {
            store(dev, dev.size() - 1, new byte[] {7});
            assertTrue(DataGuard.inspect(dev).orElseThrow().contains("byte " + (dev.size() - 1)));
        }
    }

    @Test
    void filesystemSignaturesAndOurMarkerAreNamed(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("brd:s?size=1M")) {
            store(dev, 1080, new byte[] {0x53, (byte) 0xEF});
            assertEquals("an ext2/3/4 filesystem signature at byte 1080", DataGuard.inspect(dev).orElseThrow());
            store(dev, 0, "XFSB".getBytes(StandardCharsets.US_ASCII));
            assertEquals("an XFS filesystem signature at byte 0", DataGuard.inspect(dev).orElseThrow());
            DataGuard.markScratch(dev, "selftest");
            String found = DataGuard.inspect(dev).orElseThrow();
            assertTrue(found.startsWith("test data of an earlier jdax run, written by jdax selftest at "), found);
        }
    }

    @Test
    void poisonedPagesArePassedOver(@TempDir Path tmp) {
        try (DaxDevice dev = DaxDevices.open("pmem:" + tmp.resolve("p") + "?size=1M&create=true")) {
            store(dev, 4096 * 255 + 5, new byte[] {9}); // the last page
            dev.badBlocks().orElseThrow().set(0, 8); // page 0 poisoned
            String found = DataGuard.inspect(dev).orElseThrow();
            assertTrue(found.contains("byte " + (4096 * 255 + 5)), found);
            dev.badBlocks().orElseThrow().set(255 * 8, 8);
            assertEquals(Optional.empty(), DataGuard.inspect(dev), "nothing readable is non-zero");
        }
    }
}
