package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The pmem driver: persistent memory from a file, a file on a DAX filesystem, or device DAX.
 *
 * <h2>Spec</h2>
 * <pre>
 * pmem:PATH[?size=SIZE][&amp;create=true][&amp;shared=true][&amp;sparse=true][&amp;mode=auto|cpu_cache|page_cache|volatile|emulated][&amp;eadr=auto|on|off]
 * </pre>
 * <ul>
 *   <li>{@code PATH} a regular file, or a device DAX character device ({@code /dev/daxX.Y}).</li>
 *   <li>{@value #PARAM_SIZE}: {@code 64M}, {@code 1G}, ... a positive multiple of 4096. Needed
 *       to create a file; for an existing file or device it must equal the actual size (a file is
 *       never truncated or extended).</li>
 *   <li>{@value #PARAM_CREATE}: create the file if it does not exist: mode 0600, all its blocks
 *       allocated ({@code fallocate}) before it is mapped, so a filesystem without room for it is
 *       ENOSPC here (EOPNOTSUPP where the filesystem cannot allocate ahead), and the file is
 *       deleted again. A file that exists already is opened only if it belongs to this process's
 *       user and neither group nor others may write it (nor is it a symbolic link of another
 *       user's): otherwise someone who made it first could read or change all that is written
 *       (EACCES). Default false.</li>
 *   <li>{@value #PARAM_SHARED}: with {@code create=true}, open an existing file all the same: one
 *       shared with other users on purpose. Default false; without {@code create=true} the
 *       file must exist and is opened whoever owns it, as the spec names it.</li>
 *   <li>An existing file with holes has them allocated when it is opened (its data stays as it
 *       is), or is refused with the reason (ENOSPC, EOPNOTSUPP, ...).</li>
 *   <li>{@value #PARAM_SPARSE}: skip that allocation (and the free-space check at creation), for
 *       files sparse on purpose, e.g. far larger than the data they will hold. The risk: a store
 *       into a hole needs a block then, and when the filesystem is full it fails late, with a
 *       {@link io.jdax.dax.DaxException} ENOSPC from the copy that made it (not a crash; data
 *       already acknowledged by {@code flush()} is never at risk). Stores made directly into
 *       {@code directAccess} memory are outside jdax's copies: there the fault is the JDK's to
 *       report. Default false; device DAX has no holes and ignores it.</li>
 *   <li>{@value #PARAM_MODE}: the persistence wanted (C7); default {@value #MODE_PROPERTY}, else
 *       {@code auto}.
 *       <ul>
 *         <li>{@code auto}: a file is mapped with MAP_SYNC ({@code CPU_CACHE}) when the
 *             filesystem is DAX and the {@link Arch} can write cache lines back, else as a plain
 *             shared mapping ({@code PAGE_CACHE}: {@code flush()} msyncs the dirty pages);
 *             device DAX in an nvdimm region is {@code CPU_CACHE} (or {@code PERSISTENT_CACHE},
 *             below) and refuses an Arch without cache write-back.</li>
 *         <li>{@code cpu_cache}: that or a clear error.</li>
 *         <li>{@code page_cache}: a plain shared mapping (files only).</li>
 *         <li>{@code volatile}: no durability promise, {@code flush()} only fences; the explicit
 *             opt-in to use device DAX with an Arch that cannot write back.</li>
 *         <li>{@code emulated}: a plain file mapping treated as persistent memory (CPU_CACHE,
 *             like PMDK's {@code PMEM_IS_PMEM_FORCE=1}): for emulated pmem and benchmarks, never
 *             for data that must survive.</li>
 *       </ul></li>
 *   <li>{@value #PARAM_EADR}: whether the CPU caches are inside the persistence domain (C12);
 *       default {@value #EADR_PROPERTY}, else {@code auto}: the nvdimm region's
 *       {@code persistence_domain} ({@code cpu_cache}: {@code PERSISTENT_CACHE}, nothing written
 *       back; anything else: {@code CPU_CACHE}); {@code on} or {@code off} override it.</li>
 * </ul>
 * Device DAX over memory that is not persistent (hmem, a CXL RAM region) is {@code VOLATILE}
 * unless {@code mode=emulated}; one bound to kmem is refused (EBUSY) with the way back. The
 * device says which mode it got and why ({@link DaxDevice#persistenceReason()}) and what the
 * platform told it ({@link DaxDevice#facts()}, {@link DaxDevice#unsafeShutdownCount()}).
 */
public final class PmemDriver implements DaxDriver {
    /** The scheme. */
    public static final String SCHEME = "pmem";
    /** Spec parameter: the size, {@code size=1G}. */
    public static final String PARAM_SIZE = "size";
    /** Spec parameter: create a missing file, {@code create=true}. */
    public static final String PARAM_CREATE = "create";
    /** Spec parameter: map a file with its holes, without allocating them, {@code sparse=true}. */
    public static final String PARAM_SPARSE = "sparse";
    /** Spec parameter: with create, open an existing file others own or may write too, {@code shared=true}. */
    public static final String PARAM_SHARED = "shared";
    /** Spec parameter: the persistence wanted, {@code mode=auto|cpu_cache|page_cache|volatile|emulated}. */
    public static final String PARAM_MODE = "mode";
    /**
     * System property giving the default of {@value #PARAM_MODE} for every pmem device, e.g.
     * {@code -Djdax.pmem.mode=cpu_cache} to fail instead of falling back to the page cache.
     */
    public static final String MODE_PROPERTY = "jdax.pmem.mode";
    /**
     * Spec parameter: whether the CPU caches are inside the persistence domain,
     * {@code eadr=auto|on|off} (auto: what the nvdimm region's {@code persistence_domain} says).
     */
    public static final String PARAM_EADR = "eadr";
    /** System property giving the default of {@value #PARAM_EADR} for every pmem device, e.g. {@code -Djdax.pmem.eadr=off}. */
    public static final String EADR_PROPERTY = "jdax.pmem.eadr";
    /**
     * System property: where the driver reads sysfs instead of {@code /sys}, read at each open.
     * For tests and demonstrations over fake trees (a region whose persistence domain is
     * {@code cpu_cache}, a DIMM's unsafe shutdown count); never needed on a real machine.
     */
    public static final String SYSFS_PROPERTY = "jdax.pmem.sysfs";

    private static final Pattern DAX_NAME = Pattern.compile("dax\\d+\\.\\d+");
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    private final Platform platform;

    /** Called by the ServiceLoader. */
    public PmemDriver() {
        this(Platform.SYSTEM);
    }

    PmemDriver(Platform platform) {
        this.platform = platform;
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String description() {
        return "persistent memory from a file, a DAX filesystem or device DAX: "
                + "pmem:PATH?size=1G&create=true[&shared=true][&sparse=true]&mode=auto|cpu_cache|page_cache|volatile|emulated (-D"
                + MODE_PROPERTY + ")[&eadr=auto|on|off] (-D" + EADR_PROPERTY + ")";
    }

    /** The platform of this open: the fixed one given, or the system's with {@value #SYSFS_PROPERTY} applied. */
    private Platform platform() {
        String root = System.getProperty(SYSFS_PROPERTY);
        return platform != Platform.SYSTEM || root == null || root.isBlank() ? platform
                : new Platform(new Sysfs(Path.of(root)), platform.msync(), platform.closeTimeout());
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        Objects.requireNonNull(arch, "arch");
        Platform platform = platform();
        spec.requireKnownParams(Set.of(PARAM_SIZE, PARAM_CREATE, PARAM_SPARSE, PARAM_SHARED, PARAM_MODE, PARAM_EADR));
        OptionalLong size = spec.size(PARAM_SIZE);
        if (size.isPresent()) {
            PmemFile.checkSize(spec, size.getAsLong());
        }
        boolean create = spec.flag(PARAM_CREATE, false);
        boolean sparse = spec.flag(PARAM_SPARSE, false);
        boolean shared = spec.flag(PARAM_SHARED, false);
        RequestedMode mode = RequestedMode.of(spec);
        Eadr eadr = Eadr.of(spec);
        Path path = path(spec);
        if (isCharDevice(path)) {
            return PmemDevice.open(DevDax.open(spec, path, size, create, mode, eadr, arch, platform), spec, arch,
                    platform);
        }
        refuseKmem(path, platform);
        return PmemDevice.open(openFile(spec, path, size, create, sparse, shared, mode, eadr, arch, platform), spec, arch,
                platform);
    }

    /**
     * A file, with its persistence decided by the region of the pmem disk under its filesystem
     * (C12): MAP_SYNC or emulated CPU_CACHE becomes PERSISTENT_CACHE where {@link Eadr} says so.
     */
    private static Mapping openFile(DeviceSpec spec, Path path, OptionalLong size, boolean create, boolean sparse,
                                    boolean shared, RequestedMode mode, Eadr eadr, Arch arch, Platform platform) {
        Mapping m = PmemFile.open(spec, path, size, create, sparse, shared, mode, arch, platform);
        try {
            Optional<NdRegion> region = m.badBlocks() instanceof BadBlockSource.Disk d ? d.disk().region()
                    : Optional.empty();
            String disk = m.badBlocks() instanceof BadBlockSource.Disk d ? d.disk().name() : null;
            m = m.withPlatform(region, disk == null ? "a file on a filesystem that is not on a pmem disk"
                    : region.map(r -> "a file on pmem disk " + disk + " in nvdimm " + r.name() + " (" + r.dir() + ")")
                    .orElse("a file on pmem disk " + disk + ", in no nvdimm region sysfs shows"));
            String what = mode == RequestedMode.EMULATED
                    ? "mode=emulated: " + path + " treated as persistent memory, no msync; the data is only as durable"
                    + " as the file's memory"
                    : "MAP_SYNC mapping of " + path + " on a DAX filesystem, no system call";
            return eadr.apply(m, region, what, arch.name());
        } catch (RuntimeException | Error e) {
            m.unmap();
            throw e;
        }
    }

    /**
     * A device DAX path that does not exist may name a device bound to kmem (system RAM), which
     * has no character device: say so instead of "does not exist".
     */
    private static void refuseKmem(Path path, Platform platform) {
        Path name = path.getFileName();
        if (name == null || !DAX_NAME.matcher(name.toString()).matches() || Files.exists(path)) {
            return;
        }
        try {
            if (platform.sysfs().devDax(name.toString()).driver().filter("kmem"::equals).isPresent()) {
                throw DevDax.kmem(name.toString());
            }
        } catch (DaxException e) {
            if (e.errno() == Errno.EBUSY) {
                throw e;
            }
            // no such device DAX either: the file opener says the path does not exist
        }
    }

    /** Opens {@code path} as device DAX whatever its file type: how tests map a regular file through FFM. */
    PmemDevice openDevDax(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of(PARAM_SIZE, PARAM_MODE, PARAM_EADR));
        Mapping m = DevDax.open(spec, path(spec), spec.size(PARAM_SIZE), false, RequestedMode.of(spec),
                Eadr.of(spec), arch, platform);
        return PmemDevice.open(m, spec, arch, platform);
    }

    private static Path path(DeviceSpec spec) {
        if (spec.path().isBlank()) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "' has no path: expected "
                    + "pmem:/path/to/file?size=1G&create=true or pmem:/dev/dax0.0");
        }
        try {
            return Path.of(spec.path());
        } catch (InvalidPathException e) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': bad path: " + e.getMessage(), e);
        }
    }

    private static boolean isCharDevice(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode");
            return (((Integer) mode) & S_IFMT) == S_IFCHR;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // missing (the file opener says so) or no unix view
        }
    }
}
