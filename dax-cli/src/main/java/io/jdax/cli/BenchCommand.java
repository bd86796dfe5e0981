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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jdax bench}: the persistence paths measured side by side, every write verified. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures jdax's durable copy beside the seed's regression variant, cached copy + write-back, the",
            "non-temporal ceiling, brd's fallback copy, fs-dax file writes with fsync and libpmem's",
            "pmem_memcpy_persist (when installed), for sizes 64 B .. 16 MiB and the USER, KVEC and BVEC",
            "iterators. Every write is read back and compared byte for byte (outside the timed part).",
            "",
            "Without --device it emulates pmem with a file in a private directory under /dev/shm (0600; removed",
            "afterwards, also on Ctrl-C or failure). Prints a table; writes results.csv, results.json and",
            "throughput.svg into the output directory, which it names. Progress goes to stderr.",
            "For rigorous figures use the JMH benchmarks (docs/BENCHMARKS.md)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every write verified", "1:failure (the reason is printed on stderr)", "2:bad usage",
            "3:a write did not read back as written", "4:--device holds data and --destroy-data was not given"})
final class BenchCommand implements Callable<Integer> {

    /** Exit code when a write read back wrong. */
    static final int EXIT_MISMATCH = 3;

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
            description = "Where results go (created 0700 if missing). Default: a new jdax-bench-DATE-TIME directory "
                    + "in the working directory, or in /tmp if that is not writable.")
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
            description = "Bytes per write (default 64,256,1K,4K,64K,1M,16M).")
    List<Long> sizes;

    @Option(names = "--scratch", paramLabel = "DIR",
            description = "Where the emulated device's directory goes (default /dev/shm, else the temp directory). "
                    + "A directory on a DAX filesystem gives a CPU_CACHE device.")
    Path scratch;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "The pmem mode of the emulated device: auto (default: PAGE_CACHE on /dev/shm, flush() msyncs) "
                    + "or emulated (CPU_CACHE, flush() is a fence: the path of real persistent memory; nothing is "
                    + "durable). See pmem-driver/README.md.")
    String mode;

    @Option(names = "--region", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes of the device the writes walk (default 256M; more is colder).")
    Long region;

    @Option(names = "--libpmem", paramLabel = "LIB",
            description = "The libpmem to load (default " + LibPmem.DEFAULT_LIBRARY + "); 'none' skips its row.")
    String libpmem = LibPmem.DEFAULT_LIBRARY;

    @Override
    public Integer call() {
        PrintWriter outw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = "jdax " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        double budget = seconds != null ? seconds : quick ? 6 : 45;
        if (!(budget > 0) || budget > 86_400) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--time must be between 0 and 86400 seconds, not "
                    + budget);
        }
        BenchRunner.Plan plan;
        try {
            plan = new BenchRunner.Plan(
                    methods == null ? List.of(BenchMethod.values()) : methods,
                    kinds == null ? List.of(IovIter.Kind.values()) : kinds,
                    sizes == null ? BenchRunner.DEFAULT_SIZES : sizes,
                    Duration.ofMillis((long) (budget * 1000)), rounds != null ? rounds : quick ? 2 : 3);
        } catch (DaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage().substring(e.errno().name().length() + 2));
        }
        Path outDir = outputDirectory();

        Workbench.Config config = Workbench.Config.defaults()
                .withLibpmem("none".equalsIgnoreCase(libpmem) ? null : libpmem);
        if (scratch != null) {
            config = config.withScratchParent(scratch);
        }
        if (mode != null) {
            if (device != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--mode is for the emulated device; put mode= "
                        + "in the --device spec instead");
            }
            config = config.withEmulatedMode(mode);
        }
        if (region != null) {
            config = config.withSizes(region, config.fileBytes(), config.brdBytes(), config.sourceBytes());
        }
        if (device != null) {
            try (DaxDevice dev = DaxDevices.open(device)) {
                DataGuard.check(dev, device, destroyData);
            }
            config = config.withDevice(device);
        }
        BenchReport report;
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
        }
        createDirectory(outDir);
        write(outDir.resolve("results.csv"), BenchOutput.csv(report));
        write(outDir.resolve("results.json"), BenchOutput.json(report, command));
        write(outDir.resolve("throughput.svg"), SvgChart.render(report));
        outw.print(json ? BenchOutput.json(report, command) : BenchOutput.table(report, outDir.toString(), command));
        outw.flush();
        if (!report.verified()) {
            err.println("jdax bench: " + report.mismatches().size() + " write(s) did not read back as written");
            err.flush();
            return EXIT_MISMATCH;
        }
        return 0;
    }

    /** The directory named by --out, or a new name in the working directory (or /tmp if that is not writable). */
    private Path outputDirectory() {
        if (out != null) {
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is not a directory");
            }
            return out.toAbsolutePath();
        }
        String name = "jdax-bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path cwd = Path.of("").toAbsolutePath();
        Path parent = Files.isWritable(cwd) ? cwd : Path.of("/tmp");
        Path dir = parent.resolve(name);
        for (int i = 2; Files.exists(dir); i++) {
            dir = parent.resolve(name + "-" + i);
        }
        return dir;
    }

    /** Makes the output directory (0700) once there is something to put in it. */
    private static void createDirectory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output directory " + dir + ": " + e, e);
        }
    }

    private static void write(Path file, String text) {
        try {
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e, e);
        }
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
