package com.example.hello;

import io.jdax.arch.Arch;
import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.DaxReadLock;
import io.jdax.dax.DeviceGate;
import io.jdax.dax.DeviceSpec;
import io.jdax.dax.DirectAccess;
import io.jdax.dax.PageRange;
import io.jdax.dax.PersistenceMode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** One contiguous block of native memory; linear directAccess; no optional operations. */
final class HelloDevice implements DaxDevice, DaxOperations {
    private final String name;
    private final DeviceSpec spec;
    private final Arch arch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final DeviceGate gate;

    HelloDevice(String name, DeviceSpec spec, long size, Arch arch) {
        this.name = name;
        this.spec = spec;
        this.arch = arch;
        this.memory = arena.allocate(size, PAGE_SIZE);
        this.gate = new DeviceGate(name);
    }

    // ---- DaxOperations: only the two required ones; fs-dax supplies the copy fallbacks.

    @Override
    public DirectAccess directAccess(long pgoff, long nrPages, DaxAccessMode mode) {
        gate.enter();
        try {
            long n = PageRange.clamp(name, nrPages(), pgoff, nrPages);
            MemorySegment addr = memory.asSlice(pgoff * PAGE_SIZE, n * PAGE_SIZE);
            return new DirectAccess(mode == DaxAccessMode.READ ? addr.asReadOnly() : addr, n);
        } finally {
            gate.exit();
        }
    }

    @Override
    public void flush() {
        gate.enter();
        gate.exit(); // volatile: nothing to persist, but a closed device must still fail
    }

    // ---- DaxDevice

    @Override
    public String name() {
        return name;
    }

    @Override
    public DeviceSpec spec() {
        return spec;
    }

    @Override
    public long size() {
        return memory.byteSize();
    }

    @Override
    public long alignment() {
        return PAGE_SIZE;
    }

    @Override
    public PersistenceMode persistence() {
        return PersistenceMode.VOLATILE;
    }

    @Override
    public String persistenceReason() {
        return "example driver: process memory";
    }

    @Override
    public DaxOperations operations() {
        return this;
    }

    @Override
    public Arch arch() {
        return arch;
    }

    @Override
    public boolean isAlive() {
        return gate.isAlive();
    }

    @Override
    public DaxReadLock readLock() {
        return gate.lock();
    }

    @Override
    public void close() {
        // Wait for operations in flight, then free the memory once: no access can outlive it.
        gate.close(Duration.ofSeconds(30), arena::close);
    }
}
