package io.jdax.testkit.campaign;

import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.sim.CrashModel;
import io.jdax.testkit.sim.PmemcheckReport;
import io.jdax.testkit.sim.SimulatedArch;
import io.jdax.testkit.sim.SimulatedMedia;
import io.jdax.testkit.sim.WritebackStats;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A power-fail campaign (contract C9): runs a {@link Workload} on a device opened with a
 * {@link SimulatedArch}, crashes it at many points, reboots the driver over each crash image and
 * judges what it holds against the workload's {@link Ledger} (or, for a {@link CheckedWorkload},
 * lets the workload judge it).
 * <p>
 * Crash points are <em>ticks</em>: each write the workload declares (just before it is issued),
 * each acknowledgement (just after), and each copy, write-back and fence the driver makes on the
 * device (just after). {@link Config#points} says which ticks to crash at: by default every flush
 * boundary (each acknowledgement, and the tick before each fence) and 16 random ticks besides;
 * or exactly N ticks ({@link CrashPoints#exactly}); or every tick ({@link CrashPoints#every}),
 * for small workloads, since each point costs a reboot per image. At each point it checks
 * {@link Config#seedsPerPoint} seeded images, plus the harshest image (every unfenced line lost)
 * when asked. A first run counts the ticks, a second crashes; the workload must be
 * deterministic.
 * <p>
 * A workload that cannot judge a device ({@link Workload#notApplicableTo}) is reported as not
 * applicable to it ({@link CampaignReport#applicable()}), not run.
 * <p>
 * A campaign sees what its {@link SimulatedArch} sees, so it shares its blind spot: a line the
 * driver changes with plain stores and changes back with no tick in between, without a
 * write-back (an acknowledged line used as scratch space and restored), is not caught in either
 * {@link io.jdax.testkit.sim.CrashModel}, though a real cache may have evicted it in between. With
 * ticks in between, it is caught only if a crash point falls on one of them. The same change made
 * through the Arch ({@code memset}, {@code memmove}, a cached copy) is a tick itself, and what it
 * stored stays a possible survivor of the line at every later crash point until the line is
 * written back and fenced, for the seeded images to choose. The
 * report carries pmemcheck's findings ({@link CampaignReport#pmemcheck()}): wasted write-backs over
 * the whole run, and lines left dirty when the workload ended.
 * <p>
 * The simulator models persistent memory whose volatile layer is the CPU cache. A device in
 * {@link io.jdax.dax.PersistenceMode#PAGE_CACHE} mode is judged by the same model, which is
 * stricter than its mode needs: the msync it relies on is invisible to the simulator.
 */
public final class Campaign {

    /** What a tick was. */
    public enum TickKind {
        /** Just before a declared write. */
        WRITE,
        /** Just after a declared acknowledgement. */
        ACK,
        /** Just after a copy into the device, or the cached stores of a memset, memmove or copyMc. */
        COPY,
        /** Just after a write-back of device memory. */
        WRITEBACK,
        /** Just after a fence. */
        FENCE
    }

    /**
     * Which ticks a campaign crashes at. The choice among ticks is drawn from the campaign's seed.
     * A flush boundary (an acknowledgement, or the tick before a fence) has the most at stake, so
     * it is chosen before any other tick.
     */
    public sealed interface CrashPoints {

        /** Every flush boundary, and {@code random} other ticks (fewer when the workload has fewer). */
        static CrashPoints boundariesAnd(int random) {
            return new BoundariesAnd(random);
        }

        /**
         * Exactly {@code count} ticks, or every tick of a workload that has fewer: the flush
         * boundaries first (a random {@code count} of them when there are more), then random
         * other ticks.
         */
        static CrashPoints exactly(int count) {
            return new Exactly(count);
        }

        /**
         * Every tick: exhaustive, and deterministic in where it crashes. The time grows with the
         * workload's ticks times the images per point, each image a reboot of the driver.
         */
        static CrashPoints every() {
            return new Every();
        }

        /** In words, for reports: e.g. {@code every flush boundary and 16 random ticks}. */
        String describe();

        /**
         * {@link #boundariesAnd}.
         *
         * @param random ticks besides the flush boundaries, at least 0
         */
        record BoundariesAnd(int random) implements CrashPoints {
            /** Checks the number. */
            public BoundariesAnd {
                if (random < 0) {
                    throw new DaxException(Errno.EINVAL, "campaign: " + random + " random points: must not be negative");
                }
            }

            @Override
            public String describe() {
                return "every flush boundary and " + random + " random ticks";
            }
        }

        /**
         * {@link #exactly}.
         *
         * @param count the crash points per campaign, at least 1
         */
        record Exactly(int count) implements CrashPoints {
            /** Checks the number. */
            public Exactly {
                if (count < 1) {
                    throw new DaxException(Errno.EINVAL, "campaign: " + count + " crash points: at least 1 is needed");
                }
            }

            @Override
            public String describe() {
                return count + " ticks";
            }
        }

        /** {@link #every}. */
        record Every() implements CrashPoints {
            @Override
            public String describe() {
                return "every tick";
            }
        }
    }

    /**
     * How a campaign crashes.
     *
     * @param seed           the seed of every random choice: crash points and images
     * @param points         which ticks to crash at
     * @param seedsPerPoint  seeded crash images per crash point
     * @param harshestImage  also check, at each point, the image where every unfenced line is lost
     * @param model          how unfenced lines survive
     * @param deviceSize     the image size, a multiple of 4096 (more if the workload needs more:
     *                       {@link Workload#minDeviceSize()})
     * @param scratch        where image files go (a private directory is made inside)
     */
    public record Config(long seed, CrashPoints points, int seedsPerPoint, boolean harshestImage, CrashModel model,
                         int deviceSize, Path scratch) {
        /** Checks the values. */
        public Config {
            Objects.requireNonNull(points, "points");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(scratch, "scratch");
            if (seedsPerPoint < 0 || (seedsPerPoint == 0 && !harshestImage)) {
                throw new DaxException(Errno.EINVAL, "campaign: " + seedsPerPoint
                        + " seeds per point" + (harshestImage ? "" : " without the harshest image")
                        + ": at least one image per point is needed");
            }
            if (deviceSize <= 0 || deviceSize % DaxDevice.PAGE_SIZE != 0) {
                throw new DaxException(Errno.EINVAL, "campaign: device size " + deviceSize
                        + " must be a positive multiple of " + DaxDevice.PAGE_SIZE);
            }
        }

        /**
         * Seed 1, every flush boundary and 16 random ticks, 3 seeds per point plus the harshest
         * image, the line model, 256 KiB, /dev/shm or the temp dir.
         */
        public static Config defaults() {
            return new Config(1, CrashPoints.boundariesAnd(16), 3, true, CrashModel.LINE, 256 * 1024, ImageFiles.defaultScratch());
        }

        /** This configuration with another seed. */
        public Config withSeed(long s) {
            return new Config(s, points, seedsPerPoint, harshestImage, model, deviceSize, scratch);
        }

        /** This configuration crashing at other ticks: {@link CrashPoints#exactly}, {@link CrashPoints#every}, ... */
        public Config withPoints(CrashPoints p) {
            return new Config(seed, p, seedsPerPoint, harshestImage, model, deviceSize, scratch);
        }

        /** This configuration crashing at every flush boundary and {@code n} random ticks besides. */
        public Config withRandomPoints(int n) {
            return withPoints(CrashPoints.boundariesAnd(n));
        }

        /** This configuration with another number of seeds per point. */
        public Config withSeedsPerPoint(int k) {
            return new Config(seed, points, k, harshestImage, model, deviceSize, scratch);
        }

        /** This configuration with or without the harshest image. */
        public Config withHarshestImage(boolean h) {
            return new Config(seed, points, seedsPerPoint, h, model, deviceSize, scratch);
        }

        /** This configuration with another crash model. */
        public Config withModel(CrashModel m) {
            return new Config(seed, points, seedsPerPoint, harshestImage, m, deviceSize, scratch);
        }

        /** This configuration with another device size. */
        public Config withDeviceSize(int bytes) {
            return new Config(seed, points, seedsPerPoint, harshestImage, model, bytes, scratch);
        }

        /** This configuration with another scratch directory. */
        public Config withScratch(Path dir) {
            return new Config(seed, points, seedsPerPoint, harshestImage, model, deviceSize, dir);
        }
    }

    private static final int MAX_LOSSES = 50;

    private final DeviceFactory factory;
    private final Config config;

    /** A campaign over devices from {@code factory}. */
    public Campaign(DeviceFactory factory, Config config) {
        this.factory = Objects.requireNonNull(factory, "factory");
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Told after each crash point is judged, so that a long campaign (every tick of a large
     * workload) can show how far it is. Called on the thread that runs the campaign.
     */
    @FunctionalInterface
    public interface Progress {
        /**
         * One more crash point judged, with every image of it.
         *
         * @param pointsDone    crash points judged so far
         * @param points        crash points this campaign will judge
         * @param imagesChecked crash images rebooted and judged so far
         */
        void crashed(int pointsDone, int points, int imagesChecked);
    }

    /** Runs the workload, crashing it everywhere the configuration says, and reports. */
    public CampaignReport run(Workload workload) {
        return run(workload, (done, points, images) -> { });
    }

    /** {@link #run(Workload)}, telling {@code progress} after each crash point. */
    public CampaignReport run(Workload workload, Progress progress) {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(progress, "progress");
        long t0 = System.nanoTime();
        Path dir = ImageFiles.createDirectory(config.scratch());
        try {
            List<TickKind> kinds = new ArrayList<>();
            try {
                runOnce(dir, workload, (tick, media, ledger) -> kinds.add(tick.kind()));
            } catch (NotApplicable e) {
                return CampaignReport.notApplicable(workload.name(), e.device, config.seed(),
                        Duration.ofNanos(System.nanoTime() - t0), e.getMessage());
            }
            TreeSet<Integer> points = choosePoints(kinds);
            Crasher crasher = new Crasher(dir, points, workload, progress);
            Run run = runOnce(dir, workload, crasher);
            List<String> warnings = new ArrayList<>();
            if (crasher.ticks != kinds.size()) {
                warnings.add("the workload is not deterministic: " + kinds.size() + " ticks on the first run, "
                        + crasher.ticks + " on the second");
            }
            return new CampaignReport(workload.name(), run.device, config.seed(), crasher.ticks, crasher.pointsHit,
                    crasher.images, crasher.lostBytes, crasher.lostUnion(), crasher.losses, crasher.torn,
                    crasher.rebootFailures, run.stats, run.pmemcheck, run.writes, run.acks,
                    Duration.ofNanos(System.nanoTime() - t0),
                    warnings, "");
        } finally {
            ImageFiles.deleteTree(dir);
        }
    }

    /** The ticks to crash at, as {@link Config#points} says. */
    private TreeSet<Integer> choosePoints(List<TickKind> kinds) {
        TreeSet<Integer> points = new TreeSet<>();
        if (config.points() instanceof CrashPoints.Every) {
            for (int i = 0; i < kinds.size(); i++) {
                points.add(i);
            }
            return points;
        }
        TreeSet<Integer> boundaries = new TreeSet<>();
        for (int i = 0; i < kinds.size(); i++) {
            if (kinds.get(i) == TickKind.ACK) {
                boundaries.add(i);
            } else if (kinds.get(i) == TickKind.FENCE && i > 0) {
                boundaries.add(i - 1); // everything written, nothing fenced yet: the most at stake
            }
        }
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            if (!boundaries.contains(i)) {
                others.add(i);
            }
        }
        SplittableRandom rnd = new SplittableRandom(config.seed());
        switch (config.points()) {
            case CrashPoints.BoundariesAnd(int random) -> {
                points.addAll(boundaries);
                pick(others, random, rnd, points);
            }
            case CrashPoints.Exactly(int count) -> {
                pick(new ArrayList<>(boundaries), count, rnd, points);
                pick(others, count - points.size(), rnd, points);
            }
            case CrashPoints.Every() -> throw new AssertionError("handled above");
        }
        return points;
    }

    /** Moves {@code k} random elements of {@code from} (all, if it has fewer) into {@code into}. */
    private static void pick(List<Integer> from, int k, SplittableRandom rnd, TreeSet<Integer> into) {
        for (int n = 0; n < k && !from.isEmpty(); n++) {
            into.add(from.remove(rnd.nextInt(from.size())));
        }
    }

    private interface TickHandler {
        void tick(Ledger.Tick tick, SimulatedMedia media, Ledger ledger);
    }

    private record Run(String device, WritebackStats stats, PmemcheckReport pmemcheck, long writes, long acks) {
    }

    /** The configured size, or more if the workload needs more. */
    private static int deviceSize(Config config, Workload workload) {
        int min = workload.minDeviceSize();
        if (min < 0 || min > Integer.MAX_VALUE - DaxDevice.PAGE_SIZE) {
            throw new DaxException(Errno.EINVAL, "campaign: workload " + workload.name() + " asks for a device of " + min
                    + " bytes");
        }
        return Math.max(config.deviceSize(), Math.ceilDiv(min, DaxDevice.PAGE_SIZE) * DaxDevice.PAGE_SIZE);
    }

    /** One run of the workload on a fresh image, every tick handed to {@code handler}. */
    private Run runOnce(Path dir, Workload workload, TickHandler handler) {
        Path image = dir.resolve("device.img");
        int size = deviceSize(config, workload);
        ImageFiles.createZeros(image, size);
        try {
            SimulatedMedia[] media = new SimulatedMedia[1];
            Ledger[] ledger = new Ledger[1];
            SimulatedArch arch = new SimulatedArch(e -> {
                if (ledger[0] != null) {
                    handler.tick(new Ledger.Tick(kindOf(e.kind()), "after " + e.kind() + (e.kind()
                            == SimulatedArch.Kind.FENCE ? "" : " [" + e.deviceOffset() + ", +" + e.bytes() + ")")),
                            media[0], ledger[0]);
                }
            });
            try (DaxDevice device = factory.open(image, arch)) {
                if (device.size() != size) {
                    throw new DaxException(Errno.EINVAL, "campaign: the device over a " + size
                            + "-byte image has " + device.size() + " bytes");
                }
                java.util.Optional<String> why = workload.notApplicableTo(device);
                if (why.isPresent()) {
                    throw new NotApplicable(device.name() + " (" + device.persistence() + ")", why.get());
                }
                media[0] = arch.track(device);
                ledger[0] = new Ledger(new byte[size], t -> handler.tick(t, media[0], ledger[0]));
                workload.run(device, ledger[0]);
                // before the close: the dirty lines are read from the memory
                return new Run(device.name() + " (" + device.persistence() + ")", media[0].stats(),
                        media[0].pmemcheck(), ledger[0].writes(), ledger[0].acknowledgements());
            }
        } finally {
            ImageFiles.deleteQuietly(image);
        }
    }

    /** The workload cannot judge the device: no run, a report that says so. */
    private static final class NotApplicable extends RuntimeException {
        final String device;

        NotApplicable(String device, String why) {
            super(why, null, false, false);
            this.device = device;
        }
    }

    private static TickKind kindOf(SimulatedArch.Kind k) {
        return switch (k) {
            case COPY_NOCACHE, COPY_FLUSHCACHE, STORE -> TickKind.COPY;
            case WRITEBACK -> TickKind.WRITEBACK;
            case FENCE -> TickKind.FENCE;
        };
    }

    /** The second run: crashes at the chosen ticks and judges every image. */
    private final class Crasher implements TickHandler {
        final Path dir;
        final TreeSet<Integer> points;
        final Workload workload;
        final Progress progress;
        final SplittableRandom seeds;
        final List<CampaignReport.Loss> losses = new ArrayList<>();
        final TreeMap<Long, Long> lost = new TreeMap<>(); // start -> end, merged
        int ticks;
        int pointsHit;
        int images;
        int rebootFailures;
        long lostBytes;
        long torn;

        Crasher(Path dir, TreeSet<Integer> points, Workload workload, Progress progress) {
            this.dir = dir;
            this.points = points;
            this.workload = workload;
            this.progress = progress;
            this.seeds = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
        }

        @Override
        public void tick(Ledger.Tick tick, SimulatedMedia media, Ledger ledger) {
            int index = ticks++;
            if (!points.contains(index)) {
                return;
            }
            pointsHit++;
            for (int k = 0; k < config.seedsPerPoint(); k++) {
                long seed = seeds.nextLong();
                judge(index, tick, "seed " + seed, media.crash(seed, config.model()), ledger);
            }
            if (config.harshestImage()) {
                judge(index, tick, "harshest", media.persistentImage(), ledger);
            }
            progress.crashed(pointsHit, points.size(), images);
        }

        private void judge(int index, Ledger.Tick tick, String label, byte[] image, Ledger ledger) {
            images++;
            Path file = dir.resolve("crash.img");
            byte[] seen;
            List<String> rejected = List.of();
            try (DaxDevice rebooted = Reboot.open(factory, image, file)) {
                if (workload instanceof CheckedWorkload checked) {
                    rejected = checked.check(rebooted); // the workload judges, not the ledger
                    seen = null;
                } else {
                    seen = DeviceIo.read(rebooted, 0, image.length);
                }
            } catch (DaxException e) {
                rebootFailures++;
                if (losses.size() < MAX_LOSSES) {
                    losses.add(new CampaignReport.Loss(index, tick.what() + "; reboot failed: " + e.getMessage(), label,
                            List.of()));
                }
                return;
            } finally {
                ImageFiles.deleteQuietly(file);
            }
            if (seen == null) {
                if (!rejected.isEmpty()) {
                    rebootFailures++;
                    if (losses.size() < MAX_LOSSES) {
                        losses.add(new CampaignReport.Loss(index, tick.what() + "; the workload's check: "
                                + String.join("; ", rejected), label, List.of()));
                    }
                }
                return;
            }
            Ledger.Verdict v = ledger.check(seen);
            torn += v.torn();
            if (!v.lost().isEmpty()) {
                lostBytes += v.lostBytes();
                v.lost().forEach(r -> merge(r.offset(), r.end()));
                if (losses.size() < MAX_LOSSES) {
                    losses.add(new CampaignReport.Loss(index, tick.what(), label, v.lost()));
                }
            }
        }

        private void merge(long start, long end) {
            var before = lost.floorEntry(start);
            if (before != null && before.getValue() >= start) {
                start = before.getKey();
                end = Math.max(end, before.getValue());
            }
            for (var e = lost.ceilingEntry(start); e != null && e.getKey() <= end; e = lost.ceilingEntry(start)) {
                end = Math.max(end, e.getValue());
                lost.remove(e.getKey());
            }
            lost.put(start, end);
        }

        List<Ledger.LostRange> lostUnion() {
            List<Ledger.LostRange> out = new ArrayList<>();
            lost.forEach((s, e) -> out.add(new Ledger.LostRange(s, e - s)));
            return out;
        }
    }
}
