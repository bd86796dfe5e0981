package io.jdax.it.realdax;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What the checks made durable: device ranges and the CRC-32C of the bytes they must hold (an
 * intrinsic even in the interpreter: a cold JVM under emulation checks megabytes fast). Kept in
 * memory for the reopen check, saved to a file for the JVM that verifies after the namespace was
 * torn down and brought back (a remount for fsdax).
 */
final class Ledger {

    /** One durable range. */
    record Entry(String label, long offset, int length, String crc) {
    }

    /** Reads {@code length} device bytes at {@code offset}. */
    @FunctionalInterface
    interface Reader {
        byte[] read(long offset, int length) throws IOException;
    }

    private final List<Entry> entries = new ArrayList<>();

    void add(String label, long offset, byte[] bytes) {
        entries.add(new Entry(label, offset, bytes.length, crc(bytes)));
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    long bytes() {
        return entries.stream().mapToLong(Entry::length).sum();
    }

    /**
     * Checks every entry through {@code reader}.
     *
     * @throws AssertionError naming the first ranges that differ, and how many did
     */
    void verify(String how, Reader reader) throws IOException {
        List<String> bad = new ArrayList<>();
        for (Entry e : entries) {
            byte[] now = reader.read(e.offset(), e.length());
            if (!crc(now).equals(e.crc())) {
                bad.add(e.label() + " [" + e.offset() + ", +" + e.length() + ")");
            }
        }
        if (!bad.isEmpty()) {
            throw new AssertionError(bad.size() + " of " + entries.size() + " durable ranges differ " + how + ": "
                    + String.join(", ", bad.subList(0, Math.min(5, bad.size()))) + (bad.size() > 5 ? ", ..." : ""));
        }
    }

    void save(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Entry e : entries) {
            lines.add(e.offset() + " " + e.length() + " " + e.crc() + " " + e.label());
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    static Ledger load(Path file) throws IOException {
        Ledger l = new Ledger();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ", 4);
            if (f.length == 4) {
                l.entries.add(new Entry(f[3], Long.parseLong(f[0]), Integer.parseInt(f[1]), f[2]));
            }
        }
        if (l.entries.isEmpty()) {
            throw new IOException("the ledger " + file + " is empty: the checks JVM wrote nothing durable");
        }
        return l;
    }

    static String crc(byte[] bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes);
        return Long.toHexString(c.getValue());
    }
}
