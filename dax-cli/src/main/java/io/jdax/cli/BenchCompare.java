package io.jdax.cli;

import io.jdax.dax.Sizes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code jdax bench --compare OLD NEW}: two reports ({@code results.json}) cell by cell. A cell
 * is a method, iterator kind, size and thread count; its ratio is NEW's GB/s over OLD's. The
 * verdict is noise-aware: each report keeps the median of every round, and a cell is a
 * <em>regression</em> only when NEW's rounds all lie below OLD's (the spreads do not overlap)
 * <em>and</em> the ratio is below {@code 1 - threshold}; <em>faster</em> the other way round;
 * anything else is <em>same</em> (within the noise or the threshold).
 */
final class BenchCompare {

    /** The default threshold: 10 %. */
    static final double DEFAULT_THRESHOLD = 0.10;

    /** A cell's figures in one report. */
    record Figures(double gbPerSecond, double low, double high) {
    }

    /** One cell compared. */
    record Row(String key, Figures old, Figures now, String verdict) {
        double ratio() {
            return now.gbPerSecond() / old.gbPerSecond();
        }
    }

    /** Everything compared. */
    record Result(List<Row> rows, List<String> onlyOld, List<String> onlyNew, List<String> notes, double threshold) {
        long count(String verdict) {
            return rows.stream().filter(r -> r.verdict().equals(verdict)).count();
        }

        boolean regressed() {
            return count("regression") > 0;
        }
    }

    private BenchCompare() {
    }

    /** Reads a report written by {@code jdax bench} (its results.json). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + RunFiles.describe(e), e);
        }
        Object doc;
        try {
            doc = JsonReader.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is not JSON: " + e.getMessage(), e);
        }
        if (!(doc instanceof Map<?, ?> m) || !"jdax bench".equals(m.get("tool")) || !(m.get("results") instanceof List)) {
            throw new IllegalArgumentException(file + " is not a jdax bench report (results.json)");
        }
        return (Map<String, Object>) doc;
    }

    /** The cells of a report by key: "method KIND size xT". */
    static Map<String, Figures> cells(Map<String, Object> report) {
        Map<String, Figures> out = new LinkedHashMap<>();
        for (Object o : (List<?>) report.get("results")) {
            Map<?, ?> x = (Map<?, ?>) o;
            double gb = ((Number) x.get("gb_per_s")).doubleValue();
            double low = gb;
            double high = gb;
            if (x.get("rounds_gb_per_s") instanceof List<?> rounds && !rounds.isEmpty()) {
                low = rounds.stream().mapToDouble(v -> ((Number) v).doubleValue()).min().orElse(gb);
                high = rounds.stream().mapToDouble(v -> ((Number) v).doubleValue()).max().orElse(gb);
            }
            int threads = x.get("threads") instanceof Number n ? n.intValue() : 1;
            out.put(key((String) x.get("method"), (String) x.get("kind"), ((Number) x.get("size_bytes")).longValue(),
                    threads), new Figures(gb, low, high));
        }
        return out;
    }

    static String key(String method, String kind, long size, int threads) {
        return method + " " + (kind == null ? "-" : kind) + " " + Sizes.format(size) + (threads > 1 ? " x" + threads : "");
    }

    /** Compares OLD with NEW at {@code threshold} (0.10 = 10 %). */
    static Result compare(Map<String, Object> old, Map<String, Object> now, double threshold) {
        Map<String, Figures> a = cells(old);
        Map<String, Figures> b = cells(now);
        List<Row> rows = new ArrayList<>();
        List<String> onlyOld = new ArrayList<>();
        for (Map.Entry<String, Figures> e : a.entrySet()) {
            Figures n = b.get(e.getKey());
            if (n == null) {
                onlyOld.add(e.getKey());
                continue;
            }
            rows.add(new Row(e.getKey(), e.getValue(), n, verdict(e.getValue(), n, threshold)));
        }
        List<String> onlyNew = b.keySet().stream().filter(k -> !a.containsKey(k)).toList();
        List<String> notes = new ArrayList<>();
        note(notes, "device", persistence(old), persistence(now));
        note(notes, "arch", path(old, "arch", "name"), path(now, "arch", "name"));
        note(notes, "copy", path(old, "arch", "features", "copy"), path(now, "arch", "features", "copy"));
        note(notes, "java", String.valueOf(old.get("java")), String.valueOf(now.get("java")));
        return new Result(rows, onlyOld, onlyNew, notes, threshold);
    }

    /** The verdict for one cell: see the class comment. */
    static String verdict(Figures old, Figures now, double threshold) {
        double ratio = now.gbPerSecond() / old.gbPerSecond();
        if (now.high() < old.low() && ratio < 1 - threshold) {
            return "regression";
        }
        if (now.low() > old.high() && ratio > 1 + threshold) {
            return "faster";
        }
        return "same";
    }

    private static String persistence(Map<String, Object> r) {
        return path(r, "pmem", "persistence") + (Boolean.TRUE.equals(path0(r, "pmem", "emulated")) ? " (emulated)" : "");
    }

    private static void note(List<String> notes, String what, String a, String b) {
        if (!Objects.equals(a, b)) {
            notes.add(what + " differs: " + a + " -> " + b);
        }
    }

    private static String path(Map<String, Object> r, String... keys) {
        return String.valueOf(path0(r, keys));
    }

    private static Object path0(Map<String, Object> r, String... keys) {
        Object o = r;
        for (String k : keys) {
            if (!(o instanceof Map<?, ?> m)) {
                return null;
            }
            o = m.get(k);
        }
        return o;
    }

    /** The comparison as a table. */
    static String table(Result r, String oldName, String newName) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "jdax bench --compare: %s -> %s; regression only where NEW's rounds all lie "
                + "below OLD's and the ratio is under %.2f%n", oldName, newName, 1 - r.threshold()));
        r.notes().forEach(n -> b.append("note      ").append(n).append('\n'));
        b.append(String.format(Locale.ROOT, "%-34s %22s %22s %7s  %s%n", "cell", "OLD GB/s (rounds)",
                "NEW GB/s (rounds)", "ratio", "verdict"));
        for (Row row : r.rows()) {
            b.append(String.format(Locale.ROOT, "%-34s %22s %22s %7.3f  %s%n", row.key(), figures(row.old()),
                    figures(row.now()), row.ratio(), row.verdict().equals("regression") ? "REGRESSION" : row.verdict()));
        }
        if (!r.onlyOld().isEmpty()) {
            b.append("only in OLD: ").append(String.join(", ", r.onlyOld())).append('\n');
        }
        if (!r.onlyNew().isEmpty()) {
            b.append("only in NEW: ").append(String.join(", ", r.onlyNew())).append('\n');
        }
        b.append(String.format(Locale.ROOT, "compare   %d cells: %d regression(s), %d faster, %d the same within the noise "
                        + "or the %.0f %% threshold%n", r.rows().size(), r.count("regression"), r.count("faster"),
                r.count("same"), r.threshold() * 100));
        return b.toString();
    }

    private static String figures(Figures f) {
        return String.format(Locale.ROOT, "%.3f (%.3f-%.3f)", f.gbPerSecond(), f.low(), f.high());
    }
}
