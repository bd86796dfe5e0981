package io.jdax.brd;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;

import java.util.Set;

/**
 * The brd driver: {@code brd:NAME?size=SIZE}, a RAM device whose pages are allocated on first
 * write (the kernel's {@code drivers/block/brd.c} as it was when it had DAX). A 1 TiB device opens
 * on a small machine and uses only the pages written. Nothing persists.
 */
public final class BrdDriver implements DaxDriver {
    /** The scheme. */
    public static final String SCHEME = "brd";

    /** Called by the ServiceLoader. */
    public BrdDriver() {
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String description() {
        return "sparse RAM device, pages allocated on first write: brd:NAME?size=64M";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of("size"));
        long size = spec.size("size").orElseThrow(() -> new DaxException(Errno.EINVAL,
                "device spec '" + spec + "': brd needs a size, e.g. brd:ram0?size=64M"));
        if (size <= 0 || size % DaxDevice.PAGE_SIZE != 0) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': size " + size
                    + " must be a positive multiple of the " + DaxDevice.PAGE_SIZE + "-byte page");
        }
        String name = spec.path().isEmpty() ? SCHEME : spec.path();
        return new BrdDevice(name, spec, size, arch);
    }
}
