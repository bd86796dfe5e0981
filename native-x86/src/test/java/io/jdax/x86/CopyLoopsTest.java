package io.jdax.x86;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every copy loop the CPU supports, forced one at a time, with every flush instruction: byte-exact
 * copies for every destination and source alignment 0..63 and size 0..300, plus larger sizes,
 * with guard bytes around the destination proved untouched.
 */
class CopyLoopsTest {
    private static final int GUARD = 64;
    private static final byte GUARD_BYTE = (byte) 0x5C;
    private final NativeArch arch = NativeArchProvider.instance();

    @AfterEach
    void restoreDefaults() {
        assertEquals(0, NativeArch.configure(null, null, -1, 0));
    }

    private static List<CopyKind> loops() {
        List<CopyKind> out = new ArrayList<>();
        for (CopyKind k : CopyKind.values()) {
            if (NativeArch.supports(k)) {
                out.add(k);
            }
        }
        return out;
    }

    private static List<FlushKind> flushes() {
        List<FlushKind> out = new ArrayList<>();
        for (FlushKind k : FlushKind.values()) {
            if (NativeArch.supports(k)) {
                out.add(k);
            }
        }
        return out;
    }

    @Test
    void thisCpuRunsAtLeastSse2AndClflush() {
        assertTrue(loops().contains(CopyKind.SSE2) && loops().contains(CopyKind.MOVNTI), loops().toString());
        assertTrue(flushes().contains(FlushKind.CLFLUSH), flushes().toString());
    }

    @Test
    void everyLoopAndFlushCopiesByteExactAtEveryAlignment() {
        int[] big = {4095, 4096, 4097, 65536 + 13, (1 << 20) + 7};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate((1 << 20) + 256, 64);
            MemorySegment dst = arena.allocate(GUARD + 64 + (1 << 20) + 256 + GUARD, 64);
            byte[] data = new byte[(int) src.byteSize()];
            new Random(7).nextBytes(data);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, src, 0, data.length);
            for (CopyKind loop : loops()) {
                for (FlushKind flush : flushes()) {
                    assertEquals(0, NativeArch.configure(flush, loop, -1, 0));
                    assertEquals(loop, arch.copyKind());
                    assertEquals(flush, arch.flushKind());
                    for (int sa = 0; sa < 64; sa++) {
                        for (int da = 0; da < 64; da++) {
                            for (int n = 0; n <= 300; n++) {
                                check(loop + "/" + flush, src, dst, sa, da, n, (sa + da + n) % 2 == 0);
                            }
                        }
                    }
                    for (int n : big) {
                        check(loop + "/" + flush, src, dst, 3, 61, n, true);
                        check(loop + "/" + flush, src, dst, 0, 0, n, false);
                    }
                }
            }
        }
    }

    private void check(String what, MemorySegment src, MemorySegment dst, int sa, int da, int n, boolean flushcache) {
        long window = GUARD + da + n + GUARD;
        MemorySegment area = dst.asSlice(0, window);
        area.fill(GUARD_BYTE);
        if (flushcache) {
            arch.copyFlushcache(src, sa, dst, GUARD + da, n);
        } else {
            arch.copyNocache(src, sa, dst, GUARD + da, n);
        }
        long bad = MemorySegment.mismatch(src, sa, sa + n, dst, GUARD + da, GUARD + da + n);
        if (bad != -1) {
            throw new AssertionError(what + (flushcache ? " flushcache" : " nocache") + ": byte " + bad
                    + " wrong (src align " + sa + ", dst align " + da + ", n " + n + ")");
        }
        for (long i = 0; i < GUARD + da; i++) {
            if (area.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                throw new AssertionError(what + ": guard before dst clobbered at " + i + " (n " + n + ")");
            }
        }
        for (long i = GUARD + da + n; i < window; i++) {
            if (area.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != GUARD_BYTE) {
                throw new AssertionError(what + ": guard after dst clobbered at +" + (i - GUARD - da - n)
                        + " (src align " + sa + ", dst align " + da + ", n " + n + ")");
            }
        }
    }

    @Test
    void aLoopTheCpuCannotRunIsRefusedAndChangesNothing() {
        CopyKind before = arch.copyKind();
        for (CopyKind k : CopyKind.values()) {
            if (!NativeArch.supports(k)) {
                assertEquals(X86Native.ENOTSUP, NativeArch.configure(null, k, -1, 0));
                assertEquals(before, arch.copyKind());
            }
        }
        assertEquals(X86Native.EINVAL, NativeArch.configure(null, null, -1, 12));
        assertEquals(X86Native.EINVAL, NativeArch.configure(null, null, (1 << 20) + 1, 0));
        assertEquals(before, arch.copyKind());
    }
}
