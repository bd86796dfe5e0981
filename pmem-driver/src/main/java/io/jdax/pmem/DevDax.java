package io.jdax.pmem;

import io.jdax.arch.Arch;
import io.jdax.dax.BadBlocks;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;
import io.jdax.dax.Sizes;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Opens device DAX ({@code /dev/daxX.Y}): size, alignment and what the memory is from sysfs, the
 * whole device mapped shared through FFM {@code mmap} at the device's alignment (FileChannel cannot
 * map a character device). Persistence from the platform (C12): a device in an nvdimm region is
 * {@code CPU_CACHE}, or {@code PERSISTENT_CACHE} where the region's persistence domain is the CPU
 * cache ({@link Eadr}), and needs an Arch with cache instructions; a device over memory that is not
 * persistent (hmem, a CXL RAM region) is {@code VOLATILE} unless {@code mode=emulated};
 * {@code mode=volatile} is the explicit opt-in to use any device without a durability promise. A
 * device handed to the kernel as system RAM (kmem) is refused with the way back.
 */
final class DevDax {
    private DevDax() {
    }

    static Mapping open(DeviceSpec spec, Path path, OptionalLong size, boolean create, RequestedMode mode, Eadr eadr,
                        Arch arch, Platform platform) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new DaxException(Errno.ENOENT, "device DAX " + path + " cannot be resolved: " + e.getMessage(), e);
        }
        String name = real.getFileName().toString();
        if (create) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': device DAX " + name + " cannot be "
                    + "created (drop create=true; namespaces are made with ndctl/daxctl)");
        }
        if (mode == RequestedMode.PAGE_CACHE) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': device DAX has no page cache; use "
                    + "mode=cpu_cache (the default) or mode=volatile");
        }
        LibC.requireLinux("device DAX");
        Sysfs.DevDaxInfo info = platform.sysfs().devDax(name);
        if (info.driver().filter("kmem"::equals).isPresent()) {
            throw kmem(name);
        }
        Optional<NdRegion> region = info.origin() instanceof Sysfs.Origin.Nvdimm n ? Optional.of(n.region())
                : Optional.empty();
        String notPmem = info.origin() instanceof Sysfs.Origin.Other o ? o.what() : null;
        PersistenceMode persistence;
        String reason;
        if (mode == RequestedMode.VOLATILE) {
            persistence = PersistenceMode.VOLATILE;
            reason = "mode=volatile asked for: device DAX used with no durability promise (Arch '" + arch.name()
                    + "'" + (arch.hasCacheWriteback() ? "" : " cannot write cache lines back") + "), flush() only fences";
        } else if (notPmem != null && mode != RequestedMode.EMULATED) {
            if (mode == RequestedMode.CPU_CACHE) {
                throw new DaxException(Errno.EOPNOTSUPP, "device DAX " + name + " is " + notPmem + ", not persistent "
                        + "memory: mode=cpu_cache cannot be honoured (mode=emulated treats it as persistent memory, "
                        + "for tests and benchmarks only)");
            }
            persistence = PersistenceMode.VOLATILE;
            reason = "device DAX over " + notPmem + ": not persistent memory, nothing survives power loss or a "
                    + "restart (mode=emulated treats it as persistent memory, for tests and benchmarks)";
        } else {
            if (!arch.hasCacheWriteback()) {
                throw new DaxException(Errno.EOPNOTSUPP, "device DAX " + name + " is made durable only by "
                        + "writing CPU cache lines back (or fencing them, with eADR), and Arch '" + arch.name()
                        + "' cannot: use the "
                        + "native-x86 Arch ('jdax info' says why it is not in use), or add mode=volatile to "
                        + "use the device with no durability promise");
            }
            persistence = PersistenceMode.CPU_CACHE;
            reason = notPmem != null
                    ? "mode=emulated asked for: device DAX over " + notPmem + " treated as persistent memory: "
                    + "stores are written back by " + arch.name() + " and fenced; nothing survives power loss"
                    : "device DAX: stores are durable once written back by " + arch.name()
                    + " and fenced; no page cache, no system call";
        }
        if (size.isPresent() && size.getAsLong() != info.size()) {
            throw new DaxException(Errno.EINVAL, "device DAX " + name + " is " + Sizes.format(info.size()) + " ("
                    + info.size() + " bytes) but the spec asks for size=" + spec.param(PmemDriver.PARAM_SIZE).orElse("")
                    + " (" + size.getAsLong() + " bytes)");
        }
        // Only tests map a regular file here; mapping past its end would SIGBUS on first touch.
        if (Files.isRegularFile(real)) {
            long fileSize;
            try {
                fileSize = Files.size(real);
            } catch (IOException e) {
                throw new DaxException(Errno.EIO, "cannot stat " + real + ": " + e.getMessage(), e);
            }
            if (fileSize < info.size()) {
                throw new DaxException(Errno.EINVAL, real + " is " + fileSize + " bytes, shorter than the "
                        + info.size() + " bytes sysfs gives " + name);
            }
        }
        BadBlockSource badBlocks = region.isEmpty() ? new BadBlockSource.None(name + " is " + notPmem)
                : info.regionBadBlocks().<BadBlockSource>map(f -> new BadBlockSource.Region(f, info.regionOffset(),
                        info.offsetProblem()))
                .orElseGet(() -> new BadBlockSource.None(region.get().name() + " shows no badblocks"));
        List<BadBlocks.Range> initial = PmemFile.readBadBlocks(name, badBlocks, info.size());

        DeviceFile opened;
        try {
            opened = DeviceFile.open(real);
        } catch (DaxException e) {
            if (e.errno() == Errno.EACCES) {
                throw new DaxException(Errno.EACCES, e.getMessage() + ": this user needs read and write access to "
                        + real + " (device DAX is root's by default: a udev rule, chown or chmod gives it)", e);
            }
            throw e;
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment memory = LibC.mmapShared(opened.fd(), info.size(), info.align(), arena, "device DAX " + name);
            Mapping m = new Mapping(name, memory, arena, persistence, reason, info.align(), badBlocks, initial, null,
                    opened, opened.identity())
                    .withPlatform(region, notPmem != null ? notPmem : "device DAX in nvdimm " + region.orElseThrow().name()
                            + " (" + region.get().dir() + ")");
            return eadr.apply(m, region, "device DAX " + name + ": no page cache, no system call", arch.name());
        } catch (RuntimeException | Error e) {
            arena.close();
            opened.close();
            throw e;
        }
    }

    /** A device the kmem driver gave to the kernel's page allocator: no character device, a clear way back. */
    static DaxException kmem(String name) {
        return new DaxException(Errno.EBUSY, "device DAX " + name + " is in use as system RAM (bound to the kmem "
                + "driver, 'daxctl reconfigure-device --mode=system-ram'): its memory belongs to the kernel's page "
                + "allocator and it has no character device. To use it here, give it back: 'daxctl offline-memory "
                + name + "' then 'daxctl reconfigure-device --mode=devdax " + name + "'");
    }
}
