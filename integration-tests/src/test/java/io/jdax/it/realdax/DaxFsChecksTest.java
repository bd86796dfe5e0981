package io.jdax.it.realdax;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.daxfs.DaxFs;
import io.jdax.fsdax.Iomap;
import io.jdax.testkit.DeviceIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest's daxfs check, on an emulated pmem file here: it passes on an intact filesystem and
 * fails, naming the file, when a byte or a file differs from what was made.
 */
class DaxFsChecksTest {
    @TempDir
    Path dir;

    @Test
    void aPopulatedFilesystemVerifiesInANewMappingAndTheManifestSurvivesItsFile() throws IOException {
        DaxFsChecks.Manifest made;
        try (DaxDevice d = open(true); Report report = new Report(dir.resolve("results.txt"), "test")) {
            made = DaxFsChecks.populate(d, report);
        }
        assertEquals(List.of("kvec", "replaced", "sparse", "user-unaligned"),
                List.copyOf(made.files().keySet()), "the deleted file and the replacement's old name are gone");
        Path file = dir.resolve("manifest");
        made.save(file);
        DaxFsChecks.Manifest loaded = DaxFsChecks.Manifest.load(file);
        assertEquals(made, loaded);
        try (DaxDevice d = open(false)) {
            DaxFsChecks.verify(d, loaded, "after reopen"); // throws if anything differs
        }
    }

    @Test
    void aChangedDataByteFailsNamingTheFile() throws IOException {
        DaxFsChecks.Manifest made = populate();
        try (DaxDevice d = open(false)) {
            DaxFs fs = DaxFs.mount(d);
            long addr = fs.open("kvec").fiemap().stream().filter(e -> e instanceof Iomap.Mapped)
                    .map(e -> (Iomap.Mapped) e).findFirst().orElseThrow().addr();
            fs.unmount();
            byte[] b = DeviceIo.read(d, addr + 123, 1);
            b[0] ^= 1;
            DeviceIo.write(d, addr + 123, b);
            AssertionError e = assertThrows(AssertionError.class, () -> DaxFsChecks.verify(d, made, "now"));
            assertTrue(e.getMessage().contains("kvec") && e.getMessage().contains("other bytes"), e.getMessage());
        }
    }

    @Test
    void aFileTheManifestDoesNotNameFails() throws IOException {
        DaxFsChecks.Manifest made = populate();
        TreeMap<String, DaxFsChecks.Manifest.Entry> fewer = new TreeMap<>(made.files());
        fewer.remove("sparse");
        try (DaxDevice d = open(false)) {
            AssertionError e = assertThrows(AssertionError.class,
                    () -> DaxFsChecks.verify(d, new DaxFsChecks.Manifest(fewer), "now"));
            assertTrue(e.getMessage().contains("lists"), e.getMessage());
        }
    }

    private DaxFsChecks.Manifest populate() throws IOException {
        try (DaxDevice d = open(true); Report report = new Report(dir.resolve("results.txt"), "test")) {
            return DaxFsChecks.populate(d, report);
        }
    }

    private DaxDevice open(boolean create) {
        return DaxDevices.open("pmem:" + dir.resolve("daxfs.img") + "?size=32M&mode=emulated"
                + (create ? "&create=true" : ""));
    }
}
