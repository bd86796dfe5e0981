package io.jdax.x86;

import java.util.Locale;

/** The cache write-back instructions, in order of preference; codes match {@code jdax_x86.h}. */
public enum FlushKind {
    /** {@code clflush}: writes back and evicts, serialised. Every x86-64 has it. */
    CLFLUSH(1),
    /** {@code clflushopt}: writes back and evicts, unordered (the fence orders it). */
    CLFLUSHOPT(2),
    /** {@code clwb}: writes back and may keep the line cached. */
    CLWB(3);

    final int code;

    FlushKind(int code) {
        this.code = code;
    }

    /** The instruction's name, lower case. */
    public String instruction() {
        return name().toLowerCase(Locale.ROOT);
    }

    static FlushKind ofCode(int code) {
        for (FlushKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalStateException("unknown flush kind code " + code);
    }
}
