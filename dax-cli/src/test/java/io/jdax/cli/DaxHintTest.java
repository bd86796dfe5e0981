package io.jdax.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaxHintTest {

    @Test
    void aMachineWithDaxIsToldHowToMeasureItAndNothingIsOpened(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/mounts"), "/dev/pmem0 /mnt/pmem ext4 rw,relatime,dax=always 0 0\n");
        Files.createDirectories(root.resolve("dev"));
        Files.createFile(root.resolve("dev/dax0.0"));
        Files.createFile(root.resolve("dev/pmem0"));
        String hint = DaxHint.describe(new PlatformInfo(root));
        assertTrue(hint.startsWith("this machine has /dev/dax0.0 (device DAX), /dev/pmem0 (pmem block device"), hint);
        assertTrue(hint.contains("/mnt/pmem (DAX mount); not touched: measure it with --device pmem:/dev/dax0.0 "
                + "--destroy-data or --device 'pmem:/mnt/pmem/jdax-bench.pmem?size=1G&create=true' (overwritten)"), hint);
        assertEquals(0, Files.size(root.resolve("dev/dax0.0")), "only listed, never written");
    }

    @Test
    void aMachineWithoutSaysSo(@TempDir Path root) {
        assertTrue(DaxHint.describe(new PlatformInfo(root)).startsWith("no DAX device or mount on this machine"));
    }
}
