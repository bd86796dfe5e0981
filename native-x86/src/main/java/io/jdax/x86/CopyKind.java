package io.jdax.x86;

import java.util.Locale;

/** The non-temporal copy loops, in order of preference; codes match {@code jdax_x86.h}. */
public enum CopyKind {
    /** 8-byte {@code movnti} only. */
    MOVNTI(1),
    /** 16-byte {@code movntdq} (SSE2). */
    SSE2(2),
    /** 32-byte {@code vmovntdq} (AVX2). */
    AVX2(3),
    /** 64-byte {@code vmovntdq} on zmm registers (AVX-512F). */
    AVX512(4);

    final int code;

    CopyKind(int code) {
        this.code = code;
    }

    /** The loop's name, lower case, as the properties take it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static CopyKind ofCode(int code) {
        for (CopyKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalStateException("unknown copy kind code " + code);
    }
}
