package io.jdax.it.faults;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Child JVM of {@code JvmSignalSettingsIT}: how jdax's SIGBUS handler lives beside HotSpot's.
 * <ul>
 *   <li>{@code truncate DIR}: the truncation scenario of {@link TruncatedWhileWriting} through
 *       pmem's {@code copyFromIter}; exit 0 if it became DaxExceptions.</li>
 *   <li>{@code jdk-access DIR}: with the Arch loaded, a file mapped by the JDK
 *       ({@link FileChannel#map}) and cut by {@code truncate}, then read and written through
 *       {@link MemorySegment} accesses: each must fail with the JDK's InternalError (its own
 *       SIGBUS handling), which proves a SIGBUS jdax does not own reaches the JVM's handler.
 *       Exit 0 if every access did.</li>
 *   <li>{@code wait}: prints {@code READY}, then sleeps (the test sends a signal).</li>
 * </ul>
 * Every mode first prints {@code ARCH name} and {@code FAULTS what native-x86 says of its handler}.
 */
public final class SignalNeighbours {
    public static final int ROUNDS = 20_000;
    /** Where loads go, so the JIT cannot drop them. */
    static volatile long sink;

    public static void main(String[] args) throws Exception {
        Arch arch = Archs.current();
        System.out.println("ARCH " + arch.name());
        System.out.println("FAULTS " + arch.features().getOrDefault("faults", "-"));
        System.out.flush();
        int rc = switch (args[0]) {
            case "truncate" -> {
                var o = TruncatedWhileWriting.run(Path.of(args[1]), "pmem.copyFromIter.USER",
                        TruncatedWhileWriting.SCENARIOS.get("pmem.copyFromIter.USER"));
                System.out.println(o.line());
                o.others().forEach(t -> t.printStackTrace(System.out));
                yield o.ok() ? 0 : 1;
            }
            case "jdk-access" -> jdkAccess(Path.of(args[1]));
            case "wait" -> {
                System.out.println("READY " + ProcessHandle.current().pid());
                System.out.flush();
                Thread.sleep(30_000);
                yield 3;
            }
            default -> throw new IllegalArgumentException(args[0]);
        };
        System.out.println("SURVIVED");
        System.out.flush();
        System.exit(rc);
    }

    /** A JDK mapping cut by another process: every access past the cut is the JDK's InternalError. */
    static int jdkAccess(Path dir) throws IOException, InterruptedException {
        Path file = dir.resolve("jdax-jdk-access-" + ProcessHandle.current().pid() + ".img");
        long size = 1 << 20;
        Map<String, String> seen = new TreeMap<>();
        boolean ok = true;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            seg.fill((byte) 1); // every page backed, then cut away
            Process cut = new ProcessBuilder("truncate", "-s", "4096", file.toString()).inheritIO().start();
            if (cut.waitFor() != 0) {
                throw new IOException("truncate failed");
            }
            byte[] heap = new byte[64 * 1024];
            // Many rounds, so the accesses also run compiled (C1, C2), where HotSpot finds them differently.
            ok &= expectInternalError(seen, "MemorySegment.get", ROUNDS,
                    i -> sink += seg.get(ValueLayout.JAVA_BYTE, 8192 + (i * 4096L) % (size - 8192)));
            ok &= expectInternalError(seen, "MemorySegment.set", ROUNDS,
                    i -> seg.set(ValueLayout.JAVA_LONG, 8192 + (i * 4096L) % (size - 8192), i));
            ok &= expectInternalError(seen, "MemorySegment.copy to heap", ROUNDS,
                    i -> MemorySegment.copy(seg, 8192, MemorySegment.ofArray(heap), 0, heap.length));
            ok &= expectInternalError(seen, "MemorySegment.copy from heap", ROUNDS,
                    i -> MemorySegment.copy(MemorySegment.ofArray(heap), 0, seg, 65536, heap.length));
            // The page before the cut still works.
            seg.set(ValueLayout.JAVA_BYTE, 100, (byte) 7);
            ok &= seg.get(ValueLayout.JAVA_BYTE, 100) == 7;
        } finally {
            Files.deleteIfExists(file);
        }
        seen.forEach((k, v) -> System.out.println("JDKACCESS " + k + ": " + v));
        return ok ? 0 : 1;
    }

    interface Access {
        void run(int i);
    }

    private static boolean expectInternalError(Map<String, String> seen, String what, int rounds, Access a) {
        int internal = 0;
        String other = null;
        String message = null;
        for (int i = 0; i < rounds; i++) {
            try {
                a.run(i);
                other = "no error";
            } catch (InternalError e) {
                internal++;
                message = e.getMessage();
            } catch (Throwable t) {
                other = t.toString();
            }
        }
        seen.put(what, internal + "/" + rounds + " InternalError (" + message + ")" + (other == null ? "" : "; also " + other));
        return internal == rounds;
    }
}
