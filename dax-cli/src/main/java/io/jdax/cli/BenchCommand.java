package io.jdax.cli;

import io.jdax.bench.BenchMethod;
import io.jdax.bench.BenchReport;
import io.jdax.bench.BenchRunner;
import io.jdax.bench.LibPmem;
import io.jdax.bench.Workbench;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Sizes;
import io.jdax.uio.IovIter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jdax bench}: the persistence paths measured side by side, every write verified. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures jdax's durable copy beside libpmem's pmem_memcpy_persist, the seed's regression variant,",
            "cached copy + write-back, the non-temporal ceiling, brd's fallback copy and fs-dax file writes with",
            "fsync; the device read and the fs-dax read beside a plain read of the same mapping; the durable",
            "memset and memmove beside libpmem's pmem_memset_persist and pmem_memmove_persist; for sizes",
            "64 B .. 16 MiB and the USER, KVEC and BVEC iterators, with 1 or more threads. Every operation is",
            "checked byte for byte (outside the timed part). Each cell: GB/s (median of its batches), the",
            "latency of single operations (p50/p99/p99.9/max, HdrHistogram), ratios to libpmem and the ceiling.",
            "",
            "Without --device it emulates pmem: a file in a private directory under /dev/shm (0600; removed",
            "afterwards, also on Ctrl-C, SIGTERM or failure) mapped as CPU_CACHE, flush() a fence (PMDK's",
            "PMEM_IS_PMEM_FORCE=1, as PMDK's and fio's benchmarks); --mode page_cache measures a page-cache device",
            "(flush() msyncs). DAX devices and mounts found are named, never written unless given as --device.",
            "libpmem missing: installed with apt-get when run as root (JDAX_NO_INSTALL=1 never), else the first",
            "lines say how. Prints a table; writes results.csv, results.json and throughput.svg into a new output",
            "directory, which it makes (0700) before measuring and names; a run that ends without results removes",
            "it again. Progress goes to stderr.",
            "--compare OLD.json NEW.json compares two runs' results.json cell by cell (nothing is measured);",
            "--baseline OLD.json compares this run with an earlier one. A cell regressed only where NEW's rounds all",
            "lie below OLD's and the ratio is below 1 - threshold (--threshold, default 10 %%).",
            "For rigorous figures use the JMH benchmarks (docs/BENCHMARKS.md)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every operation verified (and, comparing, no regression)",
            "1:failure (the reason is printed on stderr)", "2:bad usage",
            "3:an operation did not read back as written, or --compare/--baseline found a regression",
            "4:--device holds data and --destroy-data was not given"})
final class BenchCommand implements Callable<Integer> {

    /** Exit code when a write read back wrong. */
    static final int EXIT_MISMATCH = 3;
    /** The pmem modes --mode takes; the first is the default. */
    private static final List<String> MODES = List.of("emulated", "page_cache", "auto");

    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "A short run: about 6 s of measuring (default about 45 s).")
    boolean quick;

    @Option(names = "--time", paramLabel = "SECONDS",
            description = "Seconds of warm-up and measuring to share out over the cells (default 45, with --quick 6).")
    Double seconds;

    @Option(names = "--rounds", paramLabel = "N",
            description = "Visit every cell N times, spreading its batches over the run (default 3, with --quick 2).")
    Integer rounds;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "Measure this device instead of an emulated one, e.g. pmem:/dev/dax0.0 or "
                    + "pmem:/mnt/pmem/bench?size=1G&create=true. It is overwritten.")
    String device;

    @Option(names = "--destroy-data", description = "Let --device overwrite a device that holds data.")
    boolean destroyData;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where results go: a new directory, made 0700 when the run starts (one that exists is "
                    + "refused). Default: a new jdax-bench-DATE-TIME directory in the working directory, or in /tmp if "
                    + "that is not writable.")
    Path out;

    @Option(names = "--json", description = "Print the JSON report on stdout instead of the table.")
    boolean json;

    @Option(names = "--methods", paramLabel = "LIST", split = ",",
            description = "Only these methods (default all): ${COMPLETION-CANDIDATES}.", converter = MethodConverter.class,
            completionCandidates = MethodIds.class)
    List<BenchMethod> methods;

    @Option(names = "--kinds", paramLabel = "LIST", split = ",",
            description = "Only these iterator kinds (default all): ${COMPLETION-CANDIDATES}.")
    List<IovIter.Kind> kinds;

    @Option(names = "--sizes", paramLabel = "LIST", split = ",", converter = SizeConverter.class,
            description = "Bytes per operation (default 64,256,1K,4K,64K,1M,16M).")
    List<Long> sizes;

    @Option(names = "--scratch", paramLabel = "DIR",
            description = "An existing directory where the emulated device's private directory goes (default "
                    + "/dev/shm, else the temp directory). A directory on a DAX filesystem gives a CPU_CACHE device.")
    Path scratch;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "The pmem mode of the emulated device: emulated (default: CPU_CACHE, flush() is a fence: the "
                    + "path of real persistent memory, PMEM_IS_PMEM_FORCE semantics; nothing is durable), page_cache "
                    + "(flush() msyncs: what a pmem: file outside a DAX mount costs) or auto (the driver's choice for "
                    + "the scratch directory: CPU_CACHE on a DAX mount, else PAGE_CACHE). See pmem-driver/README.md.")
    String mode;

    @Option(names = "--threads", paramLabel = "LIST", split = ",",
            description = "Thread counts to measure, each in turn (default 1): N writers on disjoint parts of the "
                    + "device, each with its own iterators; aggregate and per-thread GB/s, libpmem at the same count.")
    List<Integer> threads;

    @Option(names = "--compare", arity = "2", paramLabel = "JSON",
            description = "Compare two runs' results.json (OLD NEW) cell by cell and measure nothing; exit 3 on a "
                    + "regression.")
    List<Path> compare;

    @Option(names = "--baseline", paramLabel = "JSON",
            description = "Compare this run with an earlier run's results.json; exit 3 on a regression.")
    Path baseline;

    @Option(names = "--threshold", paramLabel = "PERCENT",
            description = "A regression must be slower than this (default 10), beyond the rounds' spread.")
    Double threshold;

    @Option(names = "--region", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes of the device the writes walk (default 256M; more is colder).")
    Long region;

    @Option(names = "--libpmem", paramLabel = "LIB",
            description = "The libpmem to load (default " + LibPmem.DEFAULT_LIBRARY + ", installed with apt-get when "
                    + "missing and run as root); 'none' skips its rows.")
    String libpmem = LibPmem.DEFAULT_LIBRARY;

    @Override
    public Integer call() {
        PrintWriter outw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = "jdax " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        double limit = threshold == null ? BenchCompare.DEFAULT_THRESHOLD : threshold / 100;
        if (!(limit >= 0 && limit < 1)) {
            throw usage("--threshold must be 0 to 100 (percent), not " + threshold);
        }
        if (compare != null) {
            return compare(compare.get(0), compare.get(1), limit, outw);
        }
        Map<String, Object> base = null;
        if (baseline != null) {
            base = readReport(baseline, "--baseline");
        }
        double budget = seconds != null ? seconds : quick ? 6 : 45;
        if (!(budget > 0) || budget > 86_400) {
            throw usage("--time must be between 0 and 86400 seconds, not " + budget);
        }
        BenchRunner.Plan plan;
        try {
            plan = new BenchRunner.Plan(
                    methods == null ? List.of(BenchMethod.values()) : methods,
                    kinds == null ? List.of(IovIter.Kind.values()) : kinds,
                    sizes == null ? BenchRunner.DEFAULT_SIZES : sizes,
                    Duration.ofMillis((long) (budget * 1000)), rounds != null ? rounds : quick ? 2 : 3,
                    threads == null ? List.of(1) : threads);
        } catch (DaxException e) {
            throw usage(e.getMessage().substring(e.errno().name().length() + 2));
        }
        Workbench.Config config = Workbench.Config.defaults()
                .withLibpmem("none".equalsIgnoreCase(libpmem) ? null : libpmem);
        if (scratch != null) {
            if (!Files.isDirectory(scratch)) {
                throw usage("--scratch " + scratch + " is not a directory");
            }
            config = config.withScratchParent(scratch);
        }
        if (mode != null) {
            if (device != null) {
                throw usage("--mode is for the emulated device; put mode= in the --device spec instead");
            }
            if (!MODES.contains(mode)) {
                throw usage("--mode must be " + String.join(", ", MODES.subList(0, MODES.size() - 1)) + " or "
                        + MODES.getLast() + ", not '" + mode + "'");
            }
        }
        if (device == null) {
            // CPU_CACHE emulation needs write-back instructions (the pmem driver refuses it otherwise): then the
            // page cache is the default, and the first lines say so.
            boolean canEmulate = io.jdax.arch.Archs.current().hasCacheWriteback();
            config = config.withEmulatedMode(mode == null ? (canEmulate ? MODES.getFirst() : "page_cache")
                    : mode.equals("auto") ? null : mode);
        }
        if (region != null) {
            if (region <= 0 || region % DaxDevice.PAGE_SIZE != 0) {
                throw usage("--region must be a positive multiple of " + DaxDevice.PAGE_SIZE + " bytes (4K, 64M, 256M, ...), "
                        + "not " + region);
            }
            config = config.withSizes(region, config.fileBytes(), config.brdBytes(), config.sourceBytes());
        }
        try (RunFiles files = new RunFiles("jdax bench")) {
            return run(files, command, plan, config, budget, base, limit, outw, err);
        }
    }

    /** --compare: two reports, no measuring. */
    private int compare(Path oldFile, Path newFile, double limit, PrintWriter outw) {
        BenchCompare.Result r = BenchCompare.compare(readReport(oldFile, "--compare"), readReport(newFile, "--compare"),
                limit);
        outw.print(BenchCompare.table(r, oldFile.toString(), newFile.toString()));
        outw.flush();
        return r.regressed() ? EXIT_MISMATCH : 0;
    }

    private Map<String, Object> readReport(Path file, String option) {
        try {
            return BenchCompare.read(file);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw usage(option + " " + e.getMessage());
        }
    }

    private int run(RunFiles files, String command, BenchRunner.Plan plan, Workbench.Config config, double budget,
                    Map<String, Object> base, double limit, PrintWriter outw, PrintWriter err) {
        // Made now, not when the results are ready: a directory someone creates meanwhile is never written into.
        Path outDir = outputDirectory(files);
        if (device != null) {
            try (DaxDevice dev = DaxDevices.open(device)) {
                DataGuard.check(dev, device, destroyData);
            }
            config = config.withDevice(device);
        }
        String libpmemNote = null;
        if (LibPmem.DEFAULT_LIBRARY.equals(config.libpmem())) {
            LibPmemInstall.Outcome o = LibPmemInstall.ensure(() -> LibPmem.tryLoad(LibPmem.DEFAULT_LIBRARY).isPresent(),
                    line -> {
                        err.println(line);
                        err.flush();
                    });
            libpmemNote = o.note();
        }
        BenchReport report;
        BenchOutput.Setting setting;
        try (Workbench bench = Workbench.open(config)) {
            err.printf("bench: %s, %s (%s); %s of measuring, results to %s%n",
                    bench.scratch().map(p -> "emulated pmem in " + p).orElse(device), bench.pmem().persistence(),
                    bench.pmem().persistenceReason(), Duration.ofMillis((long) (budget * 1000)).toString().substring(2)
                            .toLowerCase(Locale.ROOT), outDir);
            err.flush();
            report = BenchRunner.run(bench, plan, line -> {
                err.println(line);
                err.flush();
            });
            if (device != null) {
                DataGuard.markScratch(bench.pmem(), "bench");
            }
            String note = libpmemNote == null ? bench.libpmemStatus()
                    : libpmemNote + (bench.libpmem().isPresent() ? "; " + bench.libpmemStatus() : "");
            setting = new BenchOutput.Setting(device == null, device == null ? DaxHint.describe(PlatformInfo.system())
                    : null, note);
        }
        String jsonText = BenchOutput.json(report, command, setting);
        RunFiles.writeNew(outDir.resolve("results.csv"), BenchOutput.csv(report));
        RunFiles.writeNew(outDir.resolve("results.json"), jsonText);
        RunFiles.writeNew(outDir.resolve("throughput.svg"), SvgChart.render(report, setting));
        outw.print(json ? jsonText : BenchOutput.table(report, outDir.toString(), command, setting));
        BenchCompare.Result compared = null;
        if (base != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> now = (Map<String, Object>) JsonReader.parse(jsonText);
            compared = BenchCompare.compare(base, now, limit);
            if (!json) {
                outw.print('\n' + BenchCompare.table(compared, baseline.toString(), "this run"));
            }
        }
        outw.flush();
        if (!report.verified()) {
            err.println("jdax bench: " + report.mismatches().size() + " operation(s) did not read back as written");
            err.flush();
            return EXIT_MISMATCH;
        }
        if (compared != null && compared.regressed()) {
            err.println("jdax bench: " + compared.count("regression") + " cell(s) regressed against " + baseline);
            err.flush();
            return EXIT_MISMATCH;
        }
        return 0;
    }

    /**
     * Makes the directory named by --out, or a new jdax-bench-DATE-TIME in the working directory
     * (or /tmp if that is not writable), 0700; an existing one is never reused.
     */
    private Path outputDirectory(RunFiles files) {
        if (out != null) {
            Path dir = out.toAbsolutePath();
            try {
                return files.output(dir);
            } catch (FileAlreadyExistsException e) {
                throw usage("--out " + out + " exists: name a new directory (jdax bench makes it, 0700, and writes "
                        + "only there)");
            } catch (IOException e) {
                throw usage("--out " + out + ": cannot make the directory: " + RunFiles.describe(e));
            }
        }
        String name = "jdax-bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path cwd = Path.of("").toAbsolutePath();
        Path parent = Files.isWritable(cwd) ? cwd : Path.of("/tmp");
        try {
            return newDirectory(files, parent, name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make an output directory in " + parent + ": " + RunFiles.describe(e)
                    + "; name one with --out", e);
        }
    }

    /** {@code parent/name}, else {@code name-2}, {@code name-3}, ...: the first that did not exist, made now. */
    static Path newDirectory(RunFiles files, Path parent, String name) throws IOException {
        for (int i = 1; ; i++) {
            try {
                return files.output(parent.resolve(i == 1 ? name : name + "-" + i));
            } catch (FileAlreadyExistsException e) {
                if (i >= 1000) {
                    throw e;
                }
            }
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Method ids for --methods. */
    static final class MethodConverter implements CommandLine.ITypeConverter<BenchMethod> {
        @Override
        public BenchMethod convert(String value) {
            try {
                return BenchMethod.of(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The method ids, for the help text. */
    static final class MethodIds extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        MethodIds() {
            super(Arrays.stream(BenchMethod.values()).map(BenchMethod::id).toList());
        }
    }

    /** Sizes as 64, 4K, 1M, 16MiB. */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size (64, 4K, 1M, 16MiB ...)");
            }
        }
    }
}
