package io.jdax.cli;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.BenchReport;
import io.jdax.bench.BenchResult;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's chart as SVG, one thread's figures: one column of panels per iterator kind (and
 * one for memset and memmove), throughput on top (GB/s, linear) and the p99 latency of single
 * operations below (ns, log scale), both against the size (bytes, log scale); one line per
 * method, the same colour in every panel, reads dashed, memset and memmove dotted; a legend
 * under the panels; the device's label (emulated or not) in the heading. Each point's tooltip
 * holds its figures and the whole latency distribution.
 */
final class SvgChart {
    private static final int PANEL_W = 330;
    private static final int PANEL_H = 230;
    private static final int LEFT = 74;
    private static final int TOP = 112;
    private static final int GAP = 78;
    private static final int ROW_GAP = 74;
    private static final int BOTTOM = 50;
    /**
     * One colour per method, none shared within a panel: jdax's own rows warm (red, orange), libpmem's
     * blue, the anchors and ceilings neutral or green.
     */
    private static final java.util.Map<BenchMethod, String> COLOURS = new java.util.EnumMap<>(java.util.Map.ofEntries(
            java.util.Map.entry(BenchMethod.DURABLE, "#d62728"),
            java.util.Map.entry(BenchMethod.DURABLE_FENCE, "#ff7f0e"),
            java.util.Map.entry(BenchMethod.SEED_REGRESSION, "#9467bd"),
            java.util.Map.entry(BenchMethod.CACHED_WRITEBACK, "#8c564b"),
            java.util.Map.entry(BenchMethod.NOCACHE, "#555555"),
            java.util.Map.entry(BenchMethod.LIBPMEM, "#1f77b4"),
            java.util.Map.entry(BenchMethod.BRD_FALLBACK, "#2ca02c"),
            java.util.Map.entry(BenchMethod.FSDAX_FSYNC, "#e377c2"),
            java.util.Map.entry(BenchMethod.READ, "#d62728"),
            java.util.Map.entry(BenchMethod.FSDAX_READ, "#e377c2"),
            java.util.Map.entry(BenchMethod.PLAIN_READ, "#555555"),
            java.util.Map.entry(BenchMethod.MEMSET, "#d62728"),
            java.util.Map.entry(BenchMethod.LIBPMEM_MEMSET, "#1f77b4"),
            java.util.Map.entry(BenchMethod.MEMMOVE, "#ff7f0e"),
            java.util.Map.entry(BenchMethod.LIBPMEM_MEMMOVE, "#17becf")));

    private SvgChart() {
    }

    /** The whole document, without a setting. */
    static String render(BenchReport report) {
        return render(report, BenchOutput.Setting.NONE);
    }

    /** The colour of a method, the same in every panel. */
    static String colour(BenchMethod m) {
        return COLOURS.getOrDefault(m, "#7f7f7f");
    }

    private static String dash(BenchMethod m) {
        return switch (m.op()) {
            case WRITE -> "";
            case READ -> " stroke-dasharray=\"7,4\"";
            case MEMSET, MEMMOVE -> " stroke-dasharray=\"2,3\"";
        };
    }

    /** The whole document. */
    static String render(BenchReport report, BenchOutput.Setting setting) {
        // One thread's figures; a run of more threads only draws its smallest count.
        int shown = report.threadCounts().isEmpty() ? 1 : report.threadCounts().getFirst();
        List<BenchResult> one = report.results().stream().filter(r -> r.threads() == shown).toList();
        List<IovIter.Kind> panels = new ArrayList<>();
        for (IovIter.Kind k : report.plan().kinds()) {
            if (one.stream().anyMatch(r -> r.kind() == k)) {
                panels.add(k);
            }
        }
        if (one.stream().anyMatch(r -> r.kind() == null)) {
            panels.add(null);
        }
        if (panels.isEmpty()) {
            panels.addAll(report.plan().kinds());
        }
        List<BenchMethod> methods = report.plan().methods().stream()
                .filter(m -> one.stream().anyMatch(r -> r.method() == m)).toList();
        List<Long> sizes = report.plan().sizes();
        double yStep = niceStep(one.stream().mapToDouble(BenchResult::gbPerSecond).max().orElse(1) / 5);
        int yTicks = (int) Math.max(1, Math.ceil(one.stream().mapToDouble(BenchResult::gbPerSecond).max().orElse(1)
                / yStep - 1e-9));
        double yMax = yStep * yTicks;
        long latMin = one.stream().filter(r -> r.latency().count() > 0).mapToLong(r -> r.latency().p99()).min().orElse(10);
        long latMax = one.stream().filter(r -> r.latency().count() > 0).mapToLong(r -> r.latency().p99()).max().orElse(1000);
        int decLo = (int) Math.floor(Math.log10(Math.max(1, latMin)));
        int decHi = Math.max(decLo + 1, (int) Math.ceil(Math.log10(Math.max(1, latMax))));
        double xMin = Math.log(sizes.getFirst()) / Math.log(2);
        double xMax = Math.log(sizes.getLast()) / Math.log(2);
        if (xMax - xMin < 1) {
            xMin -= 0.5;
            xMax += 0.5;
        }
        int legendRows = (methods.size() + 1) / 2;
        int width = Math.max(LEFT + panels.size() * (PANEL_W + GAP), 900);
        int row2 = TOP + PANEL_H + ROW_GAP;
        int legendTop = row2 + PANEL_H + BOTTOM + 16;
        int height = legendTop + legendRows * 18 + 40;

        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(text(LEFT, 22, "start", "bold", 16, "jdax bench: throughput and latency against size, "
                + (shown == 1 ? "one thread" : shown + " threads (aggregate GB/s)"), null));
        String label = BenchOutput.deviceLabel(report, setting);
        s.append(text(LEFT, 42, "start", setting.emulated() ? "bold" : "normal", 12, label,
                setting.emulated() ? "#b00000" : null).replace("<text ", "<text class=\"device\" "));
        s.append(text(LEFT, 60, "start", "normal", 11, "arch " + report.arch() + "; " + report.started()
                + "; GB/s = 10^9 bytes/s; every operation verified" + (report.threadCounts().size() > 1
                ? "; other thread counts: see the table" : ""), null));
        s.append(text(LEFT, 76, "start", "normal", 11, "solid lines: writes (jdax's, the anchors', libpmem's copy); "
                + "dashed: reads; dotted: memset and memmove. Upper panels: throughput, median of the batches (higher "
                + "is better)", null));
        s.append(text(LEFT, 92, "start", "normal", 11, "Lower panels: p99 latency of single operations, each timed "
                + "alone (a clock read, ~" + Math.round(report.clockNs()) + " ns, in each; lower is better). Point "
                + "tooltips: all figures and p50/p99/p99.9/max", null));

        for (int k = 0; k < panels.size(); k++) {
            int x0 = LEFT + k * (PANEL_W + GAP);
            IovIter.Kind kind = panels.get(k);
            String title = kind == null ? "memset / memmove (no iterator)" : kind + " iterator";
            s.append(text(x0 + PANEL_W / 2.0, TOP - 8, "middle", "bold", 13, title, null));
            s.append(text(x0 + PANEL_W / 2.0, row2 - 8, "middle", "bold", 13, title + ": latency", null));
            // Frames, grids and axes of both rows.
            for (int row = 0; row < 2; row++) {
                int y0 = row == 0 ? TOP : row2;
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                        + "stroke=\"#444\"/>%n", x0, y0, PANEL_W, PANEL_H));
                for (long size : sizes) {
                    double x = x0 + scale(Math.log(size) / Math.log(2), xMin, xMax, PANEL_W);
                    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                            + "stroke=\"#e4e4e4\"/>%n", x, y0, x, y0 + PANEL_H));
                    s.append(text(x, y0 + PANEL_H + 14, "middle", "normal", 10, Sizes.format(size), null));
                }
                s.append(text(x0 + PANEL_W / 2.0, y0 + PANEL_H + 32, "middle", "normal", 11,
                        "bytes per operation (log scale)", null).replace("<text ", "<text class=\"x-label\" "));
                String yLabel = row == 0 ? "throughput, GB/s" : "p99 latency, ns (log scale)";
                double cy = y0 + PANEL_H / 2.0;
                s.append(String.format(Locale.ROOT, "<text class=\"y-label\" x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 "
                        + "%.1f %.1f)\" text-anchor=\"middle\" font-size=\"11\">%s</text>%n", x0 - 46.0, cy, x0 - 46.0,
                        cy, yLabel));
            }
            for (int t = 0; t <= yTicks; t++) {
                double v = yStep * t;
                double y = TOP + PANEL_H - PANEL_H * t / (double) yTicks;
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>%n",
                        x0, y, x0 + PANEL_W, y));
                s.append(text(x0 - 4, y + 4, "end", "normal", 10, trim(v), null));
            }
            for (int d = decLo; d <= decHi; d++) {
                double y = row2 + PANEL_H - PANEL_H * (double) (d - decLo) / (decHi - decLo);
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>%n",
                        x0, y, x0 + PANEL_W, y));
                s.append(text(x0 - 4, y + 4, "end", "normal", 10, nsLabel(d), null));
            }
            for (BenchMethod method : methods) {
                StringBuilder tput = new StringBuilder();
                StringBuilder lat = new StringBuilder();
                StringBuilder dots = new StringBuilder();
                for (long size : sizes) {
                    var r = report.result(method, kind, size, shown);
                    if (r.isEmpty()) {
                        continue;
                    }
                    BenchResult x = r.get();
                    double px = x0 + scale(Math.log(size) / Math.log(2), xMin, xMax, PANEL_W);
                    double py = TOP + PANEL_H - PANEL_H * Math.min(1, x.gbPerSecond() / yMax);
                    String tip = String.format(Locale.ROOT, "%s %s %s: %.3f GB/s, %.1f ns/op; latency p50/p99/p99.9/max "
                            + "%s ns", method.id(), kind == null ? "" : kind, Sizes.format(size), x.gbPerSecond(),
                            x.nsPerOp(), BenchOutput.latency(x.latency()));
                    tput.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                    dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
                            + "<title>%s</title></circle>%n", px, py, colour(method), escape(tip)));
                    if (x.latency().count() > 0) {
                        double ly = row2 + PANEL_H - PANEL_H * (Math.log10(Math.max(1, x.latency().p99())) - decLo)
                                / (decHi - decLo);
                        lat.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, Math.max(row2, Math.min(row2 + PANEL_H, ly))));
                    }
                }
                if (!tput.isEmpty()) {
                    s.append(String.format(Locale.ROOT, "<polyline class=\"method\" data-method=\"%s\" fill=\"none\" "
                            + "stroke=\"%s\" stroke-width=\"1.8\"%s points=\"%s\"/>%n", method.id(), colour(method),
                            dash(method), tput.toString().strip()));
                    s.append(dots);
                }
                if (!lat.isEmpty()) {
                    s.append(String.format(Locale.ROOT, "<polyline class=\"latency\" data-method=\"%s\" fill=\"none\" "
                            + "stroke=\"%s\" stroke-width=\"1.5\"%s points=\"%s\"/>%n", method.id(), colour(method),
                            dash(method), lat.toString().strip()));
                }
            }
        }
        s.append(text(LEFT, legendTop - 4, "start", "bold", 12, "legend", null));
        for (int m = 0; m < methods.size(); m++) {
            BenchMethod method = methods.get(m);
            int lx = LEFT + (m % 2) * (width - LEFT) / 2;
            int y = legendTop + 14 + (m / 2) * 18;
            s.append(String.format(Locale.ROOT, "<g class=\"legend\" data-method=\"%s\"><line x1=\"%d\" y1=\"%d\" "
                    + "x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>%n", method.id(), lx, y - 4, lx + 26,
                    y - 4, colour(method), dash(method)));
            s.append(text(lx + 32, y, "start", "normal", 11, method.id() + ": " + shorten(method.title(), 78), null));
            s.append("</g>\n");
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static String nsLabel(int decade) {
        return switch (decade) {
            case 0 -> "1 ns";
            case 1 -> "10 ns";
            case 2 -> "100 ns";
            case 3 -> "1 µs";
            case 4 -> "10 µs";
            case 5 -> "100 µs";
            case 6 -> "1 ms";
            case 7 -> "10 ms";
            case 8 -> "100 ms";
            default -> "1e" + decade + " ns";
        };
    }

    private static double scale(double v, double min, double max, int span) {
        return (v - min) / (max - min) * span;
    }

    /** A tick step: 1, 2, 2.5 or 5 times a power of ten, at or above {@code v}. */
    static double niceStep(double v) {
        return niceCeiling(v);
    }

    /** 1, 2, 2.5, 5 times a power of ten, at or above {@code v}. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v).replaceFirst("0+$", "");
    }

    private static String text(double x, double y, String anchor, String weight, int size, String body, String fill) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-weight=\"%s\" "
                + "font-size=\"%d\"%s>%s</text>%n", x, y, anchor, weight, size, fill == null ? "" : " fill=\"" + fill + "\"",
                escape(body));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
