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
import java.util.OptionalLong;

/**
 * Opens device DAX ({@code /dev/daxX.Y}): size and alignment from sysfs, the whole device mapped
 * shared through FFM {@code mmap} at the device's alignment (FileChannel cannot map a character
 * device). Always CPU_CACHE, so it needs an Arch that writes cache lines back; {@code mode=volatile}
 * is the explicit opt-in to use it without one, with no durability promise.
 */
final class DevDax {
    private DevDax() {
    }

    static Mapping open(DeviceSpec spec, Path path, OptionalLong size, boolean create, RequestedMode mode, Arch arch,
                        Platform platform) {
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
        PersistenceMode persistence = switch (mode) {
            case PAGE_CACHE -> throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': device DAX has no "
                    + "page cache; use mode=cpu_cache (the default) or mode=volatile");
            case VOLATILE -> PersistenceMode.VOLATILE;
            case AUTO, CPU_CACHE, EMULATED -> {
                if (!arch.hasCacheWriteback()) {
                    throw new DaxException(Errno.EOPNOTSUPP, "device DAX " + name + " is made durable only by "
                            + "writing CPU cache lines back, and Arch '" + arch.name() + "' cannot: use the "
                            + "native-x86 Arch ('jdax info' says why it is not in use), or add mode=volatile to "
                            + "use the device with no durability promise");
                }
                yield PersistenceMode.CPU_CACHE;
            }
        };
        LibC.requireLinux("device DAX");
        Sysfs.DevDaxInfo info = platform.sysfs().devDax(name);
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
        BadBlockSource badBlocks = info.regionBadBlocks()
                .<BadBlockSource>map(f -> new BadBlockSource.Region(f, info.regionOffset()))
                .orElseGet(() -> new BadBlockSource.None(name + " is not in an nvdimm region"));
        List<BadBlocks.Range> initial = PmemFile.readBadBlocks(name, badBlocks, info.size());

        int fd = LibC.open(real, LibC.O_RDWR | LibC.O_CLOEXEC);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment memory = LibC.mmapShared(fd, info.size(), info.align(), arena, "device DAX " + name);
            String reason = persistence == PersistenceMode.CPU_CACHE
                    ? "device DAX: stores are durable once written back by " + arch.name()
                    + " and fenced; no page cache, no system call"
                    : "mode=volatile asked for: device DAX used with no durability promise (Arch '" + arch.name()
                    + "'" + (arch.hasCacheWriteback() ? "" : " cannot write cache lines back") + "), flush() only fences";
            return new Mapping(name, memory, arena, persistence, reason, info.align(), badBlocks, initial, null);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        } finally {
            LibC.close(fd); // the mapping keeps the device open
        }
    }
}
