package io.jdax.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * A small streaming JSON writer for the command's reports: objects, arrays, strings, numbers,
 * booleans, null; two-space indentation. Non-finite numbers are written as null (JSON has none).
 */
final class Json {
    private final StringBuilder out = new StringBuilder();
    private final Deque<boolean[]> first = new ArrayDeque<>(); // per open container: no element yet
    private boolean afterName;

    /** Opens an object (as a value, or after {@link #name}). */
    Json beginObject() {
        value("{");
        first.push(new boolean[] {true});
        return this;
    }

    /** Closes the innermost object. */
    Json endObject() {
        return close('}');
    }

    /** Opens an array. */
    Json beginArray() {
        value("[");
        first.push(new boolean[] {true});
        return this;
    }

    /** Closes the innermost array. */
    Json endArray() {
        return close(']');
    }

    /** The name of the next member of the current object. */
    Json name(String name) {
        separate();
        out.append(quote(name)).append(": ");
        afterName = true;
        return this;
    }

    /** A string member. */
    Json field(String name, String value) {
        return name(name).string(value);
    }

    /** A number member. */
    Json field(String name, double value) {
        return name(name).number(value);
    }

    /** An integer member. */
    Json field(String name, long value) {
        name(name);
        value(Long.toString(value));
        return this;
    }

    /** A boolean member. */
    Json field(String name, boolean value) {
        name(name);
        value(Boolean.toString(value));
        return this;
    }

    /** A string value, or null. */
    Json string(String s) {
        value(s == null ? "null" : quote(s));
        return this;
    }

    /** A number value; NaN and infinities become null. */
    Json number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            value("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            value(Long.toString((long) d));
        } else {
            value(String.format(Locale.ROOT, "%.6g", d).replaceFirst("\\.?0+(e|$)", "$1"));
        }
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private Json close(char c) {
        boolean empty = first.pop()[0];
        if (!empty) {
            newline();
        }
        out.append(c);
        return this;
    }

    private void value(String text) {
        if (afterName) {
            afterName = false;
        } else {
            separate();
        }
        out.append(text);
    }

    private void separate() {
        if (first.isEmpty()) {
            return;
        }
        boolean[] f = first.peek();
        if (!f[0]) {
            out.append(',');
        }
        f[0] = false;
        newline();
    }

    private void newline() {
        out.append('\n');
        out.append("  ".repeat(first.size()));
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
