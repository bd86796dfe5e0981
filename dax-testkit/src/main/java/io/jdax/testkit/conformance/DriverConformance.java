package io.jdax.testkit.conformance;

import io.jdax.arch.Arch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDevices;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.Errno;
import io.jdax.dax.InstalledDriver;
import io.jdax.dax.PersistenceMode;
import io.jdax.testkit.DeviceIo;
import io.jdax.testkit.IterKind;
import io.jdax.testkit.sim.SimulatedArch;
import io.jdax.testkit.sim.SimulatedMedia;
import io.jdax.uio.IovIter;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The driver conformance suite: the contracts of {@code DaxDriver}, {@code DaxDevice} and
 * {@code DaxOperations} checked against any driver, written once (the JCTools way). Run it from
 * JUnit by subclassing {@link DriverContractTest}, or from anything else with {@link #run}.
 * <p>
 * Groups: C1 discovery; device geometry; C2 directAccess (every page its own memory, first to
 * last); C5 round trips for every iterator kind and alignment; zeroPageRange (when the device has
 * it); C9 flush durability under the power-fail simulator (devices that persist); C4 write-back
 * accounting; bad blocks (devices with a bad-block list); concurrency (writers held inside the
 * device's copy until they meet); C8 close during I/O, with a call or a read lock held, and after;
 * bad input. A group a device does not claim is reported as not applicable, never as passed. A
 * device that does not open at all is one failed check that says why (and, for an Arch without
 * cache write-back, what to run instead).
 * <p>
 * The checks that need threads inside the driver at the same moment do not wait for the
 * scheduler to interleave them: they open the device with an Arch that holds named threads at
 * each store of a copy ({@code MeetingArch}), so the same bug fails every run.
 */
@SuppressWarnings("try") // read locks are held across the accesses, not called
public final class DriverConformance {
    private static final int PAGE = DaxDevice.PAGE_SIZE;
    private static final String SERVICE = "META-INF/services/" + DaxDriver.class.getName();

    private DriverConformance() {
    }

    /**
     * The checks of one contract.
     *
     * @param contract      the contract's title
     * @param checks        its checks; empty when not applicable
     * @param notApplicable why the device does not claim it, or null
     */
    public record Group(String contract, List<ConformanceCheck> checks, String notApplicable) {
        /** Copies the list. */
        public Group {
            checks = List.copyOf(checks);
        }
    }

    /** How a check ended outside JUnit. */
    public enum Status {
        /** The driver keeps the contract. */
        PASSED,
        /** It does not; the message says how. */
        FAILED,
        /** The device does not claim the contract (e.g. it does not persist). */
        NOT_APPLICABLE
    }

    /**
     * One outcome of {@link #run}.
     *
     * @param contract the contract
     * @param name     the check, or the group for NOT_APPLICABLE
     * @param status   the outcome
     * @param message  the failure or the reason it does not apply; empty when passed
     */
    public record Result(String contract, String name, Status status, String message) {
    }

    /** What the device claims, learned from one device opened before the checks are made. */
    private record Claims(PersistenceMode persistence, boolean zeroPageRange, boolean recoveryWrite,
                          boolean badBlocks) {
    }

    /**
     * Every check for the driver, grouped by contract. Opens (and closes) one device to learn
     * what the driver claims.
     */
    public static List<Group> groups(DriverUnderTest d) {
        return groups(d, null);
    }

    /**
     * {@link #groups(DriverUnderTest)}, with the scratch directory of the device opened to learn
     * the driver's claims made in {@code scratchParent} (null: the JVM's temporary directory).
     */
    public static List<Group> groups(DriverUnderTest d, Path scratchParent) {
        Claims c;
        try {
            c = withScratch(scratchParent, scratch -> {
                Arch arch = d.arch().get();
                String spec = d.specs().newDevice(scratch, d.deviceSize());
                try (DaxDevice dev = DaxDevices.open(spec, arch)) {
                    return new Claims(dev.persistence(), dev.hasZeroPageRange(), dev.hasRecoveryWrite(),
                            dev.badBlocks().isPresent());
                } catch (RuntimeException e) {
                    throw new CannotOpen(cannotOpen(spec, arch, e), e);
                }
            });
        } catch (CannotOpen e) {
            // One failure that says why and what to do, instead of one error for the whole suite.
            String why = e.getMessage();
            return List.of(group("opening a device", check("opensAFreshDeviceToLearnWhatItClaims", s -> {
                throw new AssertionError(why, e.getCause());
            })));
        }
        List<Group> g = new ArrayList<>();
        g.add(group("C1 discovery",
                check("isFoundByTheServiceLoaderUnderItsScheme", s -> discovery(d, s)),
                check("isDeclaredInMetaInfServices", s -> declaredInServices(d)),
                check("isDeclaredWithProvidesInModuleInfo", s -> declaredInModuleInfo(d)),
                check("hasAUsableSchemeDescriptionAndConstructor", s -> schemeAndConstructor(d))));
        g.add(group("device geometry",
                check("sizePagesAlignmentAndPersistenceAreConsistent", s -> geometry(d, s))));
        g.add(group("C2 directAccess",
                check("answersAtLeastOnePageAndNeverMoreThanAskedOrThanTheDeviceHas", s -> pageCounts(d, s)),
                check("answersPageAlignedMemoryOfExactlyThePagesAnswered", s -> alignment(d, s)),
                check("multiPageAnswersAreContiguousPages", s -> contiguity(d, s)),
                check("writeModeMemoryIsWritableAndReadModeSeesItsStores", s -> readSeesWrite(d, s)),
                check("everyPageKeepsItsOwnBytesFirstToLast", s -> everyPage(d, s)),
                check("badPageOffsetsAndCountsFailWithEINVALOrERANGE", s -> directAccessBadArguments(d, s))));
        List<ConformanceCheck> trips = new ArrayList<>();
        for (IterKind k : IterKind.values()) {
            trips.add(check("roundTripsEveryAlignmentWritingFrom" + k, s -> roundTrips(d, s, k)));
        }
        trips.add(check("copyFromIterReturnsTheBytesCopiedAndAdvancesTheIterator", s -> copyFromIterCounts(d, s)));
        g.add(group("C5 round trips", trips.toArray(ConformanceCheck[]::new)));
        g.add(c.zeroPageRange()
                ? group("zeroPageRange",
                        check("zeroesWholePagesAndNothingElse", s -> zeroPages(d, s)),
                        check("rangesPastTheEndOrEmptyFail", s -> zeroBadRanges(d, s)))
                : notApplicable("zeroPageRange", "the device has no zeroPageRange (the framework zeroes for it)"));
        List<ConformanceCheck> durable = new ArrayList<>();
        durable.add(check("everyByteWrittenBeforeFlushSurvivesAnyCrash", s -> durability(d, s)));
        if (c.zeroPageRange()) {
            durable.add(check("zeroedPagesSurviveAnyCrashAfterFlush", s -> zeroDurability(d, s)));
        }
        g.add(c.persistence() != PersistenceMode.VOLATILE
                ? group("C9 durability under the power-fail simulator", durable.toArray(ConformanceCheck[]::new))
                : notApplicable("C9 durability under the power-fail simulator", "the device is VOLATILE"));
        g.add(c.persistence() == PersistenceMode.PERSISTENT_CACHE
                ? group("C4 write-back accounting",
                        check("writesBackNoLineInVain", s -> writebackAccounting(d, s)),
                        check("writesNothingBackAndFencesWhenTheCachesArePersistent", s -> eadrAccounting(d, s)))
                : group("C4 write-back accounting",
                        check("writesBackNoLineInVain", s -> writebackAccounting(d, s))));
        g.add(c.badBlocks()
                ? group("bad blocks",
                        check("directAccessOverABadSectorFailsWithEIO", s -> badBlockEio(d, s)),
                        check("recoveryWriteAccessGetsThePagesBeforeTheBadSector", s -> recoveryAccess(d, s)),
                        check("recoveryWriteOfWholeSectorsClearsThem", s -> recoveryWriteClears(d, s, c)))
                : notApplicable("bad blocks", "the device keeps no bad-block list"));
        g.add(group("concurrency",
                check("writersOnDisjointRangesKeepTheirData", s -> concurrency(d, s)),
                check("twoWritersInsideTheCopyAtOnceKeepTheirOwnBytes", s -> writersMeeting(d, s))));
        g.add(group("C8 close",
                check("closeDuringIoEndsEveryCallCleanly", s -> closeDuringIo(d, s)),
                check("closeWaitsForACallInsideTheDriver", s -> closeWaitsForCall(d, s)),
                check("closeWaitsForAHeldReadLock", s -> closeWaitsForReadLock(d, s)),
                check("everyOperationFailsWithENXIOAfterClose", s -> afterClose(d, s)),
                check("closeTwiceIsHarmless", s -> closeTwice(d, s))));
        g.add(group("bad input",
                check("badSpecsFailWithADaxExceptionNamingTheProblem", s -> badSpecs(d, s)),
                check("ioPastTheEndFailsAndWritesNothing", s -> ioPastTheEnd(d, s))));
        return g;
    }

    /** Runs every check outside JUnit (what {@code jdax selftest} does). */
    public static List<Result> run(DriverUnderTest d) {
        List<Result> out = new ArrayList<>();
        for (Group g : groups(d)) {
            if (g.notApplicable() != null) {
                out.add(new Result(g.contract(), g.contract(), Status.NOT_APPLICABLE, g.notApplicable()));
            }
            for (ConformanceCheck c : g.checks()) {
                try {
                    execute(c);
                    out.add(new Result(c.contract(), c.name(), Status.PASSED, ""));
                } catch (Throwable t) {
                    out.add(new Result(c.contract(), c.name(), Status.FAILED, String.valueOf(t.getMessage() == null
                            ? t : t.getMessage())));
                }
            }
        }
        return out;
    }

    /** Runs one check in a fresh scratch directory, deleted afterwards. */
    public static void execute(ConformanceCheck check) throws Exception {
        execute(check, null);
    }

    /**
     * Runs one check in a fresh scratch directory made in {@code scratchParent} (null: the JVM's
     * temporary directory), deleted afterwards. A caller that may be stopped by a signal gives a
     * parent of its own and removes it then.
     */
    public static void execute(ConformanceCheck check, Path scratchParent) throws Exception {
        withScratch(scratchParent, scratch -> {
            check.body().run(scratch);
            return null;
        });
    }

    // ---- plumbing

    private interface Scratched<T> {
        T run(Path scratch) throws Exception;
    }

    private static <T> T withScratch(Path parent, Scratched<T> body) {
        Path dir;
        try {
            dir = Files.createTempDirectory(parent != null ? parent : Path.of(System.getProperty("java.io.tmpdir")),
                    "jdax-conformance-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new DaxException(Errno.EIO, "cannot create a scratch directory: " + e, e);
        }
        try {
            return body.run(dir);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e.toString(), e);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // scratch in the temporary directory: best effort
            }
        }
    }

    private static ConformanceCheck check(String name, ConformanceCheck.Body body) {
        return new ConformanceCheck("", name, body);
    }

    private static Group group(String contract, ConformanceCheck... checks) {
        return new Group(contract, Arrays.stream(checks)
                .map(c -> new ConformanceCheck(contract, c.name(), c.body())).toList(), null);
    }

    private static Group notApplicable(String contract, String why) {
        return new Group(contract, List.of(), why);
    }

    private static DaxDevice open(DriverUnderTest d, Path scratch) {
        return open(d, scratch, d.arch().get());
    }

    private static DaxDevice open(DriverUnderTest d, Path scratch, Arch arch) {
        DaxDevice dev = DaxDevices.open(d.specs().newDevice(scratch, d.deviceSize()), arch);
        Expect.that(dev.nrPages() >= 64, "the suite needs at least 64 pages, the device has " + dev.nrPages());
        return dev;
    }

    private static byte[] random(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        for (int i = 0; i < n; i++) {
            b[i] |= 1; // never zero, so a write that did not happen cannot pass for one
        }
        return b;
    }

    private static Class<? extends DaxDriver> driverClass(DriverUnderTest d) {
        return DaxDevices.registry().driver(d.scheme()).getClass();
    }

    /** The device the suite learns the driver's claims from did not open. */
    private static final class CannotOpen extends RuntimeException {
        CannotOpen(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static String cannotOpen(String spec, Arch arch, RuntimeException e) {
        StringBuilder b = new StringBuilder("the suite could not open '").append(spec).append("' with the ")
                .append(arch.name()).append(" Arch, so no check ran: ")
                .append(e instanceof DaxException ? e.getMessage() : e.toString());
        if (!arch.hasCacheWriteback()) {
            b.append(". This Arch cannot write cache lines back (native-x86 is not on this path, or did not load),"
                    + " and a driver whose durability needs write-back must refuse it (C3, C7). Run the checks with"
                    + " the power-fail simulator, which can: DriverContractTest does unless arch() is overridden"
                    + " (drop the override, or return a new SimulatedArch()); or put native-x86 on the test path");
        }
        return b.toString();
    }

    // ---- C1 discovery

    private static void discovery(DriverUnderTest d, Path scratch) {
        List<InstalledDriver> found = DaxDevices.registry().drivers().stream()
                .filter(i -> i.scheme().equals(d.scheme())).toList();
        Expect.that(found.size() == 1, "exactly one installed driver should serve '" + d.scheme() + "', found "
                + found + "; failed providers: " + DaxDevices.registry().failures());
        try (DaxDevice dev = open(d, scratch)) {
            Expect.that(dev.spec().scheme().equals(d.scheme()), "the device's spec has scheme '" + dev.spec().scheme()
                    + "', not '" + d.scheme() + "'");
        }
    }

    private static void declaredInServices(DriverUnderTest d) throws IOException {
        Class<? extends DaxDriver> type = driverClass(d);
        ClassLoader loader = type.getClassLoader();
        Enumeration<URL> files = loader.getResources(SERVICE);
        List<URL> listing = new ArrayList<>();
        for (URL u : Collections.list(files)) {
            try (InputStream in = u.openStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (text.lines().map(l -> l.replaceAll("#.*", "").strip()).anyMatch(type.getName()::equals)) {
                    listing.add(u);
                }
            }
        }
        Expect.that(!listing.isEmpty(), type.getName() + " is not listed in any " + SERVICE
                + ": on the class path ServiceLoader cannot find it (C1: declare it both ways)");
        Optional<Path> home = codeSource(type);
        if (home.isPresent()) {
            String where = home.get().toUri().toString();
            Expect.that(listing.stream().anyMatch(u -> u.toString().replace("jar:", "").startsWith(where)
                            || u.toString().contains(home.get().toString())),
                    type.getName() + " is listed in " + listing + " but not in the " + SERVICE + " of its own "
                            + home.get());
        }
    }

    private static void declaredInModuleInfo(DriverUnderTest d) {
        Class<? extends DaxDriver> type = driverClass(d);
        ModuleDescriptor descriptor;
        if (type.getModule().isNamed()) {
            descriptor = type.getModule().getDescriptor();
        } else {
            Path home = codeSource(type).orElseThrow(() -> new AssertionError("cannot tell where " + type.getName()
                    + " was loaded from, so its module-info cannot be checked"));
            Set<ModuleReference> refs;
            try {
                refs = ModuleFinder.of(home).findAll();
            } catch (RuntimeException e) {
                refs = Set.of(); // a directory without module-info is no module
            }
            Expect.that(refs.size() == 1, type.getName() + " comes from " + home + ", which has no module-info: on the"
                    + " module path ServiceLoader cannot find it (C1: add 'provides " + DaxDriver.class.getName()
                    + " with " + type.getName() + "')");
            descriptor = refs.iterator().next().descriptor();
        }
        Expect.that(!descriptor.isAutomatic(), "the driver's jar " + descriptor.name()
                + " has no module-info: on the module path ServiceLoader cannot find it (C1: add 'provides "
                + DaxDriver.class.getName() + " with " + type.getName() + "')");
        boolean provides = descriptor.provides().stream().anyMatch(p -> p.service().equals(DaxDriver.class.getName())
                && p.providers().contains(type.getName()));
        Expect.that(provides, "module " + descriptor.name() + " does not declare 'provides " + DaxDriver.class.getName()
                + " with " + type.getName() + "' (C1)");
    }

    private static Optional<Path> codeSource(Class<?> type) {
        CodeSource cs = type.getProtectionDomain().getCodeSource();
        if (cs == null || cs.getLocation() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(cs.getLocation().toURI()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static void schemeAndConstructor(DriverUnderTest d) {
        DaxDriver driver = DaxDevices.registry().driver(d.scheme());
        Expect.that(driver.scheme().matches("[a-z][a-z0-9+.-]*"), "scheme '" + driver.scheme()
                + "' must be lower case letters, digits, '+', '.', '-'");
        Expect.that(driver.description() != null && !driver.description().isBlank(), "the description is blank");
        Class<? extends DaxDriver> type = driver.getClass();
        Expect.that(java.lang.reflect.Modifier.isPublic(type.getModifiers()), type + " must be public for the"
                + " ServiceLoader");
        // A second instance the way every program gets one: through the ServiceLoader, which may
        // construct a provider whose package its module does not export (reflection may not).
        Optional<ServiceLoader.Provider<DaxDriver>> provider = providerOf(type);
        Expect.that(provider.isPresent(), "the ServiceLoader of " + type.getClassLoader() + " does not offer "
                + type.getName());
        DaxDriver again = provider.get().get();
        Expect.that(again != driver && again.scheme().equals(driver.scheme()), "the ServiceLoader must make a new"
                + " driver serving '" + driver.scheme() + "' each time it is asked, got " + again);
    }

    /** The driver's provider, other providers that fail to load passed over (they are not this check's). */
    private static Optional<ServiceLoader.Provider<DaxDriver>> providerOf(Class<? extends DaxDriver> type) {
        Iterator<ServiceLoader.Provider<DaxDriver>> it = ServiceLoader.load(DaxDriver.class, type.getClassLoader())
                .stream().iterator();
        for (int guard = 0; guard < 10_000; guard++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                ServiceLoader.Provider<DaxDriver> p = it.next();
                if (p.type() == type) {
                    return Optional.of(p);
                }
            } catch (ServiceConfigurationError e) {
                // a broken provider beside this one: DaxDevices reports it
            }
        }
        return Optional.empty();
    }

    // ---- geometry

    private static void geometry(DriverUnderTest d, Path scratch) {
        Arch arch = d.arch().get();
        try (DaxDevice dev = open(d, scratch, arch)) {
            Expect.that(dev.size() > 0 && dev.size() % PAGE == 0, "size " + dev.size() + " is not a positive multiple of "
                    + PAGE);
            Expect.equal(PAGE, dev.pageSize(), "pageSize()");
            Expect.equal(dev.size() / PAGE, dev.nrPages(), "nrPages()");
            Expect.that(dev.alignment() >= PAGE && Long.bitCount(dev.alignment()) == 1, "alignment " + dev.alignment()
                    + " must be a power of two of at least a page");
            Expect.that(dev.persistence() != null, "persistence() is null");
            Expect.that(dev.persistenceReason() != null && !dev.persistenceReason().isBlank(),
                    "persistenceReason() must say why the device got " + dev.persistence());
            Expect.that(dev.name() != null && !dev.name().isBlank(), "the device has no name");
            Expect.that(dev.arch() == arch, "arch() must be the Arch the device was opened with, not " + dev.arch());
            Expect.that(dev.isAlive(), "a freshly opened device must be alive");
        }
    }

    // ---- C2 directAccess

    private static void pageCounts(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            long pages = dev.nrPages();
            for (long pgoff : new long[] {0, 1, pages / 2, pages - 2, pages - 1}) {
                for (long ask : new long[] {1, 2, 7, pages, Long.MAX_VALUE}) {
                    for (DaxAccessMode mode : DaxAccessMode.values()) {
                        DirectAccess da = dev.directAccess(pgoff, ask, mode);
                        long most = Math.min(ask, pages - pgoff);
                        Expect.that(da.nrPages() >= 1 && da.nrPages() <= most, "directAccess(" + pgoff + ", " + ask
                                + ", " + mode + ") answered " + da.nrPages() + " pages; expected 1.." + most);
                    }
                }
            }
        }
    }

    private static void alignment(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            for (long pgoff : new long[] {0, 3, dev.nrPages() - 1}) {
                for (DaxAccessMode mode : DaxAccessMode.values()) {
                    DirectAccess da = dev.directAccess(pgoff, 4, mode);
                    Expect.equal(da.nrPages() * PAGE, da.addr().byteSize(), "bytes of directAccess(" + pgoff + ", 4, "
                            + mode + ") for " + da.nrPages() + " pages");
                    Expect.equal(0, da.addr().address() % PAGE, "page offset of the memory of directAccess(" + pgoff
                            + ", 4, " + mode + ")");
                }
            }
        }
    }

    private static void contiguity(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            DaxDevice ops = dev;
            DirectAccess big = ops.directAccess(8, 16, DaxAccessMode.WRITE);
            for (int k = 0; k < big.nrPages(); k++) {
                big.addr().set(ValueLayout.JAVA_INT_UNALIGNED, (long) k * PAGE + 100, 0x5EED0000 + k);
            }
            for (int k = 0; k < big.nrPages(); k++) {
                MemorySegment one = ops.directAccess(8 + k, 1, DaxAccessMode.READ).addr();
                Expect.equal(0x5EED0000 + k, one.get(ValueLayout.JAVA_INT_UNALIGNED, 100), "page " + (8 + k)
                        + " seen alone, after a store through the " + big.nrPages() + "-page answer at page 8");
                ops.directAccess(8 + k, 1, DaxAccessMode.WRITE).addr().set(ValueLayout.JAVA_INT_UNALIGNED, 200, k);
                Expect.equal(k, big.addr().get(ValueLayout.JAVA_INT_UNALIGNED, (long) k * PAGE + 200), "page " + (8 + k)
                        + " seen through the " + big.nrPages() + "-page answer, after a store through its own");
            }
        }
    }

    private static void readSeesWrite(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            byte[] data = random(new Random(1), PAGE);
            MemorySegment w = dev.directAccess(5, 1, DaxAccessMode.WRITE).addr();
            Expect.that(!w.isReadOnly(), "WRITE mode must answer writable memory");
            MemorySegment.copy(data, 0, w, ValueLayout.JAVA_BYTE, 0, PAGE);
            MemorySegment r = dev.directAccess(5, 1, DaxAccessMode.READ).addr();
            Expect.sameBytes(data, r.asSlice(0, PAGE).toArray(ValueLayout.JAVA_BYTE), "page 5 read after a WRITE-mode store");
            MemorySegment rw = dev.directAccess(5, 1, DaxAccessMode.RECOVERY_WRITE).addr();
            Expect.that(!rw.isReadOnly(), "RECOVERY_WRITE mode must answer writable memory");
        }
    }

    // Runs of uneven lengths, so that the chunk boundaries of any driver (stripe units, files)
    // fall at every phase of the writes and, differently, of the reads.
    private static final int[] WRITE_RUNS = {1, 3, 2, 7, 5, 1, 13, 4, 9};
    private static final int[] READ_RUNS = {4, 1, 11, 2, 6, 16, 3};
    private static final int WORDS = PAGE / Long.BYTES;

    /** Word {@code w} of page {@code page}'s pattern: the page + 1 above, so a stray word names its page. */
    private static long pageWord(long page, int w) {
        return ((page + 1) << 32) | ((w * 0x9E3779B1L ^ 0x5A5A5A5AL) & 0xFFFFFFFFL);
    }

    private static void checkPage(MemorySegment m, long offset, long page, long pages, String how) {
        for (int w = 0; w < WORDS; w++) {
            long got = m.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + (long) w * Long.BYTES);
            if (got == pageWord(page, w)) {
                continue;
            }
            long other = (got >>> 32) - 1;
            String what = other >= 0 && other < pages && got == pageWord(other, w)
                    ? "holds the bytes of page " + other + ": the driver answers the same memory for pages " + page
                    + " and " + other + " (an offset off by one, a wrong stripe or file)"
                    : got == 0 ? "holds zeros: the bytes written to it went somewhere else"
                    : "holds bytes no page was given";
            throw new AssertionError("each of the " + pages + " pages was written with its own pattern, then " + how
                    + ": page " + page + ", byte " + (w * Long.BYTES) + ", " + what);
        }
    }

    private static void everyPage(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch)) {
            long pages = dev.nrPages();
            MemorySegment buf = MemorySegment.ofArray(new byte[16 * PAGE]);
            int i = 0;
            for (long p = 0; p < pages; ) {
                int n = (int) Math.min(WRITE_RUNS[i++ % WRITE_RUNS.length], pages - p);
                for (int k = 0; k < n; k++) {
                    for (int w = 0; w < WORDS; w++) {
                        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, (long) k * PAGE + (long) w * Long.BYTES, pageWord(p + k, w));
                    }
                }
                long bytes = (long) n * PAGE;
                Expect.equal(bytes, dev.copyFromIter(p * PAGE, bytes, IovIter.kvec(IovIter.Direction.SOURCE,
                        List.of(buf.asSlice(0, bytes)))), "bytes written at page " + p);
                p += n;
            }
            i = 0;
            for (long p = 0; p < pages; ) {
                int n = (int) Math.min(READ_RUNS[i++ % READ_RUNS.length], pages - p);
                long bytes = (long) n * PAGE;
                buf.fill((byte) 0);
                Expect.equal(bytes, dev.copyToIter(p * PAGE, bytes, IovIter.kvec(IovIter.Direction.DEST,
                        List.of(buf.asSlice(0, bytes)))), "bytes read at page " + p);
                for (int k = 0; k < n; k++) {
                    checkPage(buf, (long) k * PAGE, p + k, pages, "read back with copyToIter");
                }
                p += n;
            }
            try (DaxReadLock lock = dev.readLock()) {
                for (long p = 0; p < pages; p++) {
                    checkPage(dev.directAccess(p, 1, DaxAccessMode.READ).addr(), 0, p, pages,
                            "loaded page by page through directAccess");
                }
            }
        }
    }

    private static void directAccessBadArguments(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            DaxDevice ops = dev;
            long pages = dev.nrPages();
            for (DaxAccessMode mode : DaxAccessMode.values()) {
                Expect.fails(() -> ops.directAccess(-1, 1, mode), "directAccess(-1, 1, " + mode + ")", Errno.EINVAL);
                Expect.fails(() -> ops.directAccess(0, 0, mode), "directAccess(0, 0, " + mode + ")", Errno.EINVAL);
                Expect.fails(() -> ops.directAccess(0, -5, mode), "directAccess(0, -5, " + mode + ")", Errno.EINVAL);
                Expect.fails(() -> ops.directAccess(pages, 1, mode), "directAccess(nrPages, 1, " + mode + ")",
                        Errno.ERANGE);
                Expect.fails(() -> ops.directAccess(Long.MAX_VALUE, 1, mode), "directAccess(Long.MAX_VALUE, 1, " + mode
                        + ")", Errno.ERANGE);
            }
        }
    }

    // ---- C5 round trips

    private static final long[] POSITIONS = {0, 1, 63, 64 + 3, PAGE - 1, 3L * PAGE - 7, 9L * PAGE};
    private static final int[] LENGTHS = {1, 63, 64, 65, 1000, PAGE, 3 * PAGE + 5};

    private static void roundTrips(DriverUnderTest d, Path scratch, IterKind writeKind) {
        Random rnd = new Random(writeKind.ordinal());
        IterKind[] readKinds = IterKind.values();
        try (DaxDevice dev = open(d, scratch); Arena arena = Arena.ofConfined()) {
            byte[] background = random(rnd, 16 * PAGE);
            DeviceIo.write(dev, 0, background);
            int n = 0;
            for (long pos : POSITIONS) {
                for (int len : LENGTHS) {
                    byte[] data = random(rnd, len);
                    long wrote = DeviceIo.write(dev, pos, writeKind.source(data, arena));
                    Expect.equal(len, wrote, "bytes written from " + writeKind + " at " + pos);
                    IterKind readKind = readKinds[n++ % readKinds.length];
                    IterKind.Dest dst = readKind.dest(len, arena);
                    Expect.equal(len, DeviceIo.read(dev, pos, dst.iter()), "bytes read into " + readKind + " at " + pos);
                    Expect.sameBytes(data, dst.bytes().get(), len + " bytes written from " + writeKind + " at " + pos
                            + " and read into " + readKind);
                    System.arraycopy(data, 0, background, (int) pos, len);
                }
            }
            // Nothing beside the writes changed.
            Expect.sameBytes(background, DeviceIo.read(dev, 0, background.length), "the first 16 pages after all writes");
        }
    }

    private static void copyFromIterCounts(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            IovIter src = IovIter.kvec(IovIter.Direction.SOURCE, new byte[3000]);
            Expect.equal(1000, dev.copyFromIter(2L * PAGE, 1000, src), "copyFromIter of 1000 of 3000 bytes");
            Expect.equal(2000, src.count(), "bytes left in the iterator after copying 1000 of 3000");
            Expect.equal(2000, dev.copyFromIter(2L * PAGE + 1000, 4000, src), "copyFromIter asked for more than the"
                    + " iterator holds");
            Expect.equal(0, src.count(), "bytes left in the iterator after copying all");
        }
    }

    // ---- zeroPageRange

    private static void zeroPages(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch)) {
            byte[] pattern = new byte[6 * PAGE];
            Arrays.fill(pattern, (byte) 0x77);
            DeviceIo.write(dev, 3L * PAGE, pattern);
            dev.zeroPageRange(4, 3);
            byte[] got = DeviceIo.read(dev, 3L * PAGE, 6 * PAGE);
            for (int i = 0; i < got.length; i++) {
                byte want = i >= PAGE && i < 4 * PAGE ? 0 : (byte) 0x77;
                if (got[i] != want) {
                    throw new AssertionError("after zeroPageRange(4, 3), byte " + (3L * PAGE + i) + " is " + got[i]
                            + ", expected " + want);
                }
            }
        }
    }

    private static void zeroBadRanges(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch)) {
            DaxDevice zero = dev;
            long pages = dev.nrPages();
            Expect.fails(() -> zero.zeroPageRange(pages - 1, 2), "zeroPageRange(nrPages - 1, 2)", Errno.ERANGE);
            Expect.fails(() -> zero.zeroPageRange(pages, 1), "zeroPageRange(nrPages, 1)", Errno.ERANGE);
            Expect.fails(() -> zero.zeroPageRange(-1, 1), "zeroPageRange(-1, 1)", Errno.EINVAL);
            Expect.fails(() -> zero.zeroPageRange(0, 0), "zeroPageRange(0, 0)", Errno.EINVAL);
        }
    }

    // ---- C9 durability

    /** Pages the simulator tracks: enough for the writes, small enough for any device. */
    private static final int TRACKED_PAGES = 64;

    private static void durability(DriverUnderTest d, Path scratch) {
        SimulatedArch sim = new SimulatedArch();
        Random rnd = new Random(9);
        try (DaxDevice dev = open(d, scratch, sim); Arena arena = Arena.ofConfined()) {
            SimulatedMedia media = sim.track(dev, 0, TRACKED_PAGES);
            List<long[]> writes = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            long pos = 5;
            for (IterKind k : IterKind.values()) {
                for (int len : new int[] {1, 100, PAGE + 129}) {
                    byte[] b = random(rnd, len);
                    DeviceIo.write(dev, pos, k.source(b, arena));
                    writes.add(new long[] {pos, len});
                    data.add(b);
                    pos += len + 61;
                }
            }
            dev.flush();
            List<byte[]> images = new ArrayList<>();
            images.add(media.persistentImage());
            for (long seed = 0; seed < 4; seed++) {
                images.add(media.crash(seed));
            }
            for (int w = 0; w < writes.size(); w++) {
                long off = writes.get(w)[0];
                int len = (int) writes.get(w)[1];
                List<Long> unfenced = media.unfencedLines(off, len);
                if (!unfenced.isEmpty()) {
                    throw new AssertionError(len + " bytes written at " + off + " and flushed are not durable: lines "
                            + unfenced + " are " + media.lineState(unfenced.getFirst())
                            + " (cached stores never written back, or written back and never fenced)");
                }
                for (byte[] img : images) {
                    Expect.sameBytes(data.get(w), Arrays.copyOfRange(img, (int) off, (int) off + len),
                            len + " bytes at " + off + " after a crash following flush()");
                }
            }
        }
    }

    private static void zeroDurability(DriverUnderTest d, Path scratch) {
        SimulatedArch sim = new SimulatedArch();
        try (DaxDevice dev = open(d, scratch, sim)) {
            byte[] pattern = new byte[8 * PAGE];
            Arrays.fill(pattern, (byte) 0x3C);
            DeviceIo.write(dev, 0, pattern);
            dev.flush();
            SimulatedMedia media = sim.track(dev, 0, TRACKED_PAGES);
            dev.zeroPageRange(2, 4);
            dev.flush();
            List<Long> unfenced = media.unfencedLines(2L * PAGE, 4L * PAGE);
            Expect.that(unfenced.isEmpty(), "zeroPageRange(2, 4) then flush(): lines " + unfenced + " not durable");
            byte[] img = media.crash(3);
            for (int i = 2 * PAGE; i < 6 * PAGE; i++) {
                Expect.that(img[i] == 0, "byte " + i + " is " + img[i] + " after zeroPageRange, flush and a crash");
            }
        }
    }

    // ---- C4

    private static void writebackAccounting(DriverUnderTest d, Path scratch) {
        SimulatedArch sim = new SimulatedArch();
        Random rnd = new Random(4);
        try (DaxDevice dev = open(d, scratch, sim); Arena arena = Arena.ofConfined()) {
            SimulatedMedia media = sim.track(dev, 0, TRACKED_PAGES);
            long pos = 0;
            for (IterKind k : IterKind.values()) {
                for (long[] w : new long[][] {{0, 2 * PAGE}, {13, 3000}, {64, 64}, {7, 5}}) {
                    long at = pos + w[0];
                    int len = (int) w[1];
                    media.resetStats();
                    DeviceIo.write(dev, at, k.source(random(rnd, len), arena));
                    dev.flush();
                    var s = media.stats();
                    // A line split between two iterator segments is stored twice and rightly written back twice.
                    Expect.equal(0, s.redundantWritebacks(), "redundant write-backs after writing " + len + " bytes at "
                            + at + " from " + k + " and flushing (C4: a line stored non-temporally needs none); "
                            + s.describe());
                    pos += 3L * PAGE;
                }
            }
        }
    }

    /**
     * A PERSISTENT_CACHE (eADR) device: its caches are persistent, so writes, zeroing and flushes
     * write back nothing at all, and still fence (C12).
     */
    private static void eadrAccounting(DriverUnderTest d, Path scratch) {
        SimulatedArch sim = new SimulatedArch();
        Random rnd = new Random(12);
        try (DaxDevice dev = open(d, scratch, sim); Arena arena = Arena.ofConfined()) {
            SimulatedMedia media = sim.track(dev, 0, TRACKED_PAGES);
            long pos = 0;
            for (IterKind k : IterKind.values()) {
                for (long[] w : new long[][] {{0, 2 * PAGE}, {13, 3000}, {7, 5}}) {
                    media.resetStats();
                    DeviceIo.write(dev, pos + w[0], k.source(random(rnd, (int) w[1]), arena));
                    dev.flush();
                    var s = media.stats();
                    Expect.equal(0L, s.linesWrittenBack(), "lines written back by a " + w[1] + "-byte " + k
                            + " write and flush() on a PERSISTENT_CACHE device (" + s.describe() + ")");
                    Expect.that(s.fences() >= 1, "no fence after a write and flush(): " + s.describe());
                    pos += 3L * PAGE;
                }
            }
            media.resetStats();
            dev.flushRange(PAGE, 3 * PAGE);
            Expect.equal(0L, media.stats().linesWrittenBack(), "lines written back by flushRange: "
                    + media.stats().describe());
            Expect.that(media.stats().fences() >= 1, "flushRange did not fence: " + media.stats().describe());
            if (dev.hasZeroPageRange()) {
                media.resetStats();
                dev.zeroPageRange(1, 2);
                dev.flush();
                Expect.equal(0L, media.stats().linesWrittenBack(), "lines written back by zeroPageRange: "
                        + media.stats().describe());
            }
        }
    }

    // ---- bad blocks

    private static final int SECTORS_PER_PAGE = PAGE / BadBlocks.SECTOR_SIZE;

    private static void badBlockEio(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            BadBlocks bb = dev.badBlocks().orElseThrow();
            DaxDevice ops = dev;
            bb.set(5L * SECTORS_PER_PAGE + 3, 1);
            for (DaxAccessMode mode : new DaxAccessMode[] {DaxAccessMode.READ, DaxAccessMode.WRITE}) {
                Expect.fails(() -> ops.directAccess(5, 1, mode), "directAccess(5, 1, " + mode + ") over a bad sector",
                        Errno.EIO);
                Expect.fails(() -> ops.directAccess(3, 4, mode), "directAccess(3, 4, " + mode
                        + ") whose pages hold a bad sector", Errno.EIO);
            }
            Expect.that(ops.directAccess(4, 1, DaxAccessMode.WRITE).nrPages() == 1, "page 4 has no bad sector");
            bb.clear(5L * SECTORS_PER_PAGE + 3, 1);
            Expect.that(ops.directAccess(5, 1, DaxAccessMode.WRITE).nrPages() == 1, "page 5 after its sector was cleared");
        }
    }

    private static void recoveryAccess(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            dev.badBlocks().orElseThrow().set(7L * SECTORS_PER_PAGE + 1, 2);
            DaxDevice ops = dev;
            DirectAccess before = ops.directAccess(4, 8, DaxAccessMode.RECOVERY_WRITE);
            Expect.that(before.nrPages() >= 1 && before.nrPages() <= 3, "directAccess(4, 8, RECOVERY_WRITE) with a bad"
                    + " sector in page 7 answered " + before.nrPages() + " pages; expected 1..3, the pages before it");
            DirectAccess at = ops.directAccess(7, 2, DaxAccessMode.RECOVERY_WRITE);
            Expect.that(at.nrPages() >= 1, "RECOVERY_WRITE at the bad page must answer at least one page");
        }
    }

    private static void recoveryWriteClears(DriverUnderTest d, Path scratch, Claims c) {
        if (!c.recoveryWrite()) {
            throw new AssertionError("the device keeps a bad-block list but has no recoveryWrite: poisoned memory"
                    + " could never be repaired");
        }
        try (DaxDevice dev = open(d, scratch); DaxReadLock lock = dev.readLock()) {
            BadBlocks bb = dev.badBlocks().orElseThrow();
            long sector = 6L * SECTORS_PER_PAGE + 2;
            bb.set(sector, 1);
            byte[] data = random(new Random(6), BadBlocks.SECTOR_SIZE);
            // a write over a bad sector is retried by the core as the driver's recovery write
            long n = dev.copyFromIter(sector * BadBlocks.SECTOR_SIZE, BadBlocks.SECTOR_SIZE,
                    IovIter.kvec(IovIter.Direction.SOURCE, data));
            Expect.equal(BadBlocks.SECTOR_SIZE, n, "bytes of a recovery write of one whole sector");
            Expect.that(!bb.isBad(sector * BadBlocks.SECTOR_SIZE, BadBlocks.SECTOR_SIZE),
                    "sector " + sector + " is still bad after a recovery write of all of it: " + bb.list());
            Expect.sameBytes(data, DeviceIo.read(dev, sector * BadBlocks.SECTOR_SIZE, BadBlocks.SECTOR_SIZE),
                    "the repaired sector");
        }
    }

    // ---- concurrency

    private static final int THREADS = 4;
    private static final int OPS = 60;

    private static void concurrency(DriverUnderTest d, Path scratch) throws Exception {
        try (DaxDevice dev = open(d, scratch)) {
            // Each thread owns a quarter of the device and writes at most its first 4 MiB: a big real
            // device (a 1 GiB /dev/dax) must not need the whole device twice on the heap.
            long stride = dev.nrPages() / THREADS * PAGE;
            long span = Math.min(stride, 4L << 20);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<byte[]>> models = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long base = t * stride;
                    int seed = t;
                    models.add(pool.submit(() -> {
                        Random rnd = new Random(seed);
                        byte[] model = DeviceIo.read(dev, base, (int) span);
                        start.await();
                        try (Arena arena = Arena.ofConfined()) {
                            for (int i = 0; i < OPS; i++) {
                                int len = 1 + rnd.nextInt(3 * PAGE);
                                int off = rnd.nextInt((int) span - len + 1);
                                byte[] data = random(rnd, len);
                                IterKind k = IterKind.values()[rnd.nextInt(IterKind.values().length)];
                                DeviceIo.write(dev, base + off, k.source(data, arena));
                                System.arraycopy(data, 0, model, off, len);
                                if (i % 10 == 0) {
                                    dev.flush();
                                }
                            }
                        }
                        return model;
                    }));
                }
                start.countDown();
                for (int t = 0; t < THREADS; t++) {
                    byte[] model = models.get(t).get(60, TimeUnit.SECONDS);
                    Expect.sameBytes(model, DeviceIo.read(dev, t * stride, (int) span), "thread " + t
                            + "'s range after " + THREADS + " threads wrote their own ranges at once");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static final int MEETING_ROUNDS = 8;

    /**
     * Two writers, each on its own page, held at every store of the device's copy until the other
     * is there too ({@link MeetingArch}): state the driver's copy shares between calls (a bounce
     * buffer) is then shared for certain, not when the scheduler happens to interleave them.
     */
    private static void writersMeeting(DriverUnderTest d, Path scratch) throws Exception {
        MeetingArch arch = new MeetingArch(d.arch().get(), Duration.ofSeconds(2));
        Random rnd = new Random(12);
        try (DaxDevice dev = open(d, scratch, arch)) {
            long half = dev.nrPages() / 2;
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < MEETING_ROUNDS && !arch.calledOff(); round++) {
                    // Within one page, same offset, length and iterator shape for both: the same
                    // number of stores each, whatever the driver's chunks.
                    IterKind kind = IterKind.values()[round % IterKind.values().length];
                    int off = new int[] {0, 100, 1, 64, 4000, 7, 0, 2048}[round];
                    int len = round % 3 == 0 ? PAGE - off : Math.min(PAGE - off, 1 + rnd.nextInt(3000));
                    long[] at = {(3 + round) * (long) PAGE + off, (half + 3 + round) * PAGE + off};
                    byte[][] data = {random(rnd, len), random(rnd, len)};
                    Thread[] writers = new Thread[2];
                    CountDownLatch ready = new CountDownLatch(2);
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<Long>> done = new ArrayList<>();
                    for (int w = 0; w < 2; w++) {
                        int id = w;
                        done.add(pool.submit(() -> {
                            try (Arena arena = Arena.ofConfined()) {
                                IovIter src = kind.source(data[id], arena);
                                writers[id] = Thread.currentThread();
                                ready.countDown();
                                go.await();
                                return DeviceIo.write(dev, at[id], src);
                            }
                        }));
                    }
                    Expect.that(ready.await(30, TimeUnit.SECONDS), "the writers did not start");
                    arch.meet(writers);
                    go.countDown();
                    for (int w = 0; w < 2; w++) {
                        try {
                            Expect.equal(len, done.get(w).get(60, TimeUnit.SECONDS), "bytes written by writer " + w);
                        } catch (ExecutionException e) {
                            throw new AssertionError("writer " + w + " of two meeting inside the copy failed: "
                                    + e.getCause(), e.getCause());
                        }
                    }
                    for (int w = 0; w < 2; w++) {
                        byte[] got = DeviceIo.read(dev, at[w], len);
                        if (!Arrays.equals(got, data[w])) {
                            boolean others = Arrays.equals(got, data[1 - w]);
                            throw new AssertionError("two writers met inside the device's copy, each writing " + len
                                    + " bytes from " + kind + " to its own page (bytes " + at[0] + " and " + at[1]
                                    + "), and writer " + w + "'s range holds " + (others ? "the other writer's bytes"
                                    : "bytes that are not its own (first difference at byte " + Arrays.mismatch(got,
                                    data[w]) + ")") + ": the driver's copy shares state between concurrent calls (a"
                                    + " bounce buffer?); give each call its own, or hold a lock around it");
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    // ---- C8 close

    private static void closeDuringIo(DriverUnderTest d, Path scratch) throws Exception {
        DaxDevice dev = open(d, scratch);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean closed = new AtomicBoolean();
        try {
            List<Future<String>> workers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                workers.add(pool.submit(() -> {
                    Random rnd = new Random(id);
                    byte[] buf = new byte[2 * PAGE + 100];
                    try (Arena arena = Arena.ofConfined()) {
                        for (long i = 0; ; i++) {
                            try {
                                long pos = (long) rnd.nextInt((int) (dev.size() - buf.length));
                                boolean wasClosed = closed.get(); // read before the call: it began after close returned
                                switch ((int) (i % 3)) {
                                    case 0 -> DeviceIo.write(dev, pos, IterKind.values()[id].source(buf, arena));
                                    case 1 -> DeviceIo.read(dev, pos, buf.length);
                                    default -> dev.flush();
                                }
                                if (wasClosed) {
                                    throw new AssertionError("thread " + id + ": a call made after close() had"
                                            + " returned succeeded; C8: every operation after close fails with ENXIO");
                                }
                                started.set(true);
                            } catch (DaxException e) {
                                if (e.errno() == Errno.ENXIO) {
                                    return "ended with ENXIO after " + i + " calls";
                                }
                                throw new AssertionError("thread " + id + ": a call during close failed with "
                                        + e.getMessage() + " instead of finishing or failing with ENXIO", e);
                            }
                        }
                    }
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!started.get() && System.nanoTime() < deadline && workers.stream().noneMatch(Future::isDone)) {
                Thread.sleep(1);
            }
            Thread.sleep(30);
            dev.close();
            closed.set(true);
            Expect.that(!dev.isAlive(), "isAlive() after close");
            // Every call in flight has ended when close returns: the next one of each thread fails
            // at once. A bounded wait, so a broken device fails here, naming the contract.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int t = 0; t < workers.size(); t++) {
                try {
                    workers.get(t).get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("thread " + t + " was still inside a call 10 s after close() returned;"
                            + " C8: close waits for the calls in flight, and every call after it fails with ENXIO");
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof AssertionError a ? a
                            : new AssertionError("a thread doing I/O during close died of " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
            dev.close();
        }
    }

    /** Waits up to 10 s for {@code thread} to open {@code latch}; false at once if the thread ends first. */
    private static boolean arrived(CountDownLatch latch, Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (latch.await(5, TimeUnit.MILLISECONDS)) {
                return true;
            }
            if (!thread.isAlive()) {
                return latch.getCount() == 0;
            }
        }
        return false;
    }

    /** Waits up to 10 s for close() to begin (the device refuses new calls). */
    private static void awaitClosing(DaxDevice dev) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (dev.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Expect.that(!dev.isAlive(), "close() did not begin within 10 s");
    }

    /**
     * Whether {@code closing} is still waiting after 500 ms, as it must while a caller is inside.
     * EBUSY (the device's close timeout ran out first) is a close that waited and released
     * nothing: allowed, and the caller closes again later.
     */
    private static boolean stillWaiting(CompletableFuture<Void> closing, String whileWhat) throws Exception {
        try {
            closing.get(500, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException expected) {
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DaxException x && x.errno() == Errno.EBUSY) {
                return false;
            }
            throw new AssertionError("close() " + whileWhat + " failed: " + e.getCause(), e.getCause());
        }
        throw new AssertionError("close() returned " + whileWhat + ": C8, close waits for every call in flight and"
                + " every read lock before the memory is released");
    }

    /** A write held inside the driver's copy (at its Arch) while another thread closes the device. */
    private static void closeWaitsForCall(DriverUnderTest d, Path scratch) throws Exception {
        MeetingArch arch = new MeetingArch(d.arch().get(), Duration.ofSeconds(30));
        DaxDevice dev = open(d, scratch, arch);
        byte[] data = random(new Random(8), 2 * PAGE + 100);
        AtomicLong wrote = new AtomicLong(-1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().unstarted(() -> {
            try {
                wrote.set(DeviceIo.write(dev, PAGE + 7, data));
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        CountDownLatch inside = arch.hold(writer);
        try {
            writer.start();
            if (!arrived(inside, writer)) {
                if (failed.get() != null) {
                    throw new AssertionError("a write of " + data.length + " bytes failed before close: "
                            + failed.get(), failed.get());
                }
                throw new AssertionError("a write of " + data.length + " bytes " + (writer.isAlive()
                        ? "made no store through the device's Arch within 10 s" : "ended without a store through the"
                        + " device's Arch") + ": every copy must go through the Arch the driver was given (C3)");
            }
            CompletableFuture<Void> closing = CompletableFuture.runAsync(dev::close);
            awaitClosing(dev);
            Expect.fails(dev::flush, "a call made while close() waits", Errno.ENXIO);
            boolean waited = stillWaiting(closing, "while a write was inside the driver's copy");
            arch.letGo();
            writer.join(TimeUnit.SECONDS.toMillis(30));
            Expect.that(failed.get() == null, "the write held inside the driver's copy while close() waited failed: "
                    + failed.get());
            Expect.equal(data.length, wrote.get(), "bytes of the write held inside the driver's copy while close()"
                    + " waited");
            if (waited) {
                closing.get(30, TimeUnit.SECONDS);
            }
        } finally {
            arch.letGo();
            dev.close();
        }
        Expect.fails(dev::flush, "flush after close", Errno.ENXIO);
    }

    /** A read lock held, with its memory in use, while another thread closes the device. */
    private static void closeWaitsForReadLock(DriverUnderTest d, Path scratch) throws Exception {
        DaxDevice dev = open(d, scratch);
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean unlocking = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread holder = Thread.ofPlatform().start(() -> {
            try (DaxReadLock lock = dev.readLock()) {
                MemorySegment m = dev.directAccess(3, 1, DaxAccessMode.WRITE).addr();
                locked.countDown();
                if (!go.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("never told to go on");
                }
                // The memory of a held lock stays valid while close waits.
                m.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, 0x600DF00DL);
                Expect.equal(0x600DF00DL, m.get(ValueLayout.JAVA_LONG_UNALIGNED, 8), "a store to page 3 under a read"
                        + " lock held while close() waits");
                unlocking.set(true);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        try {
            if (!arrived(locked, holder)) {
                throw new AssertionError("a thread taking a read lock and page 3's memory failed: " + failed.get(),
                        failed.get());
            }
            AtomicBoolean releasedFirst = new AtomicBoolean();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
                dev.close();
                releasedFirst.set(unlocking.get());
            });
            awaitClosing(dev);
            boolean waited = stillWaiting(closing, "while another thread held a read lock");
            go.countDown();
            holder.join(TimeUnit.SECONDS.toMillis(30));
            Expect.that(failed.get() == null, "the thread holding a read lock while close() waited: " + failed.get());
            if (waited) {
                closing.get(30, TimeUnit.SECONDS);
                Expect.that(releasedFirst.get(), "close() returned before the read lock was closed (C8)");
            }
        } finally {
            go.countDown();
            dev.close();
        }
        Expect.fails(dev::readLock, "readLock after close", Errno.ENXIO);
    }

    private static void afterClose(DriverUnderTest d, Path scratch) {
        DaxDevice dev = open(d, scratch);
        dev.close();
        Expect.that(!dev.isAlive(), "isAlive() after close");
        Expect.fails(() -> dev.directAccess(0, 1, DaxAccessMode.READ), "directAccess after close", Errno.ENXIO);
        Expect.fails(dev::flush, "flush after close", Errno.ENXIO);
        Expect.fails(dev::readLock, "readLock after close", Errno.ENXIO);
        Expect.fails(() -> dev.zeroPageRange(0, 1), "zeroPageRange after close", Errno.ENXIO);
        Expect.fails(() -> dev.copyFromIter(0, 8, IovIter.kvec(IovIter.Direction.SOURCE, new byte[8])),
                "copyFromIter after close", Errno.ENXIO);
        Expect.fails(() -> dev.copyToIter(0, 8, IovIter.kvec(IovIter.Direction.DEST, new byte[8])),
                "copyToIter after close", Errno.ENXIO);
        Expect.fails(() -> dev.flushRange(0, 8), "flushRange after close", Errno.ENXIO);
    }

    private static void closeTwice(DriverUnderTest d, Path scratch) {
        DaxDevice dev = open(d, scratch);
        dev.close();
        dev.close();
        Expect.that(!dev.isAlive(), "isAlive() after two closes");
    }

    // ---- bad input

    private static void badSpecs(DriverUnderTest d, Path scratch) {
        String good = d.specs().newDevice(scratch, d.deviceSize());
        List<String> bad = new ArrayList<>(d.badSpecs());
        bad.add(good + (good.contains("?") ? "&" : "?") + "noSuchParameter=1");
        for (String spec : bad) {
            DaxException e = Expect.fails(() -> DaxDevices.open(spec, d.arch().get()).close(), "opening '" + spec + "'");
            Expect.that(e.getMessage() != null && e.getMessage().length() > e.errno().name().length() + 2,
                    "the error for '" + spec + "' says nothing: " + e.getMessage());
        }
    }

    private static void ioPastTheEnd(DriverUnderTest d, Path scratch) {
        try (DaxDevice dev = open(d, scratch)) {
            long last = dev.size() - PAGE;
            byte[] tail = DeviceIo.read(dev, last, PAGE);
            byte[] data = new byte[PAGE + 1];
            Arrays.fill(data, (byte) 9);
            Expect.fails(() -> DeviceIo.write(dev, last, data), "a write over the end", Errno.ERANGE);
            Expect.sameBytes(tail, DeviceIo.read(dev, last, PAGE), "the last page after a refused write over the end");
            Expect.fails(() -> dev.copyFromIter(dev.size() - 10, 20, IovIter.kvec(IovIter.Direction.SOURCE,
                    new byte[20])), "copyFromIter of 20 bytes into the last 10 of the device", Errno.ERANGE);
            Expect.sameBytes(tail, DeviceIo.read(dev, last, PAGE), "the last page after a refused copy over the end");
        }
    }
}
