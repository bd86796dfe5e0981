package io.jdax.cli;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import io.jdax.testkit.conformance.ConformanceCheck;
import io.jdax.testkit.conformance.DriverConformance;
import io.jdax.testkit.conformance.DriverUnderTest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jdax selftest --device SPEC}: the driver conformance suite against one real device. */
@Command(name = "selftest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs dax-testkit's driver conformance suite against a device: discovery (C1), geometry, directAccess (C2),",
            "round trips from every iterator kind (C5), zeroPageRange, durability under the power-fail simulator (C9),",
            "write-back accounting (C4), bad blocks, concurrency, close during I/O (C8) and bad input. Prints pass or",
            "fail per check, the persistence mode the device got and why, and the copy and flush instructions used.",
            "",
            "Every check writes to the device. A device that holds data is refused unless --destroy-data is given:",
            "a filesystem, swap, LUKS, LVM2, partition table or ZFS signature at its own offset, a non-zero byte in",
            "the first or last MiB or among 64 pages sampled, or the marker an earlier jdax run left. Afterwards",
            "the device holds test data and that marker. The checks' scratch goes in a private directory of the",
            "temporary directory, removed afterwards, also on Ctrl-C or SIGTERM."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every applicable check passed", "1:failure (the reason is printed on stderr)", "2:bad usage",
            "3:a check failed", "4:the device holds data and --destroy-data was not given"})
final class SelftestCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--device", paramLabel = "SPEC", required = true,
            description = "The device: pmem:/dev/dax0.0, pmem:/mnt/pmem/selftest?size=64M&create=true, brd:t?size=64M, ...")
    String device;

    @Option(names = "--destroy-data", description = "Overwrite a device that holds data.")
    boolean destroyData;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    private record Outcome(String contract, String check, String status, String message, double seconds) {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String scheme;
        try {
            scheme = DeviceSpec.parse(device).scheme();
        } catch (DaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage().substring(e.errno().name().length() + 2));
        }
        try (RunFiles files = new RunFiles("jdax selftest")) {
            // The checks' scratch directories go in one of the run's own, removed also on a signal.
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            Path scratch;
            try {
                scratch = files.scratch(tmp, "jdax-selftest-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a scratch directory in " + tmp + ": " + RunFiles.describe(e), e);
            }
            return run(scheme, scratch, out, err);
        }
    }

    private int run(String scheme, Path scratch, PrintWriter out, PrintWriter err) {
        long size;
        PersistenceMode mode;
        String reason;
        Map<String, String> platform;
        try (DaxDevice dev = DaxDevices.open(device)) {
            DataGuard.check(dev, device, destroyData);
            size = dev.size();
            mode = dev.persistence();
            reason = dev.persistenceReason();
            platform = new java.util.LinkedHashMap<>(dev.facts());
            platform.put("unsafe shutdowns", dev.unsafeShutdownCount().describe());
        }
        if (size < DriverUnderTest.MIN_SIZE) {
            throw new DaxException(io.jdax.dax.Errno.EINVAL, device + " has " + Sizes.format(size) + "; the suite needs at"
                    + " least " + Sizes.format(DriverUnderTest.MIN_SIZE));
        }
        // A fixed device: every check opens the same one (the suite allows any size for that).
        DriverUnderTest d = DriverUnderTest.of(scheme, (dir, bytes) -> device).withDeviceSize(
                Math.min(size, 1L << 20) / DaxDevice.PAGE_SIZE * DaxDevice.PAGE_SIZE);
        Arch arch = Archs.current();

        long t0 = System.nanoTime();
        List<Outcome> outcomes = new ArrayList<>();
        List<DriverConformance.Group> groups = DriverConformance.groups(d, scratch);
        int total = groups.stream().mapToInt(g -> g.checks().size()).sum();
        int n = 0;
        for (DriverConformance.Group g : groups) {
            if (g.notApplicable() != null) {
                outcomes.add(new Outcome(g.contract(), "", "N/A", g.notApplicable(), 0));
            }
            for (ConformanceCheck c : g.checks()) {
                n++;
                long start = System.nanoTime();
                Outcome o;
                try {
                    DriverConformance.execute(c, scratch);
                    o = new Outcome(g.contract(), c.name(), "PASS", "", (System.nanoTime() - start) / 1e9);
                } catch (Throwable t) {
                    String msg = t.getMessage() == null ? t.toString() : t.getMessage();
                    o = new Outcome(g.contract(), c.name(), "FAIL", msg.replace('\n', ' '),
                            (System.nanoTime() - start) / 1e9);
                }
                outcomes.add(o);
                err.printf(Locale.ROOT, "selftest: [%d/%d] %-4s %s / %s (%.2f s)%n", n, total, o.status(), g.contract(),
                        c.name(), o.seconds());
                err.flush();
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        try (DaxDevice dev = DaxDevices.open(device)) {
            DataGuard.markScratch(dev, "selftest");
        }
        long failed = outcomes.stream().filter(o -> o.status().equals("FAIL")).count();
        out.print(json ? json(outcomes, mode, reason, platform, arch, elapsed)
                : table(outcomes, size, mode, reason, platform, arch, elapsed));
        out.flush();
        if (failed > 0) {
            err.println("jdax selftest: " + failed + " check(s) failed");
            err.flush();
            return Jdax.EXIT_PROBLEM;
        }
        return 0;
    }

    private String table(List<Outcome> outcomes, long size, PersistenceMode mode, String reason,
                         Map<String, String> platform, Arch arch, double elapsed) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "jdax selftest %s: %s (%.1f s)%n", device, counts(outcomes), elapsed));
        b.append(String.format(Locale.ROOT, "device       %s, %s%n", device, Sizes.format(size)));
        b.append(String.format(Locale.ROOT, "persistence  %s: %s%n", mode, reason));
        platform.forEach((k, v) -> b.append(String.format(Locale.ROOT, "platform     %s: %s%n", k, v)));
        b.append(String.format(Locale.ROOT, "arch         %s: %s%n", arch.name(), instructions(arch.features())));
        String contract = null;
        for (Outcome o : outcomes) {
            if (!o.contract().equals(contract)) {
                contract = o.contract();
                b.append('\n').append(contract).append('\n');
            }
            b.append(String.format(Locale.ROOT, "  %-7s %s%s%n", o.status(), o.check().isEmpty() ? "" : o.check(),
                    o.message().isEmpty() ? "" : (o.check().isEmpty() ? "" : ": ") + o.message()));
        }
        return b.toString();
    }

    private static String counts(List<Outcome> outcomes) {
        return String.format(Locale.ROOT, "%d passed, %d failed, %d skipped, %d not applicable",
                outcomes.stream().filter(o -> o.status().equals("PASS")).count(),
                outcomes.stream().filter(o -> o.status().equals("FAIL")).count(),
                outcomes.stream().filter(o -> o.status().equals("SKIPPED")).count(),
                outcomes.stream().filter(o -> o.status().equals("N/A")).count());
    }

    /** "copy avx2 non-temporal stores, flush clwb, flushcache.threshold 0 bytes", or what the Arch says it has. */
    static String instructions(Map<String, String> f) {
        List<String> parts = new ArrayList<>();
        for (String k : new String[] {"copy", "flush", "fence", "flushcache.threshold"}) {
            if (f.containsKey(k)) {
                parts.add(k + " " + f.get(k).replaceAll(" \\(jdax[^)]*\\)", ""));
            }
        }
        return parts.isEmpty() ? "no cache instructions (" + f + ")" : String.join(", ", parts);
    }

    private String json(List<Outcome> outcomes, PersistenceMode mode, String reason, Map<String, String> platform,
                        Arch arch, double elapsed) {
        Json j = new Json().beginObject().field("tool", "jdax selftest").field("version", Jdax.version())
                .field("device", device).field("persistence", mode.name()).field("reason", reason);
        j.name("platform").beginObject();
        platform.forEach(j::field);
        j.endObject()
                .field("arch", arch.name()).field("instructions", instructions(arch.features()))
                .field("elapsed_s", elapsed)
                .field("passed", outcomes.stream().noneMatch(o -> o.status().equals("FAIL")));
        j.name("checks").beginArray();
        for (Outcome o : outcomes) {
            j.beginObject().field("contract", o.contract()).field("check", o.check()).field("status", o.status())
                    .field("message", o.message()).field("seconds", o.seconds()).endObject();
        }
        return j.endArray().endObject() + "\n";
    }
}
