package io.jdax.it.realdax;

import io.jdax.arch.MemoryFaultException;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.pmem.PmemDevice;
import io.jdax.testkit.DeviceIo;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Poisoned memory for real: {@code madvise(MADV_HWPOISON)} on a page of a jdax device's own
 * mapping, then what jdax makes of the kernel's answer. <b>Only in the jdax QEMU guest</b>: the
 * kernel keeps a poisoned page out of use for the rest of its life, so this refuses to run unless
 * the kernel command line holds {@value #GUEST_MARKER} (run-guest.sh puts it there) and
 * {@code JDAX_GUEST=1} (the guest's init sets it).
 * <pre>
 * HwPoisonChecks RESULTS_FILE MODE=TARGET...
 *   tmpfs=DIR        a file in DIR (tmpfs: /dev/shm) opened mode=emulated; this JVM poisons two pages
 *   fsdax=DIR        a MAP_SYNC file on the DAX mount DIR; a child JVM poisons one page
 *   devdax=/dev/daxX.Y  device DAX (overwrites a few pages); a child JVM poisons one page
 * HwPoisonChecks inject SPEC PGOFF   (the child: opens SPEC, madvise on page PGOFF, says what it got)
 * </pre>
 * What the guest's kernel (Debian 12, 6.1) does, measured (README, "Real DAX hardware and the
 * QEMU guest"): on tmpfs, madvise returns 0 and every later load or store of the page raises
 * SIGBUS {@code BUS_MCEERR_AR} with {@code si_addr_lsb} 12, which jdax's guarded copies turn into
 * EIO and a bad-block entry. On DAX (fsdax and devdax) the kernel sends that SIGBUS to the thread
 * in {@code madvise} itself, at once (outside any jdax routine: a JVM making the call dies), does
 * not signal other processes that map the page, and lets every later access through (nothing is
 * really poisoned); hence the child JVM.
 * <p>
 * Results are {@code hwpoison.MODE.KEY=VALUE} lines in RESULTS_FILE ({@link Report}): checks
 * assert what jdax promises (EIO, never a dead JVM; a poison fault lands in {@code badBlocks()};
 * the other pages intact); what the kernel decides is reported as {@code outcome.*} lines.
 * Exit status 0 when every check passed, 1 when one failed, 2 for bad usage or outside the guest.
 */
public final class HwPoisonChecks {
    /** On the guest kernel's command line (run-guest.sh); unknown dotted parameters are ignored. */
    static final String GUEST_MARKER = "jdax.guest=1";
    /** {@code MADV_HWPOISON} from {@code <asm-generic/mman-common.h>}. */
    static final int MADV_HWPOISON = 100;
    private static final int PAGE = DaxDevice.PAGE_SIZE;
    private static final int SECTORS_PER_PAGE = PAGE / BadBlocks.SECTOR_SIZE;
    private static final String FILE_NAME = "jdax-hwpoison.pmem";
    /** tmpfs: the page read first, and the page written first. */
    private static final int READ_PAGE = 5;
    private static final int WRITE_PAGE = 9;
    private static final int PAGES = 16;

    private final Report report;
    private final Random random = new Random(0x4057_9015L);
    private DaxDevice dev;
    private long base;
    private byte[][] data;

    private HwPoisonChecks(Report report) {
        this.report = report;
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        String refusal = notInGuest(cmdline(), System.getenv("JDAX_GUEST"));
        if (refusal != null) {
            System.err.println("HwPoisonChecks: refusing to poison memory: " + refusal);
            System.exit(2);
        }
        if (args.length == 3 && args[0].equals("inject")) {
            System.exit(inject(args[1], Long.parseLong(args[2])));
        }
        if (args.length < 2) {
            usage();
        }
        int failed = 0;
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String mode = eq < 0 ? "" : args[i].substring(0, eq);
            if (!List.of("tmpfs", "fsdax", "devdax").contains(mode)) {
                usage();
            }
            Path target = Path.of(args[i].substring(eq + 1));
            try (Report report = new Report(Path.of(args[0]), "hwpoison." + mode)) {
                HwPoisonChecks c = new HwPoisonChecks(report);
                if (mode.equals("tmpfs")) {
                    c.tmpfs(target);
                } else {
                    c.dax(mode, target);
                }
                report.info("phase", report.passed() + " passed, " + report.failed() + " failed");
                failed += report.failed();
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void usage() {
        System.err.println("usage: HwPoisonChecks RESULTS_FILE tmpfs=DIR|fsdax=DIR|devdax=/dev/daxX.Y...\n"
                + "       HwPoisonChecks inject SPEC PGOFF");
        System.exit(2);
    }

    /** Why this is not the jdax QEMU guest, or null when it is. */
    static String notInGuest(String cmdline, String guestEnv) {
        if (cmdline == null || !Arrays.asList(cmdline.strip().split("\\s+")).contains(GUEST_MARKER)) {
            return "the kernel command line has no " + GUEST_MARKER + " (only the jdax QEMU guest's has): "
                    + "MADV_HWPOISON takes pages out of use for the kernel's lifetime";
        }
        if (!"1".equals(guestEnv)) {
            return "JDAX_GUEST is not 1 (the guest's init sets it)";
        }
        return null;
    }

    private static String cmdline() {
        try {
            return Files.readString(Path.of("/proc/cmdline"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    // ---- tmpfs: this JVM poisons two pages of its own mapping

    private void tmpfs(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Files.deleteIfExists(file);
        try {
            report.check("opens_emulated_on_tmpfs", () -> {
                open("pmem:" + file + "?size=1M&create=true&mode=emulated");
                report.info("fs", Files.getFileStore(dir).type());
                writePages(0, PAGES);
            });
            report.check("madvise_hwpoison_accepted", () -> {
                device();
                String a = madviseOwnPage(READ_PAGE);
                String b = madviseOwnPage(WRITE_PAGE);
                report.info("madvise", "page " + READ_PAGE + ": " + a + "; page " + WRITE_PAGE + ": " + b);
                expect(a.equals("0") && b.equals("0"), "the kernel refused MADV_HWPOISON: page " + READ_PAGE + " "
                        + a + ", page " + WRITE_PAGE + " " + b);
            });
            report.check("read_of_the_poisoned_page_is_eio_and_listed", () -> {
                // Three pages, the poisoned one in the middle: the copy faults part-way.
                DaxException e = expectEio(() -> read(READ_PAGE - 1, 3));
                MemoryFaultException f = faultOf(e);
                report.info("outcome.read", describe(e));
                expect(f != null, "the EIO is not from a memory fault: " + e);
                expect(f.kind() == MemoryFaultException.Kind.POISON, "the fault is " + f.kind() + ", not POISON");
                expect(e.getMessage().contains("poison"), "the message does not name poison: " + e.getMessage());
                long at = f.address() - base;
                expect(at >= (long) READ_PAGE * PAGE && at < (READ_PAGE + 1L) * PAGE, "the fault is at device offset "
                        + at + ", not in page " + READ_PAGE);
                expect(f.granule() >= PAGE && Long.bitCount(f.granule()) == 1, "granule " + f.granule());
                expectListed(READ_PAGE);
            });
            report.check("jvm_goes_on_and_the_other_pages_read_back", () -> {
                for (int p = 0; p < PAGES; p++) {
                    if (p != READ_PAGE && p != WRITE_PAGE) {
                        expect(Arrays.equals(data[p], read(p, 1)), "page " + p + " reads back differently");
                    }
                }
                expect(dev.isAlive(), "the device is no longer alive");
            });
            report.check("listed_page_refused_without_touching_it", () -> {
                DaxException e = expectEio(() -> read(READ_PAGE, 1));
                report.info("outcome.read_again", describe(e));
                expect(faultOf(e) == null, "the read touched the listed page (it faulted again): " + e);
                expect(e.getMessage().contains("bad sectors"), "not refused for its bad sectors: " + e.getMessage());
            });
            report.check("write_to_a_poisoned_page", () -> report.info("outcome.write",
                    consistent(WRITE_PAGE, () -> write(WRITE_PAGE, randomBytes(PAGE)))));
            report.check("zero_page_range_on_a_poisoned_page", () -> report.info("outcome.zero_page_range",
                    consistent(READ_PAGE, () -> dev.zeroPageRange(READ_PAGE, 1))));
            report.check("recovery_write_on_a_poisoned_page", () -> report.info("outcome.recovery_write",
                    consistent(WRITE_PAGE, () -> recoveryWrite(WRITE_PAGE, randomBytes(PAGE)))));
            report.check("read_after_the_list_forgot_the_page", () -> {
                // jdax's list forgets the page; the kernel's poison does not go with it.
                dev.badBlocks().orElseThrow().clear((long) READ_PAGE * SECTORS_PER_PAGE, SECTORS_PER_PAGE);
                report.info("outcome.read_after_clearing_the_list", consistent(READ_PAGE, () -> read(READ_PAGE, 1)));
            });
            report.info("badblocks", dev == null ? "-" : dev.badBlocks().orElseThrow().list());
        } finally {
            close();
            Files.deleteIfExists(file);
        }
    }

    /** madvise(MADV_HWPOISON) on one page of this JVM's mapping of the device: "0" or "-1 errno ...". */
    @SuppressWarnings("try")
    private String madviseOwnPage(long pgoff) {
        try (DaxReadLock lock = dev.readLock()) {
            return madvise(dev.directAccess(pgoff, 1, DaxAccessMode.WRITE).addr().address());
        }
    }

    // ---- fsdax, devdax: a child JVM poisons a page of its own mapping of the same memory

    private void dax(String mode, Path target) throws IOException {
        boolean fsdax = mode.equals("fsdax");
        Path file = fsdax ? target.resolve(FILE_NAME) : null;
        if (file != null) {
            Files.deleteIfExists(file);
        }
        long[] pgoff = {0};
        String[] spec = {null};
        try {
            report.check("opens_cpu_cache", () -> {
                spec[0] = fsdax ? "pmem:" + file + "?size=2M&mode=cpu_cache" : "pmem:" + target + "?mode=cpu_cache";
                open(fsdax ? spec[0] + "&create=true" : spec[0]);
                expect(dev.persistence() == PersistenceMode.CPU_CACHE, "got " + dev.persistence() + ": "
                        + dev.persistenceReason());
                // devdax: the middle of the device, away from what the other checks left at its start
                pgoff[0] = fsdax ? 3 : dev.nrPages() / 2 + 3;
                report.info("page", pgoff[0]);
                writePages(pgoff[0] - 1, 3);
                expect(Arrays.equals(data[1], read(pgoff[0], 1)), "the page does not read back before the poison");
            });
            report.check("madvise_hwpoison_from_a_child_jvm", () -> {
                device();
                Injection inj = injectInChild(spec[0], pgoff[0]);
                report.info("outcome.injector", inj.describe());
                report.info("injector.exit", inj.exit());
                inj.siginfo().ifPresent(s -> report.info("injector.siginfo", s));
                inj.frame().ifPresent(s -> report.info("injector.frame", s));
                expect(inj.reachedMadvise(), "the child JVM did not get to call madvise: " + inj.describe());
            });
            report.check("this_jvm_goes_on_and_reads_the_page", () -> report.info("outcome.read",
                    consistent(pgoff[0], () -> expect(Arrays.equals(data[1], read(pgoff[0], 1)),
                            "the page reads without an error but holds other bytes"))));
            report.check("the_pages_around_read_back", () -> {
                expect(Arrays.equals(data[0], read(pgoff[0] - 1, 1)), "the page before reads back differently");
                expect(Arrays.equals(data[2], read(pgoff[0] + 1, 1)), "the page after reads back differently");
            });
            report.check("write_to_the_page", () -> {
                byte[] b = randomBytes(PAGE);
                report.info("outcome.write", consistent(pgoff[0], () -> {
                    write(pgoff[0], b);
                    dev.flush();
                    expect(Arrays.equals(b, read(pgoff[0], 1)), "the page written reads back differently");
                }));
            });
            report.check("zero_page_range_on_the_page", () -> report.info("outcome.zero_page_range",
                    consistent(pgoff[0], () -> {
                        dev.zeroPageRange(pgoff[0], 1);
                        expect(Arrays.equals(new byte[PAGE], read(pgoff[0], 1)), "the page zeroed is not zeros");
                    })));
            if (dev instanceof PmemDevice p) {
                report.info("kernel_badblocks", p.badBlocksSource() + ": " + describeList(p.refreshBadBlocks()));
            }
        } finally {
            close();
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** What the child JVM said and how it ended. */
    record Injection(int exit, List<String> output, Optional<String> siginfo, Optional<String> frame) {
        boolean reachedMadvise() {
            return output.stream().anyMatch(l -> l.startsWith("inject.calling_madvise"));
        }

        Optional<String> madvise() {
            return output.stream().filter(l -> l.startsWith("inject.madvise=")).map(l -> l.substring(15)).findFirst();
        }

        String describe() {
            if (madvise().isPresent()) {
                return "madvise returned " + madvise().get() + " in the child JVM (exit " + exit + ")";
            }
            if (siginfo.isPresent()) {
                return "the child JVM died in madvise (exit " + exit + "): " + signal(siginfo.get())
                        + frame.map(f -> " at " + f).orElse("") + address().map(a -> "; the page was " + a).orElse("");
            }
            return "the child JVM ended with status " + exit + " without a word from madvise: "
                    + String.join(" | ", output.subList(Math.max(0, output.size() - 8), output.size()));
        }

        private Optional<String> address() {
            return output.stream().filter(l -> l.startsWith("inject.address=")).map(l -> l.substring(15).split(" ")[0])
                    .findFirst();
        }
    }

    /** HotSpot's "si_signo: 7 (SIGBUS), si_code: 4 (unknown), si_addr: 0x..." with the code named. */
    static String signal(String siginfo) {
        Matcher m = Pattern.compile("si_signo: (\\d+) \\((\\w+)\\), si_code: (\\d+) \\([^)]*\\), si_addr: (0x[0-9a-f]+)")
                .matcher(siginfo);
        if (!m.find()) {
            return siginfo;
        }
        String code = m.group(2).equals("SIGBUS") ? switch (Integer.parseInt(m.group(3))) {
            case 1 -> "BUS_ADRALN";
            case 2 -> "BUS_ADRERR";
            case 3 -> "BUS_OBJERR";
            case 4 -> "BUS_MCEERR_AR";
            case 5 -> "BUS_MCEERR_AO";
            default -> "?";
        } : "?";
        return m.group(2) + " " + code + " (si_code " + m.group(3) + "), si_addr 0x"
                + Long.toHexString(Long.parseUnsignedLong(m.group(4).substring(2), 16));
    }

    private Injection injectInChild(String spec, long pgoff) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jdax-hwpoison");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-XX:ErrorFile") && !a.contains("CreateCoredumpOnCrash")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash",
                "-cp", System.getProperty("java.class.path"), HwPoisonChecks.class.getName(), "inject", spec,
                Long.toString(pgoff)));
        System.err.println("hwpoison child: " + String.join(" ", cmd).replaceFirst(" -cp \\S+ ", " -cp (this JVM's) "));
        System.err.println("hwpoison child: (on this guest's kernel, DAX: the kernel sends the caller of madvise a "
                + "SIGBUS BUS_MCEERR_AR at once, outside any jdax routine, so a fatal error report below is the "
                + "outcome expected)");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        List<String> out = new ArrayList<>();
        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                System.err.println("hwpoison child: " + line);
                out.add(line);
            }
        }
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not end within 3 minutes");
        }
        String siginfo = null;
        String frame = null;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.ISO_8859_1);
                for (int i = 0; i < lines.size(); i++) {
                    String l = lines.get(i).strip();
                    if (siginfo == null && l.startsWith("siginfo:")) {
                        siginfo = l.substring(8).strip();
                    }
                    if (frame == null && l.startsWith("# Problematic frame:") && i + 1 < lines.size()) {
                        frame = lines.get(i + 1).replaceFirst("^#\\s*", "").strip().replaceAll("\\s+", " ");
                    }
                }
                System.err.println("hwpoison child: fatal error log " + f + " (" + lines.size() + " lines)");
            }
        }
        return new Injection(p.exitValue(), out, Optional.ofNullable(siginfo), Optional.ofNullable(frame));
    }

    /** The child: open SPEC, madvise(MADV_HWPOISON) on page PGOFF of its own mapping, say what happened. */
    @SuppressWarnings("try")
    private static int inject(String spec, long pgoff) {
        try (DaxDevice d = DaxDevices.open(spec); DaxReadLock lock = d.readLock()) {
            MemorySegment page = d.directAccess(pgoff, 1, DaxAccessMode.WRITE).addr();
            byte first = page.get(ValueLayout.JAVA_BYTE, 0); // mapped in this process before the call
            System.out.println("inject.address=0x" + Long.toHexString(page.address()) + " (device page " + pgoff
                    + ", first byte " + first + ")");
            System.out.println("inject.calling_madvise");
            System.out.flush();
            String rc = madvise(page.address());
            System.out.println("inject.madvise=" + rc);
            return 0;
        } catch (RuntimeException e) {
            System.out.println("inject.error=" + e);
            return 1;
        }
    }

    // ---- madvise through FFM

    private static final class Libc {
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle MADVISE = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("madvise").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT),
                Linker.Option.captureCallState("errno"));
    }

    /** madvise(addr, 4096, MADV_HWPOISON): "0", or "-1 errno N (NAME): what it likely means". */
    static String madvise(long address) {
        if (address % PAGE != 0) {
            throw new IllegalArgumentException("not page-aligned: 0x" + Long.toHexString(address));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.STATE);
            int rc = (int) Libc.MADVISE.invokeExact(state, MemorySegment.ofAddress(address), (long) PAGE,
                    MADV_HWPOISON);
            if (rc == 0) {
                return "0";
            }
            int errno = (int) Libc.ERRNO.get(state, 0L);
            return rc + " errno " + errno + " (" + errnoMeaning(errno) + ")";
        } catch (Throwable t) {
            throw new AssertionError("the madvise downcall failed: " + t, t);
        }
    }

    static String errnoMeaning(int errno) {
        return switch (errno) {
            case 1 -> "EPERM: needs CAP_SYS_ADMIN";
            case 22 -> "EINVAL: a kernel without CONFIG_MEMORY_FAILURE does not know MADV_HWPOISON";
            case 14 -> "EFAULT: the page could not be pinned (get_user_pages)";
            case 16 -> "EBUSY: the kernel could not isolate the page";
            case 133 -> "EHWPOISON: the page is poisoned already";
            default -> Arrays.stream(Errno.values()).filter(e -> e.number() == errno).map(Enum::name).findFirst()
                    .orElse("errno " + errno);
        };
    }

    // ---- helpers

    private void open(String spec) {
        dev = DaxDevices.open(spec);
        base = directBase();
        report.info("device", spec);
        report.info("persistence", dev.persistence() + ": " + dev.persistenceReason());
    }

    @SuppressWarnings("try")
    private long directBase() {
        try (DaxReadLock lock = dev.readLock()) {
            return dev.directAccess(0, 1, DaxAccessMode.READ).addr().address();
        }
    }

    private void close() {
        if (dev != null) {
            dev.close();
        }
    }

    private DaxDevice device() {
        if (dev == null) {
            throw new IllegalStateException("skipped: the device did not open (see the open check)");
        }
        return dev;
    }

    private void writePages(long first, int n) {
        data = new byte[n][];
        for (int i = 0; i < n; i++) {
            data[i] = randomBytes(PAGE);
            write(first + i, data[i]);
        }
        dev.flush();
    }

    private void write(long pgoff, byte[] bytes) {
        long n = DeviceIo.write(device(), pgoff * PAGE, IovIter.kvec(IovIter.Direction.SOURCE, bytes));
        expect(n == bytes.length, "wrote " + n + " of " + bytes.length + " bytes");
    }

    /** Reads pages through copyToIter (the guarded copy), never with plain loads. */
    private byte[] read(long pgoff, int pages) {
        byte[] b = new byte[pages * PAGE];
        long n = DeviceIo.read(device(), pgoff * PAGE, IovIter.kvec(IovIter.Direction.DEST, b));
        expect(n == b.length, "read " + n + " of " + b.length + " bytes");
        return b;
    }

    @SuppressWarnings("try")
    private void recoveryWrite(long pgoff, byte[] bytes) {
        // the core retries a write over a listed bad sector as the driver's recovery write
        long n = dev.copyFromIter(pgoff * PAGE, bytes.length, IovIter.kvec(IovIter.Direction.SOURCE, bytes));
        expect(n == bytes.length, "recoveryWrite wrote " + n + " of " + bytes.length + " bytes");
    }

    /**
     * Runs {@code op} on page {@code pgoff}, whose outcome the kernel decides, and checks only
     * that jdax kept its word: it either worked, or failed with EIO, and a poison fault put the
     * page in the bad-block list. Returns what happened, for the results.
     */
    private String consistent(long pgoff, Report.Check op) throws Exception {
        try {
            op.run();
        } catch (DaxException e) {
            expect(e.errno() == Errno.EIO, "failed with " + e.errno() + ", not EIO: " + e.getMessage());
            MemoryFaultException f = faultOf(e);
            if (f != null && f.kind() == MemoryFaultException.Kind.POISON) {
                expectListed(pgoff);
            }
            return describe(e);
        }
        expect(dev.isAlive(), "the device is no longer alive");
        return "ok; bad-block list " + describeList(dev.badBlocks().orElseThrow().list());
    }

    private String describe(DaxException e) {
        MemoryFaultException f = faultOf(e);
        String how = f == null ? "refused up front (no fault)"
                : "fault " + f.kind() + " at device offset " + (f.address() - base) + ", granule " + f.granule();
        return e.errno() + ", " + how + "; bad-block list " + describeList(dev.badBlocks().orElseThrow().list())
                + " (" + e.getMessage() + ")";
    }

    private static String describeList(List<BadBlocks.Range> list) {
        return list.isEmpty() ? "empty" : list.stream().map(r -> "sectors [" + r.sector() + ", +" + r.count() + ")")
                .toList().toString();
    }

    private void expectListed(long pgoff) {
        Optional<BadBlocks.Range> r = dev.badBlocks().orElseThrow().check(pgoff * SECTORS_PER_PAGE, SECTORS_PER_PAGE);
        expect(r.isPresent() && r.get().sector() <= pgoff * SECTORS_PER_PAGE
                        && r.get().end() >= (pgoff + 1) * SECTORS_PER_PAGE,
                "page " + pgoff + " (sectors [" + pgoff * SECTORS_PER_PAGE + ", +" + SECTORS_PER_PAGE
                        + ")) is not all in badBlocks(): " + dev.badBlocks().orElseThrow().list());
    }

    private static MemoryFaultException faultOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MemoryFaultException f) {
                return f;
            }
        }
        return null;
    }

    private static DaxException expectEio(Report.Check body) {
        try {
            body.run();
        } catch (DaxException e) {
            expect(e.errno() == Errno.EIO, "failed with " + e.errno() + ", not EIO: " + e.getMessage());
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected EIO, got " + e, e);
        }
        throw new AssertionError("expected EIO, the operation worked");
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void expect(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
