package io.jdax.it.realdax;

import io.jdax.arch.Arch;
import io.jdax.arch.ArchSelection;
import io.jdax.arch.Archs;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;
import io.jdax.fsdax.DaxMapping;
import io.jdax.fsdax.Iomap;
import io.jdax.fsdax.IomapStats;
import io.jdax.fsdax.memfs.MemFile;
import io.jdax.fsdax.memfs.MemFs;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.IterKind;
import io.jdax.testkit.conformance.ConformanceCheck;
import io.jdax.testkit.conformance.DriverConformance;
import io.jdax.testkit.conformance.DriverUnderTest;
import io.jdax.uio.IovIter;
import io.jdax.x86.NativeArch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * The jdax checks against real kernel DAX, with the JVM's own {@link Arch}: a file on a DAX
 * filesystem (mapped with {@code MAP_SYNC}) or a device DAX character device. Run by
 * {@code integration-tests/qemu/real-dax-guest.sh} in the QEMU guest, one JVM per namespace mode
 * and phase (a JVM start costs seconds under emulation), or by hand on a machine with persistent
 * memory:
 * <pre>
 * RealDaxChecks check  fsdax  MOUNT_DIR   RESULTS_FILE LEDGER_FILE [options]
 * RealDaxChecks verify fsdax  MOUNT_DIR   RESULTS_FILE LEDGER_FILE
 * RealDaxChecks check  devdax /dev/daxX.Y RESULTS_FILE LEDGER_FILE [options]   (overwrites the device)
 * RealDaxChecks verify devdax /dev/daxX.Y RESULTS_FILE LEDGER_FILE
 *   --nondax-dir DIR   fsdax: also open a file in DIR (not DAX) and expect the page-cache fallback
 *   --expect-copy K    also require this copy loop (avx512, avx2, sse2, movnti)
 *   --expect-flush K   also require this write-back (clwb, clflushopt, clflush)
 *   --conformance      run dax-testkit's driver conformance suite against the target first
 *   --size SIZE        fsdax: the device file's size (default 64M)
 *   --expect-domain D  also require the region's persistence_domain to be D (memory_controller:
 *                      the device is CPU_CACHE and its reason names the domain)
 *   --after WHAT       verify: what happened since the check JVM, for the check's name
 *                      (remount, namespace_reenable; default new_jvm)
 * </pre>
 * {@code check} runs the checks and saves to LEDGER_FILE the device ranges it made durable and
 * their hashes; {@code verify}, in a new JVM after a remount (fsdax) or after the namespace was
 * disabled and enabled again (devdax), finds those bytes and removes the fsdax file. daxfs runs
 * too ({@link DaxFsChecks}): fsdax formats it in a second file on the mount and the verify JVM
 * mounts it after the remount; devdax formats it over the whole device last, in the verify JVM,
 * and mounts it again after unmapping the device. Results are
 * {@code KEY=VALUE} lines appended to RESULTS_FILE (see {@link Report}). Exit status 0 when every
 * check passed, 1 when one failed, 2 for bad usage.
 */
public final class RealDaxChecks {
    private static final int PAGE = DaxDevice.PAGE_SIZE;
    private static final long MIB = 1 << 20;
    private static final String FILE_NAME = "jdax-realdax.pmem";
    /** fsdax: the daxfs image, a second file on the DAX mount. */
    private static final String DAXFS_FILE_NAME = "jdax-realdax.daxfs";
    private static final String CONFORMANCE_DIR = "jdax-realdax-conformance";
    /** Sizes that straddle every edge the durable copy treats apart: 8-byte words, lines, pages. */
    private static final int[] SIZES = {1, 7, 8, 63, 64, 65, 255, 256, 257, 4095, 4096, 4097, 65549, 262147};
    /** Destination offsets within a page: aligned, odd, mid-word, last byte of a line. */
    private static final int[] MISALIGN = {0, 1, 11, 63};

    private enum Mode { FSDAX, DEVDAX }

    private final Mode mode;
    private final Path target;
    private final Report report;
    private final Path ledgerFile;
    private final Options options;
    private final String label;
    private final Ledger ledger = new Ledger();
    private final Random random = new Random(0x5eed_da4L);
    private DaxDevice dev;
    private MemFs fs;
    /** Where the raw round trips ended and the zeroed pages end: the next check writes beyond. */
    private long roundTripsEnd;
    private long zeroEnd;

    private record Options(Path nondaxDir, String expectCopy, String expectFlush, boolean conformance, long size,
                           String after, String expectDomain) {
    }

    private RealDaxChecks(Mode mode, Path target, Report report, Path ledgerFile, Options options) {
        this.mode = mode;
        this.target = target;
        this.report = report;
        this.ledgerFile = ledgerFile;
        this.options = options;
        this.label = mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        if (args.length < 5 || !(args[0].equals("check") || args[0].equals("verify"))
                || !(args[1].equals("fsdax") || args[1].equals("devdax"))) {
            System.err.println("usage: RealDaxChecks check|verify fsdax|devdax TARGET RESULTS_FILE LEDGER_FILE "
                    + "[--nondax-dir DIR] [--expect-copy K] [--expect-flush K] [--conformance] [--size SIZE] "
                    + "[--after WHAT] [--expect-domain DOMAIN]");
            System.exit(2);
        }
        Path nondax = null;
        String copy = null;
        String flush = null;
        boolean conformance = false;
        long size = 64 * MIB;
        String after = "new_jvm";
        String domain = null;
        for (int i = 5; i < args.length; i++) {
            switch (args[i]) {
                case "--nondax-dir" -> nondax = Path.of(args[++i]);
                case "--expect-copy" -> copy = args[++i];
                case "--expect-flush" -> flush = args[++i];
                case "--conformance" -> conformance = true;
                case "--size" -> size = Sizes.parse(args[++i]);
                case "--after" -> after = Report.key(args[++i]);
                case "--expect-domain" -> domain = args[++i];
                default -> {
                    System.err.println("RealDaxChecks: unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        Mode mode = args[1].equals("fsdax") ? Mode.FSDAX : Mode.DEVDAX;
        int failed;
        try (Report report = new Report(Path.of(args[3]), args[1])) {
            RealDaxChecks checks = new RealDaxChecks(mode, Path.of(args[2]), report, Path.of(args[4]),
                    new Options(nondax, copy, flush, conformance, size, after, domain));
            if (args[0].equals("check")) {
                checks.checkPhase();
            } else {
                checks.verifyPhase();
            }
            report.info("phase." + args[0], report.passed() + " passed, " + report.failed() + " failed");
            failed = report.failed();
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private void checkPhase() throws IOException {
        report.info("java", Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        report.info("kernel", System.getProperty("os.version"));
        report.info("target", target);
        report.check("arch_matches_cpu", this::archMatchesCpu);
        if (options.conformance()) {
            report.check("driver_conformance_suite", this::conformanceSuite);
        }
        if (mode == Mode.FSDAX) {
            report.check("opens_with_map_sync", this::opensWithMapSync);
            if (options.nondaxDir() != null) {
                report.check("non_dax_file_falls_back_to_page_cache", this::nonDaxFileFallsBack);
            }
        } else {
            report.check("opens_at_sysfs_size_and_alignment", this::opensAtSysfsGeometry);
            report.check("refuses_page_cache_and_a_wrong_size", this::devdaxRefusals);
        }
        if (options.expectDomain() != null) {
            report.check("persistence_follows_the_regions_domain", this::persistenceFollowsTheDomain);
        }
        report.check("durable_copies_round_trip", this::durableCopiesRoundTrip);
        report.check("zero_page_range_is_durable", this::zeroPageRange);
        report.check("concurrent_writers_keep_their_bytes", this::concurrentWriters);
        report.check("fs_dax_files_over_the_device", this::fsDaxFiles);
        report.check("direct_mapping_and_persist", this::directMapping);
        report.check("bad_block_list_read_from_the_kernel", this::badBlockList);
        report.check("close_and_reopen_keep_the_bytes", this::closeAndReopen);
        if (mode == Mode.FSDAX) {
            report.check("kernel_read_path_sees_the_bytes", this::kernelReadPath);
            report.check("daxfs_files_on_the_dax_mount", this::daxfsOnAFile);
        }
        ledger.save(ledgerFile);
        report.info("ledger", ledger.entries().size() + " ranges, " + ledger.bytes() + " bytes in " + ledgerFile);
    }

    private void verifyPhase() throws IOException {
        Ledger[] saved = new Ledger[1];
        report.check("ledger_of_the_check_jvm", () -> saved[0] = Ledger.load(ledgerFile));
        String after = options.after();
        report.check("bytes_survive_" + after, () -> {
            expect(saved[0] != null, "skipped: no ledger");
            try (DaxDevice d = DaxDevices.open(reopenSpec())) {
                expect(d.persistence() == PersistenceMode.CPU_CACHE, "reopened as " + d.persistence() + ": "
                        + d.persistenceReason());
                saved[0].verify("after the " + after.replace('_', ' '), (off, len) -> DeviceIo.read(d, off, len));
            }
        });
        if (mode == Mode.FSDAX) {
            report.check("kernel_read_path_sees_the_bytes_after_" + after, () -> {
                expect(saved[0] != null, "skipped: no ledger");
                saved[0].verify("read through the kernel (read(2)) after the " + after.replace('_', ' '),
                        this::readFile);
            });
            report.check("daxfs_files_survive_" + after, () -> {
                try (DaxDevice d = DaxDevices.open(daxfsSpec(false))) {
                    DaxFsChecks.verify(d, DaxFsChecks.Manifest.load(daxfsManifest()),
                            "after the " + after.replace('_', ' '));
                }
            });
            Files.deleteIfExists(fsdaxFile());
            Files.deleteIfExists(target.resolve(DAXFS_FILE_NAME));
        } else {
            // Last, over the whole device: the ledger's ranges were checked above.
            report.check("daxfs_over_the_whole_device", this::daxfsOverTheDevice);
        }
    }

    // ---- the checks

    /**
     * native-x86 chose what this CPU offers, read from /proc/cpuinfo here and not from its own
     * CPUID code: under QEMU's -cpu max that is AVX2 and clwb, not the host's AVX-512.
     */
    private void archMatchesCpu() throws IOException {
        ArchSelection sel = Archs.selection();
        Arch arch = sel.arch();
        Map<String, String> f = arch.features();
        String copy = firstWord(f.get("copy"));
        String flush = firstWord(f.get("flush"));
        CpuFlags cpu = CpuFlags.read();
        report.info("arch", arch.name());
        report.info("arch.copy", copy);
        report.info("arch.flush", flush);
        report.info("arch.reason", sel.reason());
        f.forEach((k, v) -> report.info("arch.feature." + Report.key(k), v));
        report.info("cpu.model", cpu.model());
        report.info("cpu.flags", cpu.describe());
        report.info("cpu.expected", "copy=" + cpu.expectedCopy() + " flush=" + cpu.expectedFlush());
        expect(arch.name().equals(NativeArch.NAME), "the JVM's Arch is " + arch.name() + " (" + sel.reason()
                + "), not " + NativeArch.NAME + "; candidates: " + sel.candidates());
        for (String p : List.of(NativeArch.COPY_PROPERTY, NativeArch.FLUSH_PROPERTY, Archs.ARCH_PROPERTY)) {
            expect(System.getProperty(p) == null, "-D" + p + " is set: the choice must be the CPU's, not forced");
        }
        expect(cpu.expectedCopy().equals(copy), "native-x86 picked copy=" + copy + " but /proc/cpuinfo ("
                + cpu.describe() + ") calls for " + cpu.expectedCopy());
        expect(cpu.expectedFlush().equals(flush), "native-x86 picked flush=" + flush + " but /proc/cpuinfo ("
                + cpu.describe() + ") calls for " + cpu.expectedFlush());
        expect(arch.hasCacheWriteback(), "native-x86 says it cannot write cache lines back");
        if (options.expectCopy() != null) {
            expect(options.expectCopy().equals(copy), "copy=" + copy + ", expected " + options.expectCopy()
                    + " on this CPU (" + cpu.model() + ")");
        }
        if (options.expectFlush() != null) {
            expect(options.expectFlush().equals(flush), "flush=" + flush + ", expected " + options.expectFlush()
                    + " on this CPU (" + cpu.model() + ")");
        }
    }

    /** dax-testkit's conformance suite, every check on its own line. */
    private void conformanceSuite() throws IOException {
        Path dir = target.resolve(CONFORMANCE_DIR);
        DriverUnderTest.DeviceSpecs specs;
        if (mode == Mode.FSDAX) {
            deleteTree(dir);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // The suite's scratch directories are in java.io.tmpdir (not DAX): its device files go
            // on the DAX mount instead, one per scratch directory.
            specs = (scratch, size) -> "pmem:" + dir.resolve(scratch.getFileName() + ".pmem") + "?size=" + size
                    + "&create=true";
        } else {
            specs = (scratch, size) -> "pmem:" + target;
        }
        // 2 MiB files: fsdax mappings of a size not 2 MiB-aligned have hit SIGBUS (NOTES.md).
        DriverUnderTest d = DriverUnderTest.of("pmem", specs).withDeviceSize(2 * MIB);
        int passed = 0;
        int notApplicable = 0;
        List<String> failed = new ArrayList<>();
        try {
            for (DriverConformance.Group g : DriverConformance.groups(d)) {
                String group = "conformance." + Report.key(g.contract());
                if (g.notApplicable() != null) {
                    notApplicable++;
                    report.info(group, "n/a: " + g.notApplicable());
                }
                for (ConformanceCheck c : g.checks()) {
                    String key = group + "." + Report.key(c.name());
                    try {
                        DriverConformance.execute(c);
                        passed++;
                        report.info(key, "pass");
                    } catch (Throwable t) {
                        failed.add(c.contract() + "/" + c.name());
                        report.info(key, "fail: " + Report.describe(t));
                        t.printStackTrace();
                    }
                }
            }
        } finally {
            deleteTree(dir);
        }
        report.info("conformance", passed + " passed, " + failed.size() + " failed, " + notApplicable
                + " not applicable");
        expect(failed.isEmpty(), failed.size() + " conformance checks failed: " + failed);
        expect(passed > 0, "the conformance suite ran no check");
    }

    private void opensWithMapSync() throws IOException {
        Path file = fsdaxFile();
        Files.deleteIfExists(file);
        String spec = "pmem:" + file + "?size=" + options.size() + "&create=true";
        dev = DaxDevices.open(spec);
        describeDevice(spec);
        expect(dev.persistence() == PersistenceMode.CPU_CACHE, "a file on the DAX mount " + target + " got "
                + dev.persistence() + ", not CPU_CACHE: " + dev.persistenceReason());
        expect(dev.persistenceReason().contains("MAP_SYNC"), "the reason does not name MAP_SYNC: "
                + dev.persistenceReason());
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        expect(perms.equals("rw-------"), "the device file was created " + perms + ", not rw------- (C8)");
        commonOpenExpectations();
    }

    /** The same spec on a file that is not on DAX: no MAP_SYNC, so PAGE_CACHE, and cpu_cache refused. */
    private void nonDaxFileFallsBack() throws IOException {
        Path file = options.nondaxDir().resolve("jdax-realdax-nondax.pmem");
        Files.deleteIfExists(file);
        try {
            try (DaxDevice d = DaxDevices.open("pmem:" + file + "?size=4M&create=true")) {
                report.info("nondax.persistence", d.persistence() + ": " + d.persistenceReason());
                expect(d.persistence() == PersistenceMode.PAGE_CACHE, file + " (not DAX) got " + d.persistence()
                        + ": " + d.persistenceReason());
                expect(d.persistenceReason().contains("MAP_SYNC not supported"), "the fallback reason does not say "
                        + "MAP_SYNC was refused: " + d.persistenceReason());
                byte[] data = randomBytes(10_000);
                DeviceIo.write(d, 3 * PAGE + 5, data);
                d.flush(); // msync of the dirty pages
                expect(Arrays.equals(data, readFile(file, 3 * PAGE + 5, data.length)),
                        "after flush() the file does not hold the bytes written (msync path)");
            }
            DaxException e = expectThrows(() -> DaxDevices.open("pmem:" + file + "?mode=cpu_cache").close());
            expect(e.errno() == Errno.EOPNOTSUPP, "mode=cpu_cache on a non-DAX file failed with " + e.errno()
                    + ", not EOPNOTSUPP: " + e.getMessage());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private void opensAtSysfsGeometry() throws IOException {
        Path sys = Path.of("/sys/bus/dax/devices").resolve(target.getFileName());
        long size = Long.parseLong(Files.readString(sys.resolve("size")).strip());
        long align = Long.parseLong(Files.readString(sys.resolve("align")).strip());
        report.info("sysfs", "size " + size + " align " + align + " (" + sys + ")");
        String spec = "pmem:" + target;
        dev = DaxDevices.open(spec);
        describeDevice(spec);
        expect(dev.persistence() == PersistenceMode.CPU_CACHE, target + " got " + dev.persistence()
                + ", not CPU_CACHE: " + dev.persistenceReason());
        expect(dev.size() == size, "device size " + dev.size() + " != sysfs size " + size);
        expect(dev.alignment() == align, "device alignment " + dev.alignment() + " != sysfs align " + align);
        long addr = base().address();
        report.info("mapped_at", "0x" + Long.toHexString(addr));
        expect(addr % align == 0, "the device is mapped at 0x" + Long.toHexString(addr) + ", not a multiple of its "
                + "alignment " + align);
        commonOpenExpectations();
    }

    /** The kernel reports the domain QEMU was told (nvdimm-persistence), and the device says it follows it (C12). */
    private void persistenceFollowsTheDomain() throws IOException {
        Path region = Path.of("/sys/bus/nd/devices/region0");
        String got = Files.readString(region.resolve("persistence_domain")).strip();
        report.info("kernel.persistence_domain", got);
        expect(got.equals(options.expectDomain()), "region0's persistence_domain is '" + got + "', expected "
                + options.expectDomain());
        DaxDevice d = device();
        d.facts().forEach((k, v) -> report.info("fact." + Report.key(k), v));
        report.info("unsafe_shutdowns", d.unsafeShutdownCount().describe());
        expect(d.persistenceReason().contains("persistence_domain is " + got), "the reason does not name the domain: "
                + d.persistenceReason());
    }

    private void devdaxRefusals() {
        DaxException pc = expectThrows(() -> DaxDevices.open("pmem:" + target + "?mode=page_cache").close());
        report.info("refused.page_cache", pc.getMessage());
        long wrong = dev.size() - dev.alignment();
        DaxException sz = expectThrows(() -> DaxDevices.open("pmem:" + target + "?size=" + wrong).close());
        report.info("refused.wrong_size", sz.getMessage());
        expect(sz.errno() == Errno.EINVAL, "a wrong size failed with " + sz.errno() + ", not EINVAL: "
                + sz.getMessage());
    }

    /**
     * copyFromIter (the durable copy), flush, then the bytes read back with plain loads and through
     * copyToIter, for every iterator kind, size and destination misalignment; the bytes around
     * every write are untouched.
     */
    private void durableCopiesRoundTrip() throws IOException {
        DaxDevice d = device();
        long cursor = d.size() / 2; // the lower half is the fs-dax checks'
        record Write(long off, byte[] data, byte[] before, byte[] after, IterKind kind) {
        }
        List<Write> writes = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (IterKind kind : IterKind.values()) {
                for (int size : SIZES) {
                    for (int m : MISALIGN) {
                        long off = cursor + m;
                        byte[] data = randomBytes(size);
                        byte[] before = DeviceIo.read(d, off - 64, 64);
                        byte[] after = DeviceIo.read(d, off + size, 64);
                        long n = DeviceIo.write(d, off, kind.source(data, arena));
                        expect(n == size, kind + " write of " + size + " bytes at " + off + " copied " + n);
                        writes.add(new Write(off, data, before, after, kind));
                        cursor = alignUp(off + size + 64, PAGE) + PAGE;
                    }
                }
            }
            d.flush();
            expect(cursor < d.size(), "the round trips ran past the device end");
            for (Write w : writes) {
                String where = w.kind() + " write of " + w.data().length + " bytes at " + w.off();
                expect(Arrays.equals(w.data(), DeviceIo.read(d, w.off(), w.data().length)),
                        where + ": plain loads read other bytes");
                IterKind.Dest dest = w.kind().dest(w.data().length, arena);
                DeviceIo.read(d, w.off(), dest.iter());
                expect(Arrays.equals(w.data(), dest.bytes().get()), where + ": copyToIter read other bytes");
                expect(Arrays.equals(w.before(), DeviceIo.read(d, w.off() - 64, 64)), where + ": the 64 bytes before "
                        + "it changed");
                expect(Arrays.equals(w.after(), DeviceIo.read(d, w.off() + w.data().length, 64)), where
                        + ": the 64 bytes after it changed");
                ledger.add("round trip " + where, w.off(), w.data());
            }
        }
        report.info("round_trips", writes.size() + " writes (" + IterKind.values().length + " iterator kinds x "
                + SIZES.length + " sizes x " + MISALIGN.length + " misalignments)");
        roundTripsEnd = cursor;
    }

    private void zeroPageRange() {
        DaxDevice d = device();
        long pgoff = alignUp(Math.max(roundTripsEnd, d.size() / 2), PAGE) / PAGE + 1;
        byte[] data = randomBytes(16 * PAGE);
        DeviceIo.write(d, pgoff * PAGE, data);
        d.flush();
        expect(d.hasZeroPageRange(), "pmem offers no zeroPageRange");
        d.zeroPageRange(pgoff + 2, 10);
        d.flush();
        Arrays.fill(data, 2 * PAGE, 12 * PAGE, (byte) 0);
        expect(Arrays.equals(data, DeviceIo.read(d, pgoff * PAGE, data.length)),
                "after zeroPageRange(" + (pgoff + 2) + ", 10) the 16 pages around do not hold zeros exactly in "
                        + "pages 2..11");
        ledger.add("zeroPageRange pages", pgoff * PAGE, data);
        zeroEnd = (pgoff + 17) * PAGE;
    }

    /** Two threads (the guest has two vCPUs) writing disjoint ranges with different iterator kinds. */
    private void concurrentWriters() throws Exception {
        DaxDevice d = device();
        long start = alignUp(Math.max(zeroEnd, d.size() / 2), MIB);
        expect(start + 2 * MIB < d.size(), "no room for the concurrent writers");
        record Piece(long off, byte[] data) {
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<Piece>>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long slice = start + t * MIB;
                IterKind[] kinds = t == 0 ? new IterKind[] {IterKind.UBUF, IterKind.KVEC}
                        : new IterKind[] {IterKind.IOVEC, IterKind.BVEC};
                Random r = new Random(t);
                futures.add(pool.submit(() -> {
                    List<Piece> pieces = new ArrayList<>();
                    try (Arena arena = Arena.ofConfined()) {
                        long at = slice;
                        for (int i = 0; i < 48; i++) {
                            byte[] b = new byte[1 + r.nextInt(12_000)];
                            r.nextBytes(b);
                            long off = at + r.nextInt(64);
                            DeviceIo.write(d, off, kinds[i % 2].source(b, arena));
                            pieces.add(new Piece(off, b));
                            at = off + b.length;
                        }
                        expect(at < slice + MIB, "a writer ran out of its slice");
                    }
                    return pieces;
                }));
            }
            List<Piece> all = new ArrayList<>();
            for (Future<List<Piece>> f : futures) {
                all.addAll(f.get());
            }
            d.flush();
            for (Piece p : all) {
                expect(Arrays.equals(p.data(), DeviceIo.read(d, p.off(), p.data().length)),
                        "a concurrent write of " + p.data().length + " bytes at " + p.off() + " reads back differently");
                ledger.add("concurrent write", p.off(), p.data());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * fs-dax's reference filesystem over the real device: writes of each iterator kind, holes,
     * new blocks zeroed around a write even where the device held a previous owner's bytes, and
     * the device's durable copy used (not the nocache fallback).
     */
    private void fsDaxFiles() throws IOException {
        DaxDevice d = device();
        // A previous owner's data where the filesystem will allocate (first fit from block 0).
        byte[] owner = new byte[(int) (4 * MIB)];
        Arrays.fill(owner, (byte) 0xA5);
        DeviceIo.write(d, 0, owner);
        d.flush();

        fs = new MemFs(d);
        MemFile f = fs.create();
        byte[] model = new byte[200_000 + 5_000];
        byte[] a = randomBytes(10_000);
        byte[] b = randomBytes(20_000);
        byte[] c = randomBytes(5_000);
        try (Arena arena = Arena.ofConfined()) {
            expect(f.write(0, IterKind.KVEC.source(a, arena)) == a.length, "short KVEC file write");
            expect(f.write(3 * PAGE + 100, IterKind.IOVEC.source(b, arena)) == b.length, "short IOVEC file write");
            expect(f.write(200_000, IterKind.BVEC.source(c, arena)) == c.length, "short BVEC file write");
            System.arraycopy(a, 0, model, 0, a.length);
            System.arraycopy(b, 0, model, 3 * PAGE + 100, b.length);
            System.arraycopy(c, 0, model, 200_000, c.length);
            f.fsync();
            expect(f.size() == model.length, "file size " + f.size() + ", expected " + model.length);
            IterKind.Dest dest = IterKind.UBUF.dest(model.length, arena);
            expect(f.read(0, dest.iter()) == model.length, "short file read");
            byte[] got = dest.bytes().get();
            for (int i = 0; i < got.length; i++) {
                if (got[i] != model[i]) {
                    throw new AssertionError("file byte " + i + " reads " + got[i] + ", expected " + model[i]
                            + (got[i] == (byte) 0xA5 ? " (the previous owner's data shows through a new block)" : ""));
                }
            }
        }
        IomapStats stats = fs.dax().stats();
        report.info("fsdax_engine.stats", stats);
        // the core picks the copy once per device: its own means every write went through pmem's
        expect(d.hasOwnCopyFromIter(), "the engine's device writes with the core's fallback, not pmem's copyFromIter");
        expect(stats.holeBytes() > 0, "the hole between the writes was not read as a hole: " + stats);
        recordExtents("fs-dax file", f, model);
    }

    /** The DAX mmap path: stores straight into device memory, then persist(). */
    private void directMapping() throws IOException {
        DaxDevice d = device();
        expect(fs != null, "needs the filesystem of fs_dax_files_over_the_device");
        int len = 256 * 1024;
        MemFile g = fs.create();
        g.write(0, IovIter.kvec(IovIter.Direction.SOURCE, new byte[len])); // allocate: map never does
        DaxMapping m = g.map(0, len, DaxAccessMode.WRITE);
        MemorySegment seg = m.segment();
        MemorySegment whole = base();
        expect(seg.address() >= whole.address() && seg.address() + len <= whole.address() + whole.byteSize(),
                "the mapping is not inside the device's memory");
        byte[] model = randomBytes(len);
        MemorySegment.copy(model, 0, seg, ValueLayout.JAVA_BYTE, 0, len); // plain cached stores
        m.persist(0, len / 2);
        for (int i = 0; i < 64; i++) { // unaligned 8-byte stores over both halves
            long at = 1 + i * 4093L;
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, at, 0x0123_4567_89ab_cdefL * (i + 1));
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, at, model, (int) at, 8);
        }
        m.persist();
        byte[] back = new byte[len];
        g.read(0, IovIter.kvec(IovIter.Direction.DEST, back));
        expect(Arrays.equals(model, back), "the file read through the engine differs from the stores to its mapping");
        DaxMapping ro = g.map(0, PAGE, DaxAccessMode.READ);
        expect(ro.segment().isReadOnly(), "a READ mapping is writable");
        recordExtents("mapped file", g, model);
    }

    private void badBlockList() {
        DaxDevice d = device();
        expect(d.badBlocks().isPresent(), "pmem keeps no bad-block list for " + target);
        BadBlocks bb = d.badBlocks().get();
        report.info("badblocks", bb.isEmpty() ? "none" : bb.list());
        expect(bb.isEmpty(), "the kernel lists bad sectors in " + target + ": " + bb.list());
    }

    /** Unmap, map again (mode=cpu_cache: MAP_SYNC or fail), and every durable range is there. */
    private void closeAndReopen() throws IOException {
        DaxDevice d = device();
        d.close();
        dev = null;
        expect(!d.isAlive(), "a closed device says it is alive");
        DaxException e = expectThrows(() -> d.directAccess(0, 1, DaxAccessMode.READ));
        expect(e.errno() == Errno.ENXIO, "directAccess after close failed with " + e.errno() + ", not ENXIO");
        try (DaxDevice again = DaxDevices.open(reopenSpec())) {
            expect(again.persistence() == PersistenceMode.CPU_CACHE, "reopened as " + again.persistence() + ": "
                    + again.persistenceReason());
            ledger.verify("after close and reopen", (off, len) -> DeviceIo.read(again, off, len));
        }
        report.info("reopened", ledger.entries().size() + " durable ranges verified");
    }

    /** The kernel's own DAX read path (ext4 over pmem) sees what jdax stored through MAP_SYNC. */
    private void kernelReadPath() throws IOException {
        ledger.verify("read through the kernel (read(2))", this::readFile);
    }

    /** daxfs in a second MAP_SYNC file on the mount; the verify JVM mounts it after the remount. */
    private void daxfsOnAFile() throws IOException {
        Files.deleteIfExists(target.resolve(DAXFS_FILE_NAME));
        try (DaxDevice d = DaxDevices.open(daxfsSpec(true))) {
            expect(d.persistence() == PersistenceMode.CPU_CACHE, "the daxfs image got " + d.persistence() + ": "
                    + d.persistenceReason());
            DaxFsChecks.Manifest m = DaxFsChecks.populate(d, report);
            m.save(daxfsManifest());
            report.info("daxfs.files", m.files().keySet());
        }
    }

    /** daxfs formatted over all of /dev/daxX.Y, unmapped, mapped again: the same files and bytes. */
    private void daxfsOverTheDevice() {
        DaxFsChecks.Manifest m;
        try (DaxDevice d = DaxDevices.open(reopenSpec())) {
            m = DaxFsChecks.populate(d, report);
        }
        try (DaxDevice d = DaxDevices.open(reopenSpec())) {
            DaxFsChecks.verify(d, m, "after close and reopen");
        }
        report.info("daxfs.files", m.files().keySet());
    }

    // ---- helpers

    private String daxfsSpec(boolean create) {
        return "pmem:" + target.resolve(DAXFS_FILE_NAME) + "?size=32M&mode=cpu_cache" + (create ? "&create=true" : "");
    }

    private Path daxfsManifest() {
        return ledgerFile.resolveSibling(ledgerFile.getFileName() + ".daxfs");
    }

    private void commonOpenExpectations() {
        expect(dev.arch() == Archs.current(), "the device uses Arch " + dev.arch().name() + ", not the JVM's");
        expect(dev.hasOwnCopyFromIter(), "pmem offers no copyFromIter");
    }

    private void describeDevice(String spec) {
        report.info("device", spec);
        report.info("device.name", dev.name());
        report.info("persistence", dev.persistence());
        report.info("persistence.reason", dev.persistenceReason());
        report.info("size", dev.size() + " (" + Sizes.format(dev.size()) + ")");
        report.info("alignment", dev.alignment() + " (" + Sizes.format(dev.alignment()) + ")");
    }

    private String reopenSpec() {
        return mode == Mode.FSDAX ? "pmem:" + fsdaxFile() + "?size=" + options.size() + "&mode=cpu_cache"
                : "pmem:" + target + "?mode=cpu_cache";
    }

    private Path fsdaxFile() {
        return target.resolve(FILE_NAME);
    }

    private DaxDevice device() {
        if (dev == null) {
            throw new IllegalStateException("skipped: the device did not open (see the open check)");
        }
        return dev;
    }

    /**
     * The whole device's memory, as one segment (pmem maps linearly), to compare addresses with;
     * the device stays open while the caller uses it.
     */
    @SuppressWarnings("try") // the lock only keeps the device open across directAccess
    private MemorySegment base() {
        try (DaxReadLock lock = device().readLock()) {
            return dev.directAccess(0, dev.nrPages(), DaxAccessMode.READ).addr();
        }
    }

    /** Adds the file's mapped extents to the ledger, with the bytes the file holds there. */
    private void recordExtents(String what, MemFile file, byte[] model) {
        long blocks = 0;
        for (Iomap e : file.fiemap()) {
            if (e instanceof Iomap.Mapped m) {
                expect(m.addr() + m.length() <= dev.size() / 2, what + " extent at device byte " + m.addr()
                        + " reaches into the upper half, which the raw checks use");
                byte[] bytes = new byte[(int) m.length()];
                int inFile = (int) Math.max(0, Math.min(m.length(), model.length - m.offset()));
                System.arraycopy(model, (int) m.offset(), bytes, 0, inFile); // past EOF: zeroed new block
                ledger.add(what + " extent [" + m.offset() + ", +" + m.length() + ")", m.addr(), bytes);
                blocks += m.length() / PAGE;
            }
        }
        expect(blocks > 0, what + " has no mapped extent");
    }

    private byte[] readFile(long offset, int length) throws IOException {
        return readFile(fsdaxFile(), offset, length);
    }

    private static byte[] readFile(Path file, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
        }
        return buf.position() == length ? buf.array() : Arrays.copyOf(buf.array(), buf.position());
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static long alignUp(long v, long align) {
        return (v + align - 1) / align * align;
    }

    private static String firstWord(String s) {
        return s == null ? "?" : s.strip().split("\\s+", 2)[0];
    }

    private static void expect(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    private static DaxException expectThrows(Report.Check body) {
        try {
            body.run();
        } catch (DaxException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a DaxException, got " + e, e);
        }
        throw new AssertionError("expected a DaxException, nothing was thrown");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
