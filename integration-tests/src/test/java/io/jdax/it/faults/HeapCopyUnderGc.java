package io.jdax.it.faults;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child JVM of {@code HeapCopyGcPauseIT}: a 256 MiB {@code byte[]} copied durably
 * ({@link Arch#copyFlushcache}) into native memory, over and over, while another thread
 * allocates hard. native-x86 hands a heap source to C one chunk (1 MiB) at a time, in critical
 * downcalls the GC must wait for; so a safepoint should never wait for much more than one
 * chunk's copy. The JVM runs with {@code -Xlog:safepoint} and {@code -Xlog:gc}; the test reads
 * the logs. This prints the figures to compare them with:
 * {@code CHUNK_NS median=.. p99=.. max=..} (one 1 MiB chunk, the same call),
 * {@code WHOLE_NS min=.. median=..} (one whole 256 MiB copy: what a safepoint would wait for
 * without chunks), {@code COPIES n=..}, {@code ALLOCATED bytes=..}.
 * <p>
 * {@code HeapCopyUnderGc SECONDS}
 */
public final class HeapCopyUnderGc {
    static final int SIZE = 256 << 20;
    static final int CHUNK = 1 << 20;

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        Arch arch = Archs.current();
        System.out.println("ARCH " + arch.name() + " heap=" + arch.features().getOrDefault("heap sources", "-"));
        byte[] src = new byte[SIZE];
        for (int i = 0; i < SIZE; i += 4096) {
            src[i] = (byte) (i >>> 12);
        }
        MemorySegment heap = MemorySegment.ofArray(src);
        MemorySegment dst = Arena.ofShared().allocate(SIZE, 4096);
        dst.fill((byte) 0); // every page backed before anything is timed

        arch.copyFlushcache(heap, 0, dst, 0, SIZE); // warm up: compiled, every page touched
        arch.copyFlushcache(heap, 0, dst, 0, SIZE);
        long[] chunk = new long[512];
        for (int i = 0; i < chunk.length; i++) {
            long off = (long) (i % (SIZE / CHUNK)) * CHUNK;
            long t0 = System.nanoTime();
            arch.copyFlushcache(heap, off, dst, off, CHUNK);
            chunk[i] = System.nanoTime() - t0;
        }
        Arrays.sort(chunk);
        long[] whole = new long[5];
        for (int i = 0; i < whole.length; i++) {
            long t0 = System.nanoTime();
            arch.copyFlushcache(heap, 0, dst, 0, SIZE);
            whole[i] = System.nanoTime() - t0;
        }
        Arrays.sort(whole);
        System.out.println("CHUNK_NS median=" + chunk[chunk.length / 2] + " p99=" + chunk[chunk.length * 99 / 100]
                + " max=" + chunk[chunk.length - 1]);
        System.out.println("WHOLE_NS min=" + whole[0] + " median=" + whole[whole.length / 2]);
        System.out.println("LOAD_START");
        System.out.flush();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong allocated = new AtomicLong();
        Thread allocator = Thread.ofPlatform().name("allocator").start(() -> {
            byte[][] keep = new byte[512][]; // 32 MiB live at any time: young collections copy something
            long n = 0;
            for (int i = 0; !stop.get(); i++) {
                keep[i & 511] = new byte[64 * 1024];
                n += 64 * 1024;
            }
            allocated.set(n);
        });
        long copies = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            arch.copyFlushcache(heap, 0, dst, 0, SIZE);
            copies++;
        }
        stop.set(true);
        allocator.join();
        System.out.println("LOAD_END");
        for (int i = 0; i < SIZE; i += 4096) { // the copies were right
            if (dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != (byte) (i >>> 12)) {
                System.out.println("WRONG byte " + i);
                System.exit(1);
            }
        }
        System.out.println("COPIES n=" + copies);
        System.out.println("ALLOCATED bytes=" + allocated.get());
        System.out.println("SURVIVED");
        System.out.flush();
        System.exit(0);
    }
}
