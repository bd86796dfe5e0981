package com.example.hello;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxDriver;
import io.jdax.dax.DaxException;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.Errno;
import io.jdax.dax.PersistenceMode;

import java.util.Set;

/**
 * {@code hello:NAME?size=SIZE}: one block of native memory, volatile. Everything a driver must
 * do, and nothing more.
 */
public final class HelloDriver implements DaxDriver {

    /** The ServiceLoader needs a public no-argument constructor that does no I/O. */
    public HelloDriver() {
    }

    @Override
    public String scheme() {
        return "hello";
    }

    @Override
    public String description() {
        return "example plugin: volatile native memory, hello:NAME?size=1M";
    }

    @Override
    public DaxDevice open(DeviceSpec spec, Arch arch) {
        spec.requireKnownParams(Set.of("size"));
        long size = spec.size("size").orElse(1L << 20);
        if (size <= 0 || size % DaxDevice.PAGE_SIZE != 0) {
            throw new DaxException(Errno.EINVAL, "device spec '" + spec + "': size must be a positive multiple of "
                    + DaxDevice.PAGE_SIZE);
        }
        String name = spec.path().isEmpty() ? "hello" : spec.path();
        DaxDevice.Info info = new DaxDevice.Info(name, spec, size, DaxDevice.PAGE_SIZE, PersistenceMode.VOLATILE,
                "example driver: process memory");
        return new DaxDevice(info, arch, new HelloOperations(size));
    }
}
