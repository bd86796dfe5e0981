package io.jdax.cli;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.BenchReport;
import io.jdax.bench.BenchResult;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.util.List;
import java.util.Locale;

/**
 * The benchmark's chart as SVG: one panel per iterator kind, throughput (GB/s, linear) against
 * size (bytes, log scale), one line per method with the same colour in every panel, a legend
 * under the panels.
 */
final class SvgChart {
    private static final int PANEL_W = 380;
    private static final int PANEL_H = 280;
    private static final int LEFT = 56;
    private static final int TOP = 58;
    private static final int GAP = 40;
    private static final int BOTTOM = 46;
    private static final String[] COLOURS = {"#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#7f7f7f", "#1f77b4",
        "#2ca02c", "#17becf", "#bcbd22", "#e377c2"};

    private SvgChart() {
    }

    /** The whole document. */
    static String render(BenchReport report) {
        List<IovIter.Kind> kinds = report.plan().kinds();
        List<BenchMethod> methods = report.plan().methods().stream()
                .filter(m -> report.results().stream().anyMatch(r -> r.method() == m)).toList();
        List<Long> sizes = report.plan().sizes();
        double maxGb = report.results().stream().mapToDouble(BenchResult::gbPerSecond).max().orElse(1);
        double yMax = niceCeiling(maxGb);
        double xMin = Math.log(sizes.getFirst()) / Math.log(2);
        double xMax = Math.log(sizes.getLast()) / Math.log(2);
        if (xMax - xMin < 1) {
            xMin -= 0.5;
            xMax += 0.5;
        }
        int legendRows = (methods.size() + 1) / 2;
        int width = LEFT + kinds.size() * (PANEL_W + GAP);
        int height = TOP + PANEL_H + BOTTOM + 20 + legendRows * 18 + 10;

        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(text(LEFT, 20, "start", "bold", 15, "jdax bench: throughput against size"));
        s.append(text(LEFT, 38, "start", "normal", 11, "pmem " + report.pmem().persistence() + " (" + report.pmem().spec()
                + "), arch " + report.arch() + "; GB/s = 10^9 bytes/s, every write verified"));

        for (int k = 0; k < kinds.size(); k++) {
            int x0 = LEFT + k * (PANEL_W + GAP);
            IovIter.Kind kind = kinds.get(k);
            s.append(text(x0 + PANEL_W / 2.0, TOP - 6, "middle", "bold", 12, kind + " iterator"));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    + "stroke=\"#444\"/>%n", x0, TOP, PANEL_W, PANEL_H));
            for (int t = 0; t <= 4; t++) {
                double v = yMax * t / 4;
                double y = TOP + PANEL_H - PANEL_H * t / 4.0;
                s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                        x0, y, x0 + PANEL_W, y));
                s.append(text(x0 - 4, y + 4, "end", "normal", 10, trim(v)));
            }
            for (long size : sizes) {
                double x = x0 + scale(Math.log(size) / Math.log(2), xMin, xMax, PANEL_W);
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                        x, TOP, x, TOP + PANEL_H));
                s.append(text(x, TOP + PANEL_H + 14, "middle", "normal", 10, Sizes.format(size)));
            }
            s.append(text(x0 + PANEL_W / 2.0, TOP + PANEL_H + 32, "middle", "normal", 11, "bytes per write (log scale)"));
            if (k == 0) {
                s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                        + "text-anchor=\"middle\">GB/s</text>%n", TOP + PANEL_H / 2, TOP + PANEL_H / 2));
            }
            for (int m = 0; m < methods.size(); m++) {
                BenchMethod method = methods.get(m);
                String colour = COLOURS[method.ordinal() % COLOURS.length];
                StringBuilder points = new StringBuilder();
                StringBuilder dots = new StringBuilder();
                for (long size : sizes) {
                    var r = report.result(method, kind, size);
                    if (r.isEmpty()) {
                        continue;
                    }
                    double x = x0 + scale(Math.log(size) / Math.log(2), xMin, xMax, PANEL_W);
                    double y = TOP + PANEL_H - PANEL_H * Math.min(1, r.get().gbPerSecond() / yMax);
                    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                    dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
                            + "<title>%s %s %s: %.3f GB/s, %.1f ns/op</title></circle>%n", x, y, colour, method.id(),
                            kind, Sizes.format(size), r.get().gbPerSecond(), r.get().nsPerOp()));
                }
                if (!points.isEmpty()) {
                    s.append(String.format(Locale.ROOT, "<polyline class=\"method\" data-method=\"%s\" fill=\"none\" "
                            + "stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>%n", method.id(), colour,
                            points.toString().strip()));
                    s.append(dots);
                }
            }
        }
        int ly = TOP + PANEL_H + BOTTOM + 14;
        for (int m = 0; m < methods.size(); m++) {
            BenchMethod method = methods.get(m);
            int lx = LEFT + (m % 2) * (width - LEFT) / 2;
            int y = ly + (m / 2) * 18;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"3\"/>%n", lx, y - 4, lx + 22, y - 4, COLOURS[method.ordinal() % COLOURS.length]));
            s.append(text(lx + 28, y, "start", "normal", 11, method.id() + ": " + method.title()));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double scale(double v, double min, double max, int span) {
        return (v - min) / (max - min) * span;
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

    private static String text(double x, double y, String anchor, String weight, int size, String body) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-weight=\"%s\" "
                + "font-size=\"%d\">%s</text>%n", x, y, anchor, weight, size, escape(body));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
