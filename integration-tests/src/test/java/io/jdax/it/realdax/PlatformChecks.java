package io.jdax.it.realdax;

import io.jdax.arch.Archs;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.UnsafeShutdownCount;
import io.jdax.daxfs.DaxFile;
import io.jdax.daxfs.DaxFs;
import io.jdax.daxfs.FormatOptions;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.IterKind;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the platform says, checked against real kernel DAX (DESIGN.md C12), in the QEMU guest
 * booted with {@code nvdimm-persistence=cpu} (eADR) or {@code mem-ctrl} (ADR), typically as an
 * unprivileged user:
 * <pre>
 * PlatformChecks fsdax  DIR         RESULTS_FILE --expect-domain cpu_cache|memory_controller [--unprivileged]
 * PlatformChecks devdax /dev/daxX.Y RESULTS_FILE --expect-domain cpu_cache|memory_controller [--unprivileged]
 * </pre>
 * The kernel reports the region's {@code persistence_domain}; the device opens in the matching
 * mode and says why; every write, flush, persist, zeroing and daxfs commit is counted through the
 * JVM's Arch ({@link CountingArch}): with {@code cpu_cache} nothing is written back and the
 * fences remain, with {@code memory_controller} the durable copy and persist write back; the bytes
 * read back and survive a reopen. Unprivileged device DAX also checks that the {@code resource}
 * attributes really are root's and that the device opens all the same, saying where its bad
 * blocks come from; the deep flush and the unsafe shutdown count are shown. Results go to
 * RESULTS_FILE as {@code platform.MODE.*} lines ({@link Report}). Exit status 0 when every check
 * passed.
 */
public final class PlatformChecks {
    private static final int PAGE = DaxDevice.PAGE_SIZE;
    private static final int[] SIZES = {1, 63, 64, 4097, 65549};
    private static final int[] MISALIGN = {0, 13};

    private final boolean devdax;
    private final Path target;
    private final String domain;
    private final boolean unprivileged;
    private final Report report;
    private final CountingArch arch = new CountingArch(Archs.current());
    private final Random random = new Random(0xeadL);
    private final List<long[]> written = new ArrayList<>();
    private final List<byte[]> data = new ArrayList<>();

    private PlatformChecks(boolean devdax, Path target, String domain, boolean unprivileged, Report report) {
        this.devdax = devdax;
        this.target = target;
        this.domain = domain;
        this.unprivileged = unprivileged;
        this.report = report;
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        if (args.length < 5 || !(args[0].equals("fsdax") || args[0].equals("devdax"))
                || !args[3].equals("--expect-domain")) {
            System.err.println("usage: PlatformChecks fsdax|devdax TARGET RESULTS_FILE --expect-domain DOMAIN "
                    + "[--unprivileged]");
            System.exit(2);
        }
        boolean unprivileged = args.length > 5 && args[5].equals("--unprivileged");
        int failed;
        try (Report report = new Report(Path.of(args[2]), "platform." + args[0])) {
            new PlatformChecks(args[0].equals("devdax"), Path.of(args[1]), args[4], unprivileged, report).run();
            report.info("phase", report.passed() + " passed, " + report.failed() + " failed");
            failed = report.failed();
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private boolean eadr() {
        return domain.equals("cpu_cache");
    }

    private String spec() {
        return devdax ? "pmem:" + target : "pmem:" + target.resolve("platform.pmem") + "?size=16M&create=true";
    }

    private void run() throws IOException {
        report.info("user", "uid " + uid() + (unprivileged ? " (unprivileged run)" : ""));
        report.check("runs_as_asked", () -> expect(unprivileged == (uid() != 0), "uid " + uid() + ", unprivileged "
                + unprivileged));
        if (devdax && unprivileged) {
            report.check("resource_attributes_are_root_only", this::resourceIsRootOnly);
        }
        report.check("kernel_reports_the_domain", () -> {
            String got = sysfsDomain();
            report.info("kernel.persistence_domain", got);
            expect(got.equals(domain), "the region's persistence_domain is '" + got + "', expected " + domain);
        });
        DaxDevice[] dev = new DaxDevice[1];
        report.check("opens_in_the_mode_the_domain_calls_for", () -> {
            dev[0] = DaxDevices.open(spec(), arch);
            DaxDevice d = dev[0];
            report.info("persistence", d.persistence() + ": " + d.persistenceReason());
            d.facts().forEach((k, v) -> report.info("fact." + Report.key(k), v));
            PersistenceMode want = eadr() ? PersistenceMode.PERSISTENT_CACHE : PersistenceMode.CPU_CACHE;
            expect(d.persistence() == want, "opened as " + d.persistence() + ", expected " + want + ": "
                    + d.persistenceReason());
            expect(d.persistenceReason().contains("persistence_domain is " + domain), "the reason does not name the "
                    + "region's domain: " + d.persistenceReason());
        });
        if (dev[0] == null) {
            return;
        }
        try (DaxDevice d = dev[0]) {
            report.check("writes_and_flush_" + (eadr() ? "write_nothing_back_and_fence" : "write_back_their_cached_lines"),
                    () -> writes(d));
            report.check("persist_of_a_mapping_" + (eadr() ? "is_a_fence" : "writes_back_and_fences"),
                    () -> persist(d));
            report.check("zero_page_range_" + (eadr() ? "writes_nothing_back" : "is_durable"), () -> zero(d));
            report.check("unsafe_shutdown_count_is_reported", () -> {
                UnsafeShutdownCount c = d.unsafeShutdownCount();
                report.info("unsafe_shutdowns", c.describe());
                expect(!(c instanceof UnsafeShutdownCount.Unreadable), "unreadable: " + c.describe());
            });
            report.check("deep_flush_does_what_it_says", () -> deepFlush(d));
            report.check("bad_blocks_are_known", () -> {
                report.info("badblocks", d.badBlocks().orElseThrow().list() + " from " + d.facts().get("bad blocks from"));
                expect(d.badBlocks().orElseThrow().isEmpty(), "bad sectors listed: " + d.badBlocks().get().list());
                if (devdax && unprivileged) {
                    expect(d.facts().get("bad blocks from").contains("where the device starts is unknown"),
                            "the source does not say the offset is unknown: " + d.facts().get("bad blocks from"));
                }
            });
        }
        report.check("the_bytes_survive_close_and_reopen", () -> {
            try (DaxDevice again = DaxDevices.open(devdax ? spec() : "pmem:" + target.resolve("platform.pmem"), arch)) {
                for (int i = 0; i < written.size(); i++) {
                    expect(Arrays.equals(data.get(i), DeviceIo.read(again, written.get(i)[0], (int) written.get(i)[1])),
                            "bytes at " + written.get(i)[0] + " differ after reopening");
                }
            }
        });
        if (!devdax) {
            report.check("daxfs_" + (eadr() ? "commits_write_nothing_back" : "mounts_and_unmounts"), this::daxfs);
            Files.deleteIfExists(target.resolve("platform.pmem"));
        }
    }

    private void resourceIsRootOnly() {
        Path res = Path.of("/sys/bus/dax/devices").resolve(target.getFileName()).resolve("resource");
        report.info("resource", res + (Files.isReadable(res) ? " readable" : " not readable by this user"));
        expect(Files.exists(res) && !Files.isReadable(res), res + " is readable by uid " + uid()
                + ": this kernel does not restrict it, the unprivileged case is not exercised");
    }

    /** Each iterator kind, sizes and misalignments; flush; counted; read back. */
    private void writes(DaxDevice d) throws IOException {
        arch.reset();
        long pos = d.size() / 2;
        try (Arena arena = Arena.ofConfined()) {
            for (IterKind k : IterKind.values()) {
                for (int size : SIZES) {
                    for (int m : MISALIGN) {
                        byte[] b = new byte[size];
                        random.nextBytes(b);
                        DeviceIo.write(d, pos + m, k.source(b, arena));
                        written.add(new long[] {pos + m, size});
                        data.add(b);
                        pos += size + 2L * PAGE;
                    }
                }
            }
        }
        d.flush();
        report.info("writes.counts", arch.describe());
        for (int i = 0; i < written.size(); i++) {
            expect(Arrays.equals(data.get(i), DeviceIo.read(d, written.get(i)[0], (int) written.get(i)[1])),
                    "a write of " + written.get(i)[1] + " bytes at " + written.get(i)[0] + " reads back differently");
        }
        expect(arch.fences.get() >= 1, "flush() did not fence: " + arch.describe());
        if (eadr()) {
            expect(arch.writingBack() == 0, "eADR: something was written back: " + arch.describe());
            expect(arch.nocacheCopies.get() > 0, "the writes did not take the nocache copy: " + arch.describe());
        } else {
            expect(arch.flushcacheCopies.get() > 0, "ADR: the writes did not take the durable flushcache copy: "
                    + arch.describe());
        }
    }

    /** Plain stores into a direct mapping (fs-dax's reference filesystem over the device), then persist. */
    private void persist(DaxDevice d) {
        MemFs fs = new MemFs(d);
        MemFile f = fs.create();
        int len = 64 * 1024;
        f.write(0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[len]));
        DaxMapping map = f.map(0, len, DaxAccessMode.WRITE);
        byte[] b = new byte[len - 100];
        random.nextBytes(b);
        MemorySegment.copy(b, 0, map.segment(), ValueLayout.JAVA_BYTE, 37, b.length);
        arch.reset();
        map.persist(37, b.length);
        report.info("persist.counts", arch.describe());
        expect(arch.fences.get() == 1, "persist is not one fence: " + arch.describe());
        if (eadr()) {
            expect(arch.writingBack() == 0, "eADR persist wrote back: " + arch.describe());
        } else {
            expect(arch.writebacks.get() > 0, "ADR persist did not write back: " + arch.describe());
        }
        arch.reset();
        map.memset(10, 3000, (byte) 0x77);
        report.info("memset.counts", arch.describe());
        expect(eadr() ? arch.writingBack() == 0 : arch.flushingMemOps.get() == 1, "memset: " + arch.describe());
        byte[] back = new byte[b.length];
        f.read(37, IovIter.kvec(IovIter.Direction.DEST, back));
        Arrays.fill(b, 0, 3010 - 37, (byte) 0x77);
        expect(Arrays.equals(b, back), "the file does not read what was stored into its mapping");
    }

    private void zero(DaxDevice d) {
        long pgoff = d.nrPages() - 40;
        arch.reset();
        d.zeroPageRange(pgoff, 8);
        d.flush();
        report.info("zero.counts", arch.describe());
        if (eadr()) {
            expect(arch.writingBack() == 0, "eADR zeroPageRange wrote back: " + arch.describe());
        }
        byte[] z = DeviceIo.read(d, pgoff * PAGE, 8 * PAGE);
        for (byte x : z) {
            expect(x == 0, "zeroPageRange left a non-zero byte");
        }
    }

    private void deepFlush(DaxDevice d) throws IOException {
        String value = devdax ? regionAttr("deep_flush") : "(file: fdatasync)";
        report.info("deep_flush.sysfs", value);
        report.info("deep_flush.what", d.facts().get("deep flush"));
        try {
            long t = System.nanoTime();
            d.deepFlush();
            report.info("deep_flush.outcome", "done (" + (System.nanoTime() - t) / 1000 + " us, emulated)");
            expect(!(devdax && unprivileged && value.equals("1")), "an unprivileged deep flush that needs the "
                    + "region's deep_flush succeeded");
        } catch (DaxException e) {
            report.info("deep_flush.outcome", e.getMessage());
            expect(devdax && unprivileged && value.equals("1") && e.errno() == Errno.EACCES
                    && e.getMessage().contains("writable by root only"), "deep flush failed: " + e);
        }
    }

    /** daxfs in a second file on the mount: every commit, fsync and unmount counted. */
    private void daxfs() throws IOException {
        Path img = target.resolve("platform.daxfs");
        Files.deleteIfExists(img);
        try (DaxDevice d = DaxDevices.open("pmem:" + img + "?size=16M&create=true&mode=cpu_cache", arch)) {
            DaxFs.format(d, FormatOptions.defaults());
            arch.reset();
            byte[] b = new byte[100_000];
            random.nextBytes(b);
            try (DaxFs fs = DaxFs.mount(d)) {
                DaxFile f = fs.create("f");
                f.write(13, IovIter.kvec(IovIter.Direction.SOURCE, b));
                f.fsync();
                fs.rename("f", "g");
                report.info("daxfs.notices", fs.notices());
            }
            report.info("daxfs.counts", arch.describe());
            expect(arch.fences.get() > 0, "daxfs never fenced: " + arch.describe());
            if (eadr()) {
                expect(arch.writingBack() == 0, "eADR daxfs wrote back: " + arch.describe());
            }
            try (DaxFs fs = DaxFs.mount(d)) {
                byte[] back = new byte[b.length];
                fs.open("g").read(13, IovIter.kvec(IovIter.Direction.DEST, back));
                expect(Arrays.equals(b, back), "daxfs file reads back differently");
            }
        } finally {
            Files.deleteIfExists(img);
        }
    }

    /** The region's persistence_domain, found above the device in sysfs. */
    private String sysfsDomain() throws IOException {
        return regionAttr("persistence_domain");
    }

    private String regionAttr(String name) throws IOException {
        Path start;
        if (devdax) {
            start = Path.of("/sys/bus/dax/devices").resolve(target.getFileName()).toRealPath();
        } else {
            long dev = ((Number) Files.getAttribute(target, "unix:dev")).longValue();
            long major = ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
            long minor = (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
            start = Path.of("/sys/dev/block/" + major + ":" + minor).toRealPath();
        }
        for (Path p = start; p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().matches("region\\d+")) {
                Path f = p.resolve(name);
                return Files.exists(f) ? Files.readString(f).strip() : "(no " + name + ")";
            }
        }
        throw new IOException("no nvdimm region above " + start);
    }

    private static long uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).strip().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static void expect(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
