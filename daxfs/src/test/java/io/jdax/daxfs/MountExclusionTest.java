package io.jdax.daxfs;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jdax.daxfs.Fixture.BLOCK;
import static io.jdax.daxfs.Fixture.random;
import static io.jdax.daxfs.Fixture.read;
import static io.jdax.daxfs.Fixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One filesystem, one mount: whatever name reaches the image (a symbolic link, a hard link), in
 * this JVM or another, and a device closed under its mount lets the mount go.
 */
class MountExclusionTest {

    @Test
    void aSymlinkOrAHardLinkToAMountedImageIsEbusy() throws Exception {
        DaxDevice dev = Fixture.formatted("linked", 2 << 20);
        Path image = Path.of(dev.spec().path());
        Path symlink = Files.createSymbolicLink(Fixture.newImage("symlink"), image);
        Path hardLink = Files.createLink(Fixture.newImage("hardlink"), image);
        try (DaxFs fs = DaxFs.mount(dev)) {
            fs.create("through-the-image");
            for (Path other : List.of(symlink, hardLink)) {
                try (DaxDevice second = open(other)) {
                    DaxException e = assertThrows(DaxException.class, () -> DaxFs.mount(second), other.toString());
                    assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
                    assertTrue(e.getMessage().contains("already mounted"), e.getMessage());
                    assertEquals(Errno.EBUSY, assertThrows(DaxException.class, () -> Fsck.check(second)).errno());
                }
            }
        }
        try (DaxDevice second = open(hardLink); DaxFs fs = DaxFs.mount(second)) { // unmounted: any name mounts
            assertEquals(List.of("through-the-image"), fs.list());
        }
        dev.close();
        Files.delete(symlink);
        Files.delete(hardLink);
        Fixture.delete(dev);
    }

    @Test
    void anotherJvmCannotMountWhatThisOneHasMounted() throws Exception {
        DaxDevice dev = Fixture.formatted("two-jvms", 2 << 20);
        Path symlink = Files.createSymbolicLink(Fixture.newImage("two-jvms-link"), Path.of(dev.spec().path()));
        try (DaxFs fs = DaxFs.mount(dev)) {
            fs.create("mine");
            String child = otherJvm("pmem:" + symlink);
            assertTrue(child.contains("DaxException EBUSY"), child);
        }
        String child = otherJvm("pmem:" + symlink);
        assertTrue(child.contains("mounted 1 files"), "unmounted here, it mounts there: " + child);
        dev.close();
        Files.delete(symlink);
        Fixture.delete(dev);
    }

    @Test
    void closingTheDeviceWithoutUnmountShutsTheFilesystemDownAndLetsTheMountGo() {
        DaxDevice dev = Fixture.formatted("closed-mounted", 2 << 20);
        byte[] data = random(23, 2 * BLOCK);
        DaxFs fs = DaxFs.mount(dev);
        DaxFile f = fs.create("f");
        write(f, 0, data);
        f.fsync();
        dev.close();
        for (Runnable r : List.<Runnable>of(() -> read(f), () -> fs.create("g"), fs::list, f::fsync)) {
            DaxException e = assertThrows(DaxException.class, r::run);
            assertEquals(Errno.EIO, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("closed"), "says why: " + e.getMessage());
        }
        DaxDevice again = Fixture.reopen(dev); // no unmount: the close let the mount go
        try (DaxFs fs2 = DaxFs.mount(again)) {
            assertArrayEquals(data, read(fs2.open("f")), "what was fsynced before the close is there");
            fs.unmount(); // the old filesystem's unmount leaves the new mount alone
            try (DaxDevice third = Fixture.reopen(dev)) {
                assertEquals(Errno.EBUSY, assertThrows(DaxException.class, () -> DaxFs.mount(third)).errno());
            }
        }
        assertTrue(Fsck.check(again).clean());
        again.close();
        Fixture.delete(dev);
    }

    private static DaxDevice open(Path path) {
        return DaxDevices.open("pmem:" + path, new PortableArch());
    }

    /** What {@link MountChild} printed, run in a child JVM on the test class path. */
    private static String otherJvm(String spec) throws Exception {
        Path out = Files.createTempFile(Fixture.scratch(), "child-", ".txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                MountChild.class.getName(), spec));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("child JVM still running after 120 s: " + Files.readString(out));
        }
        String said = Files.readString(out);
        assertEquals(0, p.exitValue(), said);
        return said;
    }
}
