package io.jdax.dax;

import java.util.Locale;

/**
 * Byte sizes as people write them: {@code 4096}, {@code 64K}, {@code 64M}, {@code 1G},
 * {@code 2TiB}. Units are powers of 1024 (K, M, G, T, P, E), case-insensitive, optionally
 * followed by {@code B} or {@code iB}.
 */
public final class Sizes {
    private static final String UNITS = "KMGTPE";

    private Sizes() {
    }

    /**
     * Parses a size.
     *
     * @throws DaxException EINVAL naming the text and what is wrong with it
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new DaxException(Errno.EINVAL, "empty size: give bytes or a number with a unit, e.g. 64M");
        }
        String s = text.strip();
        int digits = 0;
        while (digits < s.length() && Character.isDigit(s.charAt(digits))) {
            digits++;
        }
        if (digits == 0) {
            String why = s.startsWith("-") ? "sizes cannot be negative" : "it does not start with a number";
            throw new DaxException(Errno.EINVAL, "bad size '" + text + "': " + why);
        }
        long value;
        try {
            value = Long.parseLong(s.substring(0, digits));
        } catch (NumberFormatException e) {
            throw new DaxException(Errno.EINVAL, "bad size '" + text + "': the number is too large");
        }
        String unit = s.substring(digits).strip().toUpperCase(Locale.ROOT);
        if (unit.endsWith("IB")) {
            unit = unit.substring(0, unit.length() - 2);
        } else if (unit.endsWith("B")) {
            unit = unit.substring(0, unit.length() - 1);
        }
        if (unit.isEmpty()) {
            return value;
        }
        int power = unit.length() == 1 ? UNITS.indexOf(unit.charAt(0)) + 1 : 0;
        if (power == 0) {
            throw new DaxException(Errno.EINVAL,
                    "bad size '" + text + "': unknown unit '" + s.substring(digits) + "' (use K, M, G, T, P or E)");
        }
        int shift = 10 * power;
        if (value > (Long.MAX_VALUE >>> shift)) {
            throw new DaxException(Errno.EINVAL, "bad size '" + text + "': larger than " + Long.MAX_VALUE + " bytes");
        }
        return value << shift;
    }

    /** Formats a byte count the short way people read it: {@code 64 MiB}, {@code 4097 B}. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int power = 0;
        long v = bytes;
        while (v % 1024 == 0 && v >= 1024 && power < UNITS.length()) {
            v /= 1024;
            power++;
        }
        if (power == 0) {
            return bytes + " B";
        }
        return v + " " + UNITS.charAt(power - 1) + "iB";
    }
}
