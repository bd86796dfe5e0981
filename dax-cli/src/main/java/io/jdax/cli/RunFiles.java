package io.jdax.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The directories and files one command run makes (C8): every directory is made when the command
 * starts, atomically ({@code mkdir}: an existing one, or a symlink someone planted, is an error,
 * never reused), 0700; every file is new ({@code O_CREAT|O_EXCL}, never through a symlink), 0600.
 * <p>
 * Scratch directories go with everything in them when the run ends, and an output directory goes
 * if nothing was written into it. A shutdown hook does the same when the JVM exits first (SIGINT,
 * SIGTERM, SIGHUP); only SIGKILL leaves them behind.
 */
final class RunFiles implements AutoCloseable {
    static final FileAttribute<Set<PosixFilePermission>> DIR_0700 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final String command;
    private final List<Path> scratch = new ArrayList<>();
    private final List<Path> outputs = new ArrayList<>();
    private final Thread hook;
    private boolean closed;

    /** For {@code command} ("jdax crashtest"), named in what the shutdown hook prints. */
    RunFiles(String command) {
        this.command = command;
        this.hook = new Thread(this::interrupted, command.replace(' ', '-') + "-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * A new private scratch directory in {@code parent}: {@code prefix} and a random suffix, made
     * atomically, removed with its contents when the run ends.
     */
    synchronized Path scratch(Path parent, String prefix) throws IOException {
        Path dir = Files.createTempDirectory(parent, prefix, DIR_0700);
        scratch.add(dir);
        return dir;
    }

    /**
     * Makes {@code dir} (0700), failing with {@link java.nio.file.FileAlreadyExistsException} if
     * anything is there already; removed when the run ends if it is still empty.
     */
    synchronized Path output(Path dir) throws IOException {
        Path made = Files.createDirectory(dir, DIR_0700);
        outputs.add(made);
        return made;
    }

    /** Writes a new file (0600): an existing one, or a symlink in its place, is an error. */
    static void writeNew(Path file, String text) {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        try (SeekableByteChannel ch = Files.newByteChannel(file, options, FILE_0600)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /** Removes what the run made (scratch, and empty outputs). */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        removeAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs and finds nothing left
        }
    }

    /** The shutdown hook: the JVM exits while the command still runs. */
    private void interrupted() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<Path> removed = removeAll();
        if (!removed.isEmpty()) {
            PrintStream err = System.err;
            err.println(command + ": stopped before the end; removed " + String.join(", ",
                    removed.stream().map(Path::toString).toList()));
            err.flush();
        }
    }

    private List<Path> removeAll() {
        List<Path> removed = new ArrayList<>();
        List<Path> trees;
        List<Path> outs;
        synchronized (this) {
            trees = List.copyOf(scratch);
            outs = List.copyOf(outputs);
        }
        for (Path dir : trees) {
            if (deleteTree(dir)) {
                removed.add(dir);
            }
        }
        for (Path dir : outs) {
            try {
                if (Files.deleteIfExists(dir)) {
                    removed.add(dir);
                }
            } catch (IOException e) {
                // not empty: results were written, they stay
            }
        }
        return removed;
    }

    /**
     * Removes {@code dir} and everything in it; true if it is gone. The command may still be
     * adding files while a shutdown hook runs, so the walk is repeated until the directory itself
     * goes: nothing new can be made in it after that.
     */
    static boolean deleteTree(Path dir) {
        for (int attempt = 0; attempt < 100 && Files.exists(dir, LinkOption.NOFOLLOW_LINKS); attempt++) {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        // a directory that gained an entry meanwhile: the next walk takes it
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                // an entry went while walked: walk again
            }
        }
        return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
    }

    /** "it exists already" rather than the JDK's bare path. */
    static String describe(IOException e) {
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "it exists already (jdax writes only new files)";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.toString();
    }
}
