package io.jdax.cli;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.BenchReport;
import io.jdax.bench.BenchResult;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * The benchmark's report as people read it (a table), and as programs do (CSV, JSON). Ratios are
 * of throughput, for the same iterator kind and size: {@code x libpmem} above 1 means faster than
 * libpmem, {@code x ceiling} is the share of the non-temporal store ceiling reached.
 */
final class BenchOutput {
    private BenchOutput() {
    }

    /** A sentence on what the pmem device's mode means for the figures. */
    static String modeNote(BenchReport r) {
        return switch (r.pmem().persistence()) {
            case PAGE_CACHE -> "PAGE_CACHE: flush() fences and msyncs the pages written, so " + BenchMethod.DURABLE.id()
                    + " includes a system call per write; " + BenchMethod.DURABLE_FENCE.id()
                    + " is the same copy with flush()'s CPU_CACHE-mode fence only (not durable here)";
            case CPU_CACHE -> "CPU_CACHE: flush() is a fence; no system call on the durable path";
            case VOLATILE -> "VOLATILE: nothing here survives power loss; the figures are of the instructions only";
        };
    }

    /** "pmem" for the pmem driver's device; "device" for any other driver's (--device). */
    static String deviceLabel(BenchReport.DeviceInfo d) {
        return d.spec().startsWith("pmem:") ? "pmem" : "device";
    }

    /** Which copy jdax-durable measured on the device: what is true of its driver. */
    static String writePath(BenchReport.DeviceInfo d) {
        if (d.copyFromIter()) {
            return "write path: the driver's own copyFromIter";
        }
        return "write path: the driver has no copyFromIter; the core's fallback " + switch (d.persistence()) {
            case CPU_CACHE -> "copyFromIterFlushcache (non-temporal, cached edges written back: C4)";
            case PAGE_CACHE, VOLATILE -> "copyFromIterNocache (this device needs no write-back)";
        };
    }

    /** The table for stdout. */
    static String table(BenchReport r, String outDir, String command) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "jdax bench: %s, measured for %.1f s (%s)%n", r.started(),
                r.elapsed().toNanos() / 1e9, command));
        b.append(String.format(Locale.ROOT, "arch      %s: %s%n", r.arch(), archSummary(r.archFeatures())));
        if (!r.archWritesBack()) {
            b.append("          WARNING: this Arch cannot write cache lines back: the figures say nothing about"
                    + " cache maintenance\n");
        }
        b.append(String.format(Locale.ROOT, "%-9s %s (%s, %s walked): %s%n", deviceLabel(r.pmem()), r.pmem().spec(),
                Sizes.format(r.pmem().size()), Sizes.format(r.region()), r.pmem().persistence()));
        b.append(String.format(Locale.ROOT, "          %s%n", r.pmem().reason()));
        b.append(String.format(Locale.ROOT, "          %s%n", writePath(r.pmem())));
        b.append(String.format(Locale.ROOT, "          %s%n", modeNote(r)));
        r.brd().ifPresent(d -> b.append(String.format(Locale.ROOT, "brd       %s (%s): %s%n", d.spec(),
                Sizes.format(d.size()), d.persistence())));
        b.append(String.format(Locale.ROOT, "libpmem   %s%n", r.libpmem()));
        b.append("method    ").append(r.plan().methods().size()).append(" write paths, one write + commit per op;"
                + " sources warm, destinations walked (cold); median of ").append(r.plan().rounds())
                .append(" rounds of batches\n");
        for (BenchMethod m : r.plan().methods()) {
            b.append(String.format(Locale.ROOT, "  %-18s %s%n", m.id(), m.title()));
        }
        for (IovIter.Kind kind : r.plan().kinds()) {
            b.append(String.format(Locale.ROOT, "%n%s iterator (%s)%n", kind, kindNote(kind, r.archFeatures())));
            b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %12s %10s %10s%n", "size", "method", "GB/s", "ns/op",
                    "x libpmem", "x ceiling"));
            for (long size : r.plan().sizes()) {
                boolean firstRow = true;
                for (BenchMethod m : r.plan().methods()) {
                    var res = r.result(m, kind, size);
                    if (res.isEmpty()) {
                        continue;
                    }
                    BenchResult x = res.get();
                    b.append(String.format(Locale.ROOT, "%-9s %-18s %9s %12.1f %10s %10s%n",
                            firstRow ? Sizes.format(size) : "", m.id(), gb(x.gbPerSecond()), x.nsPerOp(),
                            ratio(r.ratio(x, BenchMethod.LIBPMEM)), ratio(r.ratio(x, BenchMethod.NOCACHE))));
                    firstRow = false;
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
            b.append(String.format(Locale.ROOT, "verified  every write read back byte for byte: %.2f GiB in %d cells%n",
                    verified / (double) (1L << 30), r.results().size()));
        } else {
            for (BenchReport.Mismatch m : r.mismatches()) {
                b.append(String.format(Locale.ROOT, "MISMATCH  %s %s %s: the write at %d differs from its source at"
                        + " byte %d%n", m.method().id(), m.kind(), Sizes.format(m.size()), m.position(), m.offset()));
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
                    + arch.getOrDefault("heap sources", "cached stores, then write-back");
            case BVEC -> "native 4 KiB page fragments, one bio_vec per page touched";
        };
    }

    private static String gb(double v) {
        return v >= 0.1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String ratio(OptionalDouble r) {
        return r.isPresent() ? String.format(Locale.ROOT, "%.2f", r.getAsDouble()) : "-";
    }

    /** One row per measured cell. */
    static String csv(BenchReport r) {
        StringBuilder b = new StringBuilder(
                "method,kind,size_bytes,ops,ns_per_op,gb_per_s,ratio_libpmem,ratio_ceiling,verified_bytes,persistence\n");
        for (BenchResult x : r.results()) {
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.2f,%.4f,%s,%s,%d,%s%n", x.method().id(), x.kind(),
                    x.size(), x.ops(), x.nsPerOp(), x.gbPerSecond(), csvRatio(r.ratio(x, BenchMethod.LIBPMEM)),
                    csvRatio(r.ratio(x, BenchMethod.NOCACHE)), x.verifiedBytes(),
                    x.method() == BenchMethod.BRD_FALLBACK ? r.brd().map(d -> d.persistence().name()).orElse("")
                            : r.pmem().persistence().name()));
        }
        return b.toString();
    }

    private static String csvRatio(OptionalDouble r) {
        return r.isPresent() ? String.format(Locale.ROOT, "%.4f", r.getAsDouble()) : "";
    }

    /** Everything, for programs. */
    static String json(BenchReport r, String command) {
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
        j.endArray().endObject();
        j.name("arch").beginObject().field("name", r.arch()).field("writes_back", r.archWritesBack());
        j.name("features").beginObject();
        new TreeMap<>(r.archFeatures()).forEach(j::field);
        j.endObject().endObject();
        j.name("pmem");
        device(j, r.pmem()).field("region_bytes", r.region()).field("file_bytes", r.fileBytes())
                .field("note", modeNote(r)).endObject();
        if (r.brd().isPresent()) {
            j.name("brd");
            device(j, r.brd().get()).endObject();
        }
        j.field("libpmem", r.libpmem());
        j.name("methods").beginArray();
        for (BenchMethod m : r.plan().methods()) {
            j.beginObject().field("id", m.id()).field("title", m.title()).endObject();
        }
        j.endArray();
        j.name("results").beginArray();
        for (BenchResult x : r.results()) {
            j.beginObject().field("method", x.method().id()).field("kind", x.kind().name()).field("size_bytes", x.size())
                    .field("ops", x.ops()).field("batches", x.batches()).field("ns_per_op", x.nsPerOp())
                    .field("gb_per_s", x.gbPerSecond());
            j.name("ratio_libpmem").number(r.ratio(x, BenchMethod.LIBPMEM).orElse(Double.NaN));
            j.name("ratio_ceiling").number(r.ratio(x, BenchMethod.NOCACHE).orElse(Double.NaN));
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
            j.beginObject().field("method", m.method().id()).field("kind", m.kind().name()).field("size_bytes", m.size())
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
