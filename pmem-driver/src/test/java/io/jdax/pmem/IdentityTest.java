package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxHolder;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What memory a pmem device is, whatever name opened it, and its claim against other opens. */
class IdentityTest {
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    @Test
    void aFileItsSymlinkAndItsHardLinkAreOneIdentityAnotherFileIsNot() throws Exception {
        PmemDevice file = fx.open(fx.spec("a.img", "size=1M&create=true"), new PortableArch());
        Path image = fx.dir.resolve("a.img");
        Path symlink = Files.createSymbolicLink(fx.dir.resolve("symlink.img"), image);
        Path hardLink = Files.createLink(fx.dir.resolve("hardlink.img"), image);
        String id = file.identity().orElseThrow();
        long ino = (Long) Files.getAttribute(image, "unix:ino");
        assertTrue(id.startsWith("inode ") && id.endsWith(" " + ino), id);
        for (Path other : new Path[] {symlink, hardLink}) {
            assertEquals(id, fx.open("pmem:" + other, new PortableArch()).identity().orElseThrow(), other.toString());
        }
        PmemDevice another = fx.open(fx.spec("b.img", "size=1M&create=true"), new PortableArch());
        assertNotEquals(id, another.identity().orElseThrow());
    }

    @Test
    void aCharacterDeviceIsItsDeviceNumber() throws Exception {
        Path devNull = Path.of("/dev/null");
        DeviceFile opened = DeviceFile.open(devNull);
        try {
            assertEquals("chr 1:3", opened.identity());
            assertEquals("chr 1:3", DeviceFile.identity(Files.createSymbolicLink(fx.dir.resolve("null"), devNull)));
        } finally {
            opened.close();
        }
    }

    @Test
    void aClaimKeepsOtherOpensOutUntilGivenBackOrTheDeviceCloses() throws Exception {
        PmemDevice first = fx.open(fx.spec("claimed.img", "size=1M&create=true"), new PortableArch());
        Path link = Files.createSymbolicLink(fx.dir.resolve("claimed-link.img"), fx.dir.resolve("claimed.img"));
        PmemDevice second = fx.open("pmem:" + link, new PortableArch());
        assertTrue(first.hasClaimExclusive());
        DaxHolder hold = first.hold("test", d -> { });
        DaxException e = assertThrows(DaxException.class, () -> second.hold("test 2", d -> { }));
        assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains("claimed by another open"), e.getMessage());
        // An fcntl lock (FileChannel.tryLock) would be gone now: closing any descriptor of the file drops it.
        try (FileChannel ch = FileChannel.open(link, StandardOpenOption.READ)) {
            ch.size();
        }
        fx.open("pmem:" + link, new PortableArch()).close();
        first.deepFlush(); // fdatasync: opens and closes the file
        assertEquals(Errno.EBUSY, assertThrows(DaxException.class, () -> second.hold("test 2", d -> { })).errno());
        hold.close();
        assertFalse(hold.isHeld());
        DaxHolder again = second.hold("test 2", d -> { });
        second.close(); // closing the device ends its hold and its claim
        assertFalse(again.isHeld());
        first.hold("test 3", d -> { }).close();
    }

    @Test
    void theHolderHearsOfTheCloseFirstWhileTheDeviceStillWorks() {
        PmemDevice d = fx.open(fx.spec("told.img", "size=1M&create=true"), new PortableArch());
        boolean[] told = new boolean[2];
        DaxHolder hold = d.hold("test", dev -> {
            told[0] = true;
            told[1] = dev.isAlive();
        });
        assertEquals(Errno.EBUSY, assertThrows(DaxException.class, () -> d.hold("another", x -> { })).errno());
        d.close();
        assertTrue(told[0] && told[1], "told, before the device died");
        assertFalse(hold.isHeld());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, () -> d.hold("late", x -> { })).errno());
    }
}
