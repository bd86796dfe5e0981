package io.jdax.cli;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.BenchReport;
import io.jdax.bench.BenchResult;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The benchmark's report as people read it (a table), and as programs do (CSV, JSON). Ratios are
 * of throughput, for the same iterator kind, size and thread count: {@code x libpmem} above 1
 * means faster than libpmem's row for the same operation, {@code x ceiling} is the share of the
 * kind's ceiling reached (writes: the non-temporal copy + fence; reads: the plain copy).
 */
final class BenchOutput {
    private BenchOutput() {
    }

    /**
     * Where the run happened, for the first lines: the device, and what the machine offers.
     *
     * @param emulated true when the device is jdax bench's own emulated one (a file in the scratch directory)
     * @param daxHint  what the machine offers for real DAX and how to measure it, or null
     * @param libpmemNote how libpmem came to be there or not, or null
     */
    record Setting(boolean emulated, String daxHint, String libpmemNote) {
        static final Setting NONE = new Setting(false, null, null);
    }

    /** A sentence on what the pmem device's mode means for the figures. */
    static String modeNote(BenchReport r) {
        return switch (r.pmem().persistence()) {
            case PAGE_CACHE -> "PAGE_CACHE: flush() fences and msyncs the pages written, so " + BenchMethod.DURABLE.id()
                    + " includes a system call per write; " + BenchMethod.DURABLE_FENCE.id()
                    + " is the same copy with flush()'s CPU_CACHE-mode fence only (not durable here)";
            case CPU_CACHE -> "CPU_CACHE: flush() is a fence; no system call on the durable path";
            case PERSISTENT_CACHE -> "PERSISTENT_CACHE (eADR): the device's copy writes nothing back and flush() is a"
                    + " fence; no system call on the durable path";
            case VOLATILE -> "VOLATILE: nothing here survives power loss; the figures are of the instructions only";
        };
    }

    /** The label of the device on the first lines and in the chart. */
    static String deviceLabel(BenchReport r, Setting s) {
        if (s.emulated()) {
            return switch (r.pmem().persistence()) {
                case CPU_CACHE -> "EMULATED pmem (CPU_CACHE: flush() = fence, PMDK's PMEM_IS_PMEM_FORCE=1 semantics, as "
                        + "PMDK's and fio's benchmarks run) on a file in DRAM: the store path of real persistent "
                        + "memory, nothing durable";
                case PAGE_CACHE -> "EMULATED pmem on a page-cache file (PAGE_CACHE: flush() msyncs): what a pmem: file "
                        + "outside a DAX mount costs";
                case PERSISTENT_CACHE -> "EMULATED pmem (PERSISTENT_CACHE: eADR, flush() = fence, nothing written "
                        + "back) on a file in DRAM: the store path of eADR persistent memory, nothing durable";
                case VOLATILE -> "EMULATED volatile memory";
            };
        }
        return r.pmem().spec() + ": " + r.pmem().persistence();
    }

    /** "pmem" for the pmem driver's device; "device" for any other driver's (--device). */
    static String deviceKind(BenchReport.DeviceInfo d) {
        return d.spec().startsWith("pmem:") ? "pmem" : "device";
    }

    /** Which copy jdax-durable measured on the device: what is true of its driver. */
    static String writePath(BenchReport.DeviceInfo d) {
        if (d.copyFromIter()) {
            return "write path: the driver's own copyFromIter";
        }
        return "write path: the driver has no copyFromIter; the core's fallback " + switch (d.persistence()) {
            case CPU_CACHE -> "copyFromIterFlushcache (non-temporal, cached edges written back: C4)";
            case PERSISTENT_CACHE -> "copyFromIterEadr (nothing written back: the caches are persistent)";
            case PAGE_CACHE, VOLATILE -> "copyFromIterNocache (this device needs no write-back)";
        };
    }

    /** The table for stdout. */
    static String table(BenchReport r, String outDir, String command) {
        return table(r, outDir, command, Setting.NONE);
    }

    /** The table for stdout, the first lines saying where it ran. */
    static String table(BenchReport r, String outDir, String command, Setting setting) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "jdax bench: %s, measured for %.1f s (%s)%n", r.started(),
                r.elapsed().toNanos() / 1e9, command));
        b.append(String.format(Locale.ROOT, "%-9s %s%n", deviceKind(r.pmem()), deviceLabel(r, setting)));
        b.append(String.format(Locale.ROOT, "          %s (%s, %s walked)%n", r.pmem().spec(), Sizes.format(r.pmem().size()),
                Sizes.format(r.region())));
        b.append(String.format(Locale.ROOT, "          %s%n", r.pmem().reason()));
        b.append(String.format(Locale.ROOT, "          %s%n", writePath(r.pmem())));
        b.append(String.format(Locale.ROOT, "          %s%n", modeNote(r)));
        if (setting.emulated()) {
            b.append("          ").append(switch (r.pmem().persistence()) {
                case PAGE_CACHE -> r.archWritesBack()
                        ? "the default is --mode emulated (CPU_CACHE): the path real persistent memory runs"
                        : "the " + r.arch() + " Arch cannot write back, so CPU_CACHE cannot be emulated: page cache it is";
                default -> "--mode page_cache measures the page-cache device instead (flush() msyncs)";
            }).append('\n');
        }
        if (setting.daxHint() != null) {
            b.append(String.format(Locale.ROOT, "dax       %s%n", setting.daxHint()));
        }
        b.append(String.format(Locale.ROOT, "libpmem   %s%n", setting.libpmemNote() != null ? setting.libpmemNote()
                : r.libpmem()));
        b.append(String.format(Locale.ROOT, "arch      %s: %s%n", r.arch(), archSummary(r.archFeatures())));
        if (!r.archWritesBack()) {
            b.append("          WARNING: this Arch cannot write cache lines back: the figures say nothing about"
                    + " cache maintenance\n");
        }
        r.brd().ifPresent(d -> b.append(String.format(Locale.ROOT, "brd       %s (%s): %s%n", d.spec(),
                Sizes.format(d.size()), d.persistence())));
        List<BenchMethod> measured = r.plan().methods().stream()
                .filter(m -> r.results().stream().anyMatch(x -> x.method() == m)).toList();
        b.append("method    ").append(measured.size()).append(" paths measured, one operation + commit per op;"
                + " sources warm, destinations walked (cold); median of ").append(r.plan().rounds())
                .append(" rounds of batches\n");
        for (BenchMethod m : measured) {
            b.append(String.format(Locale.ROOT, "  %-18s %s%n", m.id(), m.title()));
        }
        b.append(String.format(Locale.ROOT, "latency   p50/p99/p99.9/max ns of single operations, each timed on its own"
                + " (every other batch; a clock read, ~%.0f ns, in each)%n", r.clockNs()));
        for (int threads : r.threadCounts()) {
            List<IovIter.Kind> kinds = new ArrayList<>(r.plan().kinds());
            kinds.add(null);
            for (IovIter.Kind kind : kinds) {
                if (r.results().stream().noneMatch(x -> x.kind() == kind && x.threads() == threads)) {
                    continue;
                }
                String who = threads == 1 ? "" : threads + " threads, ";
                b.append(String.format(Locale.ROOT, "%n%s%s%n", who, kind == null
                        ? "memset and memmove (a DaxMapping of the fs-dax file: no iterator)"
                        : kind + " iterator (" + kindNote(kind, r.archFeatures()) + ")"));
                if (threads == 1) {
                    b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %11s %-27s %9s %9s%n", "size", "method", "GB/s",
                            "ns/op", "latency p50/p99/p99.9/max", "x libpmem", "x ceiling"));
                } else {
                    b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %-19s %-27s %9s %9s%n", "size", "method",
                            "GB/s all", "GB/s per thread", "latency p50/p99/p99.9/max", "x libpmem", "x 1 thread"));
                }
                for (long size : r.plan().sizes()) {
                    boolean firstRow = true;
                    for (BenchMethod m : r.plan().methods()) {
                        var res = r.result(m, kind, size, threads);
                        if (res.isEmpty()) {
                            continue;
                        }
                        BenchResult x = res.get();
                        String sz = firstRow ? Sizes.format(size) : "";
                        if (threads == 1) {
                            b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %11.1f %-27s %9s %9s%n", sz, m.id(),
                                    gb(x.gbPerSecond()), x.nsPerOp(), latency(x.latency()), ratio(r.ratioLibpmem(x)),
                                    ratio(r.ratioCeiling(x))));
                        } else {
                            OptionalDouble scaling = r.result(m, kind, size, 1)
                                    .map(one -> OptionalDouble.of(x.gbPerSecond() / one.gbPerSecond()))
                                    .orElse(OptionalDouble.empty());
                            b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %-19s %-27s %9s %9s%n", sz, m.id(),
                                    gb(x.gbPerSecond()), x.threadGbPerSecond().stream().map(BenchOutput::gb)
                                            .collect(Collectors.joining(" ")), latency(x.latency()),
                                    ratio(r.ratioLibpmem(x)), ratio(scaling)));
                        }
                        firstRow = false;
                    }
                }
            }
        }
        b.append('\n');
        for (BenchReport.Skip s : r.skipped()) {
            b.append(String.format(Locale.ROOT, "skipped   %s%s%s: %s%n", s.method().id(),
                    s.kind() == null ? "" : " " + s.kind(), s.size() == 0 ? "" : " " + Sizes.format(s.size()), s.reason()));
        }
        long verified = r.results().stream().mapToLong(BenchResult::verifiedBytes).sum();
        if (r.verified()) {
            b.append(String.format(Locale.ROOT, "verified  every operation checked byte for byte: %.2f GiB in %d cells%n",
                    verified / (double) (1L << 30), r.results().size()));
        } else {
            for (BenchReport.Mismatch m : r.mismatches()) {
                b.append(String.format(Locale.ROOT, "MISMATCH  %s %s %s%s: the operation at %d differs at byte %d%n",
                        m.method().id(), m.kind() == null ? "-" : m.kind(), Sizes.format(m.size()),
                        m.threads() > 1 ? " (" + m.threads() + " threads)" : "", m.position(), m.offset()));
            }
        }
        if (outDir != null) {
            b.append("results   ").append(outDir).append(" (results.csv, results.json, throughput.svg)\n");
        }
        return b.toString();
    }

    private static String archSummary(Map<String, String> f) {
        StringBuilder b = new StringBuilder();
        for (String k : new String[] {"copy", "flush", "flushcache.threshold"}) {
            if (f.containsKey(k)) {
                String v = f.get(k).replaceAll(" \\(jdax[^)]*\\)", "");
                b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(v);
            }
        }
        return b.isEmpty() ? "no cache instructions" : b.toString();
    }

    private static String kindNote(IovIter.Kind kind, Map<String, String> arch) {
        return switch (kind) {
            case USER -> "one native buffer: non-temporal stores";
            case KVEC -> "a heap array; the Arch copies heap sources durably as: "
                    + arch.getOrDefault("heap sources", "cached stores, then write-back").replaceAll(" \\(jdax[^)]*\\)", "");
            case BVEC -> "native 4 KiB page fragments, one bio_vec per page touched";
        };
    }

    static String gb(double v) {
        return v >= 0.1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    /** Nanoseconds, short: 812, 12.3k, 4.1M. */
    static String ns(long v) {
        if (v < 10_000) {
            return Long.toString(v);
        }
        if (v < 10_000_000) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }

    static String latency(BenchResult.Latency l) {
        return l.count() == 0 ? "-" : ns(l.p50()) + "/" + ns(l.p99()) + "/" + ns(l.p999()) + "/" + ns(l.max());
    }

    private static String ratio(OptionalDouble r) {
        return r.isPresent() ? String.format(Locale.ROOT, "%.2f", r.getAsDouble()) : "-";
    }

    /** The CSV header. */
    static final String CSV_HEADER = "method,kind,size_bytes,threads,ops,ns_per_op,gb_per_s,gb_per_s_round_min,"
            + "gb_per_s_round_max,gb_per_s_per_thread,latency_p50_ns,latency_p99_ns,latency_p999_ns,latency_max_ns,"
            + "ratio_libpmem,ratio_ceiling,verified_bytes,persistence";

    /** One row per measured cell. */
    static String csv(BenchReport r) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (BenchResult x : r.results()) {
            BenchResult.Latency l = x.latency();
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.2f,%.4f,%.4f,%.4f,%s,%d,%d,%d,%d,%s,%s,%d,%s%n",
                    x.method().id(), x.kind() == null ? "-" : x.kind(), x.size(), x.threads(), x.ops(), x.nsPerOp(),
                    x.gbPerSecond(), x.roundLow(), x.roundHigh(), x.threadGbPerSecond().stream()
                            .map(v -> String.format(Locale.ROOT, "%.4f", v)).collect(Collectors.joining(";")),
                    l.p50(), l.p99(), l.p999(), l.max(), csvRatio(r.ratioLibpmem(x)), csvRatio(r.ratioCeiling(x)),
                    x.verifiedBytes(), x.method() == BenchMethod.BRD_FALLBACK
                            ? r.brd().map(d -> d.persistence().name()).orElse("") : r.pmem().persistence().name()));
        }
        return b.toString();
    }

    private static String csvRatio(OptionalDouble r) {
        return r.isPresent() ? String.format(Locale.ROOT, "%.4f", r.getAsDouble()) : "";
    }

    /** Everything, for programs and for {@code --compare}. */
    static String json(BenchReport r, String command) {
        return json(r, command, Setting.NONE);
    }

    /** Everything, for programs and for {@code --compare}. */
    static String json(BenchReport r, String command, Setting setting) {
        Json j = new Json().beginObject();
        j.field("tool", "jdax bench").field("version", Jdax.version()).field("command", command)
                .field("started", r.started().toString()).field("elapsed_s", r.elapsed().toNanos() / 1e9);
        j.name("java").string(Runtime.version().toString());
        j.name("plan").beginObject().field("budget_s", r.plan().budget().toMillis() / 1000.0)
                .field("rounds", r.plan().rounds());
        j.name("sizes").beginArray();
        r.plan().sizes().forEach(s -> j.number(s));
        j.endArray().name("kinds").beginArray();
        r.plan().kinds().forEach(k -> j.string(k.name()));
        j.endArray().name("threads").beginArray();
        r.plan().threads().forEach(t -> j.number(t));
        j.endArray().endObject();
        j.name("arch").beginObject().field("name", r.arch()).field("writes_back", r.archWritesBack());
        j.name("features").beginObject();
        new TreeMap<>(r.archFeatures()).forEach(j::field);
        j.endObject().endObject();
        j.name("pmem");
        device(j, r.pmem()).field("emulated", setting.emulated()).field("label", deviceLabel(r, setting))
                .field("region_bytes", r.region()).field("file_bytes", r.fileBytes())
                .field("note", modeNote(r)).endObject();
        if (r.brd().isPresent()) {
            j.name("brd");
            device(j, r.brd().get()).endObject();
        }
        j.field("libpmem", r.libpmem());
        j.name("dax_hint").string(setting.daxHint());
        j.field("clock_ns", r.clockNs());
        j.name("methods").beginArray();
        for (BenchMethod m : r.plan().methods()) {
            j.beginObject().field("id", m.id()).field("title", m.title()).field("op", m.op().name().toLowerCase(Locale.ROOT))
                    .endObject();
        }
        j.endArray();
        j.name("results").beginArray();
        for (BenchResult x : r.results()) {
            j.beginObject().field("method", x.method().id()).name("kind").string(x.kind() == null ? null : x.kind().name())
                    .field("size_bytes", x.size()).field("threads", x.threads())
                    .field("ops", x.ops()).field("batches", x.batches()).field("ns_per_op", x.nsPerOp())
                    .field("gb_per_s", x.gbPerSecond());
            j.name("rounds_gb_per_s").beginArray();
            x.roundGbPerSecond().forEach(j::number);
            j.endArray().name("thread_gb_per_s").beginArray();
            x.threadGbPerSecond().forEach(j::number);
            j.endArray();
            BenchResult.Latency l = x.latency();
            j.name("latency_ns").beginObject().field("count", l.count()).field("p50", l.p50()).field("p99", l.p99())
                    .field("p99_9", l.p999()).field("max", l.max()).endObject();
            j.name("ratio_libpmem").number(r.ratioLibpmem(x).orElse(Double.NaN));
            j.name("ratio_ceiling").number(r.ratioCeiling(x).orElse(Double.NaN));
            j.field("verified_bytes", x.verifiedBytes()).endObject();
        }
        j.endArray();
        j.name("skipped").beginArray();
        for (BenchReport.Skip s : r.skipped()) {
            j.beginObject().field("method", s.method().id()).name("kind").string(s.kind() == null ? null : s.kind().name())
                    .field("size_bytes", s.size()).field("reason", s.reason()).endObject();
        }
        j.endArray();
        j.field("verified", r.verified());
        j.name("mismatches").beginArray();
        for (BenchReport.Mismatch m : r.mismatches()) {
            j.beginObject().field("method", m.method().id()).name("kind").string(m.kind() == null ? null : m.kind().name())
                    .field("size_bytes", m.size()).field("threads", m.threads())
                    .field("position", m.position()).field("offset", m.offset()).endObject();
        }
        j.endArray();
        return j.endObject().toString() + "\n";
    }

    private static Json device(Json j, BenchReport.DeviceInfo d) {
        return j.beginObject().field("name", d.name()).field("spec", d.spec()).field("size_bytes", d.size())
                .field("persistence", d.persistence().name()).field("reason", d.reason())
                .field("copy_from_iter", d.copyFromIter());
    }
}
