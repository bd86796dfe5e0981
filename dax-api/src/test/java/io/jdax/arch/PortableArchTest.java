package io.jdax.arch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The Arch contract for the portable implementation, plus what only it does. */
class PortableArchTest extends io.jdax.arch.contract.ArchContractTest {
    private final Arch arch = new PortableArch();

    @Override
    protected Arch arch() {
        return arch;
    }

    @Test
    void saysItCannotWriteBackCacheLines() {
        assertFalse(arch.hasCacheWriteback());
    }

    @Test
    void writebackOfAMappedSegmentReachesTheFile() throws IOException {
        Path file = Files.createTempFile("jdax-portable", ".img");
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192, arena);
            MemorySegment src = MemorySegment.ofArray("durable".getBytes());
            arch.copyFlushcache(src, 0, m, 4096 + 3, 7);
            assertEquals("durable", new String(Files.readAllBytes(file), 4096 + 3, 7));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
