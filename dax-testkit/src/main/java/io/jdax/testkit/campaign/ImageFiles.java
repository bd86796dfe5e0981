package io.jdax.testkit.campaign;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/** The files of a campaign: a private scratch directory, images created 0600. */
final class ImageFiles {
    private static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIR_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private ImageFiles() {
    }

    /** Where scratch goes by default: /dev/shm when usable (no disk I/O), else java.io.tmpdir. */
    static Path defaultScratch() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    static Path createDirectory(Path parent) {
        try {
            return Files.createTempDirectory(parent, "jdax-crash-", DIR_0700);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot create a scratch directory in " + parent + ": " + e, e);
        }
    }

    /** A sparse file of {@code size} zeros. */
    static void createZeros(Path file, long size) {
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                FILE_0600)) {
            ch.write(ByteBuffer.allocate(1), size - 1);
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot create image " + file + ": " + e, e);
        }
    }

    /** A new file holding {@code bytes}. */
    static void write(Path file, byte[] bytes) {
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                FILE_0600)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot write image " + file + ": " + e, e);
        }
    }

    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // scratch: the directory's removal tries again
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(ImageFiles::deleteQuietly);
        } catch (IOException e) {
            // best effort: it lives in a temporary directory
        }
    }
}
