package io.jdax.cli;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.testkit.campaign.Campaign;
import io.jdax.testkit.campaign.CampaignReport;
import io.jdax.testkit.campaign.DeviceFactory;
import io.jdax.testkit.campaign.Workload;
import io.jdax.testkit.campaign.Workloads;
import io.jdax.testkit.sim.PmemcheckReport;
import io.jdax.testkit.sim.WritebackStats;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code jdax crashtest}: power-fail campaigns of the testkit, as long as the budget allows. */
@Command(name = "crashtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs the dax-testkit's power-fail campaigns: each workload runs on a device opened with the simulated",
            "Arch, is crashed at every flush boundary and at random points (or as --points says), and every crash",
            "image is rebooted through the driver and judged: acknowledged bytes must all be there. A crash point",
            "is a tick: a write the workload declares, an acknowledgement, or a copy, write-back or fence the driver",
            "makes (each built-in workload has 89 to 249 ticks with seed 1). Workloads: the pmem driver",
            "(sequential-append, random-overwrite), fs-dax (fs-file-writes, fs-direct-mapped-stores), daxfs",
            "(daxfs-create-write-fsync, -append-fsync, -rename-over, -truncate, -fallocate, -delete: every image must",
            "pass fsck, mount and hold the files promised), and any io.jdax.testkit.campaign.Workload a plugin on",
            "JDAX_PLUGIN_PATH provides through the ServiceLoader. Rounds with seeds SEED, SEED+1, ... run until",
            "--time is spent (at least one); a round's seed picks its random crash points and images, and the data,",
            "offsets and lengths of every workload that draws them at random.",
            "Progress goes to stderr; the report to stdout."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no acknowledged byte lost, every image rebooted", "1:failure (the reason is printed on stderr)",
            "2:bad usage", "3:acknowledged bytes were lost, or an image failed to reboot"})
final class CrashtestCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seed", paramLabel = "N", description = "The first round's seed (default 1); the same seed gives "
            + "the same crash points and images.")
    long seed = 1;

    @Option(names = "--time", paramLabel = "SECONDS",
            description = "Keep starting rounds until this many seconds have passed (default 20; 0: one round).")
    double seconds = 20;

    @Option(names = "--workloads", paramLabel = "LIST", split = ",",
            description = "Only these workloads (default all).")
    List<String> workloads;

    @Option(names = "--template", paramLabel = "SPEC",
            description = "The device over each image, {image} standing for its path (default "
                    + CrashtestCommand.DEFAULT_TEMPLATE + ": the pmem driver, CPU_CACHE mode, so the simulator sees "
                    + "every durability step).")
    String template = DEFAULT_TEMPLATE;

    @Option(names = "--random-points", paramLabel = "N",
            description = "Crash points per campaign besides the flush boundaries (default 16).")
    Integer randomPoints;

    @Option(names = "--points", paramLabel = "N|all",
            description = {"Exactly N crash points per campaign instead (at least 1; every tick of a workload that "
                    + "has fewer): the flush boundaries first, then random ticks.",
                "all: every tick, exhaustive; the time grows with the ticks times the images per point, each image "
                    + "a reboot of the driver (one round of the built-in workloads: 1619 crash points in 16 s, against "
                    + "600 in 7 s by default, on 2 shared cores). A campaign that runs long says how far it is every "
                    + "5 s. Not with --random-points."})
    String points;

    @Option(names = "--seeds-per-point", paramLabel = "K",
            description = "Random crash images per crash point, beside the harshest one (default 3).")
    int seedsPerPoint = 3;

    @Option(names = "--scratch", paramLabel = "DIR",
            description = "An existing directory where the run's private directory of image files goes (default "
                    + "/dev/shm, else the temp directory); removed afterwards, also on Ctrl-C or SIGTERM.")
    Path scratch;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    static final String DEFAULT_TEMPLATE = "pmem:{image}?mode=emulated";

    /** How often a long campaign says how far it is. */
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    /** What the run crashes at, for the report: set when the options are read. */
    private String pointsDescription = "";

    /** One workload's campaigns, summed over rounds. */
    private static final class Tally {
        final String workload;
        int rounds;
        long ticks;
        int crashPoints;
        int images;
        long lost;
        long torn;
        int rebootFailures;
        long writes;
        long acks;
        String device = "";
        WritebackStats writeback = WritebackStats.NONE;
        PmemcheckReport pmemcheck = PmemcheckReport.NONE;
        String skipped;
        final List<String> losses = new ArrayList<>();

        Tally(String workload) {
            this.workload = workload;
        }

        boolean passed() {
            return lost == 0 && rebootFailures == 0;
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (seconds < 0 || seconds > 86_400 || (randomPoints != null && randomPoints < 0) || seedsPerPoint < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--time, --random-points and --seeds-per-point must not be negative (and --time at most 86400)");
        }
        Campaign.CrashPoints crashPoints = crashPoints();
        pointsDescription = crashPoints.describe();
        DeviceFactory factory;
        Campaign.Config base;
        try {
            factory = DeviceFactory.spec(template);
            base = Campaign.Config.defaults().withPoints(crashPoints).withSeedsPerPoint(seedsPerPoint);
        } catch (DaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage().substring(e.errno().name().length() + 2));
        }
        if (scratch != null && !Files.isDirectory(scratch)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--scratch " + scratch + " is not a directory");
        }
        List<Workload> chosen = choose(available());
        try (RunFiles files = new RunFiles("jdax crashtest")) {
            // One private directory for the whole run, so a signal's cleanup finds every campaign's images.
            Path parent = scratch != null ? scratch : base.scratch();
            Path dir;
            try {
                dir = files.scratch(parent, "jdax-crash-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a scratch directory in " + parent + ": "
                        + RunFiles.describe(e), e);
            }
            return run(chosen, base.withScratch(dir), factory, out, err);
        }
    }

    /** What --points and --random-points ask for. */
    private Campaign.CrashPoints crashPoints() {
        if (points == null) {
            return Campaign.CrashPoints.boundariesAnd(randomPoints == null ? 16 : randomPoints);
        }
        if (randomPoints != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--points and --random-points cannot be used together");
        }
        if (points.strip().equals("all")) {
            return Campaign.CrashPoints.every();
        }
        int n;
        try {
            n = Integer.parseInt(points.strip());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--points must be a whole number of at least 1, or all: '" + points + "'");
        }
        return Campaign.CrashPoints.exactly(n);
    }

    private int run(List<Workload> chosen, Campaign.Config base, DeviceFactory factory, PrintWriter out,
                    PrintWriter err) {
        Map<String, Tally> tallies = new LinkedHashMap<>();
        chosen.forEach(w -> tallies.put(w.name(), new Tally(w.name())));

        long t0 = System.nanoTime();
        long deadline = t0 + (long) (seconds * 1e9);
        int round = 0;
        do {
            long roundSeed = seed + round;
            round++;
            for (Workload w : chosen) {
                Tally t = tallies.get(w.name());
                if (t.skipped != null) {
                    continue;
                }
                CampaignReport r;
                long c0 = System.nanoTime();
                long[] shown = {c0};
                int thisRound = round;
                Campaign.Progress progress = (done, points, images) -> {
                    long now = System.nanoTime();
                    if (now - shown[0] >= PROGRESS_NANOS && done < points) { // a long campaign: how far it is
                        shown[0] = now;
                        err.printf(Locale.ROOT, "crashtest: round %d (seed %d) %-24s %4d of %d crash points, %5d images so far (%.1f s)%n",
                                thisRound, roundSeed, w.name(), done, points, images, (now - c0) / 1e9);
                        err.flush();
                    }
                };
                try {
                    r = new Campaign(factory, base.withSeed(roundSeed)).run(w.withSeed(roundSeed), progress);
                } catch (DaxException e) {
                    if (e.errno() == Errno.EOPNOTSUPP && t.rounds == 0) {
                        t.skipped = e.getMessage().substring(e.errno().name().length() + 2);
                        err.printf("crashtest: %s skipped: %s%n", w.name(), t.skipped);
                        err.flush();
                        continue;
                    }
                    throw e;
                }
                if (!r.applicable()) {
                    t.skipped = r.notApplicable(); // the workload cannot judge this device: said once, not run again
                    err.printf("crashtest: %s skipped: not applicable: %s%n", w.name(), t.skipped);
                    err.flush();
                    continue;
                }
                add(t, r);
                err.printf(Locale.ROOT, "crashtest: round %d (seed %d) %-24s %4d crash points, %5d images, %s (%.1f s)%n",
                        round, roundSeed, w.name(), r.crashPoints(), r.imagesChecked(),
                        r.passed() ? "passed" : "LOST " + r.acknowledgedBytesLost() + " acknowledged bytes",
                        r.elapsed().toMillis() / 1000.0);
                err.flush();
            }
        } while (System.nanoTime() < deadline && tallies.values().stream().anyMatch(t -> t.skipped == null));
        double elapsed = (System.nanoTime() - t0) / 1e9;

        List<Tally> all = new ArrayList<>(tallies.values());
        out.print(json ? json(all, round, elapsed) : table(all, round, elapsed));
        out.flush();
        boolean passed = all.stream().allMatch(Tally::passed);
        if (!passed) {
            err.println("jdax crashtest: acknowledged data was lost (see the report)");
            err.flush();
        }
        return passed ? 0 : Jdax.EXIT_PROBLEM;
    }

    /** The built-in workloads, then the ServiceLoader's (a plugin's name wins over nothing: duplicates are dropped). */
    static List<Workload> available() {
        List<Workload> list = new ArrayList<>(Workloads.all());
        var it = ServiceLoader.load(Workload.class, CrashtestCommand.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                Workload w = it.next();
                if (list.stream().noneMatch(x -> x.name().equals(w.name()))) {
                    list.add(w);
                }
            } catch (ServiceConfigurationError e) {
                // a broken plugin is not our workload: jdax info reports broken providers
            }
        }
        return list;
    }

    private List<Workload> choose(List<Workload> all) {
        if (workloads == null) {
            return all;
        }
        List<Workload> out = new ArrayList<>();
        for (String name : workloads) {
            Workload w = all.stream().filter(x -> x.name().equals(name.strip())).findFirst()
                    .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), "unknown workload '" + name
                            + "' (known: " + all.stream().map(Workload::name).collect(Collectors.joining(", ")) + ")"));
            if (!out.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    private static void add(Tally t, CampaignReport r) {
        t.rounds++;
        t.ticks += r.ticks();
        t.crashPoints += r.crashPoints();
        t.images += r.imagesChecked();
        t.lost += r.acknowledgedBytesLost();
        t.torn += r.unacknowledgedBytesTorn();
        t.rebootFailures += r.rebootFailures();
        t.writes += r.writes();
        t.acks += r.acknowledgements();
        t.device = r.device();
        t.writeback = t.writeback.plus(r.writeback());
        t.pmemcheck = t.pmemcheck.plus(r.pmemcheck());
        if (!r.passed() && t.losses.size() < 3) {
            t.losses.add(r.describe().strip());
        }
    }

    private String table(List<Tally> all, int rounds, double elapsed) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "jdax crashtest: %d round(s), seeds %d..%d, %.1f s; devices %s; crash points: %s%n",
                rounds, seed, seed + rounds - 1, elapsed, template, pointsDescription));
        b.append(String.format(Locale.ROOT, "%-26s %6s %8s %12s %8s %15s %19s  %s%n", "workload", "rounds", "ticks",
                "crash points", "images", "ack bytes lost", "torn unacked bytes", "result"));
        for (Tally t : all) {
            if (t.skipped != null) {
                b.append(String.format(Locale.ROOT, "%-26s skipped: %s%n", t.workload, t.skipped));
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-26s %6d %8d %12d %8d %15d %19d  %s%n", t.workload, t.rounds, t.ticks,
                    t.crashPoints, t.images, t.lost, t.torn, t.passed() ? "PASSED" : "FAILED"));
        }
        b.append('\n');
        for (Tally t : all) {
            if (t.skipped == null) {
                b.append(String.format(Locale.ROOT, "%-26s on %s: %d writes, %d acknowledgements%n", t.workload, t.device,
                        t.writes, t.acks));
                b.append(String.format(Locale.ROOT, "%-26s C4: %s%n", "", t.writeback.describe()));
                b.append(String.format(Locale.ROOT, "%-26s %s%n", "", t.pmemcheck.describe(3)));
            }
        }
        for (Tally t : all) {
            for (String loss : t.losses) {
                b.append('\n').append(loss).append('\n');
            }
        }
        return b.toString();
    }

    private String json(List<Tally> all, int rounds, double elapsed) {
        Json j = new Json().beginObject().field("tool", "jdax crashtest").field("version", Jdax.version())
                .field("template", template).field("crash_points_per_campaign", pointsDescription)
                .field("first_seed", seed).field("rounds", (long) rounds)
                .field("elapsed_s", elapsed).field("passed", all.stream().allMatch(Tally::passed));
        j.name("workloads").beginArray();
        for (Tally t : all) {
            j.beginObject().field("workload", t.workload);
            if (t.skipped != null) {
                j.field("skipped", t.skipped).endObject();
                continue;
            }
            j.field("device", t.device).field("rounds", (long) t.rounds).field("ticks", t.ticks)
                    .field("crash_points", (long) t.crashPoints)
                    .field("images_checked", (long) t.images).field("acknowledged_bytes_lost", t.lost)
                    .field("unacknowledged_bytes_torn", t.torn).field("reboot_failures", (long) t.rebootFailures)
                    .field("writes", t.writes).field("acknowledgements", t.acks)
                    .field("lines_written_back", t.writeback.linesWrittenBack())
                    .field("redundant_writebacks", t.writeback.redundantWritebacks())
                    .field("wasted_writebacks", t.pmemcheck.wastedWritebacks())
                    .field("dirty_lines_left", t.pmemcheck.dirtyLines())
                    .field("passed", t.passed());
            j.name("losses").beginArray();
            t.losses.forEach(j::string);
            j.endArray().endObject();
        }
        return j.endArray().endObject() + "\n";
    }
}
