package io.jdax.pmem;

import io.jdax.arch.PortableArch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.uio.IovIter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device DAX without the hardware: sysfs from a fake tree, the FFM mmap path over a regular file. */
class DevDaxTest {
    private static final long MIB = 1L << 20;
    private final Fixture fx = new Fixture();

    @AfterEach
    void cleanup() {
        fx.close();
    }

    @Test
    void theWholeDeviceIsMappedSharedAtItsAlignment() throws IOException {
        Path file = fx.devDax("dax0.0", 8 * MIB, 2 * MIB, 0, 0, null);
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        assertEquals("dax0.0", d.name());
        assertEquals(8 * MIB, d.size());
        assertEquals(2 * MIB, d.alignment());
        assertEquals(PersistenceMode.CPU_CACHE, d.persistence());
        assertTrue(d.persistenceReason().startsWith("device DAX: stores are durable once written back by model"),
                d.persistenceReason());
        MemorySegment all = d.directAccess(0, Long.MAX_VALUE, DaxAccessMode.WRITE).addr();
        assertEquals(8 * MIB, all.byteSize());
        assertEquals(0, all.address() % (2 * MIB), "mapped at the device's alignment");

        byte[] data = new byte[3 * 4096 + 17];
        new Random(1).nextBytes(data);
        Iters.write(d, 5 * MIB - 9, IovIter.kvec(IovIter.Direction.SOURCE, data));
        d.flush();
        // MAP_SHARED: the stores are the file's contents.
        byte[] onFile = new byte[data.length];
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ch.read(java.nio.ByteBuffer.wrap(onFile), 5 * MIB - 9);
        }
        assertArrayEquals(data, onFile);
    }

    @Test
    void withoutCacheWriteBackItRefusesUnlessVolatileIsAskedFor() {
        Path file = fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0, 0, null);
        DaxException e = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file, new PortableArch()));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("Arch 'portable' cannot"), e.getMessage());
        assertTrue(e.getMessage().contains("mode=volatile"), e.getMessage());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(DaxException.class,
                () -> fx.openDevDax("pmem:" + file + "?mode=cpu_cache", new PortableArch())).errno());

        PmemDevice v = fx.openDevDax("pmem:" + file + "?mode=volatile", new PortableArch());
        assertEquals(PersistenceMode.VOLATILE, v.persistence());
        assertTrue(v.persistenceReason().contains("no durability promise"), v.persistenceReason());
        Iters.write(v, 0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[] {1, 2, 3}));
        v.flush();
        assertEquals(3, v.directAccess(0, 1, DaxAccessMode.READ).addr().get(ValueLayout.JAVA_BYTE, 2));
    }

    @Test
    void badSpecsAndMismatchesAreClearErrors() throws IOException {
        Path file = fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0, 0, null);
        DaxException page = assertThrows(DaxException.class,
                () -> fx.openDevDax("pmem:" + file + "?mode=page_cache", new ModelArch()));
        assertEquals(Errno.EINVAL, page.errno());
        assertTrue(page.getMessage().contains("no page cache"), page.getMessage());
        DaxException size = assertThrows(DaxException.class,
                () -> fx.openDevDax("pmem:" + file + "?size=8M", new ModelArch()));
        assertTrue(size.getMessage().contains("4 MiB (4194304 bytes)") && size.getMessage().contains("8388608"),
                size.getMessage());
        // A stand-in file shorter than sysfs says would SIGBUS when touched past its end: refused.
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(2 * MIB);
        }
        DaxException shorter = assertThrows(DaxException.class, () -> fx.openDevDax("pmem:" + file, new ModelArch()));
        assertTrue(shorter.getMessage().contains("shorter than the 4194304 bytes"), shorter.getMessage());
        Path other = Files.createFile(fx.dir.resolve("dax7.7"));
        assertEquals(Errno.ENODEV, assertThrows(DaxException.class,
                () -> fx.openDevDax("pmem:" + other, new ModelArch())).errno());
    }

    @Test
    void aCharacterDeviceIsTakenForDeviceDax() {
        // /dev/zero is a character device but no device DAX: the driver asks sysfs and says so.
        DaxException e = assertThrows(DaxException.class, () -> fx.open("pmem:/dev/zero", new ModelArch()));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("no device DAX named zero"), e.getMessage());
        DaxException create = assertThrows(DaxException.class,
                () -> fx.open("pmem:/dev/zero?create=true", new ModelArch()));
        assertTrue(create.getMessage().contains("cannot be created"), create.getMessage());
        DaxException portable = assertThrows(DaxException.class,
                () -> fx.open("pmem:/dev/zero", new PortableArch()));
        assertEquals(Errno.ENODEV, portable.errno(), "what the device is decides what the Arch must do: asked first");
    }

    @Test
    void afterCloseOperationsFailWithEnxioAndOldMemoryFailsCleanly() {
        Path file = fx.devDax("dax0.0", 4 * MIB, 2 * MIB, 0, 0, null);
        PmemDevice d = fx.openDevDax("pmem:" + file, new ModelArch());
        MemorySegment old = d.directAccess(0, 1, DaxAccessMode.WRITE).addr();
        d.close();
        assertFalse(d.isAlive());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class,
                () -> d.directAccess(0, 1, DaxAccessMode.READ)).errno());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, () -> d.flush()).errno());
        assertEquals(Errno.ENXIO, assertThrows(DaxException.class, d::readLock).errno());
        // The unmapped memory is guarded by its closed arena: an exception, not a SIGSEGV.
        assertThrows(IllegalStateException.class, () -> old.get(ValueLayout.JAVA_BYTE, 0));
        d.close(); // twice is fine
    }

    @Test
    void theDriverOpensItThroughTheSpecToo() {
        Path file = fx.devDax("dax2.0", 4 * MIB, 2 * MIB, 0, 0, null);
        PmemDevice d = fx.driver.openDevDax(DeviceSpec.parse("pmem:" + file + "?size=4M&mode=auto"), new ModelArch());
        try {
            assertEquals(4 * MIB, d.size());
        } finally {
            d.close();
        }
    }
}
