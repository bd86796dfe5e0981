package io.jdax.daxfs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** Little-endian fields of on-media structures, and their CRC32C. */
final class Bytes {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] ZERO4 = new byte[4];

    private Bytes() {
    }

    static long getLong(byte[] b, int off) {
        return (long) LONG.get(b, off);
    }

    static void putLong(byte[] b, int off, long v) {
        LONG.set(b, off, v);
    }

    static int getInt(byte[] b, int off) {
        return (int) INT.get(b, off);
    }

    static void putInt(byte[] b, int off, int v) {
        INT.set(b, off, v);
    }

    static int getShort(byte[] b, int off) {
        return Short.toUnsignedInt((short) SHORT.get(b, off));
    }

    static void putShort(byte[] b, int off, int v) {
        SHORT.set(b, off, (short) v);
    }

    /**
     * The CRC32C of {@code [off, off + len)} of {@code b}, the 4 bytes at {@code crcOff} (inside
     * the range) taken as zeros: how every structure checksums itself with its CRC field inside.
     */
    static int crc(byte[] b, int off, int len, int crcOff) {
        CRC32C c = new CRC32C();
        c.update(b, off, crcOff - off);
        c.update(ZERO4, 0, 4);
        c.update(b, crcOff + 4, off + len - crcOff - 4);
        return (int) c.getValue();
    }

    /** Writes the CRC of {@code [off, off + len)} into its field at {@code crcOff}. */
    static void seal(byte[] b, int off, int len, int crcOff) {
        putInt(b, crcOff, crc(b, off, len, crcOff));
    }

    /** Whether the CRC field at {@code crcOff} matches {@code [off, off + len)}. */
    static boolean sealed(byte[] b, int off, int len, int crcOff) {
        return getInt(b, crcOff) == crc(b, off, len, crcOff);
    }

    /** Whether {@code [off, off + len)} of {@code b} is all zeros. */
    static boolean isZero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** An 8-character ASCII magic as the little-endian long stored at offset 0. */
    static long magic8(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length != 8) {
            throw new IllegalArgumentException(s);
        }
        return getLong(b, 0);
    }

    /** A 4-character ASCII magic as the little-endian int stored at offset 0. */
    static int magic4(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length != 4) {
            throw new IllegalArgumentException(s);
        }
        return getInt(b, 0);
    }
}
